// Package calllog records every gRPC call the stand-in answers: in memory (control API) and as JSON lines in a file.
// Entries name the node, method, TLS kind, certificate organization and outcome; never a configuration or a key.
package calllog

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Apply describes an ApplyConfiguration request without its content.
type Apply struct {
	Mode         string `json:"mode"`
	DryRun       bool   `json:"dryRun"`
	ConfigSHA256 string `json:"configSha256"`
	ConfigBytes  int    `json:"configBytes"`
	// Kinds of the config's documents in order (`v1alpha1` for the v1alpha1 config), e.g. to see that Talos 1.14's
	// SecurityProfileConfig reached the node.
	Kinds []string `json:"kinds,omitempty"`
}

// Entry is one call to one node (a call fanned out to several nodes gives one entry per node).
type Entry struct {
	Time       time.Time `json:"time"`
	Node       string    `json:"node"`     // the node the call was for (routing target)
	Listener   string    `json:"listener"` // the address the client connected to (endpoint)
	Method     string    `json:"method"`
	Mode       string    `json:"mode,omitempty"` // target node's mode when the call arrived
	TLS        string    `json:"tls,omitempty"`  // server-only | mutual
	PeerOrg    []string  `json:"peerOrg,omitempty"`
	Routing    string    `json:"routing,omitempty"` // local | one2one | one2many
	Code       string    `json:"code"`
	Message    string    `json:"message,omitempty"`
	DurationMs int64     `json:"durationMs"`
	Fault      string    `json:"fault,omitempty"`
	Apply      *Apply    `json:"apply,omitempty"`
	Detail     string    `json:"detail,omitempty"` // e.g. the upgrade image, the reset options
}

// Log keeps entries and appends them to a file.
type Log struct {
	mu       sync.Mutex
	entries  []Entry
	counters map[string]map[string]int // node → method → calls
	out      io.WriteCloser
	enc      *json.Encoder
}

// Open starts a log; path "" keeps it in memory only.
func Open(path string) (*Log, error) {
	l := &Log{counters: map[string]map[string]int{}}

	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("--log: %w", err)
		}

		l.out = f
		l.enc = json.NewEncoder(f)
	}

	return l, nil
}

const maxMessage = 2000

// Add records an entry.
func (l *Log) Add(e Entry) {
	if len(e.Message) > maxMessage {
		e.Message = e.Message[:maxMessage] + "…"
	}

	l.mu.Lock()
	defer l.mu.Unlock()

	l.entries = append(l.entries, e)

	if l.counters[e.Node] == nil {
		l.counters[e.Node] = map[string]int{}
	}

	l.counters[e.Node][e.Method]++

	if l.enc != nil {
		_ = l.enc.Encode(e) //nolint:errcheck // a full disk must not take the API down
	}
}

// Entries returns a copy of every entry so far.
func (l *Log) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()

	return append([]Entry(nil), l.entries...)
}

// Counters returns calls per method for a node.
func (l *Log) Counters(node string) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()

	out := map[string]int{}
	for k, v := range l.counters[node] {
		out[k] = v
	}

	return out
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()

	if l.out != nil {
		return l.out.Close()
	}

	return nil
}
