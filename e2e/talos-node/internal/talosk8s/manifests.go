package talosk8s

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/blang/semver/v4"
	"github.com/siderolabs/talos/pkg/argsbuilder"
	"github.com/siderolabs/talos/pkg/images"
	talosconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"github.com/siderolabs/talos/pkg/machinery/resources/secrets"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"homelab.local/e2e/talos-node/internal/talosk8s/k8stemplates"
)

// BootstrapManifestsConfig is machined's k8s.BootstrapManifestsConfig for a control plane's config
// (ControlPlaneBootstrapManifestsController in internal/app/machined/pkg/controllers/k8s/control_plane.go, v1.13.0).
func BootstrapManifestsConfig(cfg talosconfig.Config) (k8s.BootstrapManifestsConfigSpec, error) {
	cluster := cfg.Cluster()

	dnsServiceIPs, err := cluster.Network().DNSServiceIPs()
	if err != nil {
		return k8s.BootstrapManifestsConfigSpec{}, fmt.Errorf("error calculating DNS service IPs: %w", err)
	}

	var dnsServiceIP, dnsServiceIPv6 string

	for _, ip := range dnsServiceIPs {
		if dnsServiceIP == "" && ip.Is4() {
			dnsServiceIP = ip.String()
		}

		if dnsServiceIPv6 == "" && ip.Is6() {
			dnsServiceIPv6 = ip.String()
		}
	}

	imgs := images.List(cfg)

	proxyArgs, err := proxyArgs(cfg)
	if err != nil {
		return k8s.BootstrapManifestsConfigSpec{}, err
	}

	var server, flannelHost, flannelPort string

	if cfg.Machine().Features().KubePrism().Enabled() {
		server = fmt.Sprintf("https://127.0.0.1:%d", cfg.Machine().Features().KubePrism().Port())
		flannelHost = "127.0.0.1"
		flannelPort = strconv.Itoa(cfg.Machine().Features().KubePrism().Port())
	} else {
		server = cluster.Endpoint().String()
	}

	return k8s.BootstrapManifestsConfigSpec{
		Server:        server,
		ClusterDomain: cluster.Network().DNSDomain(),

		PodCIDRs: cluster.Network().PodCIDRs(),

		ProxyEnabled: cluster.Proxy().Enabled(),
		ProxyImage:   cluster.Proxy().Image(),
		ProxyArgs:    proxyArgs,

		CoreDNSEnabled: cluster.CoreDNS().Enabled(),
		CoreDNSImage:   cluster.CoreDNS().Image(),

		DNSServiceIP:   dnsServiceIP,
		DNSServiceIPv6: dnsServiceIPv6,

		FlannelEnabled:                    cluster.Network().CNI().Name() == constants.FlannelCNI,
		FlannelImage:                      imgs.Flannel.String(),
		FlannelExtraArgs:                  cluster.Network().CNI().Flannel().ExtraArgs(),
		FlannelKubeServiceHost:            flannelHost,
		FlannelKubeServicePort:            flannelPort,
		FlannelKubeNetworkPoliciesEnabled: cluster.Network().CNI().Flannel().KubeNetworkPoliciesEnabled(),
		FlannelKubeNetworkPoliciesImage:   imgs.KubeNetworkPolicies.String(),

		TalosAPIServiceEnabled: cfg.Machine().Features().KubernetesTalosAPIAccess().Enabled(),

		CNIName: cluster.Network().CNI().Name(),
	}, nil
}

// proxyArgs is machined's getProxyArgs.
func proxyArgs(cfg talosconfig.Config) ([]string, error) {
	proxy := cfg.Cluster().Proxy()

	mode := proxy.Mode()
	if mode == "" {
		mode = "iptables"

		if v, err := semver.ParseTolerant(strings.TrimPrefix(imageTag(proxy.Image()), "v")); err == nil && v.GTE(semver.MustParse("1.31.0")) {
			mode = "nftables"
		}
	}

	builder := argsbuilder.Args{
		"cluster-cidr":           {strings.Join(cfg.Cluster().Network().PodCIDRs(), ",")},
		"hostname-override":      {"$(NODE_NAME)"},
		"kubeconfig":             {"/etc/kubernetes/kubeconfig"},
		"proxy-mode":             {mode},
		"conntrack-max-per-core": {"0"},
	}

	if err := builder.Merge(proxy.ExtraArgs(), argsbuilder.WithMergePolicies(argsbuilder.MergePolicies{"kubeconfig": argsbuilder.MergeDenied})); err != nil {
		return nil, fmt.Errorf("cluster.proxy.extraArgs: %w", err)
	}

	return builder.Args(), nil
}

func imageTag(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}

	return ""
}

// RenderedManifest is one k8s.Manifest resource: its ID and objects (unstructured, without status).
type RenderedManifest struct {
	Name    string
	Objects []map[string]any
}

// BootstrapManifests renders the bootstrap manifests as machined's ManifestController does
// (internal/app/machined/pkg/controllers/k8s/manifest.go, v1.13.0), from Talos' own templates.
func BootstrapManifests(cfg talosconfig.Config, spec k8s.BootstrapManifestsConfigSpec) ([]RenderedManifest, error) {
	root := &secrets.KubernetesRootSpec{
		BootstrapTokenID:     cfg.Cluster().Token().ID(),
		BootstrapTokenSecret: cfg.Cluster().Token().Secret(),
	}

	type manifest struct {
		name string
		objs []runtime.Object
	}

	manifests := []manifest{
		{"00-kubelet-bootstrapping-token", []runtime.Object{k8stemplates.KubeletBootstrapTokenSecret(root)}},
		{"01-csr-node-bootstrap", []runtime.Object{k8stemplates.CSRNodeBootstrapTemplate()}},
		{"01-csr-approver-role-binding", []runtime.Object{k8stemplates.CSRApproverRoleBindingTemplate()}},
		{"01-csr-renewal-role-binding", []runtime.Object{k8stemplates.CSRRenewalRoleBindingTemplate()}},
		{"11-kube-config-in-cluster", []runtime.Object{k8stemplates.KubeconfigInClusterTemplate(&spec)}},
		{"11-talos-node-rbac-template", []runtime.Object{k8stemplates.TalosNodesRBACClusterRoleBinding(), k8stemplates.TalosNodesRBACClusterRole()}},
	}

	if spec.CoreDNSEnabled {
		manifests = append(manifests,
			manifest{"11-core-dns", []runtime.Object{
				k8stemplates.CoreDNSServiceAccount(),
				k8stemplates.CoreDNSClusterRole(),
				k8stemplates.CoreDNSClusterRoleBinding(),
				k8stemplates.CoreDNSConfigMap(&spec),
				k8stemplates.CoreDNSDeployment(&spec),
			}},
			manifest{"11-core-dns-svc", []runtime.Object{k8stemplates.CoreDNSService(&spec)}},
		)
	}

	if spec.FlannelEnabled {
		manifests = append(manifests, manifest{"05-flannel", []runtime.Object{
			k8stemplates.FlannelClusterRoleTemplate(&spec),
			k8stemplates.FlannelClusterRoleBindingTemplate(),
			k8stemplates.FlannelServiceAccountTemplate(),
			k8stemplates.FlannelConfigMapTemplate(&spec),
			k8stemplates.FlannelDaemonSetTemplate(&spec),
		}})
	}

	if spec.ProxyEnabled {
		manifests = append(manifests, manifest{"10-kube-proxy", []runtime.Object{
			k8stemplates.KubeProxyDaemonSetTemplate(&spec),
			k8stemplates.KubeProxyServiceAccount(),
			k8stemplates.KubeProxyClusterRoleBinding(),
		}})
	}

	// TalosAPIServiceEnabled (13-talos-service-account-crd) is not rendered: see the k8stemplates package.

	out := make([]RenderedManifest, 0, len(manifests))

	for _, m := range manifests {
		rm := RenderedManifest{Name: m.name}

		for _, obj := range m.objs {
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
			if err != nil {
				return nil, fmt.Errorf("manifest %s: %w", m.name, err)
			}

			un := unstructured.Unstructured{Object: u}
			un.SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
			delete(un.Object, "status")

			rm.Objects = append(rm.Objects, un.Object)
		}

		out = append(out, rm)
	}

	return out, nil
}
