package node

import (
	"context"
	"strings"
	"testing"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	clusterres "github.com/siderolabs/talos/pkg/machinery/resources/cluster"
	configres "github.com/siderolabs/talos/pkg/machinery/resources/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	talosv1alpha1 "github.com/siderolabs/talos/pkg/machinery/resources/v1alpha1"

	"homelab.local/e2e/talos-node/internal/fixture"
)

func staticPodIDs(t *testing.T, n *Node) []string {
	t.Helper()

	list, err := safe.StateListAll[*k8s.StaticPod](context.Background(), n.Resources())
	if err != nil {
		t.Fatal(err)
	}

	var ids []string
	for sp := range list.All() {
		ids = append(ids, sp.Metadata().ID())
	}

	return ids
}

func configVersionOf(t *testing.T, n *Node, id string) string {
	t.Helper()

	sp, err := safe.StateGetByID[*k8s.StaticPod](context.Background(), n.Resources(), id)
	if err != nil {
		t.Fatal(err)
	}

	md := sp.TypedSpec().Pod["metadata"].(map[string]any)

	return md["annotations"].(map[string]any)["talos.dev/config-version"].(string)
}

// TestMachinedKubernetesResources: what machined publishes about Kubernetes over COSI follows the configuration
// (talosctl upgrade-k8s reads and watches these) and etcd (static pods wait for a healthy etcd).
func TestMachinedKubernetesResources(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, "v1.12.1", "v1.12.1")
	cp, w := c.node(0), c.node(1)
	b := defaultBundle(t)

	c.configure(t, cp, b.ControlPlane)
	c.configure(t, w, b.Worker)

	if _, err := safe.StateGetByID[*configres.MachineConfig](ctx, cp.Resources(), configres.ActiveID); err != nil {
		t.Fatalf("MachineConfig: %v", err)
	}

	ks, err := safe.StateGetByID[*k8s.KubeletSpec](ctx, w.Resources(), k8s.KubeletID)
	if err != nil || ks.TypedSpec().Image != "ghcr.io/siderolabs/kubelet:v1.35.0" {
		t.Fatalf("KubeletSpec: %v %v", err, ks)
	}

	for _, n := range []*Node{cp, w} {
		if _, err := safe.StateGetByID[*talosv1alpha1.Service](ctx, n.Resources(), "kubelet"); err != nil {
			t.Fatalf("%s: kubelet Service: %v", n.Address(), err)
		}
	}

	if _, err := safe.StateGetByID[*k8s.APIServerConfig](ctx, w.Resources(), k8s.APIServerConfigID); !state.IsNotFoundError(err) {
		t.Fatalf("a worker has no control-plane configs: %v", err)
	}

	if ids := staticPodIDs(t, cp); len(ids) != 0 {
		t.Fatalf("static pods before etcd runs: %v", ids)
	}

	if err := cp.Bootstrap(); err != nil {
		t.Fatal(err)
	}

	if ids := strings.Join(staticPodIDs(t, cp), ","); ids != "kube-apiserver,kube-controller-manager,kube-scheduler" {
		t.Fatalf("static pods with a healthy etcd: %s", ids)
	}

	if _, err := safe.StateGetByID[*k8s.BootstrapManifestsConfig](ctx, cp.Resources(), k8s.BootstrapManifestsConfigID); err != nil {
		t.Fatal(err)
	}

	before := configVersionOf(t, cp, "kube-apiserver")

	// what upgrade-k8s does: patch the API server image, without a reboot
	mustApply(t, cp, modifyImages(t, b.ControlPlane, "v1.35.2", ""), machine.ApplyConfigurationRequest_NO_REBOOT)

	after := configVersionOf(t, cp, "kube-apiserver")
	if after == before || configVersionOf(t, cp, "kube-scheduler") != "1" {
		t.Fatalf("config version of kube-apiserver %s -> %s; kube-scheduler's must stay 1", before, after)
	}

	// same again: nothing changes
	mustApply(t, cp, modifyImages(t, b.ControlPlane, "v1.35.2", ""), machine.ApplyConfigurationRequest_NO_REBOOT)

	if v := configVersionOf(t, cp, "kube-apiserver"); v != after {
		t.Fatalf("an identical config bumped the version to %s", v)
	}

	// a new kubelet image restarts the kubelet: its Service goes away, then comes back
	watch := make(chan state.Event, 16)
	if err := w.Resources().Watch(ctx, talosv1alpha1.NewService("kubelet").Metadata(), watch); err != nil {
		t.Fatal(err)
	}

	<-watch // created

	mustApply(t, w, modifyImages(t, b.Worker, "", "v1.35.2"), machine.ApplyConfigurationRequest_NO_REBOOT)

	if ev := <-watch; ev.Type != state.Destroyed {
		t.Fatalf("kubelet Service event %v, want destroyed", ev.Type)
	}

	c.clock.advance(kubeletRestart)

	if ev := <-watch; ev.Type != state.Created {
		t.Fatalf("kubelet Service event %v, want created", ev.Type)
	}

	ks, _ = safe.StateGetByID[*k8s.KubeletSpec](ctx, w.Resources(), k8s.KubeletID) //nolint:errcheck
	if ks.TypedSpec().Image != "ghcr.io/siderolabs/kubelet:v1.35.2" {
		t.Fatalf("KubeletSpec image %s", ks.TypedSpec().Image)
	}

	members, err := safe.StateListAll[*clusterres.Member](ctx, w.Resources())
	if err != nil || members.Len() != 2 {
		t.Fatalf("discovery members: %v %v", members.Len(), err)
	}

	for m := range members.All() {
		if wantCP := m.TypedSpec().Addresses[0].String() == cp.Address(); wantCP != (m.TypedSpec().ControlPlane != nil) {
			t.Fatalf("member %+v", m.TypedSpec())
		}
	}

	if err := w.ImagePull("NS_CRI", "registry.k8s.io/kube-proxy:v1.35.2"); err != nil {
		t.Fatal(err)
	}

	if err := w.ImagePull("NS_CRI", "bad ref"); err == nil {
		t.Fatal("an invalid reference pulled")
	}
}

func modifyImages(t *testing.T, raw []byte, apiServer, kubelet string) []byte {
	t.Helper()

	return fixture.MustModify(raw, func(c *v1alpha1.Config) {
		if apiServer != "" {
			c.ClusterConfig.APIServerConfig.ContainerImage = "registry.k8s.io/kube-apiserver:" + apiServer
		}

		if kubelet != "" {
			c.MachineConfig.MachineKubelet.KubeletImage = "ghcr.io/siderolabs/kubelet:" + kubelet
		}
	})
}
