package talosver

// The config document kinds (apiVersion v1alpha1) that came with Talos 1.13 and 1.14: the kinds of each pinned
// schema that the previous one lacks, third_party/reference/talos-config-schema-v1.12.1.json → v1.13.9.json →
// v1.14.0-rc.1.json (the schema files lie outside this module, where go:embed cannot reach). Machinery v1.13.0
// decodes the 1.13 kinds; the 1.14 kinds it does not know.
var addedIn = map[Minor][]string{
	{1, 13}: {
		"BlackholeRouteConfig", "EnvironmentConfig", "ExternalVolumeConfig", "KubeSpanConfig", "RoutingRuleConfig",
		"TCPProbeConfig", "VRFConfig",
	},
	{1, 14}: {
		"BGPInstanceConfig", "CRIBaseRuntimeSpecConfig", "CRICustomizationConfig", "ContainerConfig",
		"DiscoveryIdentityConfig", "DiscoveryServiceConfig", "EtcFileConfig", "FilesystemScrubConfig",
		"FilesystemTrimConfig", "HTTPProbeConfig", "ImageCacheConfig", "KernelModuleConfig", "KubeAPIServerCAConfig",
		"KubeAPIServerConfig", "KubeAdmissionControlConfig", "KubeAggregatorCAConfig", "KubeAuditPolicyConfig",
		"KubeAuthenticationConfig", "KubeAuthorizerConfig", "KubeClusterConfig", "KubeControllerManagerConfig",
		"KubeCoreDNSConfig", "KubeCredentialProviderConfig", "KubeEtcdEncryptionConfig", "KubeExternalManifestConfig",
		"KubeFlannelCNIConfig", "KubeInlineManifestConfig", "KubeNetworkConfig", "KubeNodeConfig", "KubePrismConfig",
		"KubeProxyConfig", "KubeSchedulerConfig", "KubeServiceAccountConfig", "KubeStaticPodConfig",
		"KubeTalosAPIAccessConfig", "KubeletConfig", "LVMLogicalVolumeConfig", "LVMVolumeGroupConfig",
		"RAIDArrayConfig", "SecurityProfileConfig", "SysctlConfig", "SysfsConfig", "UdevRulesConfig",
		"UnattendedInstall", "VethConfig",
	},
}

// machineryMinor is the Talos release whose machinery decodes configs here (go.mod: machinery v1.13.0).
var machineryMinor = Minor{1, 13}

// KindSupport is what a node of some Talos version does with a document kind.
type KindSupport int

const (
	// Decode: machinery decodes it (every kind a node of its version knows that machinery v1.13.0 knows too).
	Decode KindSupport = iota
	// Record: the node's version knows it and machinery v1.13.0 does not; the stand-in keeps it as sent.
	Record
	// Unknown: the node's version does not know it; Talos refuses the config ("not registered").
	Unknown
)

// Kind says what a node running `talos` does with a v1alpha1 document of `kind`. Kinds of no table (older ones,
// and any kind machinery does not register either) are left to machinery. Minors after the newest listed know
// every listed kind; for minors before 1.12, only the 1.13/1.14 additions are told apart.
func Kind(talos, kind string) KindSupport {
	v, err := Parse(talos)
	if err != nil {
		return Decode
	}

	node := MinorOf(v)

	for added, kinds := range addedIn {
		for _, k := range kinds {
			if k != kind {
				continue
			}

			switch {
			case less(node, added):
				return Unknown
			case less(machineryMinor, added):
				return Record
			default:
				return Decode
			}
		}
	}

	return Decode
}

func less(a, b Minor) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }
