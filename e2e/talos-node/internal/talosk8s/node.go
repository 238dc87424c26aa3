package talosk8s

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/siderolabs/go-kubernetes/kubernetes/compatibility"
	talosconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	v1 "k8s.io/api/core/v1"
	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodeInfo is what a Talos node tells its kubelet about itself.
type NodeInfo struct {
	Name         string // the nodename: the hostname, lower case (nodename.FromHostname)
	Address      string // --node-ip: InternalIP
	TalosVersion string
	BootID       string
	MachineID    string
	MemoryMiB    uint64
}

// NodeName is machined's nodename for a hostname (lower case, as nodename.FromHostname).
func NodeName(hostname string) string { return strings.ToLower(hostname) }

// KubeletVersion is what a kubelet of the config's kubelet image reports (v1.35.0 for ghcr.io/siderolabs/kubelet:v1.35.0).
func KubeletVersion(cfg talosconfig.Config) string {
	return "v" + compatibility.VersionFromImageRef(cfg.Machine().Kubelet().Image()).String()
}

// NodeLabels are the labels a Talos node carries: the kubelet's well-known ones, machine.nodeLabels, and the
// control-plane role (NodeLabelSpecController).
func NodeLabels(cfg talosconfig.Config, name string) map[string]string {
	labels := map[string]string{
		"kubernetes.io/hostname":  name,
		"kubernetes.io/os":        "linux",
		"kubernetes.io/arch":      "amd64",
		"beta.kubernetes.io/os":   "linux",
		"beta.kubernetes.io/arch": "amd64",
	}

	maps.Copy(labels, cfg.Machine().NodeLabels())

	if cfg.Machine().Type().IsControlPlane() {
		labels[constants.LabelNodeRoleControlPlane] = ""
	}

	return labels
}

// NodeTaints are the taints Talos puts on a node (NodeTaintSpecController): node-role.kubernetes.io/control-plane:
// NoSchedule on control planes unless cluster.allowSchedulingOnControlPlanes, plus machine.nodeTaints
// ("value:Effect" or "Effect").
func NodeTaints(cfg talosconfig.Config) ([]v1.Taint, error) {
	var taints []v1.Taint

	if cfg.Machine().Type().IsControlPlane() && cfg.Cluster() != nil && !cfg.Cluster().ScheduleOnControlPlanes() {
		taints = append(taints, v1.Taint{Key: constants.LabelNodeRoleControlPlane, Effect: v1.TaintEffectNoSchedule})
	}

	keys := make([]string, 0, len(cfg.Machine().NodeTaints()))
	for k := range cfg.Machine().NodeTaints() {
		keys = append(keys, k)
	}

	sort.Strings(keys)

	for _, key := range keys {
		val := cfg.Machine().NodeTaints()[key]

		value, effect, found := strings.Cut(val, ":")
		if !found {
			effect, value = value, ""
		}

		switch v1.TaintEffect(effect) {
		case v1.TaintEffectNoSchedule, v1.TaintEffectPreferNoSchedule, v1.TaintEffectNoExecute:
		default:
			return nil, fmt.Errorf("machine.nodeTaints.%s: %q is not a taint effect", key, effect)
		}

		taints = append(taints, v1.Taint{Key: key, Value: value, Effect: v1.TaintEffect(effect)})
	}

	return taints, nil
}

// Node is the Node a Talos node's kubelet registers (with the labels, annotations and taints machined then
// applies), annotated for kwok to play its kubelet. Conditions are kwok's to set.
func Node(cfg talosconfig.Config, info NodeInfo) (*v1.Node, error) {
	taints, err := NodeTaints(cfg)
	if err != nil {
		return nil, err
	}

	annotations := map[string]string{
		"volumes.kubernetes.io/controller-managed-attach-detach": "true",
		KwokAnnotation: "fake",
	}
	maps.Copy(annotations, cfg.Machine().NodeAnnotations())

	memory := apiresource.NewQuantity(int64(info.MemoryMiB)<<20, apiresource.BinarySI) //nolint:gosec
	capacity := v1.ResourceList{
		v1.ResourceCPU:              apiresource.MustParse("4"),
		v1.ResourceMemory:           *memory,
		v1.ResourcePods:             apiresource.MustParse("110"),
		v1.ResourceEphemeralStorage: apiresource.MustParse("100Gi"),
	}

	return &v1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        info.Name,
			Labels:      NodeLabels(cfg, info.Name),
			Annotations: annotations,
		},
		Spec: v1.NodeSpec{Taints: taints},
		Status: v1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			Addresses: []v1.NodeAddress{
				{Type: v1.NodeInternalIP, Address: info.Address},
				{Type: v1.NodeHostName, Address: info.Name},
			},
			NodeInfo: NodeSystemInfo(cfg, info),
		},
	}, nil
}

// NodeSystemInfo is status.nodeInfo as the kubelet of a Talos node reports it.
func NodeSystemInfo(cfg talosconfig.Config, info NodeInfo) v1.NodeSystemInfo {
	return v1.NodeSystemInfo{
		MachineID:               info.MachineID,
		SystemUUID:              info.MachineID,
		BootID:                  info.BootID,
		KernelVersion:           "6.18.2-talos",
		OSImage:                 "Talos (" + info.TalosVersion + ")",
		ContainerRuntimeVersion: "containerd://2.1.5",
		KubeletVersion:          KubeletVersion(cfg),
		OperatingSystem:         "linux",
		Architecture:            "amd64",
	}
}
