package talosk8s

import (
	"fmt"

	talosconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
)

func argValues(in map[string][]string) map[string]k8s.ArgValues {
	out := make(map[string]k8s.ArgValues, len(in))
	for k, v := range in {
		out[k] = k8s.ArgValues{Values: v}
	}

	return out
}

func resources(r talosconfig.Resources) k8s.Resources {
	out := k8s.Resources{Requests: map[string]string{"cpu": r.CPURequests(), "memory": r.MemoryRequests()}}

	if r.CPULimits() != "" || r.MemoryLimits() != "" {
		out.Limits = map[string]string{}

		if r.CPULimits() != "" {
			out.Limits["cpu"] = r.CPULimits()
		}

		if r.MemoryLimits() != "" {
			out.Limits["memory"] = r.MemoryLimits()
		}
	}

	return out
}

func volumes(in []talosconfig.VolumeMount) []k8s.ExtraVolume {
	var out []k8s.ExtraVolume

	for _, v := range in {
		out = append(out, k8s.ExtraVolume{Name: v.Name(), HostPath: v.HostPath(), MountPath: v.MountPath(), ReadOnly: v.ReadOnly()})
	}

	return out
}

// APIServerConfig is machined's k8s.APIServerConfig spec (ControlPlaneAPIServerController, control_plane.go v1.13.0).
func APIServerConfig(cfg talosconfig.Config) k8s.APIServerConfigSpec {
	c := cfg.Cluster()
	advertised := "$(POD_IP)"

	if cfg.Machine().Kubelet().SkipNodeRegistration() {
		advertised = ""
	}

	return k8s.APIServerConfigSpec{
		Image:                c.APIServer().Image(),
		ControlPlaneEndpoint: c.Endpoint().String(),
		EtcdServers:          []string{fmt.Sprintf("https://127.0.0.1:%d", constants.EtcdClientPort)},
		LocalPort:            c.LocalAPIServerPort(),
		ServiceCIDRs:         c.Network().ServiceCIDRs(),
		ExtraArgs:            argValues(c.APIServer().ExtraArgs()),
		ExtraVolumes:         volumes(c.APIServer().ExtraVolumes()),
		EnvironmentVariables: c.APIServer().Env(),
		AdvertisedAddress:    advertised,
		Resources:            resources(c.APIServer().Resources()),
	}
}

// ControllerManagerConfig is machined's k8s.ControllerManagerConfig spec.
func ControllerManagerConfig(cfg talosconfig.Config) k8s.ControllerManagerConfigSpec {
	c := cfg.Cluster()

	return k8s.ControllerManagerConfigSpec{
		Enabled:              !cfg.Machine().Controlplane().ControllerManager().Disabled(),
		Image:                c.ControllerManager().Image(),
		PodCIDRs:             c.Network().PodCIDRs(),
		ServiceCIDRs:         c.Network().ServiceCIDRs(),
		ExtraArgs:            argValues(c.ControllerManager().ExtraArgs()),
		ExtraVolumes:         volumes(c.ControllerManager().ExtraVolumes()),
		EnvironmentVariables: c.ControllerManager().Env(),
		Resources:            resources(c.ControllerManager().Resources()),
	}
}

// SchedulerConfig is machined's k8s.SchedulerConfig spec.
func SchedulerConfig(cfg talosconfig.Config) k8s.SchedulerConfigSpec {
	c := cfg.Cluster()

	return k8s.SchedulerConfigSpec{
		Enabled:              !cfg.Machine().Controlplane().Scheduler().Disabled(),
		Image:                c.Scheduler().Image(),
		ExtraArgs:            argValues(c.Scheduler().ExtraArgs()),
		ExtraVolumes:         volumes(c.Scheduler().ExtraVolumes()),
		EnvironmentVariables: c.Scheduler().Env(),
		Resources:            resources(c.Scheduler().Resources()),
		Config:               c.Scheduler().Config(),
	}
}

// KubeletSpec is the part of machined's k8s.KubeletSpec clients read: the image and the flags.
func KubeletSpec(cfg talosconfig.Config, nodeName, address string) k8s.KubeletSpecSpec {
	return k8s.KubeletSpecSpec{
		Image: cfg.Machine().Kubelet().Image(),
		Args: []string{
			"--bootstrap-kubeconfig=" + constants.KubeletBootstrapKubeconfig,
			"--cert-dir=" + constants.KubeletPKIDir,
			"--config=/etc/kubernetes/kubelet.yaml",
			"--hostname-override=" + nodeName,
			"--kubeconfig=" + constants.KubeletKubeconfig,
			"--node-ip=" + address,
		},
		ExpectedNodename: nodeName,
		Config: map[string]any{
			"apiVersion":    "kubelet.config.k8s.io/v1beta1",
			"kind":          "KubeletConfiguration",
			"staticPodURL":  StaticPodURL,
			"clusterDomain": cfg.Cluster().Network().DNSDomain(),
		},
	}
}
