package kube_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"homelab.local/e2e/talos-node/internal/kwok"
	"homelab.local/e2e/talos-node/internal/server"
)

func TestOneControlPlane(t *testing.T) {
	t.Parallel() // each test its own loopback block: they wait far more than they compute

	e := startEnv(t, envOptions{block: 91, cps: 1, mutate: func(c *v1alpha1.Config) { c.ClusterConfig.AllowSchedulingOnControlPlanes = new(true) }})
	cp := e.cps[0]
	start := e.bootstrap(t)

	e.waitHealthy(t, 4*time.Minute)
	t.Logf("bootstrap to a passing health check (1 control plane): %s", time.Since(start))

	checkKubeconfig(t, untarKubeconfig(t, e.kubeconfig(t)), "https://"+cp+":6443")

	cs := e.k8s(t)
	ctx := timeoutCtx(t, 3*time.Minute)

	n, err := cs.CoreV1().Nodes().Get(ctx, "cp-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	if _, ok := n.Labels["node-role.kubernetes.io/control-plane"]; !ok || len(n.Spec.Taints) != 0 || n.Status.NodeInfo.KubeletVersion != "v1.35.0" ||
		n.Status.Addresses[0].Address != cp {
		t.Fatalf("node cp-1: labels %v taints %v kubelet %s addresses %v", n.Labels, n.Spec.Taints, n.Status.NodeInfo.KubeletVersion, n.Status.Addresses)
	}

	checkMirrorPods(t, cs, e, []string{"cp-1"}, "v1.35.0")
	checkCOSI(t, e, cp)

	for _, sel := range []string{"k8s-app=kube-dns", "k8s-app=kube-proxy", "k8s-app=flannel"} {
		want := 1
		if sel == "k8s-app=kube-dns" {
			want = 2
		}

		eventually(t, time.Minute, sel, func() error { return podsReady(ctx, cs, "kube-system", sel, want) })
	}

	checkPodSecurity(t, cs)

	namespace(t, cs, "synology-csi", true)

	// never-ready before the workload exists: its controller never becomes Ready, the node plugin does
	if err := e.mgr.SetNeverReady(kwok.Rule{Namespace: "synology-csi", LabelSelector: "app=controller"}); err != nil {
		t.Fatal(err)
	}

	csiDriver(t, cs, "synology-csi")

	eventually(t, time.Minute, "node plugin ready", func() error { return podsReady(ctx, cs, "synology-csi", "app=node", 1) })
	eventually(t, time.Minute, "controller running, not ready", func() error { return podsRunningNotReady(ctx, cs, "synology-csi", "app=controller") })

	time.Sleep(3 * time.Second)

	if err := podsRunningNotReady(ctx, cs, "synology-csi", "app=controller"); err != nil {
		t.Fatalf("never-ready pods must stay unready: %v", err)
	}

	e.mgr.ClearNeverReady(nil)
	eventually(t, time.Minute, "controller ready once the rule is gone", func() error { return podsReady(ctx, cs, "synology-csi", "app=controller", 1) })

	// a rule on pods that are Ready already makes them unready
	if err := e.mgr.SetNeverReady(kwok.Rule{Namespace: "synology-csi", LabelSelector: "app in (node)"}); err != nil {
		t.Fatal(err)
	}

	eventually(t, time.Minute, "ready pods made unready", func() error { return podsRunningNotReady(ctx, cs, "synology-csi", "app=node") })
	e.mgr.ClearNeverReady(nil)

	// the API server stopped: the health check fails naming the Kubernetes check, and the address refuses
	e.mgr.StopAPIServer(cp)

	if st := e.mgr.NodeStatus(cp); st.APIServer != "stopped" || st.APIServerRunning {
		t.Fatalf("node status with the API server stopped: %+v", st)
	}

	if c, err := net.DialTimeout("tcp", net.JoinHostPort(cp, "6443"), time.Second); err == nil {
		c.Close() //nolint:errcheck
		t.Fatal("a stopped API server must not accept connections")
	}

	if pids := e.mgr.Status().Clusters[0].Programs; pids["kube-apiserver"] != 0 {
		t.Fatalf("the only control plane's API server stopped, kube-apiserver must not run: %v", pids)
	}

	report, err := e.health(t, 20*time.Second)
	if err == nil || !strings.Contains(report, "waiting for all k8s nodes to report") {
		t.Fatalf("with the API server stopped the health check must fail naming the Kubernetes check; got %v\n%s", err, report)
	}

	e.mgr.StartAPIServer(cp)
	e.waitHealthy(t, 3*time.Minute)
}

// TestTalosctlHealthAndUpgradeK8s runs the real talosctl against nodes of Talos 1.12 (manifests created without an
// inventory, upgrade-k8s syncs them the legacy way) and 1.13 (server-side apply with the inventory both ways).
func TestTalosctlHealthAndUpgradeK8s(t *testing.T) {
	t.Parallel()
	talosctlBin(t)

	for i, version := range []string{"v1.12.1", "v1.13.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			talosctlFlow(t, envOptions{block: 93 + 10*i, cps: 1, workers: 1, port: 50000, talosVersion: version})
		})
	}
}

func talosctlFlow(t *testing.T, o envOptions) {
	e := startEnv(t, o)
	tc := newTalosctl(t, e)
	cp, w := e.cps[0], e.workers[0]
	target := []string{"--nodes", cp, "--endpoints", cp}

	start := e.bootstrap(t)

	out := tc.must(t, 5*time.Minute, append(target, "health", "--control-plane-nodes", cp, "--worker-nodes", w, "--wait-timeout", "4m")...)
	t.Logf("talosctl health (server side) passed %s after bootstrap:\n%s", time.Since(start), out)

	if !strings.Contains(out, "waiting for all k8s nodes to report: OK") || !strings.Contains(out, "waiting for coredns to report ready: OK") {
		t.Fatalf("talosctl health did not run the Kubernetes checks:\n%s", out)
	}

	if o.talosVersion < "v1.13" {
		tc.must(t, 2*time.Minute, append(target, "health", "--server=false", "--control-plane-nodes", cp, "--worker-nodes", w, "--wait-timeout", "1m")...)

		// without node lists both sides find the nodes as cluster discovery members
		for _, side := range []string{"--server=true", "--server=false"} {
			if out := tc.must(t, 2*time.Minute, append(target, "health", side, "--wait-timeout", "1m")...); side == "--server=true" &&
				!strings.Contains(out, `discovered nodes: ["`+cp+`" "`+w+`"]`) && !strings.Contains(out, `discovered nodes: ["`+w+`" "`+cp+`"]`) {
				t.Fatalf("talosctl health without node lists:\n%s", out)
			}
		}
	}

	begin := time.Now()
	out = tc.must(t, 10*time.Minute, append(target, "upgrade-k8s", "--to", "1.35.2")...)
	t.Logf("upgrade-k8s took %s:\n%s", time.Since(begin), out)

	for _, want := range []string{
		"automatically detected the lowest Kubernetes version 1.35.0",
		" > update kube-apiserver: v1.35.0 -> 1.35.2",
		" > update kube-controller-manager: v1.35.0 -> 1.35.2",
		" > update kube-scheduler: v1.35.0 -> 1.35.2",
		" > update kubelet: 1.35.0 -> 1.35.2",
		`< "` + w + `": successfully updated`,
		map[bool]string{true: "waiting for apps/v1.DaemonSet/kube-system/kube-proxy", false: "< configured DaemonSet/kube-system/kube-proxy"}[o.talosVersion < "v1.13"],
	} {
		if !strings.Contains(out, want) {
			t.Errorf("upgrade-k8s output lacks %q", want)
		}
	}

	cs := e.k8s(t)
	ctx := timeoutCtx(t, 30*time.Second)

	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}

	for _, n := range nodes.Items {
		if n.Status.NodeInfo.KubeletVersion != "v1.35.2" {
			t.Errorf("node %s reports kubelet %s after the upgrade", n.Name, n.Status.NodeInfo.KubeletVersion)
		}
	}

	pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app in (kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy)"})
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range pods.Items {
		if img := p.Spec.Containers[0].Image; !strings.HasSuffix(img, ":v1.35.2") || !podIsReady(&p) {
			t.Errorf("pod %s runs %s (ready %v) after the upgrade", p.Name, img, podIsReady(&p))
		}
	}

	out = tc.must(t, 5*time.Minute, append(target, "upgrade-k8s", "--to", "1.35.2")...)
	t.Logf("second upgrade-k8s:\n%s", out)

	// talosctl says "machine configuration patched" even when it skipped the patch; what changes says "> update"
	if strings.Contains(out, " > update ") || strings.Contains(out, "applied successfully") || strings.Contains(out, "< configured ") ||
		strings.Contains(out, "< created ") || strings.Count(out, "> processing manifest") != strings.Count(out, "< no changes") {
		t.Fatalf("a second upgrade-k8s to the same version changed something:\n%s", out)
	}

	tc.must(t, 2*time.Minute, append(target, "health", "--control-plane-nodes", cp, "--worker-nodes", w, "--wait-timeout", "1m")...)

	if o.talosVersion >= "v1.13" {
		return // the rest does not depend on the Talos version
	}

	// the API server stopped: the real health check fails, naming the Kubernetes check
	e.mgr.StopAPIServer(cp)

	out, err = tc.run(2*time.Minute, append(target, "health", "--control-plane-nodes", cp, "--worker-nodes", w, "--wait-timeout", "20s")...)
	if err == nil || !strings.Contains(out, "all k8s nodes to report") {
		t.Fatalf("with the API server stopped talosctl health must fail naming the Kubernetes check; got %v:\n%s", err, out)
	}

	t.Logf("talosctl health with the API server stopped:\n%s", out)

	e.mgr.StartAPIServer(cp)
	tc.must(t, 4*time.Minute, append(target, "health", "--control-plane-nodes", cp, "--worker-nodes", w, "--wait-timeout", "3m")...)
}

func TestThreeControlPlanesTwoWorkersBehindAVIP(t *testing.T) {
	t.Parallel() // each test its own loopback block: they wait far more than they compute

	vip := "127.0.92.100"
	// cp-3 is configured after the bootstrap (its install was slower): it joins etcd and serves the API too
	e := startEnv(t, envOptions{block: 92, cps: 3, workers: 2, endpoint: "https://" + vip + ":6443", late: []int{2}})
	start := e.bootstrap(t)

	e.applyLate(t)

	e.waitHealthy(t, 5*time.Minute)
	t.Logf("bootstrap to a passing health check (3 control planes, 2 workers): %s", time.Since(start))

	checkKubeconfig(t, untarKubeconfig(t, e.kubeconfig(t)), "https://"+vip+":6443")

	// every control plane's address and the endpoint serve the real API server with a certificate for them
	for _, addr := range append(append([]string{}, e.cps...), vip) {
		cfg := e.restConfig(t)
		cfg.Host = "https://" + net.JoinHostPort(addr, "6443")

		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}

		if v, err := cs.Discovery().ServerVersion(); err != nil || v.GitVersion != "v1.35.4" {
			t.Fatalf("%s: %v %v", addr, v, err)
		}
	}

	cs := e.k8s(t)
	ctx := timeoutCtx(t, 3*time.Minute)

	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 5 {
		t.Fatalf("%v nodes: %v", len(nodes.Items), err)
	}

	for _, n := range nodes.Items {
		_, isCP := n.Labels["node-role.kubernetes.io/control-plane"]
		tainted := len(n.Spec.Taints) == 1 && n.Spec.Taints[0].Key == "node-role.kubernetes.io/control-plane" && n.Spec.Taints[0].Effect == "NoSchedule"

		if isCP != strings.HasPrefix(n.Name, "cp-") || tainted != isCP {
			t.Errorf("node %s: labels %v taints %v", n.Name, n.Labels, n.Spec.Taints)
		}
	}

	checkMirrorPods(t, cs, e, []string{"cp-1", "cp-2", "cp-3"}, "v1.35.0")

	for _, cp := range e.cps {
		checkCOSI(t, e, cp)
	}

	for _, sel := range []string{"k8s-app=kube-proxy", "k8s-app=flannel"} {
		eventually(t, time.Minute, sel, func() error { return podsReady(ctx, cs, "kube-system", sel, 5) })
	}

	namespace(t, cs, "synology-csi", true)
	csiDriver(t, cs, "synology-csi")

	// the node plugin lands on the workers only (the control planes are tainted)
	eventually(t, 2*time.Minute, "node plugin on the workers", func() error { return podsReady(ctx, cs, "synology-csi", "app=node", 2) })
	eventually(t, 2*time.Minute, "controller", func() error { return podsReady(ctx, cs, "synology-csi", "app=controller", 1) })

	// one control plane's API server stopped: its address refuses, the others serve, its mirror pod is unready and
	// the health check fails on the control plane components
	cp2 := e.cps[1]
	e.mgr.StopAPIServer(cp2)

	if c, err := net.DialTimeout("tcp", net.JoinHostPort(cp2, "6443"), time.Second); err == nil {
		c.Close() //nolint:errcheck
		t.Fatal("a stopped API server must not accept connections")
	}

	eventually(t, 30*time.Second, "kube-apiserver-cp-2 unready", func() error {
		p, err := cs.CoreV1().Pods("kube-system").Get(ctx, "kube-apiserver-cp-2", metav1.GetOptions{})
		if err != nil || podIsReady(p) {
			return fmt.Errorf("ready %v, %v", p != nil && podIsReady(p), err)
		}

		return nil
	})

	report, err := e.health(t, 30*time.Second)
	if err == nil || !strings.Contains(report, "all control plane components to be ready: some pods are not ready for kube-apiserver: [kube-apiserver-cp-2]") {
		t.Fatalf("with cp-2's API server stopped the health check must fail on the control plane components; got %v\n%s", err, report)
	}

	e.mgr.StartAPIServer(cp2)
	e.waitHealthy(t, 3*time.Minute)

	// a powered-off control plane: its address stops serving, its mirror pods go unready
	cp3 := e.cps[2]
	if err := e.server.AddFault(cp3, server.Fault{Kind: server.FaultPowerOff}); err != nil {
		t.Fatal(err)
	}

	eventually(t, 30*time.Second, "cp-3 off", func() error {
		if st := e.mgr.NodeStatus(cp3); st.APIServerRunning {
			return fmt.Errorf("%+v", st)
		}

		p, err := cs.CoreV1().Pods("kube-system").Get(ctx, "kube-scheduler-cp-3", metav1.GetOptions{})
		if err != nil || podIsReady(p) {
			return fmt.Errorf("kube-scheduler-cp-3 ready %v, %v", p != nil && podIsReady(p), err)
		}

		return nil
	})
}

// TestPowerOffAndOn: a powered-off worker's Node goes unready (kwok lets go of it, the node controller does the
// rest); the only control plane powered off stops every program, and powered on again they come back with etcd's
// data.
func TestPowerOffAndOn(t *testing.T) {
	t.Parallel() // each test its own loopback block: they wait far more than they compute

	e := startEnv(t, envOptions{block: 98, cps: 1, workers: 1})
	e.bootstrap(t)
	e.waitHealthy(t, 4*time.Minute)

	cs := e.k8s(t)
	ctx := timeoutCtx(t, 8*time.Minute)
	cp, w := e.cps[0], e.workers[0]

	power := func(addr, kind string) {
		t.Helper()

		if err := e.server.AddFault(addr, server.Fault{Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}

	power(w, server.FaultPowerOff)
	off := time.Now()

	eventually(t, 2*time.Minute, "w-1 not ready", func() error {
		n, err := cs.CoreV1().Nodes().Get(ctx, "w-1", metav1.GetOptions{})
		if err != nil {
			return err
		}

		for _, c := range n.Status.Conditions {
			if c.Type == "Ready" && c.Status != "True" {
				return nil
			}
		}

		return fmt.Errorf("still ready")
	})

	t.Logf("w-1 unready %s after its power went off", time.Since(off).Round(time.Second))

	power(w, server.FaultPowerOn)
	e.waitHealthy(t, 3*time.Minute)

	power(cp, server.FaultPowerOff)

	eventually(t, 30*time.Second, "programs stopped", func() error {
		if pids := e.mgr.PIDs(); len(pids) > 0 {
			return fmt.Errorf("still running: %v", pids)
		}

		if st := e.mgr.Status(); st.Clusters[0].Phase != "stopped" {
			return fmt.Errorf("phase %s", st.Clusters[0].Phase)
		}

		return nil
	})

	power(cp, server.FaultPowerOn)
	e.waitHealthy(t, 4*time.Minute)

	if nodes, err := e.k8s(t).CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil || len(nodes.Items) != 2 {
		t.Fatalf("after the restart the cluster keeps its nodes: %v", err)
	}
}
