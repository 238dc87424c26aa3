// Package kube runs Kubernetes for the stand-in's clusters as Talos runs it: once a control plane is bootstrapped,
// a real etcd, kube-apiserver, kube-controller-manager and kube-scheduler (child processes, configured from the
// machine config's secrets and settings by package talosk8s) and kwok as the nodes' kubelets. It plays what
// machined and the kubelet do against that API server: the bootstrap manifests, Node registration with Talos'
// labels and taints, the control-plane mirror pods and their StaticPodStatuses.
//
// One API server serves a cluster: every control plane's address (and the cluster endpoint's, when it is a
// loopback address of no node, as a VIP) listens on :6443 and forwards to it; a node's API server stops by
// closing its listener, and the real process stops when no control plane serves any more.
package kube

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"homelab.local/e2e/talos-node/internal/config"
	"homelab.local/e2e/talos-node/internal/kwok"
	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/proc"
)

// retryFailedStart is how long a failed control plane waits before the next start.
const retryFailedStart = 30 * time.Second

// Manager follows the stand-in's nodes and runs their clusters' Kubernetes.
type Manager struct {
	cfg     *config.Kubernetes
	cluster *node.Cluster
	logf    func(string, ...any)
	workDir string

	ctx    context.Context //nolint:containedctx
	cancel context.CancelFunc
	wg     sync.WaitGroup
	kick   chan struct{}
	passes chan chan struct{} // a pass on demand (the control API waits for its effect)

	mu         sync.Mutex
	clusters   map[string]*controlPlane // by cluster ID
	apiStopped map[string]bool          // node addresses whose API server a test stopped
	neverReady map[string]kwok.Rule
	pids       map[int]bool
	closed     bool
	syncErrors map[string]string // by cluster ID: the last sync's problems
}

// New prepares the manager (a temporary work folder); Start runs it.
func New(cfg *config.Kubernetes, cluster *node.Cluster, logf func(string, ...any)) (*Manager, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}

	parent := cfg.WorkDir
	if parent == "" {
		parent = os.TempDir()
	}

	dir, err := os.MkdirTemp(parent, "talos-node-k8s-")
	if err != nil {
		return nil, fmt.Errorf("kubernetes work folder: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())

	m := &Manager{
		cfg: cfg, cluster: cluster, logf: logf, workDir: dir, ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1), passes: make(chan chan struct{}),
		clusters: map[string]*controlPlane{}, apiStopped: map[string]bool{}, neverReady: map[string]kwok.Rule{},
		pids: map[int]bool{}, syncErrors: map[string]string{},
	}

	cluster.OnChange(m.nudge)

	return m, nil
}

// Start runs the manager's loop.
func (m *Manager) Start() {
	m.wg.Add(1)

	go m.loop()
}

// WorkDir is the temporary folder (removed by Close).
func (m *Manager) WorkDir() string { return m.workDir }

func (m *Manager) nudge() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

func (m *Manager) track(pid int, running bool) {
	m.mu.Lock()
	defer m.mu.Unlock()

	if running {
		m.pids[pid] = true
	} else {
		delete(m.pids, pid)
	}
}

// Close stops every program of every cluster and removes the work folder.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()

		return
	}

	m.closed = true
	m.mu.Unlock()

	m.cancel()
	m.wg.Wait()

	m.mu.Lock()
	cps := make([]*controlPlane, 0, len(m.clusters))

	for id, cp := range m.clusters {
		cps = append(cps, cp)
		delete(m.clusters, id)
	}
	m.mu.Unlock()

	var wg sync.WaitGroup

	for _, cp := range cps {
		wg.Add(1)

		go func() {
			defer wg.Done()

			cp.close()
		}()
	}

	wg.Wait()

	_ = os.RemoveAll(m.workDir) //nolint:errcheck
}

func (m *Manager) loop() {
	defer m.wg.Done()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()

	for {
		var done chan struct{}

		select {
		case <-m.ctx.Done():
			return
		case <-m.kick:
		case <-tick.C:
		case done = <-m.passes:
		}

		m.reconcile()

		if done != nil {
			close(done)
		}
	}
}

// pass runs one reconcile pass of the loop and waits for it.
func (m *Manager) pass() {
	done := make(chan struct{})

	select {
	case m.passes <- done:
	case <-m.ctx.Done():
		return
	}

	select {
	case <-done:
	case <-m.ctx.Done():
	}
}

func (m *Manager) rules() []kwok.Rule {
	m.mu.Lock()
	defer m.mu.Unlock()

	out := make([]kwok.Rule, 0, len(m.neverReady))
	for _, r := range m.neverReady {
		out = append(out, r)
	}

	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })

	return out
}

func rulesKey(rules []kwok.Rule) string {
	keys := make([]string, 0, len(rules))
	for _, r := range rules {
		keys = append(keys, r.Key())
	}

	return strings.Join(keys, "\n")
}

// reconcile brings every cluster's Kubernetes in line with its nodes.
//
//nolint:gocyclo,cyclop
func (m *Manager) reconcile() {
	all := m.cluster.KubeNodes()
	groups := map[string][]node.KubeNode{}
	nodeAddrs := map[string]bool{}

	for _, n := range all {
		nodeAddrs[n.Address] = true

		if n.Config != nil {
			groups[n.ClusterID] = append(groups[n.ClusterID], n)
		}
	}

	m.mu.Lock()

	for id, cp := range m.clusters {
		if group, ok := groups[id]; !ok || !slices.ContainsFunc(group, func(n node.KubeNode) bool { return n.Bootstrapped }) {
			// the cluster's etcd is gone (reset, wiped): so is its Kubernetes
			delete(m.clusters, id)
			m.mu.Unlock()
			cp.logf("cluster etcd is gone: stopping and removing its control plane")
			cp.close()
			m.mu.Lock()
		}
	}

	m.mu.Unlock()

	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}

	sort.Strings(ids)

	for _, id := range ids {
		if m.ctx.Err() != nil {
			return
		}

		group := groups[id]

		if !slices.ContainsFunc(group, func(n node.KubeNode) bool { return n.Bootstrapped }) {
			continue
		}

		healthy := slices.ContainsFunc(group, func(n node.KubeNode) bool { return n.ControlPlane && n.Configured && n.EtcdHealthy })

		m.mu.Lock()
		cp := m.clusters[id]
		m.mu.Unlock()

		if cp == nil {
			if !healthy {
				continue
			}

			var err error

			if cp, err = m.newControlPlane(id, group, all); err != nil {
				m.setSyncError(id, err)
				m.logf("kubernetes %s: %v", group[0].ClusterName, err)

				continue
			}

			m.mu.Lock()
			m.clusters[id] = cp
			m.mu.Unlock()
		}

		phase, _ := cp.running()

		switch {
		case healthy && (phase == phaseStopped || (phase == phaseFailed && time.Since(cp.failedAt) > retryFailedStart)):
			m.wg.Add(1)

			go func() {
				defer m.wg.Done()

				cp.start(m.ctx)
			}()
		case !healthy && phase == phaseRunning:
			cp.logf("no control plane with a healthy etcd runs: stopping the control plane")
			cp.stop()
		}

		m.setSyncError(id, m.syncCluster(cp, group, nodeAddrs))
	}
}

func (m *Manager) setSyncError(id string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	if err == nil {
		delete(m.syncErrors, id)
	} else {
		m.syncErrors[id] = err.Error()
	}
}

// newControlPlane places a cluster's control plane on the node that bootstrapped it (or the first healthy one).
// Its serving certificate names every address of the stand-in (a control plane configured after the bootstrap
// serves with it too) and the control planes' hostnames known now.
func (m *Manager) newControlPlane(id string, group, all []node.KubeNode) (*controlPlane, error) {
	var (
		host      *node.KubeNode
		addresses []string
		hostnames []string
	)

	for _, n := range all {
		addresses = append(addresses, n.Address)
	}

	for i := range group {
		n := &group[i]
		if !n.ControlPlane {
			continue
		}

		hostnames = append(hostnames, n.Hostname)

		if n.Configured && n.EtcdHealthy && (host == nil || n.Bootstrapper) {
			host = n
		}
	}

	if host == nil {
		return nil, errors.New("no control plane to run on")
	}

	return newControlPlane(m, id, host.Config, host.Address, host.NodeName, addresses, hostnames)
}

// endpointListener is the cluster endpoint's host:port when the stand-in must serve it itself: a loopback IP that
// is no node's address (a VIP the control planes share).
func endpointListener(group []node.KubeNode, nodeAddrs map[string]bool) string {
	for _, n := range group {
		if !n.ControlPlane || n.Config == nil {
			continue
		}

		ep := n.Config.Cluster().Endpoint()
		if ep == nil {
			return ""
		}

		ip, err := netip.ParseAddr(ep.Hostname())
		if err != nil || !ip.IsLoopback() || nodeAddrs[ip.String()] {
			return ""
		}

		port := ep.Port()
		if port == "" {
			port = "443"
		}

		return net.JoinHostPort(ip.String(), port)
	}

	return ""
}

// syncCluster runs one pass of a cluster: programs, listeners, kubelets.
//
//nolint:gocyclo,cyclop
func (m *Manager) syncCluster(cp *controlPlane, group []node.KubeNode, nodeAddrs map[string]bool) error {
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()

	m.mu.Lock()
	stopped := maps.Clone(m.apiStopped)
	m.mu.Unlock()

	phase, _ := cp.running()

	if phase == phaseRunning {
		want := map[string]bool{}
		port := strconv.Itoa(cp.plan.Config.Cluster().LocalAPIServerPort())
		serving := false

		for _, n := range group {
			if n.ControlPlane {
				ok := n.Configured && n.EtcdHealthy && !stopped[n.Address]
				want[net.JoinHostPort(n.Address, port)] = ok
				serving = serving || ok
			}
		}

		if ep := endpointListener(group, nodeAddrs); ep != "" {
			want[ep] = serving
		}

		cp.supervise(ctx, serving, m.rules())
		cp.setForwarders(want)
	}

	var errs []error

	mirrors := map[string]map[string]*mirror{}

	for _, n := range group {
		if !n.ControlPlane || n.Resources == nil {
			continue
		}

		ms, err := cp.mirrors(ctx, n)
		if err != nil {
			errs = append(errs, err)

			continue
		}

		mirrors[n.Address] = ms

		if n.Configured {
			if err := cp.syncStaticPodStatuses(ctx, n, ms); err != nil {
				errs = append(errs, fmt.Errorf("%s: static pod statuses: %w", n.Address, err))
			}
		}
	}

	if _, apiUp := cp.running(); apiUp {
		if err := cp.syncAPI(ctx, group, mirrors); err != nil {
			errs = append(errs, err)
		}
	}

	return errors.Join(errs...)
}

// StopAPIServer stops a control plane's API server (its listener; the real process too when no control plane
// serves any more) until StartAPIServer.
func (m *Manager) StopAPIServer(addr string) {
	m.mu.Lock()
	m.apiStopped[addr] = true
	m.mu.Unlock()

	m.pass()
}

// StartAPIServer undoes StopAPIServer.
func (m *Manager) StartAPIServer(addr string) {
	m.mu.Lock()
	delete(m.apiStopped, addr)
	m.mu.Unlock()

	m.pass()
}

// SetNeverReady keeps the pods a rule selects Running but never Ready (kwok restarts with the new stages).
func (m *Manager) SetNeverReady(r kwok.Rule) error {
	if err := r.Check(); err != nil {
		return err
	}

	m.mu.Lock()
	m.neverReady[r.Key()] = r
	m.mu.Unlock()

	m.nudge()

	return nil
}

// ClearNeverReady removes a rule (every rule when r is nil).
func (m *Manager) ClearNeverReady(r *kwok.Rule) {
	m.mu.Lock()
	if r == nil {
		m.neverReady = map[string]kwok.Rule{}
	} else {
		delete(m.neverReady, r.Key())
	}
	m.mu.Unlock()

	m.nudge()
}

// NeverReady lists the rules.
func (m *Manager) NeverReady() []kwok.Rule { return m.rules() }

// PIDs are the child processes running now.
func (m *Manager) PIDs() []int {
	m.mu.Lock()
	defer m.mu.Unlock()

	out := make([]int, 0, len(m.pids))

	for pid := range m.pids {
		if proc.Alive(pid) {
			out = append(out, pid)
		}
	}

	sort.Ints(out)

	return out
}
