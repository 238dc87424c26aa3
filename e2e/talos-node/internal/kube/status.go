package kube

import (
	"net"
	"strconv"
	"time"

	"homelab.local/e2e/talos-node/internal/kwok"
)

// NodeStatus is the control API's view of a node's Kubernetes (no secrets).
type NodeStatus struct {
	ControlPlane     string `json:"controlPlane,omitempty"`   // its cluster's control plane: stopped, starting, running, failed
	APIServer        string `json:"apiServer,omitempty"`      // control planes: serving, stopped (a test stopped it), down
	APIServerRunning bool   `json:"apiServerRunning"`         // this node's <address>:6443 serves the API
	NodeName         string `json:"nodeName,omitempty"`       // its Node's name
	NodeRegistered   bool   `json:"nodeRegistered"`           // the Node exists
	NodeReady        bool   `json:"nodeReady"`                // the Node's Ready condition is True
	KubeletVersion   string `json:"kubeletVersion,omitempty"` // as the Node reports it
	LastError        string `json:"lastError,omitempty"`      // the last problem registering it
}

// ClusterStatus is one cluster's control plane.
type ClusterStatus struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Phase        string         `json:"phase"`
	Host         string         `json:"host"`         // the address its programs listen on
	APIServerURL string         `json:"apiServerURL"` // the real API server (behind every control plane's :6443)
	Serving      []string       `json:"serving"`      // host:port listeners open now
	Programs     map[string]int `json:"programs"`     // name -> PID
	Restarts     map[string]int `json:"restarts,omitempty"`
	StartedAt    *time.Time     `json:"startedAt,omitempty"`
	ReadyAt      *time.Time     `json:"readyAt,omitempty"`
	LastError    string         `json:"lastError,omitempty"`
	SyncError    string         `json:"syncError,omitempty"`
}

// Status is the stand-in's Kubernetes as a whole.
type Status struct {
	WorkDir    string          `json:"workDir"`
	Clusters   []ClusterStatus `json:"clusters"`
	NeverReady []kwok.Rule     `json:"neverReady"`
	PIDs       []int           `json:"pids"`
}

// Status reports every cluster.
func (m *Manager) Status() Status {
	m.mu.Lock()
	cps := make([]*controlPlane, 0, len(m.clusters))

	for _, cp := range m.clusters {
		cps = append(cps, cp)
	}

	errs := map[string]string{}

	for k, v := range m.syncErrors {
		errs[k] = v
	}
	m.mu.Unlock()

	st := Status{WorkDir: m.workDir, NeverReady: m.rules(), PIDs: m.PIDs(), Clusters: []ClusterStatus{}}

	for _, cp := range cps {
		cs := ClusterStatus{ID: cp.id, Name: cp.name, Host: cp.plan.Host, APIServerURL: cp.plan.APIServerURL(), Programs: cp.pids(), SyncError: errs[cp.id]}

		cp.mu.Lock()
		cs.Phase = cp.phase
		cs.LastError = cp.lastError
		cs.Restarts = map[string]int{}

		for k, v := range cp.restarts {
			cs.Restarts[k] = v
		}

		if !cp.startedAt.IsZero() {
			t := cp.startedAt
			cs.StartedAt = &t
		}

		if !cp.readyAt.IsZero() {
			t := cp.readyAt
			cs.ReadyAt = &t
		}

		for hp := range cp.forwarders {
			cs.Serving = append(cs.Serving, hp)
		}
		cp.mu.Unlock()

		st.Clusters = append(st.Clusters, cs)
	}

	return st
}

// NodeStatus reports a node's Kubernetes; nil when its cluster runs none.
func (m *Manager) NodeStatus(addr string) *NodeStatus {
	var (
		n  *nodeInfo
		cp *controlPlane
	)

	for _, kn := range m.cluster.KubeNodes() {
		if kn.Address == addr && kn.Config != nil {
			n = &nodeInfo{clusterID: kn.ClusterID, controlPlane: kn.ControlPlane, name: kn.NodeName}
		}
	}

	if n == nil {
		return nil
	}

	m.mu.Lock()
	cp = m.clusters[n.clusterID]
	stopped := m.apiStopped[addr]
	m.mu.Unlock()

	st := &NodeStatus{NodeName: n.name}

	if cp == nil {
		return st
	}

	phase, apiUp := cp.running()
	st.ControlPlane = phase

	if n.controlPlane {
		st.APIServerRunning = apiUp && cp.serving(net.JoinHostPort(addr, strconv.Itoa(cp.plan.Config.Cluster().LocalAPIServerPort())))

		switch {
		case stopped:
			st.APIServer = "stopped"
		case st.APIServerRunning:
			st.APIServer = "serving"
		default:
			st.APIServer = "down"
		}
	}

	if rep, ok := cp.kubelet.report(addr); ok {
		st.NodeRegistered = rep.Registered
		st.NodeReady = rep.Ready
		st.KubeletVersion = rep.KubeletVersion
		st.LastError = rep.Error
	}

	return st
}

type nodeInfo struct {
	clusterID    string
	controlPlane bool
	name         string
}
