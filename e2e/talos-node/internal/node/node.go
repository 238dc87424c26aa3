package node

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/impl/inmem"
	"github.com/cosi-project/runtime/pkg/state/impl/namespaced"
	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	talosconfig "github.com/siderolabs/talos/pkg/machinery/config"
	machinetype "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"homelab.local/e2e/talos-node/internal/config"
	"homelab.local/e2e/talos-node/internal/pki"
)

// Mode is where a node is in its life, as the control API reports it.
type Mode string

// Modes.
const (
	ModeMaintenance Mode = "maintenance" // booted without a configuration: TLS without client certificates
	ModeInstalling  Mode = "installing"  // writing Talos to disk after the first apply; not answering
	ModeConfigured  Mode = "configured"  // booted from disk with a configuration: mutual TLS
	ModeRebooting   Mode = "rebooting"   // not answering until it is back
	ModeOff         Mode = "off"         // powered off (shutdown, reset without reboot, or a fault)
)

// machineConfig is a loaded machine configuration with the bytes it came from.
type machineConfig struct {
	raw      []byte
	cfg      talosconfig.Provider
	recorded []Document // documents the node's version knows and machinery v1.13.0 does not (splitDocuments)
}

// stagedImage is a Talos an upgrade wrote for the next boot (LifecycleService.Upgrade).
type stagedImage struct{ image, version, schematic string }

// Node is one Talos machine. Every field is guarded by the cluster lock.
type Node struct {
	c    *Cluster
	spec config.Node

	mode      Mode
	gen       uint64       // bumped by every transition; stale timers compare it
	version   string       // Talos version running now
	image     string       // installer image it was installed or upgraded from
	staged    *stagedImage // an upgrade (LifecycleService) written for the next boot
	schematic string
	installed bool
	bootID    string
	bootedAt  time.Time

	up     bool   // the transport answers on the address
	upGen  uint64 // bumped each time it starts answering (a new boot: earlier connections must go)
	events *EventLog
	res    state.State // COSI resources of this boot

	maintCert tls.Certificate
	issued    *pki.Issued

	persisted   *machineConfig // on the STATE partition: what the next boot uses
	active      *machineConfig // what runs now
	lastApplied []byte         // last accepted apply, verbatim (a test artifact for the control API)

	installError string
	lastError    string // last failed sequence (reset, upgrade) as machined reported it
	etcdData     bool   // the etcd data directory is not empty (bootstrapped here or joined)

	snapshotBytes int64
	tryRollback   uint64 // token of a pending `try` rollback; 0 when none
	trySeq        uint64
	matchedDisk   string // install disk a diskSelector chose
	busy          string // sequence running (machined's sequence lock)

	published string // last MachineStatus published (to publish changes only)

	k8sPublished     *machineConfig // configuration the Kubernetes resources were last rendered from (this boot)
	kubeletDownUntil time.Time      // the kubelet restarts (new image) until then; zero when it runs
	pulled           []string       // images pulled (ImagePull), "<containerd namespace>/<ref>"
}

func newNode(c *Cluster, spec config.Node) *Node {
	return &Node{c: c, spec: spec, mode: ModeOff, version: spec.TalosVersion, snapshotBytes: spec.EtcdSnapshotBytes}
}

// Address is the node's IP address.
func (n *Node) Address() string { return n.spec.Address }

// State is the control API's view of a node. It carries no secrets.
type State struct {
	Address       string `json:"address"`
	Mode          Mode   `json:"mode"`
	TalosVersion  string `json:"talosVersion"`
	Image         string `json:"image,omitempty"`
	Schematic     string `json:"schematic,omitempty"`
	BootID        string `json:"bootID,omitempty"`
	Installed     bool   `json:"installed"`
	Bootstrapped  bool   `json:"bootstrapped"`
	EtcdRunning   bool   `json:"etcdRunning"`
	EtcdMember    bool   `json:"etcdMember"`
	ClusterID     string `json:"clusterId,omitempty"`
	ClusterName   string `json:"clusterName,omitempty"`
	MachineType   string `json:"machineType,omitempty"`
	Hostname      string `json:"hostname,omitempty"`
	InstallDisk   string `json:"installDisk,omitempty"`
	InstallError  string `json:"installError,omitempty"`
	LastError     string `json:"lastError,omitempty"`
	Ready         bool   `json:"ready"`
	StagedConfig  bool   `json:"stagedConfig"`
	SnapshotBytes int64  `json:"etcdSnapshotBytes"`
	// Documents of the running config that the node's Talos version knows and machinery v1.13.0 does not.
	RecordedDocuments []Document `json:"recordedDocuments,omitempty"`
}

func (n *Node) state() State {
	s := State{
		Address:       n.spec.Address,
		Mode:          n.mode,
		TalosVersion:  n.version,
		Image:         n.image,
		Schematic:     n.schematic,
		BootID:        n.bootID,
		Installed:     n.installed,
		EtcdRunning:   n.etcdRunning(),
		EtcdMember:    n.etcdData,
		InstallError:  n.installError,
		LastError:     n.lastError,
		Ready:         n.ready(),
		SnapshotBytes: n.snapshotBytes,
	}

	if ec := n.etcdCluster(); ec != nil {
		s.Bootstrapped = ec.bootstrapper == n.spec.Address
	}

	if cfg := n.cfg(); cfg != nil {
		s.ClusterID = cfg.Cluster().ID()
		s.ClusterName = cfg.Cluster().Name()
		s.MachineType = cfg.Machine().Type().String()
		s.Hostname = n.hostname()
		s.InstallDisk = installDiskOf(cfg)
		s.RecordedDocuments = n.active.recorded
	}

	s.StagedConfig = n.persisted != nil && n.active != nil && n.persisted != n.active

	return s
}

// cfg is the running configuration, nil in maintenance mode.
func (n *Node) cfg() talosconfig.Provider {
	if n.active == nil {
		return nil
	}

	return n.active.cfg
}

func installDiskOf(cfg talosconfig.Provider) string {
	if cfg.Machine() == nil {
		return ""
	}

	if d := cfg.Machine().Install().Disk(); d != "" {
		return d
	}

	if expr, err := cfg.Machine().Install().DiskMatchExpression(); err == nil && expr != nil {
		return expr.String()
	}

	return ""
}

func (n *Node) machineType() machinetype.Type {
	if cfg := n.cfg(); cfg != nil && cfg.Machine() != nil {
		return cfg.Machine().Type()
	}

	return machinetype.TypeUnknown
}

func (n *Node) isControlPlane() bool { return n.machineType().IsControlPlane() }

func (n *Node) hostname() string {
	if cfg := n.cfg(); cfg != nil {
		if h := cfg.NetworkHostnameConfig(); h != nil && h.Hostname() != "" {
			return h.Hostname()
		}
	}

	// Talos' automatic hostname is talos-<3>-<3> from the machine ID; the address stands in for it.
	sum := sha256.Sum256([]byte(n.spec.Address))
	h := hex.EncodeToString(sum[:])

	return "talos-" + h[:3] + "-" + h[3:6]
}

// listening is true while the node answers on its address.
func (n *Node) listening() bool {
	return n.up && (n.mode == ModeMaintenance || n.mode == ModeConfigured)
}

// boot starts the node: maintenance mode without a persisted configuration, configured mode with one.
func (n *Node) boot() {
	if n.staged != nil {
		n.image, n.version, n.schematic = n.staged.image, n.staged.version, n.staged.schematic
		n.staged = nil
		n.c.logf("%s: upgraded to %s", n.spec.Address, n.version)
	}

	n.gen++
	n.busy = ""
	n.bootID = newUUID()
	n.bootedAt = time.Now()

	if n.events != nil {
		n.events.Close()
	}

	n.events = newEventLog()
	n.res = state.WrapCore(namespaced.NewState(inmem.Build))
	n.published = ""
	n.k8sPublished = nil
	n.kubeletDownUntil = time.Time{}

	if n.persisted != nil && n.installed {
		n.active = n.persisted
		n.mode = ModeConfigured
		n.issued = nil
	} else {
		n.active = nil
		n.issued = nil
		n.mode = ModeMaintenance

		cert, err := pki.SelfSigned(n.spec.Address)
		if err != nil {
			panic(err)
		}

		n.maintCert = cert
	}

	n.publishBoot()
	n.c.logf("%s: booted %s in %s mode (boot ID %s)", n.spec.Address, n.version, n.mode, n.bootID)

	if n.mode == ModeMaintenance {
		n.goUp()
	} else {
		n.startAPI()
	}
}

// startAPI starts apid in configured mode once it has a certificate from the OS CA: a control plane signs its own
// (machine.ca carries the key); a worker gets one from trustd on a running control plane of its cluster and waits
// until there is one (refresh retries).
func (n *Node) startAPI() {
	if n.mode != ModeConfigured || n.up {
		return
	}

	issued, err := n.issueCert()
	if err != nil {
		if n.lastError != err.Error() {
			n.c.logf("%s: apid waits for a certificate: %v", n.spec.Address, err)
		}

		n.lastError = err.Error()

		return
	}

	if strings.HasPrefix(n.lastError, "apid: ") {
		n.lastError = ""
	}

	n.issued = issued
	n.goUp()
}

func (n *Node) goUp() {
	if n.up {
		return
	}

	n.up = true
	n.upGen++
	n.sync()
}

func (n *Node) sync() {
	addr := n.spec.Address

	n.c.effect(func() {
		if n.c.hooks != nil {
			n.c.hooks.Sync(addr)
		}
	})
}

// Serving is whether the node should answer on its address, and which incarnation of its API it is.
func (n *Node) Serving() (bool, uint64) {
	n.c.lock()
	defer n.c.unlock()

	return n.up, n.upGen
}

// down stops answering: connections are closed and watches end.
func (n *Node) down(mode Mode) {
	n.gen++
	n.mode = mode
	n.tryRollback = 0
	n.busy = ""

	if n.events != nil {
		n.events.Close()
	}

	if !n.up {
		return
	}

	n.up = false
	n.sync()
}

func (n *Node) issueCert() (*pki.Issued, error) {
	sec := n.active.cfg.Machine().Security()
	ca := sec.IssuingCA()

	if ca != nil && len(ca.Key) == 0 {
		// a worker: trustd on a control plane of the same cluster signs the certificate
		signer := n.trustd(ca.Crt)
		if signer == nil {
			return nil, fmt.Errorf("apid: no control plane of this cluster answers (trustd) to sign the API certificate")
		}

		ca = signer
	}

	issued, err := pki.IssueServer(ca, sec.AcceptedCAs(), n.spec.Address, sec.CertSANs())
	if err != nil {
		return nil, fmt.Errorf("apid: %w", err)
	}

	return issued, nil
}

// trustd finds a running control plane whose OS CA (with key) is the one given.
func (n *Node) trustd(caCrt []byte) *x509.PEMEncodedCertificateAndKey {
	for _, addr := range n.c.order {
		m := n.c.nodes[addr]
		if m == n || !m.listening() || m.mode != ModeConfigured || !m.isControlPlane() {
			continue
		}

		if ca := m.active.cfg.Machine().Security().IssuingCA(); ca != nil && len(ca.Key) > 0 && bytes.Equal(ca.Crt, caCrt) {
			return ca
		}
	}

	return nil
}

// TLSState is what the transport needs for a handshake on this node's address.
type TLSState struct {
	Listening  bool
	Configured bool
	Cert       tls.Certificate
	Issued     *pki.Issued
}

// TLS returns the node's current serving identity.
func (n *Node) TLS() TLSState {
	n.c.lock()
	defer n.c.unlock()

	t := TLSState{Listening: n.listening(), Configured: n.mode == ModeConfigured}
	if t.Configured && n.issued != nil {
		t.Issued = n.issued
		t.Cert = n.issued.Cert
	} else {
		t.Cert = n.maintCert
	}

	return t
}

// Mode reports the node's mode.
func (n *Node) Mode() Mode {
	n.c.lock()
	defer n.c.unlock()

	return n.mode
}

// Listening reports whether the node answers on its address.
func (n *Node) Listening() bool {
	n.c.lock()
	defer n.c.unlock()

	return n.listening()
}

// LastConfig is the last accepted machine configuration, verbatim.
func (n *Node) LastConfig() []byte {
	n.c.lock()
	defer n.c.unlock()

	return n.lastApplied
}

// Resources is the node's COSI state (this boot's).
func (n *Node) Resources() state.State {
	n.c.lock()
	defer n.c.unlock()

	return n.res
}

// Events is the node's event log (this boot's).
func (n *Node) Events() *EventLog {
	n.c.lock()
	defer n.c.unlock()

	return n.events
}

// Version answers machine.MachineService/Version.
func (n *Node) Version() *machine.Version {
	n.c.lock()
	defer n.c.unlock()

	sum := sha256.Sum256([]byte(n.version))

	v := &machine.Version{
		Version: &machine.VersionInfo{
			Tag:       n.version,
			Sha:       hex.EncodeToString(sum[:4]),
			Built:     "",
			GoVersion: runtime.Version(),
			Os:        "linux",
			Arch:      "amd64",
		},
		Platform: &machine.PlatformInfo{Name: "metal", Mode: "metal"},
	}

	if n.mode == ModeConfigured {
		v.Features = &machine.FeaturesInfo{Rbac: true}
	}

	return v
}

// Hostname answers machine.MachineService/Hostname.
func (n *Node) Hostname() string {
	n.c.lock()
	defer n.c.unlock()

	return n.hostname()
}

// Memory answers machine.MachineService/Memory (values in kB, as /proc/meminfo).
func (n *Node) Memory() *machine.Memory {
	total := n.spec.MemoryMiB * 1024

	return &machine.Memory{Meminfo: &machine.MemInfo{
		Memtotal:     total,
		Memfree:      total / 2,
		Memavailable: total * 3 / 4,
		Cached:       total / 8,
	}}
}

var diskTypes = map[string]storage.Disk_DiskType{
	"": storage.Disk_UNKNOWN, "ssd": storage.Disk_SSD, "hdd": storage.Disk_HDD, "nvme": storage.Disk_NVME,
	"sd": storage.Disk_SD, "cd": storage.Disk_CD,
}

// Disks answers storage.StorageService/Disks.
func (n *Node) Disks() []*storage.Disk {
	n.c.lock()
	defer n.c.unlock()

	system := ""
	if cfg := n.cfg(); cfg != nil {
		system = cfg.Machine().Install().Disk()
	}

	out := make([]*storage.Disk, 0, len(n.spec.Disks))
	for _, d := range n.spec.Disks {
		out = append(out, &storage.Disk{
			Size:       d.Size,
			Model:      d.Model,
			DeviceName: d.DeviceName,
			Type:       diskTypes[d.Type],
			SystemDisk: n.installed && d.DeviceName == system,
			Subsystem:  "/sys/class/block",
		})
	}

	return out
}

// ReadFile answers machine.MachineService/Read for the few files clients read.
func (n *Node) ReadFile(path string) ([]byte, error) {
	n.c.lock()
	defer n.c.unlock()

	switch path {
	case "/proc/sys/kernel/random/boot_id":
		return []byte(n.bootID + "\n"), nil
	case "/etc/os-release":
		return []byte(fmt.Sprintf("NAME=\"Talos\"\nID=talos\nVERSION_ID=%s\nPRETTY_NAME=\"Talos (%s)\"\n", n.version, n.version)), nil
	default:
		return nil, status.Errorf(codes.Unknown, "stat %s: no such file or directory", path)
	}
}

// services answers machine.MachineService/ServiceList.
func (n *Node) services() []*machine.ServiceInfo {
	ts := timestamppb.New(n.bootedAt)
	running := func(id string) *machine.ServiceInfo {
		return &machine.ServiceInfo{
			Id:     id,
			State:  "Running",
			Events: &machine.ServiceEvents{Events: []*machine.ServiceEvent{{Msg: "Health check successful", State: "Running", Ts: ts}}},
			Health: &machine.ServiceHealth{Healthy: true, LastChange: ts},
		}
	}

	if n.mode == ModeMaintenance {
		return []*machine.ServiceInfo{running("apid"), running("machined"), running("udevd")}
	}

	out := []*machine.ServiceInfo{running("apid"), running("containerd"), running("cri")}

	if n.isControlPlane() {
		out = append(out, n.etcdService(ts))
	}

	if n.kubeletDownUntil.IsZero() {
		out = append(out, running("kubelet"))
	} else {
		out = append(out, &machine.ServiceInfo{
			Id: "kubelet", State: "Waiting",
			Events: &machine.ServiceEvents{Events: []*machine.ServiceEvent{{Msg: "Waiting for service to restart", State: "Waiting", Ts: timestamppb.Now()}}},
			Health: &machine.ServiceHealth{Unknown: true},
		})
	}

	out = append(out, running("machined"))

	if n.isControlPlane() {
		out = append(out, running("trustd"))
	}

	return append(out, running("udevd"))
}

// Services answers machine.MachineService/ServiceList.
func (n *Node) Services() []*machine.ServiceInfo {
	n.c.lock()
	defer n.c.unlock()

	return n.services()
}

func (n *Node) etcdService(ts *timestamppb.Timestamp) *machine.ServiceInfo {
	svc := &machine.ServiceInfo{Id: "etcd"}

	switch {
	case !n.etcdData:
		// etcd waits in its pre-start step until the cluster is bootstrapped (or it can join one)
		svc.State = "Preparing"
		svc.Events = &machine.ServiceEvents{Events: []*machine.ServiceEvent{{Msg: "Running pre tasks", State: "Preparing", Ts: ts}}}
		svc.Health = &machine.ServiceHealth{Unknown: true}
	case !n.etcdQuorum():
		svc.State = "Running"
		svc.Events = &machine.ServiceEvents{Events: []*machine.ServiceEvent{{Msg: "Health check failed: etcdserver: no leader", State: "Running", Ts: ts}}}
		svc.Health = &machine.ServiceHealth{Healthy: false, LastMessage: "etcdserver: no leader", LastChange: ts}
	default:
		svc.State = "Running"
		svc.Events = &machine.ServiceEvents{Events: []*machine.ServiceEvent{{Msg: "Health check successful", State: "Running", Ts: ts}}}
		svc.Health = &machine.ServiceHealth{Healthy: true, LastChange: ts}
	}

	return svc
}

// ready is MachineStatus.ready: configured, booted and every service healthy.
func (n *Node) ready() bool {
	if n.mode != ModeConfigured {
		return false
	}

	for _, s := range n.services() {
		if !s.GetHealth().GetHealthy() {
			return false
		}
	}

	return true
}

func (n *Node) unhealthyServices() []string {
	var out []string

	for _, s := range n.services() {
		if !s.GetHealth().GetHealthy() {
			out = append(out, s.Id)
		}
	}

	return out
}

// requireControlPlane is machinehelper.CheckControlplane: Talos' answers for control-plane-only APIs.
func (n *Node) requireControlPlane(api string) error {
	if n.cfg() == nil {
		return status.Errorf(codes.Unimplemented, "machine type is not set, cannot use %s API", api)
	}

	if !n.isControlPlane() {
		return status.Errorf(codes.Unimplemented, "%s is only available on control plane nodes", api)
	}

	return nil
}

// ControlPlaneOSCA is the OS CA (with its key) of a control plane, for machined's local client; other machines
// answer as machinehelper.CheckControlplane does.
func (n *Node) ControlPlaneOSCA(api string) (*x509.PEMEncodedCertificateAndKey, error) {
	n.c.lock()
	defer n.c.unlock()

	if err := n.requireControlPlane(api); err != nil {
		return nil, err
	}

	ca := n.active.cfg.Machine().Security().IssuingCA()
	if ca == nil || len(ca.Key) == 0 {
		return nil, status.Error(codes.FailedPrecondition, "machine.ca has no key")
	}

	return ca, nil
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}

	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80

	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// ParseImage splits an installer image reference into its Talos version (tag) and Image Factory schematic.
// factory.talos.dev/metal-installer/<schematic>:v1.12.1 → (v1.12.1, <schematic>); ghcr.io/siderolabs/installer:v1.12.1 → (v1.12.1, "").
func ParseImage(ref string) (version, schematic string, err error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.ContainsAny(ref, " \t\n") {
		return "", "", fmt.Errorf("invalid image reference %q", ref)
	}

	name, digest, _ := strings.Cut(ref, "@")
	_ = digest

	slash := strings.LastIndex(name, "/")
	colon := strings.LastIndex(name, ":")

	if colon <= slash {
		return "", "", fmt.Errorf("image reference %q has no tag naming the Talos version", ref)
	}

	tag := name[colon+1:]
	path := name[:colon]

	if !strings.HasPrefix(tag, "v") {
		return "", "", fmt.Errorf("image tag %q of %q is not a Talos version", tag, ref)
	}

	parts := strings.Split(path, "/")
	for i, p := range parts {
		if (p == "installer" || strings.HasSuffix(p, "-installer")) && i+1 < len(parts) && len(parts[i+1]) == 64 {
			schematic = parts[i+1]
		}
	}

	if schematic == "" && len(parts) > 0 && len(parts[len(parts)-1]) == 64 {
		schematic = parts[len(parts)-1]
	}

	return tag, schematic, nil
}
