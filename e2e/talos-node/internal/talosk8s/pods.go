package talosk8s

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/siderolabs/go-kubernetes/kubernetes/compatibility"
	talosconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/version"
	v1 "k8s.io/api/core/v1"
	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The control-plane static pods, by their Talos IDs (k8s.APIServerID, ...).
const (
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	Scheduler         = "kube-scheduler"
)

// StaticPodIDs are the control-plane static pods in the order machined renders them.
var StaticPodIDs = []string{APIServer, ControllerManager, Scheduler}

// Kubelet annotations on mirror pods (k8s.io/kubernetes/pkg/kubelet/types).
const (
	ConfigHashAnnotation   = "kubernetes.io/config.hash"
	ConfigMirrorAnnotation = "kubernetes.io/config.mirror"
	ConfigSeenAnnotation   = "kubernetes.io/config.seen"
	ConfigSourceAnnotation = "kubernetes.io/config.source"
)

// systemCriticalPriority is scheduling.SystemCriticalPriority, as machined copies it.
const systemCriticalPriority int32 = 2000000000

// StaticPodVersions are the resource versions machined writes into a static pod's annotations.
type StaticPodVersions struct {
	Config     string // the APIServerConfig/ControllerManagerConfig/SchedulerConfig resource version
	ConfigFile string // ConfigStatus (kube-apiserver only)
	Secrets    string // SecretsStatus
}

// talosPaths is the layout machined mounts into the static pods (the command lines shown in the pods).
var talosPaths = &Plan{Dir: "/system/secrets/kubernetes", Host: "$(POD_IP)", Ports: Ports{
	EtcdClient: 2379, EtcdPeer: 2380, APIServer: 6443, ControllerManager: 10257, Scheduler: 10259,
}}

// StaticPod is one control-plane static pod as machined's ControlPlaneStaticPodController renders it
// (internal/app/machined/pkg/controllers/k8s/control_plane_static_pod.go, Talos v1.13.0): its labels and
// annotations exactly, the container named after the component with the config's image, host network, the
// system-cluster-critical priority; the command line is the stand-in's rendering of machined's flags.
func StaticPod(cfg talosconfig.Config, id string, v StaticPodVersions) (*v1.Pod, error) {
	cluster := cfg.Cluster()

	var (
		image    string
		args     []string
		err      error
		cpu, mem string
	)

	plan := *talosPaths
	plan.Config = cfg

	annotations := map[string]string{
		constants.AnnotationStaticPodSecretsVersion: v.Secrets,
		constants.AnnotationStaticPodConfigVersion:  v.Config,
	}

	switch id {
	case APIServer:
		image = cluster.APIServer().Image()
		args, err = plan.APIServerArgs()
		cpu, mem = "200m", "512Mi"
		annotations[constants.AnnotationStaticPodConfigFileVersion] = v.ConfigFile
	case ControllerManager:
		image = cluster.ControllerManager().Image()
		args, err = plan.ControllerManagerArgs()
		cpu, mem = "50m", "256Mi"
	case Scheduler:
		image = cluster.Scheduler().Image()
		args, err = plan.SchedulerArgs()
		cpu, mem = "10m", "64Mi"
	default:
		return nil, fmt.Errorf("unknown static pod %q", id)
	}

	if err != nil {
		return nil, err
	}

	k8sVersion := compatibility.VersionFromImageRef(image)

	container := v1.Container{
		Name:    id,
		Image:   image,
		Command: append([]string{"/usr/local/bin/" + id}, args...),
		Env: []v1.EnvVar{{
			Name:      "POD_IP",
			ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "status.podIP"}},
		}},
		Resources: v1.ResourceRequirements{Requests: v1.ResourceList{
			v1.ResourceCPU: apiresource.MustParse(cpu), v1.ResourceMemory: apiresource.MustParse(mem),
		}},
		SecurityContext: &v1.SecurityContext{
			AllowPrivilegeEscalation: new(false),
			Capabilities:             &v1.Capabilities{Drop: []v1.Capability{"ALL"}},
			SeccompProfile:           &v1.SeccompProfile{Type: v1.SeccompProfileTypeRuntimeDefault},
		},
	}

	switch id {
	case ControllerManager:
		probe := v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/healthz", Host: "localhost", Port: intstr.FromInt(10257), Scheme: v1.URISchemeHTTPS}}
		container.StartupProbe = &v1.Probe{ProbeHandler: probe, PeriodSeconds: 5, FailureThreshold: 12}
		container.LivenessProbe = &v1.Probe{ProbeHandler: probe, TimeoutSeconds: 15}
	case Scheduler:
		probe := v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/livez", Host: "localhost", Port: intstr.FromInt(10259), Scheme: v1.URISchemeHTTPS}}
		container.StartupProbe = &v1.Probe{ProbeHandler: probe, PeriodSeconds: 5, FailureThreshold: 12}
		container.LivenessProbe = &v1.Probe{ProbeHandler: probe, TimeoutSeconds: 15}
	case APIServer:
		container.SecurityContext.Capabilities.Add = []v1.Capability{"NET_BIND_SERVICE"}
	}

	return &v1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        id,
			Namespace:   "kube-system",
			Annotations: annotations,
			Labels: map[string]string{
				"tier":                         "control-plane",
				"k8s-app":                      id,
				"component":                    id,
				"app.kubernetes.io/name":       id,
				"app.kubernetes.io/version":    k8sVersion.String(),
				"app.kubernetes.io/component":  "control-plane",
				"app.kubernetes.io/managed-by": strings.ReplaceAll(version.Name, " ", "-"),
			},
		},
		Spec: v1.PodSpec{
			Priority:          new(systemCriticalPriority),
			PriorityClassName: "system-cluster-critical",
			Containers:        []v1.Container{container},
			HostNetwork:       true,
			SecurityContext:   &v1.PodSecurityContext{RunAsNonRoot: new(true)},
		},
	}, nil
}

// StaticPodURL is where machined serves static pods to the kubelet (its source, "http").
const StaticPodURL = "http://127.0.0.1:50001/static-pods"

// MirrorPod is the mirror pod a kubelet creates for a static pod (pkg/kubelet/config/common.go applyDefaults and
// pkg/kubelet/pod/mirror_client.go): name <pod>-<node>, spec.nodeName, the config.hash/mirror/seen/source
// annotations, a controller owner reference to the Node.
func MirrorPod(static *v1.Pod, nodeName string, nodeUID types.UID, seen time.Time) *v1.Pod {
	pod := static.DeepCopy()

	hash := PodHash(static)

	pod.Name = static.Name + "-" + strings.ToLower(nodeName)
	pod.Spec.NodeName = nodeName

	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}

	pod.Annotations[ConfigHashAnnotation] = hash
	pod.Annotations[ConfigMirrorAnnotation] = hash
	pod.Annotations[ConfigSeenAnnotation] = seen.UTC().Format(time.RFC3339Nano)
	pod.Annotations[ConfigSourceAnnotation] = "http"

	controller := true
	pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: nodeName, UID: nodeUID, Controller: &controller}}

	return pod
}

// PodHash identifies a static pod's definition (the kubelet's UID of a pod from a URL source is such a hash).
func PodHash(pod *v1.Pod) string {
	raw, _ := json.Marshal(pod) //nolint:errcheck // a Pod always marshals
	sum := sha256.Sum256(append(raw, []byte("url:"+StaticPodURL)...))

	return hex.EncodeToString(sum[:16])
}

// PodStatus is the status a kubelet reports for a static pod's container (host network: the pod IP is the node's).
func PodStatus(pod *v1.Pod, nodeIP string, started time.Time, running, ready bool) v1.PodStatus {
	st := metav1.NewTime(started)
	now := metav1.Now()

	cond := func(t v1.PodConditionType, ok bool) v1.PodCondition {
		c := v1.PodCondition{Type: t, Status: v1.ConditionTrue, LastTransitionTime: st}
		if !ok {
			c.Status = v1.ConditionFalse
			c.LastTransitionTime = now
			c.Reason = "ContainersNotReady"
			c.Message = "containers with unready status: [" + pod.Spec.Containers[0].Name + "]"
		}

		return c
	}

	status := v1.PodStatus{
		Phase:     v1.PodRunning,
		HostIP:    nodeIP,
		HostIPs:   []v1.HostIP{{IP: nodeIP}},
		PodIP:     nodeIP,
		PodIPs:    []v1.PodIP{{IP: nodeIP}},
		StartTime: &st,
		QOSClass:  v1.PodQOSBurstable,
		Conditions: []v1.PodCondition{
			{Type: v1.PodReadyToStartContainers, Status: v1.ConditionTrue, LastTransitionTime: st},
			{Type: v1.PodInitialized, Status: v1.ConditionTrue, LastTransitionTime: st},
			cond(v1.PodReady, ready),
			cond(v1.ContainersReady, ready),
			{Type: v1.PodScheduled, Status: v1.ConditionTrue, LastTransitionTime: st},
		},
	}

	for _, c := range pod.Spec.Containers {
		cs := v1.ContainerStatus{
			Name:        c.Name,
			Image:       c.Image,
			ImageID:     c.Image,
			ContainerID: "containerd://" + PodHash(pod) + strings.Repeat("0", 32),
			Ready:       ready,
			Started:     new(running),
		}

		if running {
			cs.State.Running = &v1.ContainerStateRunning{StartedAt: st}
		} else {
			cs.State.Waiting = &v1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off restarting failed container " + c.Name}
			cs.RestartCount = 1
		}

		status.ContainerStatuses = append(status.ContainerStatuses, cs)
	}

	return status
}

// ToMap is an object as a JSON map (StaticPod and StaticPodStatus resources carry pods and statuses so).
func ToMap(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}

	var m map[string]any

	return m, json.Unmarshal(raw, &m)
}
