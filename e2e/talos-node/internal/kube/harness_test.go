package kube_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/cluster"
	"github.com/siderolabs/talos/pkg/cluster/check"
	"github.com/siderolabs/talos/pkg/conditions"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	talosmachine "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"homelab.local/e2e/talos-node/internal/calllog"
	"homelab.local/e2e/talos-node/internal/config"
	"homelab.local/e2e/talos-node/internal/fixture"
	"homelab.local/e2e/talos-node/internal/kube"
	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/server"
)

// kubeBin is the folder with etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok.
func kubeBin(t *testing.T) string {
	t.Helper()

	return fixture.EnvOrSkip(t, "KUBE_BIN", "the tests that run Kubernetes' control plane (set it to the folder "+
		"holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok)")
}

// env is an in-process stand-in with Kubernetes: nodes 127.0.<block>.2.., the first cps control planes.
type env struct {
	cluster *node.Cluster
	server  *server.Server
	mgr     *kube.Manager
	log     *calllog.Log
	addrs   []string
	cps     []string
	workers []string
	bundle  *fixture.Bundle
	opts    fixture.Options
	pending map[string][]byte // configurations applyLate sends
}

var timing = node.Timing{Install: 50 * time.Millisecond, Reboot: 100 * time.Millisecond, Settle: 20 * time.Millisecond, Hold: 1200 * time.Millisecond}

type envOptions struct {
	block, cps, workers, port int
	kubernetesVersion         string
	endpoint                  string // default https://<first control plane>:6443
	mutate                    func(*v1alpha1.Config)
	logDir                    string
	binDir                    string // default: KUBE_BIN (the test is skipped without it)
	talosVersion              string // default v1.12.1: what the nodes run (booted and installed)
	late                      []int  // nodes (by index) configured only by applyLate, after the bootstrap
}

func startEnv(t *testing.T, o envOptions) *env {
	t.Helper()

	if o.talosVersion == "" {
		o.talosVersion = "v1.12.1"
	}

	bin := o.binDir
	if bin == "" {
		bin = kubeBin(t)
	}

	f := &config.File{Kubernetes: &config.Kubernetes{BinDir: bin, StartTimeoutMs: 180000, LogDir: o.logDir}}

	for i := range o.cps + o.workers {
		f.Nodes = append(f.Nodes, config.Node{
			Address: fmt.Sprintf("127.0.%d.%d", o.block, i+2), TalosVersion: o.talosVersion, MemoryMiB: 8192,
			Disks: []config.Disk{{DeviceName: "/dev/nvme0n1", Size: 512110190592, Model: "Samsung SSD 980", Type: "nvme"}},
		})
	}

	raw, _ := configJSON(f) //nolint:errcheck

	parsed, err := config.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}

	log, err := calllog.Open("")
	if err != nil {
		t.Fatal(err)
	}

	e := &env{log: log}
	e.cluster = node.NewCluster(parsed, node.RealScheduler{}, timing, t.Logf)
	e.server = server.New(e.cluster, log, o.port, t.Logf)

	if e.mgr, err = kube.New(parsed.Kubernetes, e.cluster, t.Logf); err != nil {
		t.Fatal(err)
	}

	e.cluster.Start()
	e.mgr.Start()
	e.addrs = e.cluster.Addresses()
	e.cps = e.addrs[:o.cps]
	e.workers = e.addrs[o.cps:]

	t.Cleanup(func() {
		e.mgr.Close()
		e.server.Close()
	})

	if o.kubernetesVersion == "" {
		o.kubernetesVersion = "1.35.0"
	}

	if o.endpoint == "" {
		o.endpoint = "https://" + e.cps[0] + ":6443"
	}

	e.opts = fixture.Options{Endpoint: o.endpoint, KubernetesVersion: o.kubernetesVersion, InstallImage: fixture.Installer(o.talosVersion)}

	if e.bundle, err = fixture.Generate(e.opts); err != nil {
		t.Fatal(err)
	}

	for i, a := range e.addrs {
		data := e.bundle.ControlPlane
		hostname := fmt.Sprintf("cp-%d", i+1)

		if i >= o.cps {
			data = e.bundle.Worker
			hostname = fmt.Sprintf("w-%d", i-o.cps+1)
		}

		if o.mutate != nil {
			data = fixture.MustModify(data, o.mutate)
		}

		if data, err = fixture.WithHostname(data, hostname); err != nil {
			t.Fatal(err)
		}

		if slices.Contains(o.late, i) {
			if e.pending == nil {
				e.pending = map[string][]byte{}
			}

			e.pending[a] = data

			continue
		}

		e.apply(t, a, data)
	}

	for _, a := range e.addrs {
		if e.pending[a] == nil {
			e.waitNode(t, a, "configured", func(st node.State) bool { return st.Mode == node.ModeConfigured && e.server.Serving(a) })
		}
	}

	return e
}

// applyLate configures the nodes left out at the start.
func (e *env) applyLate(t *testing.T) {
	t.Helper()

	for a, data := range e.pending {
		e.apply(t, a, data)
	}

	for a := range e.pending {
		e.waitNode(t, a, "configured", func(st node.State) bool { return st.Mode == node.ModeConfigured && e.server.Serving(a) })
	}

	e.pending = nil
}

func configJSON(f *config.File) ([]byte, error) {
	var b strings.Builder

	fmt.Fprintf(&b, `{"port":0,"nodes":[`)

	for i, n := range f.Nodes {
		if i > 0 {
			b.WriteString(",")
		}

		fmt.Fprintf(&b, `{"address":%q,"talosVersion":%q,"disks":[{"deviceName":"/dev/nvme0n1","size":512110190592,"type":"nvme"}]}`, n.Address, n.TalosVersion)
	}

	fmt.Fprintf(&b, `],"kubernetes":{"binDir":%q,"startTimeoutMs":%d`, f.Kubernetes.BinDir, f.Kubernetes.StartTimeoutMs)

	if f.Kubernetes.LogDir != "" {
		fmt.Fprintf(&b, `,"logDir":%q`, f.Kubernetes.LogDir)
	}

	b.WriteString("}}")

	return []byte(b.String()), nil
}

func (e *env) endpoint(addr string) string {
	return net.JoinHostPort(addr, strconv.Itoa(e.server.Port()))
}

func (e *env) talos(t *testing.T, addr string) *client.Client {
	t.Helper()

	c, err := client.New(context.Background(), client.WithConfig(e.bundle.Talosconfig), client.WithEndpoints(e.endpoint(addr)))
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { c.Close() }) //nolint:errcheck

	return c
}

func (e *env) apply(t *testing.T, addr string, data []byte) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(ctx, client.WithTLSConfig(insecureTLS()), client.WithEndpoints(e.endpoint(addr)))
	if err != nil {
		t.Fatal(err)
	}

	defer c.Close() //nolint:errcheck

	if _, err := c.ApplyConfiguration(client.WithNode(ctx, addr), &machine.ApplyConfigurationRequest{Data: data}); err != nil {
		t.Fatalf("%s: apply: %v", addr, err)
	}
}

func (e *env) state(addr string) node.State {
	for _, st := range e.cluster.States() {
		if st.Address == addr {
			return st
		}
	}

	return node.State{}
}

func (e *env) waitNode(t *testing.T, addr, what string, cond func(node.State) bool) {
	t.Helper()

	deadline := time.Now().Add(15 * time.Second)

	for time.Now().Before(deadline) {
		if cond(e.state(addr)) {
			return
		}

		time.Sleep(20 * time.Millisecond)
	}

	t.Fatalf("%s: timed out waiting for %s (%+v)", addr, what, e.state(addr))
}

func (e *env) bootstrap(t *testing.T) time.Time {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	start := time.Now()

	if err := e.talos(t, e.cps[0]).Bootstrap(client.WithNode(ctx, e.cps[0]), &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}

	return start
}

// kubeconfig is what MachineService/Kubeconfig hands out (through the Talos API, as the provider gets it).
func (e *env) kubeconfig(t *testing.T) []byte {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	raw, err := e.talos(t, e.cps[0]).Kubeconfig(client.WithNode(ctx, e.cps[0]))
	if err != nil {
		t.Fatal(err)
	}

	return raw
}

func untarKubeconfig(t *testing.T, raw []byte) []byte {
	t.Helper()

	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return raw // the client already unpacked it
	}

	tr := tar.NewReader(zr)

	if _, err := tr.Next(); err != nil {
		t.Fatal(err)
	}

	out, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}

	return out
}

func (e *env) restConfig(t *testing.T) *rest.Config {
	t.Helper()

	cfg, err := clientcmd.RESTConfigFromKubeConfig(untarKubeconfig(t, e.kubeconfig(t)))
	if err != nil {
		t.Fatal(err)
	}

	cfg.Timeout = 15 * time.Second

	return cfg
}

func (e *env) k8s(t *testing.T) *kubernetes.Clientset {
	t.Helper()

	cs, err := kubernetes.NewForConfig(e.restConfig(t))
	if err != nil {
		t.Fatal(err)
	}

	return cs
}

type nodesInfo struct {
	byType map[talosmachine.Type][]cluster.NodeInfo
	all    []cluster.NodeInfo
}

func (c *nodesInfo) Nodes() []cluster.NodeInfo                          { return c.all }
func (c *nodesInfo) NodesByType(t talosmachine.Type) []cluster.NodeInfo { return c.byType[t] }

type reporter struct{ lines []string }

func (r *reporter) Update(c conditions.Condition) {
	line := "waiting for " + c.String()
	if len(r.lines) == 0 || r.lines[len(r.lines)-1] != line {
		r.lines = append(r.lines, line)
	}
}

// health runs what talos:cluster/getHealth runs with its Kubernetes half (check.DefaultClusterChecks), from the
// client side through the first control plane, as the Talos provider does.
func (e *env) health(t *testing.T, timeout time.Duration) (string, error) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	c, err := client.New(ctx, client.WithConfig(e.bundle.Talosconfig), client.WithEndpoints(e.endpoint(e.cps[0])))
	if err != nil {
		t.Fatal(err)
	}

	provider := &cluster.ConfigClientProvider{DefaultClient: c}
	defer provider.Close() //nolint:errcheck

	cps, _ := cluster.IPsToNodeInfos(e.cps)         //nolint:errcheck
	workers, _ := cluster.IPsToNodeInfos(e.workers) //nolint:errcheck

	info := &nodesInfo{
		byType: map[talosmachine.Type][]cluster.NodeInfo{talosmachine.TypeControlPlane: cps, talosmachine.TypeWorker: workers},
		all:    append(append([]cluster.NodeInfo{}, cps...), workers...),
	}

	k8s := &cluster.KubernetesClient{ClientProvider: provider}
	defer k8s.K8sClose() //nolint:errcheck

	state := struct {
		cluster.ClientProvider
		cluster.K8sProvider
		cluster.Info
	}{provider, k8s, info}

	r := &reporter{}
	err = check.Wait(ctx, &state, check.DefaultClusterChecks(), r)

	return strings.Join(r.lines, "\n"), err
}

// waitHealthy retries the health check until it passes (or fails the test).
func (e *env) waitHealthy(t *testing.T, timeout time.Duration) {
	t.Helper()

	report, err := e.health(t, timeout)
	if err != nil {
		t.Fatalf("health check: %v\n%s\nkubernetes: %+v", err, report, e.mgr.Status())
	}
}

func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } //nolint:gosec // maintenance mode

func timeoutCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)

	return ctx
}

func podIsReady(p *v1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.Status == v1.ConditionTrue
		}
	}

	return false
}

// eventually retries f until it succeeds or the timeout passes (then the test fails with its last error).
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()

	deadline := time.Now().Add(timeout)

	var err error

	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}

		time.Sleep(500 * time.Millisecond)
	}

	t.Fatalf("%s: %v", what, err)
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
