// Package snapshot streams a deterministic etcd snapshot: a valid bbolt database (what etcd's snapshot is) with a
// "key" bucket holding seeded pseudo-random revisions and a "meta" bucket, followed by the SHA-256 of the database,
// as etcd's Maintenance/Snapshot stream ends. talosctl checks that trailer ((size % 512) == 32) and then opens the
// file with etcdutl's snapshot status (bbolt), so the layout has to be real. Memory stays flat at any size.
package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
)

// PageSize is the bbolt page size used (Linux' usual page size, as etcd's databases have).
const PageSize = 4096

const (
	headerSize   = 16 // bbolt page header: id uint64, flags uint16, count uint16, overflow uint32
	elementSize  = 16 // bbolt leaf element: flags, pos, ksize, vsize (uint32 each)
	revKeySize   = 17 // etcd revision key: main (8, big endian) '_' sub (8, big endian)
	maxValueSize = 1 << 30
	firstData    = 5 // pages 0-1 meta, 2 freelist, 3 root bucket, 4 "meta" bucket; the "key" bucket starts here
	minPages     = firstData + 1

	metaPageFlag     = 0x04
	leafPageFlag     = 0x02
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01

	boltMagic   = 0xED0CDAED
	boltVersion = 2
)

// Params is the node state a snapshot is made of.
type Params struct {
	ClusterID string
	Member    string // node address
	Revision  int64
	Bytes     int64 // wanted size of the whole stream, rounded up to whole pages plus the 32-byte trailer
}

// Size is the exact number of bytes Write produces for p.
func Size(p Params) int64 {
	return int64(pages(p))*PageSize + sha256.Size
}

func pages(p Params) int {
	n := int((p.Bytes - sha256.Size + PageSize - 1) / PageSize)

	return max(n, minPages)
}

// Write streams the snapshot to w and returns the byte count.
func Write(w io.Writer, p Params) (int64, error) {
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, h)}

	if err := writeDB(cw, p); err != nil {
		return cw.n, err
	}

	if _, err := cw.Write(h.Sum(nil)); err != nil {
		return cw.n, err
	}

	return cw.n, nil
}

// Digest is the size and hex SHA-256 of the whole stream Write would produce.
func Digest(p Params) (int64, string, error) {
	h := sha256.New()

	n, err := Write(h, p)
	if err != nil {
		return 0, "", err
	}

	return n, hex.EncodeToString(h.Sum(nil)), nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)

	return n, err
}

func writeDB(w io.Writer, p Params) error {
	total := pages(p)

	var buf bytes.Buffer

	for txid := range 2 {
		buf.Write(metaPage(txid, uint64(total)))
	}

	buf.Write(page(2, freelistPageFlag, 0, 0, nil))
	buf.Write(leafPage(3, 0, []entry{
		{key: []byte("key"), value: inBucket(firstData), flags: bucketLeafFlag},
		{key: []byte("meta"), value: inBucket(4), flags: bucketLeafFlag},
	}))

	revision := max(p.Revision, 1)
	buf.Write(leafPage(4, 0, []entry{
		{key: []byte("consistent_index"), value: be64(uint64(revision))},
		{key: []byte("term"), value: be64(2)},
	}))

	if _, err := w.Write(buf.Bytes()); err != nil {
		return err
	}

	return writeKeyBucket(w, p, total, revision)
}

// writeKeyBucket writes one leaf page (with overflow pages to the end of the file) holding the revisions.
func writeKeyBucket(w io.Writer, p Params, total int, revision int64) error {
	span := int64(total-firstData) * PageSize

	// k elements whose keys and values fill the span exactly
	k := int64(1)
	for (span-headerSize-k*elementSize-k*revKeySize)/k > maxValueSize {
		k++
	}

	values := span - headerSize - k*elementSize - k*revKeySize
	revision = max(revision, k)

	var hdr bytes.Buffer

	hdr.Write(pageHeader(uint64(firstData), leafPageFlag, uint16(k), uint32(total-firstData-1)))

	sizes := make([]int64, k)
	for i := range sizes {
		sizes[i] = values / k
	}

	sizes[k-1] += values % k

	pos := (k) * elementSize // distance from element 0 to the first key
	for i := range k {
		var e [elementSize]byte
		binary.LittleEndian.PutUint32(e[4:], uint32(pos-i*elementSize))
		binary.LittleEndian.PutUint32(e[8:], revKeySize)
		binary.LittleEndian.PutUint32(e[12:], uint32(sizes[i]))
		hdr.Write(e[:])

		pos += revKeySize + sizes[i]
	}

	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}

	rng := rand.NewChaCha8(seed(p, revision))
	chunk := make([]byte, 64<<10)

	for i := range k {
		main := revision - k + 1 + i

		if _, err := w.Write(revKey(main)); err != nil {
			return err
		}

		// the value is an mvccpb.KeyValue (etcdutl's snapshot status decodes every one); its value field holds
		// the header and the pseudo-random payload
		prefix := keyValuePrefix(fmt.Sprintf("/talos-node/snapshot/%d", i), main, sizes[i])
		if _, err := w.Write(prefix); err != nil {
			return err
		}

		left := sizes[i] - int64(len(prefix))

		if i == 0 {
			head := fmt.Appendf(nil, "talos-node stand-in etcd snapshot\ncluster: %s\nmember: %s\nrevision: %d\n", p.ClusterID, p.Member, revision)
			head = head[:min(int64(len(head)), left)]

			if _, err := w.Write(head); err != nil {
				return err
			}

			left -= int64(len(head))
		}

		for left > 0 {
			b := chunk[:min(int64(len(chunk)), left)]
			rng.Read(b) //nolint:errcheck // ChaCha8.Read never fails

			if _, err := w.Write(b); err != nil {
				return err
			}

			left -= int64(len(b))
		}
	}

	return nil
}

// keyValuePrefix encodes an mvccpb.KeyValue up to its value field's length, so that the value's bytes (streamed
// after it) make the whole record exactly total bytes. The length is a fixed five-byte varint (valid protobuf).
func keyValuePrefix(key string, revision, total int64) []byte {
	var b []byte

	b = append(b, 0x0a, byte(len(key))) // 1: key
	b = append(b, key...)
	b = binary.AppendUvarint(append(b, 0x10), uint64(revision)) // 2: create_revision
	b = binary.AppendUvarint(append(b, 0x18), uint64(revision)) // 3: mod_revision
	b = append(b, 0x20, 0x01)                                   // 4: version
	b = append(b, 0x2a)                                         // 5: value

	payload := uint64(total) - uint64(len(b)) - 5
	for range 4 {
		b = append(b, byte(payload&0x7f)|0x80)
		payload >>= 7
	}

	return append(b, byte(payload))
}

func seed(p Params, revision int64) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d", p.ClusterID, p.Member, revision))
}

type entry struct {
	key, value []byte
	flags      uint32
}

func pageHeader(id uint64, flags, count uint16, overflow uint32) []byte {
	b := make([]byte, headerSize)
	binary.LittleEndian.PutUint64(b[0:], id)
	binary.LittleEndian.PutUint16(b[8:], flags)
	binary.LittleEndian.PutUint16(b[10:], count)
	binary.LittleEndian.PutUint32(b[12:], overflow)

	return b
}

func page(id uint64, flags, count uint16, overflow uint32, body []byte) []byte {
	b := make([]byte, PageSize)
	copy(b, pageHeader(id, flags, count, overflow))
	copy(b[headerSize:], body)

	return b
}

func leafPage(id uint64, overflow uint32, entries []entry) []byte {
	var body bytes.Buffer

	data := len(entries) * elementSize

	for i, e := range entries {
		var el [elementSize]byte
		binary.LittleEndian.PutUint32(el[0:], e.flags)
		binary.LittleEndian.PutUint32(el[4:], uint32(data-i*elementSize))
		binary.LittleEndian.PutUint32(el[8:], uint32(len(e.key)))
		binary.LittleEndian.PutUint32(el[12:], uint32(len(e.value)))
		body.Write(el[:])

		data += len(e.key) + len(e.value)
	}

	for _, e := range entries {
		body.Write(e.key)
		body.Write(e.value)
	}

	return page(id, leafPageFlag, uint16(len(entries)), overflow, body.Bytes())
}

func metaPage(txid int, highWater uint64) []byte {
	m := make([]byte, 64)
	binary.LittleEndian.PutUint32(m[0:], boltMagic)
	binary.LittleEndian.PutUint32(m[4:], boltVersion)
	binary.LittleEndian.PutUint32(m[8:], PageSize)
	binary.LittleEndian.PutUint32(m[12:], 0)
	binary.LittleEndian.PutUint64(m[16:], 3) // root bucket page
	binary.LittleEndian.PutUint64(m[24:], 0) // root sequence
	binary.LittleEndian.PutUint64(m[32:], 2) // freelist page
	binary.LittleEndian.PutUint64(m[40:], highWater)
	binary.LittleEndian.PutUint64(m[48:], uint64(txid))

	h := fnv.New64a()
	h.Write(m[:56]) //nolint:errcheck
	binary.LittleEndian.PutUint64(m[56:], h.Sum64())

	return page(uint64(txid), metaPageFlag, 0, 0, m)
}

func inBucket(root uint64) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, root)

	return b
}

func be64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)

	return b
}

func revKey(main int64) []byte {
	b := make([]byte, revKeySize)
	binary.BigEndian.PutUint64(b, uint64(main))
	b[8] = '_'

	return b
}
