package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/talosk8s"
)

// kubeletState is what the kubelets of a cluster's nodes (as the stand-in plays them) remember between syncs.
type kubeletState struct {
	mu        sync.Mutex
	manifests string               // Manifests resource versions last applied
	started   map[string]time.Time // static pod (node/id/hash) -> container start
	offNodes  string               // Nodes whose kubelet is gone (kwok must let go of them), as of the last sync
	nodes     map[string]nodeReport
}

// nodeReport is what the API says of a node's Node (for the control API).
type nodeReport struct {
	Registered     bool
	Ready          bool
	KubeletVersion string
	Error          string
}

func (k *kubeletState) init() {
	k.started = map[string]time.Time{}
	k.nodes = map[string]nodeReport{}
}

func (k *kubeletState) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()

	k.manifests = ""
}

func (k *kubeletState) startTime(key string) time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()

	t, ok := k.started[key]
	if !ok {
		t = time.Now()
		k.started[key] = t
	}

	return t
}

func (k *kubeletState) report(addr string) (nodeReport, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()

	r, ok := k.nodes[addr]

	return r, ok
}

func (k *kubeletState) setReport(addr string, r nodeReport) {
	k.mu.Lock()
	defer k.mu.Unlock()

	k.nodes[addr] = r
}

// staticPods are the StaticPod resources machined published on a node.
func staticPods(ctx context.Context, st state.State) (map[string]*v1.Pod, error) {
	list, err := safe.StateListAll[*k8s.StaticPod](ctx, st)
	if err != nil {
		return nil, err
	}

	out := map[string]*v1.Pod{}

	for sp := range list.All() {
		raw, err := json.Marshal(sp.TypedSpec().Pod)
		if err != nil {
			return nil, err
		}

		var pod v1.Pod
		if err := json.Unmarshal(raw, &pod); err != nil {
			return nil, err
		}

		out[sp.Metadata().ID()] = &pod
	}

	return out, nil
}

// componentState is whether a static pod's container runs and is ready on a node.
func (cp *controlPlane) componentState(id string, n node.KubeNode) (running, ready bool) {
	phase, apiUp := cp.running()
	if phase != phaseRunning || !n.KubeletUp {
		return false, false
	}

	switch id {
	case talosk8s.APIServer:
		ok := apiUp && cp.serving(net.JoinHostPort(n.Address, strconv.Itoa(cp.plan.Config.Cluster().LocalAPIServerPort())))

		return ok, ok
	case talosk8s.ControllerManager:
		ok := cp.programRunning(progControllerManager)

		return ok, ok
	case talosk8s.Scheduler:
		ok := cp.programRunning(progScheduler)

		return ok, ok
	}

	return false, false
}

type mirror struct {
	pod    *v1.Pod // mirror pod (without status)
	status v1.PodStatus
}

// mirrors are the mirror pods a control plane's kubelet wants, with their status.
func (cp *controlPlane) mirrors(ctx context.Context, n node.KubeNode) (map[string]*mirror, error) {
	statics, err := staticPods(ctx, n.Resources)
	if err != nil {
		return nil, err
	}

	out := map[string]*mirror{}

	for id, static := range statics {
		hash := talosk8s.PodHash(static)
		started := cp.kubelet.startTime(n.Address + "/" + id + "/" + hash)
		running, ready := cp.componentState(id, n)
		pod := talosk8s.MirrorPod(static, n.NodeName, "", started)

		out[pod.Name] = &mirror{pod: pod, status: talosk8s.PodStatus(pod, n.Address, started, running, ready)}
	}

	return out, nil
}

// syncStaticPodStatuses writes k8s/StaticPodStatuses as machined's KubeletStaticPodController does from the
// kubelet's pod list: one per static pod, id kube-system/<pod>-<node>; none while the kubelet does not run.
func (cp *controlPlane) syncStaticPodStatuses(ctx context.Context, n node.KubeNode, mirrors map[string]*mirror) error {
	want := map[string]map[string]any{}

	if n.KubeletUp {
		for name, m := range mirrors {
			status, err := talosk8s.ToMap(m.status)
			if err != nil {
				return err
			}

			want["kube-system/"+name] = status
		}
	}

	list, err := safe.StateListAll[*k8s.StaticPodStatus](ctx, n.Resources)
	if err != nil {
		return err
	}

	for s := range list.All() {
		if _, ok := want[s.Metadata().ID()]; !ok {
			if err := n.Resources.Destroy(ctx, s.Metadata()); err != nil && !state.IsNotFoundError(err) {
				return err
			}
		}
	}

	for id, status := range want {
		current, err := safe.StateGetByID[*k8s.StaticPodStatus](ctx, n.Resources, id)
		if err == nil && sameStatus(current.TypedSpec().PodStatus, status) {
			continue
		}

		if err := safe.StateModify(ctx, n.Resources, k8s.NewStaticPodStatus(k8s.NamespaceName, id), func(r *k8s.StaticPodStatus) error {
			r.TypedSpec().PodStatus = status

			return nil
		}); err != nil {
			return err
		}
	}

	return nil
}

// sameStatus compares pod statuses without the timestamps of conditions that did not change.
func sameStatus(a, b map[string]any) bool {
	ra, _ := json.Marshal(a) //nolint:errcheck
	rb, _ := json.Marshal(b) //nolint:errcheck

	return string(ra) == string(rb)
}

// syncAPI registers the nodes and keeps the mirror pods as the nodes' kubelets would; the bootstrap manifests are
// applied first, as machined does once the API answers.
//
//nolint:gocyclo,cyclop
func (cp *controlPlane) syncAPI(ctx context.Context, group []node.KubeNode, mirrorsByNode map[string]map[string]*mirror) error {
	var errs []error

	if err := cp.applyManifests(ctx, group); err != nil {
		errs = append(errs, fmt.Errorf("bootstrap manifests: %w", err))
	}

	nodes, err := cp.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}

	byName := map[string]*v1.Node{}
	for i := range nodes.Items {
		byName[nodes.Items[i].Name] = &nodes.Items[i]
	}

	defer func() {
		var off []string

		for _, n := range group {
			if existing := byName[n.NodeName]; existing != nil && !n.Configured && existing.Annotations[talosk8s.KwokAnnotation] != "fake" {
				off = append(off, n.NodeName)
			}
		}

		sort.Strings(off)

		cp.kubelet.mu.Lock()
		cp.kubelet.offNodes = strings.Join(off, ",")
		cp.kubelet.mu.Unlock()
	}()

	uids := map[string]types.UID{}

	for _, n := range group {
		existing := byName[n.NodeName]

		rep := nodeReport{}

		switch {
		case n.KubeletUp:
			var nerr error

			existing, nerr = cp.ensureNode(ctx, n, existing)
			if nerr != nil {
				rep.Error = nerr.Error()
				errs = append(errs, fmt.Errorf("node %s: %w", n.NodeName, nerr))
			}
		case existing != nil && !n.Configured && existing.Annotations[talosk8s.KwokAnnotation] == "fake":
			// the machine is down: nobody plays its kubelet any more (heartbeats stop, the node goes NotReady)
			if err := cp.setKwokAnnotation(ctx, n.NodeName, "off"); err != nil {
				errs = append(errs, err)
			} else {
				byName[n.NodeName].Annotations[talosk8s.KwokAnnotation] = "off"
			}
		}

		if existing != nil {
			uids[n.NodeName] = existing.UID
			rep.Registered = true
			rep.KubeletVersion = existing.Status.NodeInfo.KubeletVersion

			for _, c := range existing.Status.Conditions {
				if c.Type == v1.NodeReady {
					rep.Ready = c.Status == v1.ConditionTrue
				}
			}
		}

		cp.kubelet.setReport(n.Address, rep)
	}

	pods, err := cp.client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "tier=control-plane"})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}

	existing := map[string]*v1.Pod{}

	for i := range pods.Items {
		p := &pods.Items[i]
		if _, isMirror := p.Annotations[talosk8s.ConfigMirrorAnnotation]; isMirror {
			existing[p.Name] = p
		}
	}

	for _, n := range group {
		if !n.ControlPlane || !n.KubeletUp {
			continue
		}

		uid, registered := uids[n.NodeName]
		if !registered {
			continue // the kubelet creates mirror pods once its Node exists
		}

		want := mirrorsByNode[n.Address]

		// mirror pods of this node that are no longer wanted (or whose static pod changed) go first
		for name, p := range existing {
			if p.Spec.NodeName != n.NodeName {
				continue
			}

			if m, ok := want[name]; ok && m.pod.Annotations[talosk8s.ConfigMirrorAnnotation] == p.Annotations[talosk8s.ConfigMirrorAnnotation] && p.DeletionTimestamp == nil {
				continue
			}

			if err := cp.client.CoreV1().Pods("kube-system").Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}

			delete(existing, name)
		}

		for name, m := range want {
			if err := cp.ensureMirror(ctx, m, existing[name], uid); err != nil {
				errs = append(errs, fmt.Errorf("mirror pod %s: %w", name, err))
			}
		}
	}

	// control planes that are down (powered off, rebooting, reset): their mirror pods stay, not ready (as the node
	// controller marks the pods of an unreachable node); a kubelet that merely restarts leaves them be
	for _, n := range group {
		if !n.ControlPlane || n.Configured {
			continue
		}

		for name, p := range existing {
			if p.Spec.NodeName != n.NodeName || !podReady(p) {
				continue
			}

			if err := cp.markNotReady(ctx, p); err != nil {
				errs = append(errs, fmt.Errorf("mirror pod %s: %w", name, err))
			}
		}
	}

	return errors.Join(errs...)
}

func podReady(p *v1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.Status == v1.ConditionTrue
		}
	}

	return false
}

func (cp *controlPlane) markNotReady(ctx context.Context, p *v1.Pod) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cp.client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}

		now := metav1.Now()

		for i := range cur.Status.Conditions {
			if c := &cur.Status.Conditions[i]; c.Type == v1.PodReady || c.Type == v1.ContainersReady {
				c.Status, c.Reason, c.LastTransitionTime = v1.ConditionFalse, "NodeNotReady", now
			}
		}

		for i := range cur.Status.ContainerStatuses {
			cur.Status.ContainerStatuses[i].Ready = false
		}

		_, err = cp.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})

		return err
	})
}

// ensureMirror creates a mirror pod (the kubelet's CreateMirrorPod) and reports its status when the API's differs
// (phase, readiness, image).
func (cp *controlPlane) ensureMirror(ctx context.Context, m *mirror, existing *v1.Pod, nodeUID types.UID) error {
	pods := cp.client.CoreV1().Pods("kube-system")
	name := m.pod.Name

	if existing == nil {
		pod := m.pod.DeepCopy()
		pod.OwnerReferences[0].UID = nodeUID

		created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}

		existing = created
	}

	if existing != nil && sameReportedStatus(&existing.Status, &m.status) {
		return nil
	}

	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}

		cur.Status = m.status

		_, err = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})

		return err
	})
}

// sameReportedStatus: what a kubelet would not report again (phase, readiness, running, image, pod IP).
func sameReportedStatus(cur, want *v1.PodStatus) bool {
	if cur.Phase != want.Phase || cur.PodIP != want.PodIP || len(cur.ContainerStatuses) != len(want.ContainerStatuses) {
		return false
	}

	ready := func(s *v1.PodStatus) bool {
		for _, c := range s.Conditions {
			if c.Type == v1.PodReady {
				return c.Status == v1.ConditionTrue
			}
		}

		return false
	}

	if ready(cur) != ready(want) {
		return false
	}

	for i := range cur.ContainerStatuses {
		c, w := cur.ContainerStatuses[i], want.ContainerStatuses[i]
		if c.Image != w.Image || c.Ready != w.Ready || (c.State.Running != nil) != (w.State.Running != nil) {
			return false
		}
	}

	return true
}

// ensureNode registers a node (the kubelet's registration, then machined's labels and taints) or brings an
// existing one in line: labels, taints and annotations machined owns, and what the kubelet reports of itself.
//
//nolint:gocyclo,cyclop
func (cp *controlPlane) ensureNode(ctx context.Context, n node.KubeNode, existing *v1.Node) (*v1.Node, error) {
	desired, err := talosk8s.Node(n.Config, talosk8s.NodeInfo{
		Name: n.NodeName, Address: n.Address, TalosVersion: n.TalosVersion, BootID: n.BootID, MachineID: machineID(n.Address),
		MemoryMiB: n.MemoryMiB,
	})
	if err != nil {
		return existing, err
	}

	nodes := cp.client.CoreV1().Nodes()

	if existing == nil {
		created, err := nodes.Create(ctx, desired, metav1.CreateOptions{})
		if err == nil {
			cp.logf("node %s (%s) registered", n.NodeName, n.Address)

			return created, nil
		}

		if !apierrors.IsAlreadyExists(err) {
			return nil, err
		}

		if existing, err = nodes.Get(ctx, desired.Name, metav1.GetOptions{}); err != nil {
			return nil, err
		}
	}

	needsUpdate := func(cur *v1.Node) bool {
		for k, v := range desired.Labels {
			if val, ok := cur.Labels[k]; !ok || val != v {
				return true
			}
		}

		for k, v := range desired.Annotations {
			if cur.Annotations[k] != v {
				return true
			}
		}

		for _, t := range desired.Spec.Taints {
			if !slices.ContainsFunc(cur.Spec.Taints, func(c v1.Taint) bool { return c.Key == t.Key && c.Effect == t.Effect && c.Value == t.Value }) {
				return true
			}
		}

		return false
	}

	if needsUpdate(existing) {
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := nodes.Get(ctx, desired.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}

			if cur.Labels == nil {
				cur.Labels = map[string]string{}
			}

			if cur.Annotations == nil {
				cur.Annotations = map[string]string{}
			}

			for k, v := range desired.Labels {
				cur.Labels[k] = v
			}

			for k, v := range desired.Annotations {
				cur.Annotations[k] = v
			}

			for _, t := range desired.Spec.Taints {
				cur.Spec.Taints = slices.DeleteFunc(cur.Spec.Taints, func(c v1.Taint) bool { return c.Key == t.Key && c.Effect == t.Effect })
				cur.Spec.Taints = append(cur.Spec.Taints, t)
			}

			existing, err = nodes.Update(ctx, cur, metav1.UpdateOptions{})

			return err
		}); err != nil {
			return existing, err
		}
	}

	info := desired.Status.NodeInfo
	hasAddress := slices.ContainsFunc(existing.Status.Addresses, func(a v1.NodeAddress) bool { return a.Type == v1.NodeInternalIP && a.Address == n.Address })

	if existing.Status.NodeInfo.KubeletVersion != info.KubeletVersion || existing.Status.NodeInfo.BootID != info.BootID ||
		existing.Status.NodeInfo.OSImage != info.OSImage || !hasAddress {
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := nodes.Get(ctx, desired.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}

			cur.Status.NodeInfo.KubeletVersion = info.KubeletVersion
			cur.Status.NodeInfo.BootID = info.BootID
			cur.Status.NodeInfo.OSImage = info.OSImage
			cur.Status.Addresses = desired.Status.Addresses

			existing, err = nodes.UpdateStatus(ctx, cur, metav1.UpdateOptions{})

			return err
		}); err != nil {
			return existing, err
		}

		cp.logf("node %s: kubelet %s reported", n.NodeName, info.KubeletVersion)
	}

	return existing, nil
}

func (cp *controlPlane) setKwokAnnotation(ctx context.Context, name, value string) error {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{talosk8s.KwokAnnotation: value}}}) //nolint:errcheck

	_, err := cp.client.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}

	return err
}

// machineID is a stable machine ID for an address (Talos derives it from the machine; the address stands in).
func machineID(addr string) string {
	sum := sha256.Sum256([]byte("machine-id/" + addr))

	return hex.EncodeToString(sum[:16])
}
