package talosk8s_test

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	talosconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"homelab.local/e2e/talos-node/internal/fixture"
	"homelab.local/e2e/talos-node/internal/talosk8s"
)

func load(t *testing.T, raw []byte) talosconfig.Provider {
	t.Helper()

	cfg, err := configloader.NewFromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}

	return cfg
}

func bundle(t *testing.T, endpoint string) *fixture.Bundle {
	t.Helper()

	b, err := fixture.Generate(fixture.Options{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}

	return b
}

func parseCert(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()

	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("not PEM")
	}

	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	return c
}

func TestPKIFromTheMachineConfig(t *testing.T) {
	b := bundle(t, "https://127.0.0.100:6443")
	cfg := load(t, fixture.MustModify(b.ControlPlane, func(c *v1alpha1.Config) {
		c.ClusterConfig.APIServerConfig.CertSANs = append(c.ClusterConfig.APIServerConfig.CertSANs, "k8s.home.example")
	}))

	pki, err := talosk8s.NewPKI(cfg, "127.0.0.2", []string{"127.0.0.2", "127.0.0.3"}, []string{"cp-1", "cp-2"})
	if err != nil {
		t.Fatal(err)
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(cfg.Cluster().IssuingCA().Crt)

	agg := x509.NewCertPool()
	agg.AppendCertsFromPEM(cfg.Cluster().AggregatorCA().Crt)

	etcd := x509.NewCertPool()
	etcd.AppendCertsFromPEM(cfg.Cluster().Etcd().CA().Crt)

	api := parseCert(t, pki.APIServer.Crt)

	for _, tc := range []struct {
		name  string
		cert  []byte
		roots *x509.CertPool
		usage x509.ExtKeyUsage
		cn    string
		org   string
		dns   string // a name the certificate must be valid for
	}{
		{"serving, endpoint host", pki.APIServer.Crt, roots, x509.ExtKeyUsageServerAuth, "kube-apiserver", "kube-master", "127.0.0.100"},
		{"serving, second control plane", pki.APIServer.Crt, roots, x509.ExtKeyUsageServerAuth, "kube-apiserver", "kube-master", "127.0.0.3"},
		{"serving, service IP", pki.APIServer.Crt, roots, x509.ExtKeyUsageServerAuth, "kube-apiserver", "kube-master", "10.96.0.1"},
		{"serving, in-cluster name", pki.APIServer.Crt, roots, x509.ExtKeyUsageServerAuth, "kube-apiserver", "kube-master", "kubernetes.default.svc.cluster.local"},
		{"serving, certSANs", pki.APIServer.Crt, roots, x509.ExtKeyUsageServerAuth, "kube-apiserver", "kube-master", "k8s.home.example"},
		{"serving, hostname", pki.APIServer.Crt, roots, x509.ExtKeyUsageServerAuth, "kube-apiserver", "kube-master", "cp-2"},
		{"kubelet client", pki.APIServerKubeletClient.Crt, roots, x509.ExtKeyUsageClientAuth, "apiserver-kubelet-client", "system:masters", ""},
		{"front proxy", pki.FrontProxyClient.Crt, agg, x509.ExtKeyUsageClientAuth, "front-proxy-client", "", ""},
		{"etcd server", pki.EtcdServer.Crt, etcd, x509.ExtKeyUsageServerAuth, "etcd", "", "127.0.0.2"},
		{"etcd client of the API server", pki.EtcdClient.Crt, etcd, x509.ExtKeyUsageClientAuth, "kube-apiserver-etcd-client", "", ""},
		{"controller manager", pki.ControllerManager.Crt, roots, x509.ExtKeyUsageClientAuth, "system:kube-controller-manager", "system:kube-controller-manager", ""},
		{"scheduler", pki.Scheduler.Crt, roots, x509.ExtKeyUsageClientAuth, "system:kube-scheduler", "system:kube-scheduler", ""},
		{"kwok", pki.Kwok.Crt, roots, x509.ExtKeyUsageClientAuth, "stand-in:kwok", "system:masters", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := parseCert(t, tc.cert)

			if _, err := c.Verify(x509.VerifyOptions{Roots: tc.roots, DNSName: tc.dns, KeyUsages: []x509.ExtKeyUsage{tc.usage}}); err != nil {
				t.Fatal(err)
			}

			if c.Subject.CommonName != tc.cn || (tc.org != "" && !slices.Contains(c.Subject.Organization, tc.org)) {
				t.Fatalf("subject %v", c.Subject)
			}

			if time.Until(c.NotAfter) < 300*24*time.Hour {
				t.Fatalf("valid until %s", c.NotAfter)
			}
		})
	}

	if slices.ContainsFunc(api.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.ParseIP("127.0.0.4")) }) {
		t.Fatal("the serving certificate names an address that is no control plane")
	}

	if !strings.Contains(string(pki.ServiceAccountPublic), "PUBLIC KEY") || string(pki.ServiceAccountKey) != string(cfg.Cluster().ServiceAccount().Key) {
		t.Fatal("service account key pair")
	}
}

func TestPKIReportsEveryMissingRoot(t *testing.T) {
	cfg := load(t, fixture.MustModify(bundle(t, "https://127.0.0.2:6443").ControlPlane, func(c *v1alpha1.Config) {
		c.ClusterConfig.ClusterCA = nil
		c.ClusterConfig.ClusterAggregatorCA = nil
		c.ClusterConfig.EtcdConfig.RootCA = nil
	}))

	_, err := talosk8s.NewPKI(cfg, "127.0.0.2", []string{"127.0.0.2"}, nil)
	for _, want := range []string{"cluster.ca", "cluster.aggregatorCA", "cluster.etcd.ca"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %s", err, want)
		}
	}
}

func flagSet(args []string) map[string]string {
	out := map[string]string{}

	for _, a := range args {
		k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		out[k] = v
	}

	return out
}

func TestFlags(t *testing.T) {
	cfg := load(t, fixture.MustModify(bundle(t, "https://127.0.0.2:6443").ControlPlane, func(c *v1alpha1.Config) {
		c.ClusterConfig.APIServerConfig.ExtraArgsConfig = v1alpha1.Args{
			"feature-gates":            v1alpha1.NewArgValue("Foo=true", nil),
			"enable-admission-plugins": v1alpha1.NewArgValue("AlwaysPullImages", nil),
		}
		c.ClusterConfig.ClusterNetwork.ServiceSubnet = []string{"10.112.0.0/12"}
		c.ClusterConfig.ClusterNetwork.PodSubnet = []string{"10.200.0.0/16"}
	}))

	p := &talosk8s.Plan{Config: cfg, Host: "127.0.0.2", Dir: "/w", Ports: talosk8s.Ports{EtcdClient: 2379, EtcdPeer: 2380, APIServer: 36443, ControllerManager: 10257, Scheduler: 10259}, EtcdName: "cp-1"}

	api, err := p.APIServerArgs()
	if err != nil {
		t.Fatal(err)
	}

	cm, err := p.ControllerManagerArgs()
	if err != nil {
		t.Fatal(err)
	}

	sched, err := p.SchedulerArgs()
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want map[string]string
	}{
		{"etcd", p.EtcdArgs(), map[string]string{
			"listen-client-urls": "https://127.0.0.2:2379", "listen-peer-urls": "https://127.0.0.2:2380", "client-cert-auth": "true",
			"initial-cluster": "cp-1=https://127.0.0.2:2380", "data-dir": "/w/etcd",
		}},
		{"kube-apiserver", api, map[string]string{
			"bind-address": "127.0.0.2", "secure-port": "36443", "etcd-servers": "https://127.0.0.2:2379",
			"service-cluster-ip-range": "10.112.0.0/12", "admission-control-config-file": "/w/config/admission-control-config.yaml",
			"authorization-config": "/w/config/authorization-config.yaml", "enable-admission-plugins": "NodeRestriction,AlwaysPullImages",
			"feature-gates": "Foo=true", "anonymous-auth": "false", "allow-privileged": "true", "service-account-issuer": "https://127.0.0.2:6443",
			"client-ca-file": "/w/pki/ca.crt", "tls-cert-file": "/w/pki/apiserver.crt",
		}},
		{"kube-controller-manager", cm, map[string]string{
			"bind-address": "127.0.0.2", "secure-port": "10257", "cluster-cidr": "10.200.0.0/16", "allocate-node-cidrs": "true",
			"use-service-account-credentials": "", "kubeconfig": "/w/kubeconfig/kube-controller-manager", "controllers": "*,tokencleaner",
		}},
		{"kube-scheduler", sched, map[string]string{"bind-address": "127.0.0.2", "secure-port": "10259", "kubeconfig": "/w/kubeconfig/kube-scheduler"}},
		{"kwok", p.KwokArgs(), map[string]string{
			"manage-all-nodes": "false", "manage-nodes-with-annotation-selector": "kwok.x-k8s.io/node=fake", "kubeconfig": "/w/kubeconfig/kwok",
			"config": "/w/kwok/stages.yaml", "node-port": "0", "server-address": "",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := flagSet(tc.args)

			for k, v := range tc.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("--%s=%q, want %q", k, g, v)
				}
			}

			for k, v := range got {
				if strings.Contains(v, "0.0.0.0") {
					t.Errorf("--%s=%s listens beyond loopback", k, v)
				}
			}
		})
	}
}

func TestExtraArgsCannotMoveAProgramOffLoopback(t *testing.T) {
	for _, flag := range []string{"bind-address", "secure-port", "etcd-servers", "tls-cert-file"} {
		t.Run(flag, func(t *testing.T) {
			cfg := load(t, fixture.MustModify(bundle(t, "https://127.0.0.2:6443").ControlPlane, func(c *v1alpha1.Config) {
				c.ClusterConfig.APIServerConfig.ExtraArgsConfig = v1alpha1.Args{flag: v1alpha1.NewArgValue("0.0.0.0", nil)}
			}))

			p := &talosk8s.Plan{Config: cfg, Host: "127.0.0.2", Dir: "/w", Ports: talosk8s.DefaultPorts}

			if _, err := p.APIServerArgs(); err == nil || !strings.Contains(err.Error(), flag) {
				t.Fatalf("extraArgs %s accepted: %v", flag, err)
			}
		})
	}
}

func TestAdmissionConfigIsTalosDefaultPodSecurity(t *testing.T) {
	cfg := load(t, bundle(t, "https://127.0.0.2:6443").ControlPlane)

	raw, err := talosk8s.AdmissionConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}

	var doc struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Plugins    []struct {
			Name          string `json:"name"`
			Configuration struct {
				Kind       string            `json:"kind"`
				Defaults   map[string]string `json:"defaults"`
				Exemptions struct {
					Namespaces []string `json:"namespaces"`
				} `json:"exemptions"`
			} `json:"configuration"`
		} `json:"plugins"`
	}

	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}

	if doc.Kind != "AdmissionConfiguration" || doc.APIVersion != "apiserver.config.k8s.io/v1" || len(doc.Plugins) != 1 {
		t.Fatalf("%s", raw)
	}

	ps := doc.Plugins[0]
	if ps.Name != "PodSecurity" || ps.Configuration.Kind != "PodSecurityConfiguration" || ps.Configuration.Defaults["enforce"] != "baseline" ||
		!slices.Equal(ps.Configuration.Exemptions.Namespaces, []string{"kube-system"}) {
		t.Fatalf("%s", raw)
	}

	for _, f := range []func(talosconfig.Config) ([]byte, error){talosk8s.AuthorizationConfig, talosk8s.EncryptionConfig, talosk8s.AuditPolicy} {
		if out, err := f(cfg); err != nil || len(out) == 0 {
			t.Fatalf("%v %s", err, out)
		}
	}

	authz, _ := talosk8s.AuthorizationConfig(cfg) //nolint:errcheck
	if !strings.Contains(string(authz), "type: Node") || !strings.Contains(string(authz), "type: RBAC") {
		t.Fatalf("authorization config:\n%s", authz)
	}
}

func TestNodeObject(t *testing.T) {
	b := bundle(t, "https://127.0.0.2:6443")

	for _, tc := range []struct {
		name       string
		raw        []byte
		mutate     func(*v1alpha1.Config)
		wantCP     bool
		wantTaints []string
	}{
		{name: "control plane", raw: b.ControlPlane, wantCP: true, wantTaints: []string{"node-role.kubernetes.io/control-plane=:NoSchedule"}},
		{
			name: "control plane that allows scheduling", raw: b.ControlPlane, wantCP: true,
			mutate: func(c *v1alpha1.Config) { c.ClusterConfig.AllowSchedulingOnControlPlanes = new(true) },
		},
		{
			name: "worker with its own taint", raw: b.Worker,
			mutate: func(c *v1alpha1.Config) {
				c.MachineConfig.MachineNodeTaints = map[string]string{"storage": "nas:NoExecute"}
			},
			wantTaints: []string{"storage=nas:NoExecute"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if tc.mutate != nil {
				raw = fixture.MustModify(raw, tc.mutate)
			}

			cfg := load(t, raw)

			n, err := talosk8s.Node(cfg, talosk8s.NodeInfo{Name: "n-1", Address: "127.0.0.5", TalosVersion: "v1.12.1", MemoryMiB: 8192})
			if err != nil {
				t.Fatal(err)
			}

			_, cp := n.Labels["node-role.kubernetes.io/control-plane"]

			var taints []string
			for _, tt := range n.Spec.Taints {
				taints = append(taints, tt.Key+"="+tt.Value+":"+string(tt.Effect))
			}

			if cp != tc.wantCP || !slices.Equal(taints, tc.wantTaints) || n.Labels["kubernetes.io/hostname"] != "n-1" ||
				n.Annotations["kwok.x-k8s.io/node"] != "fake" {
				t.Fatalf("labels %v taints %v annotations %v", n.Labels, taints, n.Annotations)
			}

			if n.Status.Addresses[0] != (v1.NodeAddress{Type: v1.NodeInternalIP, Address: "127.0.0.5"}) || n.Status.NodeInfo.KubeletVersion != "v1.35.0" ||
				n.Status.NodeInfo.OSImage != "Talos (v1.12.1)" {
				t.Fatalf("status %+v", n.Status)
			}
		})
	}
}

func TestStaticAndMirrorPods(t *testing.T) {
	cfg := load(t, bundle(t, "https://127.0.0.2:6443").ControlPlane)

	for _, id := range talosk8s.StaticPodIDs {
		t.Run(id, func(t *testing.T) {
			static, err := talosk8s.StaticPod(cfg, id, talosk8s.StaticPodVersions{Config: "3", Secrets: "1", ConfigFile: "1"})
			if err != nil {
				t.Fatal(err)
			}

			if static.Labels["k8s-app"] != id || static.Labels["tier"] != "control-plane" || static.Labels["app.kubernetes.io/version"] != "1.35.0" ||
				static.Annotations["talos.dev/config-version"] != "3" || static.Spec.Containers[0].Name != id ||
				static.Spec.Containers[0].Image != "registry.k8s.io/"+id+":v1.35.0" || !static.Spec.HostNetwork ||
				static.Spec.PriorityClassName != "system-cluster-critical" {
				t.Fatalf("static pod %+v", static.ObjectMeta)
			}

			seen := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
			mirror := talosk8s.MirrorPod(static, "CP-1", "uid-1", seen)

			if mirror.Name != id+"-cp-1" || mirror.Spec.NodeName != "CP-1" || mirror.Annotations["kubernetes.io/config.mirror"] != talosk8s.PodHash(static) ||
				mirror.Annotations["kubernetes.io/config.source"] != "http" || mirror.OwnerReferences[0].UID != "uid-1" || static.Annotations["kubernetes.io/config.mirror"] != "" {
				t.Fatalf("mirror pod %+v", mirror.ObjectMeta)
			}

			st := talosk8s.PodStatus(mirror, "127.0.0.2", seen, true, true)
			if st.Phase != v1.PodRunning || st.PodIP != "127.0.0.2" || !st.ContainerStatuses[0].Ready {
				t.Fatalf("status %+v", st)
			}

			down := talosk8s.PodStatus(mirror, "127.0.0.2", seen, false, false)
			if down.ContainerStatuses[0].Ready || down.ContainerStatuses[0].State.Running != nil {
				t.Fatalf("status of a stopped container %+v", down)
			}
		})
	}

	a, _ := talosk8s.StaticPod(cfg, talosk8s.APIServer, talosk8s.StaticPodVersions{Config: "1"}) //nolint:errcheck
	b, _ := talosk8s.StaticPod(cfg, talosk8s.APIServer, talosk8s.StaticPodVersions{Config: "2"}) //nolint:errcheck

	if talosk8s.PodHash(a) == talosk8s.PodHash(b) {
		t.Fatal("a new config version must make a new mirror pod")
	}
}

func TestBootstrapManifests(t *testing.T) {
	b := bundle(t, "https://127.0.0.2:6443")

	for _, tc := range []struct {
		name   string
		mutate func(*v1alpha1.Config)
		want   []string
		cni    string
	}{
		{name: "defaults: flannel, kube-proxy, CoreDNS", cni: "flannel", want: []string{
			"00-kubelet-bootstrapping-token", "01-csr-node-bootstrap", "01-csr-approver-role-binding", "01-csr-renewal-role-binding",
			"11-kube-config-in-cluster", "11-talos-node-rbac-template", "11-core-dns", "11-core-dns-svc", "05-flannel", "10-kube-proxy",
		}},
		{
			name: "no CNI, no proxy, no CoreDNS", cni: "none",
			mutate: func(c *v1alpha1.Config) {
				c.ClusterConfig.ClusterNetwork.CNI = &v1alpha1.CNIConfig{CNIName: "none"}
				c.ClusterConfig.ProxyConfig = &v1alpha1.ProxyConfig{Disabled: new(true)}
				c.ClusterConfig.CoreDNSConfig = &v1alpha1.CoreDNS{CoreDNSDisabled: new(true)}
			},
			want: []string{
				"00-kubelet-bootstrapping-token", "01-csr-node-bootstrap", "01-csr-approver-role-binding", "01-csr-renewal-role-binding",
				"11-kube-config-in-cluster", "11-talos-node-rbac-template",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := b.ControlPlane
			if tc.mutate != nil {
				raw = fixture.MustModify(raw, tc.mutate)
			}

			cfg := load(t, raw)

			spec, err := talosk8s.BootstrapManifestsConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}

			if spec.CNIName != tc.cni || spec.DNSServiceIP != "10.96.0.10" || spec.Server != "https://127.0.0.1:7445" {
				t.Fatalf("%+v", spec)
			}

			manifests, err := talosk8s.BootstrapManifests(cfg, spec)
			if err != nil {
				t.Fatal(err)
			}

			var names []string

			for _, m := range manifests {
				names = append(names, m.Name)

				for _, o := range m.Objects {
					if o["apiVersion"] == nil || o["kind"] == nil || o["status"] != nil {
						t.Errorf("%s: object %v", m.Name, o["metadata"])
					}
				}
			}

			if !slices.Equal(names, tc.want) {
				t.Fatalf("manifests %v, want %v", names, tc.want)
			}
		})
	}

	// kube-proxy runs the config's image, CoreDNS is k8s-app=kube-dns
	cfg := load(t, b.ControlPlane)
	spec, _ := talosk8s.BootstrapManifestsConfig(cfg)      //nolint:errcheck
	manifests, _ := talosk8s.BootstrapManifests(cfg, spec) //nolint:errcheck

	found := map[string]bool{}

	for _, m := range manifests {
		for _, o := range m.Objects {
			raw, _ := yaml.Marshal(o) //nolint:errcheck
			md := o["metadata"].(map[string]any)

			switch md["name"] {
			case "kube-proxy":
				found["kube-proxy"] = found["kube-proxy"] || (o["kind"] == "DaemonSet" && strings.Contains(string(raw), "image: registry.k8s.io/kube-proxy:v1.35.0"))
			case "coredns":
				found["coredns"] = found["coredns"] || (o["kind"] == "Deployment" && strings.Contains(string(raw), "k8s-app: kube-dns"))
			}
		}
	}

	if !found["kube-proxy"] || !found["coredns"] {
		t.Fatalf("%v", found)
	}
}
