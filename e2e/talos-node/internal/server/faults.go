package server

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
)

// Fault kinds the control API accepts. poweroff/poweron act at once; refuse/delay/drop wait for matching calls.
const (
	FaultRefuse   = "refuse"
	FaultDelay    = "delay"
	FaultDrop     = "drop"
	FaultPowerOff = "poweroff"
	FaultPowerOn  = "poweron"
	FaultClear    = "clear"
)

// Fault is one injected misbehaviour of a node.
type Fault struct {
	Method  string `json:"method,omitempty"` // full gRPC method; empty matches every method
	Kind    string `json:"kind"`
	Code    string `json:"code,omitempty"`    // refuse: gRPC code name, e.g. Unavailable
	Times   int    `json:"times,omitempty"`   // how many calls it hits; 0 = until cleared
	DelayMs int    `json:"delayMs,omitempty"` // delay

	code codes.Code
	hits int
}

// ParseCode turns "Unavailable", "UNAVAILABLE", "DEADLINE_EXCEEDED" or "14" into a gRPC code.
func ParseCode(s string) (codes.Code, error) {
	want := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", ""))

	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if strings.ToLower(c.String()) == want || fmt.Sprint(uint32(c)) == want {
			return c, nil
		}
	}

	return 0, fmt.Errorf("code: %q is not a gRPC status code name (e.g. Unavailable, DeadlineExceeded, PermissionDenied)", s)
}

// Check validates a fault request; every problem is reported.
func (f *Fault) Check() error {
	var problems []string

	switch f.Kind {
	case FaultRefuse:
		if f.Code == "" {
			problems = append(problems, "code: refuse needs a gRPC code, e.g. \"Unavailable\"")
		} else if c, err := ParseCode(f.Code); err != nil {
			problems = append(problems, err.Error())
		} else if c == codes.OK {
			problems = append(problems, "code: OK is not a refusal")
		} else {
			f.code = c
		}
	case FaultDelay:
		if f.DelayMs <= 0 {
			problems = append(problems, "delayMs: delay needs a positive delay in milliseconds")
		}
	case FaultDrop, FaultPowerOff, FaultPowerOn, FaultClear:
	default:
		problems = append(problems, fmt.Sprintf("kind: %q is not one of refuse, delay, drop, poweroff, poweron, clear", f.Kind))
	}

	if f.Times < 0 {
		problems = append(problems, "times: must be 0 (until cleared) or more")
	}

	if f.Method != "" && !strings.HasPrefix(f.Method, "/") {
		problems = append(problems, fmt.Sprintf("method: %q must be a full gRPC method such as /machine.MachineService/ApplyConfiguration", f.Method))
	}

	if len(problems) > 0 {
		return fmt.Errorf("fault: %s", strings.Join(problems, "; "))
	}

	return nil
}

// faults holds the pending faults per node address.
type faults struct {
	mu     sync.Mutex
	byNode map[string][]*Fault
}

func newFaults() *faults { return &faults{byNode: map[string][]*Fault{}} }

func (fs *faults) add(node string, f *Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()

	fs.byNode[node] = append(fs.byNode[node], f)
}

// clear removes a node's faults (of one method when given).
func (fs *faults) clear(node, method string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()

	kept := fs.byNode[node][:0]
	removed := 0

	for _, f := range fs.byNode[node] {
		if method == "" || f.Method == method {
			removed++

			continue
		}

		kept = append(kept, f)
	}

	fs.byNode[node] = kept

	return removed
}

func (fs *faults) list(node string) []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()

	out := make([]Fault, 0, len(fs.byNode[node]))
	for _, f := range fs.byNode[node] {
		out = append(out, *f)
	}

	return out
}

// take returns the first fault matching a call to node, counting the hit (and retiring it after Times hits).
func (fs *faults) take(node, method string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()

	list := fs.byNode[node]

	for i, f := range list {
		if f.Method != "" && f.Method != method {
			continue
		}

		f.hits++
		hit := *f

		if f.Times > 0 && f.hits >= f.Times {
			fs.byNode[node] = append(list[:i:i], list[i+1:]...)
		}

		return &hit
	}

	return nil
}

func (f *Fault) delay() time.Duration { return time.Duration(f.DelayMs) * time.Millisecond }
