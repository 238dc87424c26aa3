package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/resource/meta"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/registry"
	talosconfig "github.com/siderolabs/talos/pkg/machinery/config"
	clusterres "github.com/siderolabs/talos/pkg/machinery/resources/cluster"
	configres "github.com/siderolabs/talos/pkg/machinery/resources/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"github.com/siderolabs/talos/pkg/machinery/resources/v1alpha1"

	"homelab.local/e2e/talos-node/internal/talosk8s"
)

// What machined's controllers publish about Kubernetes, from the running configuration (the Kubernetes side of
// the stand-in, internal/kube, reads these as the kubelet reads static pods from machined, and writes
// StaticPodStatuses back):
//
//   - config/MachineConfigs id v1alpha1 (talosctl upgrade-k8s patches it);
//   - controlplane/{APIServer,ControllerManager,Scheduler}Configs, BootstrapManifestsConfigs id manifests and
//     Manifests (control planes);
//   - k8s/KubeletSpecs id kubelet, k8s/StaticPods (control planes whose etcd is healthy, as
//     ControlPlaneStaticPodController waits for etcd);
//   - runtime/Services, one per service of ServiceList (a kubelet restart destroys and re-creates kubelet's, as
//     talosctl upgrade-k8s watches for).

// kubeletRestart is how long the kubelet is down after its image changed.
const kubeletRestart = 1500 * time.Millisecond

// kubernetesResourceDefinitions are registered on every boot.
var kubernetesResourceDefinitions = []meta.ResourceWithRD{
	&configres.MachineConfig{}, &k8s.APIServerConfig{}, &k8s.ControllerManagerConfig{}, &k8s.SchedulerConfig{},
	&k8s.BootstrapManifestsConfig{}, &k8s.Manifest{}, &k8s.KubeletSpec{}, &k8s.StaticPod{}, &k8s.StaticPodStatus{},
	&k8s.Nodename{}, &v1alpha1.Service{}, &clusterres.Member{},
}

func (n *Node) registerKubernetesResources(ctx context.Context) {
	for _, rd := range kubernetesResourceDefinitions {
		if err := registry.NewResourceRegistry(n.res).Register(ctx, rd); err != nil {
			panic(err)
		}
	}
}

// kubeletRunning: the kubelet runs on a configured node except while it restarts for a new image.
func (n *Node) kubeletRunning() bool {
	return n.mode == ModeConfigured && n.up && n.cfg() != nil && n.cfg().Machine() != nil && n.kubeletDownUntil.IsZero()
}

func modify[T resource.Resource](ctx context.Context, st state.State, r T, set func(T)) error {
	return safe.StateModify(ctx, st, r, func(res T) error {
		set(res)

		return nil
	})
}

// publishKubernetes brings this boot's Kubernetes resources in line with the running configuration and etcd.
//
//nolint:gocyclo,cyclop
func (n *Node) publishKubernetes() {
	if n.res == nil || n.mode != ModeConfigured || n.cfg() == nil || n.cfg().Machine() == nil {
		return
	}

	ctx := context.Background()
	cfg := n.cfg()
	errs := []error{}
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	defer func() {
		if len(errs) > 0 {
			n.c.logf("%s: publishing Kubernetes resources: %v", n.spec.Address, errs)
		}
	}()

	nodeName := talosk8s.NodeName(n.hostname())

	if n.k8sPublished != n.active {
		previous := n.k8sPublished
		n.k8sPublished = n.active

		check(n.publishMachineConfig(ctx, cfg))

		check(modify(ctx, n.res, k8s.NewNodename(k8s.NamespaceName, k8s.NodenameID), func(r *k8s.Nodename) {
			r.TypedSpec().Nodename = nodeName
			r.TypedSpec().HostnameVersion = "1"
		}))

		check(modify(ctx, n.res, k8s.NewKubeletSpec(k8s.NamespaceName, k8s.KubeletID), func(r *k8s.KubeletSpec) {
			*r.TypedSpec() = talosk8s.KubeletSpec(cfg, nodeName, n.spec.Address)
		}))

		// a new kubelet image restarts the kubelet (its service goes away and comes back)
		if previous != nil && previous.cfg.Machine() != nil && previous.cfg.Machine().Kubelet().Image() != cfg.Machine().Kubelet().Image() {
			n.restartKubelet()
		}

		if n.isControlPlane() && cfg.Cluster() != nil {
			check(modify(ctx, n.res, k8s.NewAPIServerConfig(), func(r *k8s.APIServerConfig) { *r.TypedSpec() = talosk8s.APIServerConfig(cfg) }))
			check(modify(ctx, n.res, k8s.NewControllerManagerConfig(), func(r *k8s.ControllerManagerConfig) {
				*r.TypedSpec() = talosk8s.ControllerManagerConfig(cfg)
			}))
			check(modify(ctx, n.res, k8s.NewSchedulerConfig(), func(r *k8s.SchedulerConfig) { *r.TypedSpec() = talosk8s.SchedulerConfig(cfg) }))

			if spec, err := talosk8s.BootstrapManifestsConfig(cfg); err != nil {
				check(err)
			} else {
				check(modify(ctx, n.res, k8s.NewBootstrapManifestsConfig(), func(r *k8s.BootstrapManifestsConfig) { *r.TypedSpec() = spec }))

				manifests, err := talosk8s.BootstrapManifests(cfg, spec)
				check(err)

				for _, m := range manifests {
					check(modify(ctx, n.res, k8s.NewManifest(k8s.ControlPlaneNamespaceName, m.Name), func(r *k8s.Manifest) {
						r.TypedSpec().Items = nil
						for _, o := range m.Objects {
							r.TypedSpec().Items = append(r.TypedSpec().Items, k8s.SingleManifest{Object: o})
						}
					}))
				}
			}
		}
	}

	check(n.publishServices(ctx))

	if n.isControlPlane() && cfg.Cluster() != nil {
		check(n.publishStaticPods(ctx, cfg))
	}
}

// publishMachineConfig writes config/MachineConfigs v1alpha1 (it has no setter: a new resource at the current
// version replaces it).
func (n *Node) publishMachineConfig(ctx context.Context, cfg talosconfig.Provider) error {
	mc := configres.NewMachineConfig(cfg)

	current, err := n.res.Get(ctx, mc.Metadata())

	switch {
	case state.IsNotFoundError(err):
		return n.res.Create(ctx, mc)
	case err != nil:
		return err
	}

	mc.Metadata().SetVersion(current.Metadata().Version())

	return n.res.Update(ctx, mc)
}

// restartKubelet takes the kubelet down for a moment (its Service resource is destroyed, then re-created).
func (n *Node) restartKubelet() {
	n.kubeletDownUntil = time.Now().Add(kubeletRestart)
	n.c.logf("%s: kubelet image changed to %s: restarting kubelet", n.spec.Address, n.cfg().Machine().Kubelet().Image())

	n.c.after(n, kubeletRestart, func() {
		n.kubeletDownUntil = time.Time{}
		n.published = "" // MachineStatus again
	})
}

func (n *Node) publishServices(ctx context.Context) error {
	want := map[string]*v1alpha1.ServiceSpec{}

	for _, s := range n.services() {
		if s.GetState() != "Running" {
			continue // machined's service runner keeps a Service resource only while the service runs
		}

		want[s.Id] = &v1alpha1.ServiceSpec{
			Running: true,
			Healthy: s.GetHealth().GetHealthy(),
			Unknown: s.GetHealth().GetUnknown(),
		}
	}

	list, err := safe.StateListAll[*v1alpha1.Service](ctx, n.res)
	if err != nil {
		return err
	}

	for s := range list.All() {
		if _, ok := want[s.Metadata().ID()]; !ok {
			if err := n.res.Destroy(ctx, s.Metadata()); err != nil && !state.IsNotFoundError(err) {
				return err
			}
		}
	}

	for id, spec := range want {
		if err := modify(ctx, n.res, v1alpha1.NewService(id), func(r *v1alpha1.Service) { *r.TypedSpec() = *spec }); err != nil {
			return err
		}
	}

	return nil
}

// publishStaticPods renders the control-plane static pods while etcd is healthy, with the versions of the config
// resources they come from (upgrade-k8s waits for a mirror pod carrying the new talos.dev/config-version).
func (n *Node) publishStaticPods(ctx context.Context, cfg talosconfig.Provider) error {
	want := map[string]*k8s.StaticPod{}

	if n.etcdRunning() && n.etcdQuorum() {
		for _, id := range talosk8s.StaticPodIDs {
			var md *resource.Metadata

			switch id {
			case talosk8s.APIServer:
				md = k8s.NewAPIServerConfig().Metadata()
			case talosk8s.ControllerManager:
				md = k8s.NewControllerManagerConfig().Metadata()
			default:
				md = k8s.NewSchedulerConfig().Metadata()
			}

			r, err := n.res.Get(ctx, md)
			if err != nil {
				return err
			}

			pod, err := talosk8s.StaticPod(cfg, id, talosk8s.StaticPodVersions{Config: r.Metadata().Version().String(), ConfigFile: "1", Secrets: "1"})
			if err != nil {
				return err
			}

			sp := k8s.NewStaticPod(k8s.NamespaceName, id)
			if sp.TypedSpec().Pod, err = talosk8s.ToMap(pod); err != nil {
				return err
			}

			want[id] = sp
		}
	}

	list, err := safe.StateListAll[*k8s.StaticPod](ctx, n.res)
	if err != nil {
		return err
	}

	for sp := range list.All() {
		if _, ok := want[sp.Metadata().ID()]; !ok {
			if err := n.res.Destroy(ctx, sp.Metadata()); err != nil && !state.IsNotFoundError(err) {
				return err
			}
		}
	}

	for id, sp := range want {
		if err := modify(ctx, n.res, k8s.NewStaticPod(k8s.NamespaceName, id), func(r *k8s.StaticPod) { *r.TypedSpec() = *sp.TypedSpec() }); err != nil {
			return err
		}
	}

	return nil
}

// ImagePull answers the legacy machine.MachineService/ImagePull (upgrade-k8s pre-pulls with it): the image is
// "pulled" (remembered per containerd namespace).
func (n *Node) ImagePull(namespace, ref string) error {
	n.c.lock()
	defer n.c.unlock()

	if ref == "" || strings.ContainsAny(ref, " \t\n") {
		return fmt.Errorf("error pulling image: invalid reference format %q", ref)
	}

	key := namespace + "/" + ref
	if !slices.Contains(n.pulled, key) {
		n.pulled = append(n.pulled, key)
	}

	return nil
}

// KubeNode is what the Kubernetes side of the stand-in needs to know of a node.
type KubeNode struct {
	Address      string
	NodeName     string
	Hostname     string
	ClusterID    string
	ClusterName  string
	Config       talosconfig.Provider // the running configuration (nil before one)
	ControlPlane bool
	Configured   bool // configured mode and answering: machined, containerd and the kubelet run
	KubeletUp    bool // the kubelet runs (not during its restart)
	EtcdHealthy  bool // etcd runs here with quorum
	Bootstrapped bool // its cluster's etcd exists (bootstrapped on some control plane)
	Bootstrapper bool // this node bootstrapped the cluster
	Resources    state.State
	TalosVersion string
	BootID       string
	MemoryMiB    uint64
}

// KubeNodes is every node as the Kubernetes side sees it.
func (c *Cluster) KubeNodes() []KubeNode {
	c.lock()
	defer c.unlock()

	out := make([]KubeNode, 0, len(c.order))

	for _, addr := range c.order {
		n := c.nodes[addr]
		k := KubeNode{
			Address: addr, Hostname: n.hostname(), NodeName: talosk8s.NodeName(n.hostname()), Resources: n.res, TalosVersion: n.version,
			BootID: n.bootID, MemoryMiB: n.spec.MemoryMiB,
		}

		if cfg := n.cfg(); cfg != nil && cfg.Machine() != nil && cfg.Cluster() != nil {
			k.Config = cfg
			k.ClusterID = cfg.Cluster().ID()
			k.ClusterName = cfg.Cluster().Name()
			k.ControlPlane = n.isControlPlane()
			k.Configured = n.mode == ModeConfigured && n.up
			k.KubeletUp = n.kubeletRunning()
			k.EtcdHealthy = n.etcdRunning() && n.etcdQuorum()

			if ec := n.etcdCluster(); ec != nil {
				k.Bootstrapped = true
				k.Bootstrapper = ec.bootstrapper == addr
			}
		}

		out = append(out, k)
	}

	return out
}

// OnChange registers f to run (outside the cluster lock) after every change of the nodes' state.
func (c *Cluster) OnChange(f func()) { c.onChange = f }
