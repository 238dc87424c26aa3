// Package node is the state machine of the Talos nodes the stand-in plays: maintenance mode, install, reboots,
// configured mode, etcd across the control planes of one cluster, upgrades and resets. It knows nothing of gRPC
// transport; it answers in Talos' API messages and status codes so the server package only routes and records.
package node

import (
	"sort"
	"sync"
	"time"

	"homelab.local/e2e/talos-node/internal/config"
)

// Scheduler runs f after d. The real one is time.AfterFunc; tests step a manual one.
type Scheduler interface {
	AfterFunc(d time.Duration, f func())
}

// RealScheduler uses the wall clock.
type RealScheduler struct{}

// AfterFunc implements Scheduler.
func (RealScheduler) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }

// Hooks let the transport follow the nodes: Sync is called (outside the cluster lock) whenever a node starts or
// stops answering on its address; the transport then reads Node.Serving and converges, so late or reordered
// calls cannot leave a stale listener.
type Hooks interface {
	Sync(address string)
}

// Timing of the slow parts of a node's life.
type Timing struct {
	Install time.Duration // writing Talos to disk after the first apply
	Reboot  time.Duration // not answering while rebooting
	Settle  time.Duration // between an API answer and what follows it (a sequence's events, the install)
	// Hold is how long a machine stays up after a sequence's last event before it goes down (the remaining
	// phases). talosctl's and the provider's trackers re-watch events one second after "stopAllServices"; the
	// machine must still be up or already down then, not back with a fresh event log they would tail from its end.
	Hold time.Duration
}

// Cluster holds every node of the process (they can reach each other: etcd, apid routing) under one lock.
type Cluster struct {
	mu      sync.Mutex
	nodes   map[string]*Node
	order   []string
	etcd    map[string]*etcdCluster
	sched   Scheduler
	timing  Timing
	hooks   Hooks
	effects []func()
	logf    func(format string, args ...any)

	onChange func() // the Kubernetes side follows the nodes (see OnChange)
}

// NewCluster makes the nodes of a stand-in configuration, all powered off until Start.
func NewCluster(f *config.File, sched Scheduler, timing Timing, logf func(string, ...any)) *Cluster {
	if logf == nil {
		logf = func(string, ...any) {}
	}

	c := &Cluster{nodes: map[string]*Node{}, etcd: map[string]*etcdCluster{}, sched: sched, timing: timing, logf: logf}

	for _, spec := range f.Nodes {
		n := newNode(c, spec)
		c.nodes[spec.Address] = n
		c.order = append(c.order, spec.Address)
	}

	return c
}

// SetHooks attaches the transport; call before Start.
func (c *Cluster) SetHooks(h Hooks) { c.hooks = h }

// Start powers every node on (maintenance mode: nothing is installed yet).
func (c *Cluster) Start() {
	c.lock()
	defer c.unlock()

	for _, addr := range c.order {
		c.nodes[addr].boot()
	}

	c.refresh()
}

// Node returns the node at address, or nil.
func (c *Cluster) Node(address string) *Node {
	return c.nodes[address] // the map is fixed after NewCluster
}

// Addresses lists the nodes in configuration order.
func (c *Cluster) Addresses() []string { return append([]string(nil), c.order...) }

// States is what the control API shows of every node (no secrets).
func (c *Cluster) States() []State {
	c.lock()
	defer c.unlock()

	out := make([]State, 0, len(c.order))
	for _, addr := range c.order {
		out = append(out, c.nodes[addr].state())
	}

	return out
}

func (c *Cluster) lock() { c.mu.Lock() }

// unlock releases the lock, then runs the transport effects queued meanwhile, in order.
func (c *Cluster) unlock() {
	effects := c.effects
	c.effects = nil
	c.mu.Unlock()

	for _, f := range effects {
		f()
	}
}

func (c *Cluster) effect(f func()) { c.effects = append(c.effects, f) }

// after schedules f under the lock, skipped if the node changed course meanwhile (a newer transition bumped gen).
func (c *Cluster) after(n *Node, d time.Duration, f func()) {
	gen := n.gen

	c.sched.AfterFunc(d, func() {
		c.lock()
		defer c.unlock()

		if n.gen != gen {
			return
		}

		f()
		c.refresh()
	})
}

// refresh recomputes what depends on other nodes (etcd membership and health, readiness) and publishes changes.
func (c *Cluster) refresh() {
	for _, addr := range c.order {
		c.nodes[addr].startAPI()
	}

	for _, addr := range c.order {
		c.nodes[addr].joinEtcd()
	}

	for _, addr := range c.order {
		c.nodes[addr].publishKubernetes()
		c.nodes[addr].publishMembers()
		c.nodes[addr].publishStatus()
	}

	if c.onChange != nil {
		c.effect(c.onChange)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}

	sort.Strings(keys)

	return keys
}
