package node

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"homelab.local/e2e/talos-node/internal/config"
	"homelab.local/e2e/talos-node/internal/fixture"
)

// clock is a virtual-time Scheduler: nothing runs until the test advances time.
type clock struct {
	mu    sync.Mutex
	now   time.Duration
	seq   int
	tasks []task
}

type task struct {
	due time.Duration
	seq int
	f   func()
}

func (c *clock) AfterFunc(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.seq++
	c.tasks = append(c.tasks, task{due: c.now + d, seq: c.seq, f: f})
}

// advance runs, in time order, every task due within d (including tasks scheduled meanwhile).
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	until := c.now + d
	c.mu.Unlock()

	for {
		c.mu.Lock()
		sort.Slice(c.tasks, func(i, j int) bool {
			if c.tasks[i].due != c.tasks[j].due {
				return c.tasks[i].due < c.tasks[j].due
			}

			return c.tasks[i].seq < c.tasks[j].seq
		})

		if len(c.tasks) == 0 || c.tasks[0].due > until {
			c.now = until
			c.mu.Unlock()

			return
		}

		next := c.tasks[0]
		c.tasks = c.tasks[1:]
		c.now = next.due
		c.mu.Unlock()

		next.f()
	}
}

// settle lets every transition of the test timing finish (install, reboots, sequences), not a try-mode rollback.
func (c *clock) settle() { c.advance(10 * time.Second) }

// hooks records when nodes start and stop answering, as the transport sees it through Sync.
type hooks struct {
	mu     sync.Mutex
	events []string
	c      *Cluster
	served map[string]uint64 // incarnation served; 0 = not listening
}

func (h *hooks) Sync(a string) {
	up, gen := h.c.Node(a).Serving()

	h.mu.Lock()
	current := h.served[a]
	h.mu.Unlock()

	switch {
	case !up && current != 0:
		h.add("down " + a)
		h.set(a, 0)
	case up && current != gen:
		if current != 0 {
			h.add("down " + a)
		}

		h.add("up " + a)
		h.set(a, gen)
	}
}

func (h *hooks) set(a string, gen uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()

	h.served[a] = gen
}

func (h *hooks) add(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()

	h.events = append(h.events, s)
}

func (h *hooks) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()

	out := h.events
	h.events = nil

	return out
}

var testTiming = Timing{Install: time.Second, Reboot: time.Second, Settle: 100 * time.Millisecond, Hold: 1500 * time.Millisecond}

type testCluster struct {
	*Cluster
	clock *clock
	hooks *hooks
}

func nvme(dev string) config.Disk {
	return config.Disk{DeviceName: dev, Size: 512110190592, Model: "Samsung SSD 980", Type: "nvme"}
}

// newCluster starts nodes 127.0.0.11, .12, … of the given Talos versions, each with one 512 GB NVMe disk.
func newCluster(t *testing.T, versions ...string) *testCluster {
	t.Helper()

	f := &config.File{}

	for i, v := range versions {
		f.Nodes = append(f.Nodes, config.Node{
			Address: fmt.Sprintf("127.0.0.%d", 11+i), TalosVersion: v, MemoryMiB: 8192,
			Disks: []config.Disk{nvme("/dev/nvme0n1")}, EtcdSnapshotBytes: 1 << 20,
		})
	}

	tc := &testCluster{clock: &clock{}, hooks: &hooks{served: map[string]uint64{}}}
	tc.Cluster = NewCluster(f, tc.clock, testTiming, t.Logf)
	tc.hooks.c = tc.Cluster
	tc.SetHooks(tc.hooks)
	tc.Start()
	tc.hooks.take()

	return tc
}

var (
	bundleMu sync.Mutex
	bundles  = map[string]*fixture.Bundle{}
)

// bundle generates (once per Kubernetes version and installer) a cluster's configurations.
func bundle(t *testing.T, k8s, installer string) *fixture.Bundle {
	t.Helper()

	bundleMu.Lock()
	defer bundleMu.Unlock()

	key := k8s + "|" + installer
	if b, ok := bundles[key]; ok {
		return b
	}

	b, err := fixture.Generate(fixture.Options{Endpoint: "https://127.0.0.11:6443", KubernetesVersion: k8s, InstallImage: installer})
	if err != nil {
		t.Fatal(err)
	}

	bundles[key] = b

	return b
}

func defaultBundle(t *testing.T) *fixture.Bundle {
	return bundle(t, "1.35.0", fixture.Installer("v1.12.1"))
}

func mustApply(t *testing.T, n *Node, data []byte, mode machine.ApplyConfigurationRequest_Mode) *machine.ApplyConfiguration {
	t.Helper()

	res, err := n.Apply(ApplyRequest{Data: data, Mode: mode, Admin: true})
	if err != nil {
		t.Fatalf("%s: apply: %v", n.Address(), err)
	}

	return res
}

// configure applies and lets the node install and boot: configured mode.
func (tc *testCluster) configure(t *testing.T, n *Node, data []byte) {
	t.Helper()

	mustApply(t, n, data, machine.ApplyConfigurationRequest_AUTO)
	tc.clock.settle()

	if got := n.Mode(); got != ModeConfigured {
		t.Fatalf("%s: mode %s after install, want configured (state %+v)", n.Address(), got, tc.state(n))
	}
}

func (tc *testCluster) state(n *Node) State {
	for _, s := range tc.States() {
		if s.Address == n.Address() {
			return s
		}
	}

	return State{}
}

func (tc *testCluster) node(i int) *Node { return tc.Node(tc.Addresses()[i]) }

func wantCode(t *testing.T, err error, code codes.Code, contains string) {
	t.Helper()

	if status.Code(err) != code {
		t.Fatalf("got %v (code %s), want code %s", err, status.Code(err), code)
	}

	if !strings.Contains(status.Convert(err).Message(), contains) {
		t.Fatalf("message %q does not contain %q", status.Convert(err).Message(), contains)
	}
}

// payloads decodes the events of a watch backlog as "type:detail" strings for assertions.
func payloads(t *testing.T, evs []*machine.Event) []string {
	t.Helper()

	var out []string

	for _, ev := range evs {
		name := strings.TrimPrefix(ev.GetData().GetTypeUrl(), eventTypePrefix)

		var detail string

		switch name {
		case "machine.TaskEvent":
			m := &machine.TaskEvent{}
			mustUnmarshal(t, ev, m)
			detail = m.GetTask() + "/" + m.GetAction().String()
		case "machine.SequenceEvent":
			m := &machine.SequenceEvent{}
			mustUnmarshal(t, ev, m)
			detail = m.GetSequence() + "/" + m.GetAction().String()

			if m.GetError() != nil {
				detail += "/error:" + m.GetError().GetMessage()
			}
		case "machine.MachineStatusEvent":
			m := &machine.MachineStatusEvent{}
			mustUnmarshal(t, ev, m)
			detail = fmt.Sprintf("%s/ready=%v", m.GetStage(), m.GetStatus().GetReady())
		default:
			continue
		}

		out = append(out, strings.TrimPrefix(name, "machine.")+":"+detail)
	}

	return out
}

func mustUnmarshal(t *testing.T, ev *machine.Event, m proto.Message) {
	t.Helper()

	if err := proto.Unmarshal(ev.GetData().GetValue(), m); err != nil {
		t.Fatal(err)
	}
}

func containsInOrder(have []string, want ...string) bool {
	i := 0

	for _, h := range have {
		if i < len(want) && h == want[i] {
			i++
		}
	}

	return i == len(want)
}

// extensions lists the node's ExtensionStatus resources as name=version (`talosctl get extensions`).
func extensions(t *testing.T, n *Node) []string {
	t.Helper()

	list, err := safe.StateListAll[*runtime.ExtensionStatus](context.Background(), n.Resources())
	if err != nil {
		t.Fatal(err)
	}

	var out []string

	for ext := range list.All() {
		out = append(out, ext.TypedSpec().Metadata.Name+"="+ext.TypedSpec().Metadata.Version)
	}

	return out
}
