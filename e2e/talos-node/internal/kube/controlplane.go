package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	talosconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"homelab.local/e2e/talos-node/internal/kwok"
	"homelab.local/e2e/talos-node/internal/proc"
	"homelab.local/e2e/talos-node/internal/talosk8s"
)

// The programs of a control plane, in start order.
const (
	progEtcd              = "etcd"
	progAPIServer         = "kube-apiserver"
	progControllerManager = "kube-controller-manager"
	progScheduler         = "kube-scheduler"
	progKwok              = "kwok"
)

var programs = []string{progEtcd, progAPIServer, progControllerManager, progScheduler, progKwok}

// Phases of a control plane.
const (
	phaseStopped  = "stopped"
	phaseStarting = "starting"
	phaseRunning  = "running"
	phaseFailed   = "failed"
)

// stopGrace is how long a program may take to exit after SIGTERM.
const stopGrace = 5 * time.Second

// controlPlane is one cluster's Kubernetes control plane: real etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok as child processes on the address of the control plane that bootstrapped it.
type controlPlane struct {
	m    *Manager
	id   string // cluster ID
	name string
	dir  string
	plan *talosk8s.Plan
	pki  *talosk8s.PKI

	mu         sync.Mutex
	phase      string
	lastError  string
	procs      map[string]*proc.Process
	restarts   map[string]int
	startedAt  time.Time
	readyAt    time.Time
	apiDown    bool   // kube-apiserver stopped because no control plane serves it
	kwokKey    string // never-ready rules and Nodes without a kubelet kwok runs with
	failedAt   time.Time
	forwarders map[string]*forwarder // by address
	// the programs' output files, by program
	logs map[string]io.WriteCloser

	client  kubernetes.Interface
	dyn     dynamic.Interface
	rest    *rest.Config
	httpAPI *http.Client

	kubelet kubeletState
}

func newControlPlane(m *Manager, id string, cfg talosconfig.Provider, host, etcdName string, addresses, hostnames []string) (*controlPlane, error) {
	dir, err := os.MkdirTemp(m.workDir, cfg.Cluster().Name()+"-")
	if err != nil {
		return nil, err
	}

	pki, err := talosk8s.NewPKI(cfg, host, addresses, hostnames)
	if err != nil {
		return nil, fmt.Errorf("control plane secrets: %w", err)
	}

	podCIDR := "10.244.0.0/16"
	if cidrs := cfg.Cluster().Network().PodCIDRs(); len(cidrs) > 0 {
		podCIDR = cidrs[0]
	}

	ports := talosk8s.DefaultPorts

	if ports.APIServer, err = freePort(host); err != nil {
		return nil, fmt.Errorf("a port for kube-apiserver on %s: %w", host, err)
	}

	cp := &controlPlane{
		m: m, id: id, name: cfg.Cluster().Name(), dir: dir, pki: pki, phase: phaseStopped,
		plan:       &talosk8s.Plan{Config: cfg, Host: host, Dir: dir, Ports: ports, EtcdName: etcdName, KwokCIDR: podCIDR},
		procs:      map[string]*proc.Process{},
		restarts:   map[string]int{},
		forwarders: map[string]*forwarder{},
		logs:       map[string]io.WriteCloser{},
	}

	cp.kubelet.init()

	return cp, nil
}

func freePort(host string) (int, error) {
	lis, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}

	defer lis.Close() //nolint:errcheck

	return lis.Addr().(*net.TCPAddr).Port, nil
}

func (cp *controlPlane) logf(format string, args ...any) {
	cp.m.logf("kubernetes %s: "+format, append([]any{cp.name}, args...)...)
}

// writeFiles writes every file the programs read (kwok's stages with the current never-ready rules).
func (cp *controlPlane) writeFiles(rules []kwok.Rule) error {
	stages, err := kwok.Stages(rules)
	if err != nil {
		return err
	}

	files, err := cp.plan.Files(cp.pki, stages)
	if err != nil {
		return err
	}

	for name, data := range files {
		path := filepath.Join(cp.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}

		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
	}

	for _, d := range []string{talosk8s.DirEtcdData, talosk8s.DirControllerManagerCert, talosk8s.DirSchedulerCert, talosk8s.DirKwokHome, talosk8s.DirLogs} {
		if err := os.MkdirAll(filepath.Join(cp.dir, filepath.FromSlash(d)), 0o700); err != nil {
			return err
		}
	}

	return nil
}

func (cp *controlPlane) args(name string) ([]string, error) {
	switch name {
	case progEtcd:
		return cp.plan.EtcdArgs(), nil
	case progAPIServer:
		return cp.plan.APIServerArgs()
	case progControllerManager:
		return cp.plan.ControllerManagerArgs()
	case progScheduler:
		return cp.plan.SchedulerArgs()
	default:
		return cp.plan.KwokArgs(), nil
	}
}

func (cp *controlPlane) logWriter(name string) (io.Writer, error) {
	if w, ok := cp.logs[name]; ok {
		return w, nil
	}

	path := filepath.Join(cp.dir, talosk8s.DirLogs, name+".log")
	if cp.m.cfg.LogDir != "" {
		path = filepath.Join(cp.m.cfg.LogDir, cp.name+"-"+cp.id[:min(8, len(cp.id))]+"-"+name+".log")
	}

	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}

	cp.logs[name] = f

	return f, nil
}

// startProgram runs one program (the lock is held).
func (cp *controlPlane) startProgram(name string) error {
	args, err := cp.args(name)
	if err != nil {
		return err
	}

	log, err := cp.logWriter(name)
	if err != nil {
		return err
	}

	var env []string
	if name == progKwok {
		env = []string{"HOME=" + filepath.Join(cp.dir, talosk8s.DirKwokHome)} // no ~/.kwok/kwok.yaml of the user
	}

	fmt.Fprintf(log, "--- %s starting %s\n", time.Now().Format(time.RFC3339Nano), name)

	p, err := proc.Start(proc.Spec{Name: name, Path: filepath.Join(cp.m.cfg.BinDir, name), Args: args, Env: env, Dir: cp.dir, Log: log})
	if err != nil {
		return err
	}

	cp.procs[name] = p
	cp.m.track(p.PID(), true)

	return nil
}

func (cp *controlPlane) stopProgram(name string) {
	p := cp.procs[name]
	if p == nil {
		return
	}

	delete(cp.procs, name)
	_ = p.Stop(stopGrace) //nolint:errcheck
	cp.m.track(p.PID(), false)
}

// start runs the programs in order, waiting for the API server to be ready; on any failure everything started
// is stopped again. It runs outside the manager's loop (minutes at worst).
func (cp *controlPlane) start(ctx context.Context) {
	cp.mu.Lock()
	if cp.phase == phaseStarting || cp.phase == phaseRunning {
		cp.mu.Unlock()

		return
	}

	cp.phase = phaseStarting
	cp.startedAt = time.Now()
	cp.lastError = ""
	rules := cp.m.rules()
	cp.mu.Unlock()

	err := cp.startAll(ctx, rules)

	cp.mu.Lock()
	defer cp.mu.Unlock()

	if err != nil {
		cp.lastError = err.Error()
		cp.phase = phaseFailed
		cp.failedAt = time.Now()
		cp.logf("start failed: %v", err)

		for i := len(programs) - 1; i >= 0; i-- {
			cp.stopProgram(programs[i])
		}

		return
	}

	cp.phase = phaseRunning
	cp.readyAt = time.Now()
	cp.logf("control plane ready after %s (API server %s)", cp.readyAt.Sub(cp.startedAt).Round(time.Millisecond), cp.plan.APIServerURL())
	cp.m.nudge()
}

func (cp *controlPlane) startAll(ctx context.Context, rules []kwok.Rule) error {
	cp.mu.Lock()

	if err := cp.writeFiles(rules); err != nil {
		cp.mu.Unlock()

		return err
	}

	cp.kwokKey = rulesKey(rules) + "|" + cp.kubelet.offNodes

	if err := cp.connect(); err != nil {
		cp.mu.Unlock()

		return err
	}

	for _, name := range []string{progEtcd, progAPIServer} {
		if err := cp.startProgram(name); err != nil {
			cp.mu.Unlock()

			return err
		}
	}

	cp.apiDown = false
	cp.mu.Unlock()

	if err := cp.waitReady(ctx, time.Duration(cp.m.cfg.StartTimeoutMs)*time.Millisecond); err != nil {
		return err
	}

	cp.mu.Lock()
	defer cp.mu.Unlock()

	for _, name := range []string{progControllerManager, progScheduler, progKwok} {
		if err := cp.startProgram(name); err != nil {
			return err
		}
	}

	return nil
}

// connect makes the clients of machined's identity against the real API server.
func (cp *controlPlane) connect() error {
	cp.rest = &rest.Config{
		Host: cp.plan.APIServerURL(),
		TLSClientConfig: rest.TLSClientConfig{
			CAData: cp.pki.AcceptedCAs, CertData: cp.pki.Machined.Crt, KeyData: cp.pki.Machined.Key,
		},
		QPS: 50, Burst: 100, Timeout: 20 * time.Second,
		UserAgent: "talos-node-stand-in",
	}

	var err error

	if cp.client, err = kubernetes.NewForConfig(cp.rest); err != nil {
		return err
	}

	if cp.dyn, err = dynamic.NewForConfig(cp.rest); err != nil {
		return err
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cp.pki.AcceptedCAs)

	cert, err := tls.X509KeyPair(cp.pki.Machined.Crt, cp.pki.Machined.Key)
	if err != nil {
		return err
	}

	cp.httpAPI = &http.Client{
		Timeout:   3 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}},
	}

	return nil
}

// ready asks the real API server's /readyz.
func (cp *controlPlane) ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cp.plan.APIServerURL()+"/readyz", nil)
	if err != nil {
		return err
	}

	res, err := cp.httpAPI.Do(req)
	if err != nil {
		return err
	}

	defer res.Body.Close() //nolint:errcheck

	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096)) //nolint:errcheck

	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s: %s", res.Status, body)
	}

	return nil
}

func (cp *controlPlane) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)

	var last error

	for time.Now().Before(deadline) {
		cp.mu.Lock()
		etcd, api := cp.procs[progEtcd], cp.procs[progAPIServer]
		cp.mu.Unlock()

		for _, p := range []*proc.Process{etcd, api} {
			if p == nil {
				return errors.New("stopped while starting")
			}

			if exited, err := p.Exited(); exited {
				return fmt.Errorf("%s exited while starting (%v); see %s", p.Name, err, cp.logPath(p.Name))
			}
		}

		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		last = cp.ready(rctx)

		cancel()

		if last == nil {
			return nil
		}

		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}

	return fmt.Errorf("kube-apiserver not ready after %s: %v (see %s)", timeout, last, cp.logPath(progAPIServer))
}

func (cp *controlPlane) logPath(name string) string {
	if cp.m.cfg.LogDir != "" {
		return filepath.Join(cp.m.cfg.LogDir, cp.name+"-"+cp.id[:min(8, len(cp.id))]+"-"+name+".log")
	}

	return filepath.Join(cp.dir, talosk8s.DirLogs, name+".log")
}

// stop ends every program (reverse order) and closes the node listeners; etcd's data stays for a restart.
func (cp *controlPlane) stop() {
	cp.mu.Lock()
	defer cp.mu.Unlock()

	for addr, f := range cp.forwarders {
		f.Close()
		delete(cp.forwarders, addr)
	}

	for i := len(programs) - 1; i >= 0; i-- {
		cp.stopProgram(programs[i])
	}

	if cp.phase != phaseFailed {
		cp.phase = phaseStopped
	}

	cp.kubelet.reset()
}

// close stops everything and removes the folder (the cluster is gone).
func (cp *controlPlane) close() {
	cp.stop()

	cp.mu.Lock()
	defer cp.mu.Unlock()

	for name, w := range cp.logs {
		_ = w.Close() //nolint:errcheck
		delete(cp.logs, name)
	}

	_ = os.RemoveAll(cp.dir) //nolint:errcheck
}

// running reports the phase, and whether the real API server runs.
func (cp *controlPlane) running() (phase string, apiUp bool) {
	cp.mu.Lock()
	defer cp.mu.Unlock()

	return cp.phase, cp.phase == phaseRunning && !cp.apiDown && cp.procs[progAPIServer] != nil
}

// programRunning reports whether a program runs now.
func (cp *controlPlane) programRunning(name string) bool {
	cp.mu.Lock()
	defer cp.mu.Unlock()

	p := cp.procs[name]
	if p == nil {
		return false
	}

	exited, _ := p.Exited()

	return !exited
}

// restartBackoff is the kubelet's crash-loop back-off, shortened for tests: 1 s, 2 s, 4 s … at most 10 s.
func restartBackoff(restarts int) time.Duration {
	if restarts <= 0 {
		return 0
	}

	return min(time.Second<<min(restarts-1, 4), 10*time.Second)
}

// supervise restarts programs that exited on their own (as the kubelet restarts a failed static pod), stops or
// starts the real API server as nodes serve it, and restarts kwok when its stages change.
func (cp *controlPlane) supervise(ctx context.Context, serving bool, rules []kwok.Rule) {
	cp.mu.Lock()

	if cp.phase != phaseRunning {
		cp.mu.Unlock()

		return
	}

	for _, name := range programs {
		p := cp.procs[name]
		if p == nil {
			continue
		}

		exited, err := p.Exited()
		if !exited {
			continue
		}

		if cp.apiDown && name != progEtcd {
			continue // they lose the API (and their leases) and exit; they restart with the API server
		}

		if wait := restartBackoff(cp.restarts[name]); time.Since(p.ExitedAt()) < wait {
			continue
		}

		cp.restarts[name]++
		cp.logf("%s exited (%v), restart %d; see %s", name, err, cp.restarts[name], cp.logPath(name))
		delete(cp.procs, name)
		cp.m.track(p.PID(), false)

		if err := cp.startProgram(name); err != nil {
			cp.lastError = err.Error()
		}
	}

	// kwok restarts when its stages change, and when a node's kubelet went away or came back: kwok lets go of a
	// Node (its lease, its heartbeats) only when it starts without it
	cp.kubelet.mu.Lock()
	off := cp.kubelet.offNodes
	cp.kubelet.mu.Unlock()

	if key := rulesKey(rules) + "|" + off; key != cp.kwokKey && cp.procs[progKwok] != nil {
		if err := cp.writeFiles(rules); err != nil {
			cp.lastError = err.Error()
		} else {
			cp.kwokKey = key
			cp.logf("restarting kwok (never-ready rules: %d; nodes without a kubelet: %q)", len(rules), off)
			cp.stopProgram(progKwok)

			if err := cp.startProgram(progKwok); err != nil {
				cp.lastError = err.Error()
			}
		}
	}

	switch {
	case !serving && !cp.apiDown:
		cp.logf("no control plane serves the API: stopping kube-apiserver")
		cp.apiDown = true
		cp.stopProgram(progAPIServer)
		cp.mu.Unlock()
	case serving && cp.apiDown:
		cp.logf("a control plane serves the API again: starting kube-apiserver")

		if err := cp.startProgram(progAPIServer); err != nil {
			cp.lastError = err.Error()
			cp.mu.Unlock()

			return
		}

		cp.mu.Unlock()

		if err := cp.waitReady(ctx, time.Duration(cp.m.cfg.StartTimeoutMs)*time.Millisecond); err != nil {
			cp.mu.Lock()
			cp.lastError = err.Error()
			cp.mu.Unlock()

			return
		}

		cp.mu.Lock()
		cp.apiDown = false
		cp.mu.Unlock()
	default:
		cp.mu.Unlock()
	}
}

// setForwarders opens the API listeners (host:port) that should serve and closes the others.
func (cp *controlPlane) setForwarders(want map[string]bool) {
	cp.mu.Lock()
	defer cp.mu.Unlock()

	backend := net.JoinHostPort(cp.plan.Host, strconv.Itoa(cp.plan.Ports.APIServer))

	for hp, f := range cp.forwarders {
		if !want[hp] {
			f.Close()
			delete(cp.forwarders, hp)
			cp.logf("%s: API server stopped", hp)
		}
	}

	for hp, ok := range want {
		if !ok || cp.forwarders[hp] != nil {
			continue
		}

		host, portStr, _ := net.SplitHostPort(hp)
		port, _ := strconv.Atoi(portStr) //nolint:errcheck

		f, err := listenForward(host, port, backend)
		if err != nil {
			cp.lastError = fmt.Sprintf("listening on %s: %v", hp, err)
			cp.logf("%s", cp.lastError)

			continue
		}

		cp.forwarders[hp] = f
		cp.logf("%s: API server serving", hp)
	}
}

// serving reports whether host:port serves the API now.
func (cp *controlPlane) serving(hostPort string) bool {
	cp.mu.Lock()
	defer cp.mu.Unlock()

	return cp.forwarders[hostPort] != nil
}

// pids of the running programs.
func (cp *controlPlane) pids() map[string]int {
	cp.mu.Lock()
	defer cp.mu.Unlock()

	out := map[string]int{}

	for name, p := range cp.procs {
		if exited, _ := p.Exited(); !exited {
			out[name] = p.PID()
		}
	}

	return out
}
