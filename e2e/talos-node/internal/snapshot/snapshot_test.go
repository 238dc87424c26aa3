package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
)

func TestSnapshotIsAnEtcdSnapshotTalosctlAccepts(t *testing.T) {
	for _, want := range []int64{1, 1 << 20, 5<<20 + 123} {
		p := Params{ClusterID: "cluster-a", Member: "127.0.0.2", Revision: 7, Bytes: want}

		var buf bytes.Buffer

		n, err := Write(&buf, p)
		if err != nil {
			t.Fatal(err)
		}

		if n != int64(buf.Len()) || n != Size(p) {
			t.Fatalf("Write reported %d, wrote %d, Size says %d", n, buf.Len(), Size(p))
		}

		smallest := int64(minPages*PageSize + sha256.Size)
		if n < want || (want > smallest && n-want >= PageSize) || (want <= smallest && n != smallest) {
			t.Fatalf("asked for %d bytes, got %d: more than a page off (or not the smallest database)", want, n)
		}

		// talosctl etcd snapshot: (size % 512) == sha256.Size, and the trailer is the SHA-256 of the database
		if n%512 != sha256.Size {
			t.Fatalf("size %d: talosctl would say \"sha256 checksum not found\"", n)
		}

		db, trailer := buf.Bytes()[:n-sha256.Size], buf.Bytes()[n-sha256.Size:]
		if sum := sha256.Sum256(db); !bytes.Equal(sum[:], trailer) {
			t.Fatal("the trailer is not the database's SHA-256")
		}

		checkBolt(t, db, p)
	}
}

// checkBolt does what etcdutl's snapshot status does: bbolt integrity check, every "key" value an mvccpb.KeyValue.
func checkBolt(t *testing.T, db []byte, p Params) {
	t.Helper()

	path := filepath.Join(t.TempDir(), "snap.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}

	bdb, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close() //nolint:errcheck

	err = bdb.View(func(tx *bolt.Tx) error {
		for cerr := range tx.Check() {
			t.Errorf("bbolt check: %v", cerr)
		}

		if tx.Bucket([]byte("meta")) == nil {
			t.Error("no meta bucket")
		}

		keys := tx.Bucket([]byte("key"))
		if keys == nil {
			t.Fatal("no key bucket")
		}

		var last int64

		count := 0

		return keys.ForEach(func(k, v []byte) error {
			if len(k) != 17 || k[8] != '_' {
				t.Errorf("key %x is not an etcd revision", k)
			}

			last = int64(binary.BigEndian.Uint64(k))
			count++

			var kv mvccpb.KeyValue
			if err := kv.Unmarshal(v); err != nil {
				t.Errorf("value of revision %d is not a KeyValue: %v", last, err)
			}

			if count == 1 && !bytes.Contains(kv.Value[:200], []byte("cluster: "+p.ClusterID+"\nmember: "+p.Member)) {
				t.Errorf("first value does not name the cluster and member: %q", kv.Value[:100])
			}

			if last != p.Revision {
				t.Errorf("last revision %d, want %d", last, p.Revision)
			}

			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotIsDeterministicPerState(t *testing.T) {
	base := Params{ClusterID: "cluster-a", Member: "127.0.0.2", Revision: 3, Bytes: 256 << 10}

	digest := func(p Params) string {
		_, sum, err := Digest(p)
		if err != nil {
			t.Fatal(err)
		}

		return sum
	}

	if digest(base) != digest(base) {
		t.Fatal("the same state must give the same bytes")
	}

	for name, p := range map[string]Params{
		"revision": {ClusterID: base.ClusterID, Member: base.Member, Revision: 4, Bytes: base.Bytes},
		"cluster":  {ClusterID: "cluster-b", Member: base.Member, Revision: base.Revision, Bytes: base.Bytes},
		"member":   {ClusterID: base.ClusterID, Member: "127.0.0.3", Revision: base.Revision, Bytes: base.Bytes},
	} {
		if digest(p) == digest(base) {
			t.Errorf("a different %s must give different bytes", name)
		}
	}
}

func TestSnapshotStreamsInFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 256 MiB")
	}

	var before, after runtime.MemStats

	runtime.GC()
	runtime.ReadMemStats(&before)

	n, err := Write(io.Discard, Params{ClusterID: "c", Member: "m", Revision: 1, Bytes: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}

	runtime.ReadMemStats(&after)

	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 4<<20 {
		t.Fatalf("streaming %d bytes allocated %d bytes; it must not grow with the size", n, allocated)
	}
}
