package talosk8s

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/siderolabs/talos/pkg/argsbuilder"
	talosconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"sigs.k8s.io/yaml"
)

// Ports the control plane's programs listen on, all on the plan's host address. EtcdClient, EtcdPeer,
// ControllerManager and Scheduler default to Talos' (2379, 2380, 10257, 10259); APIServer is the real API
// server's own port behind the per-node listeners on <address>:6443 (it must differ from 6443 as the host is a
// node address too).
type Ports struct {
	EtcdClient, EtcdPeer, APIServer, ControllerManager, Scheduler int
}

// DefaultPorts are Talos' ports; APIServer must be chosen by the caller.
var DefaultPorts = Ports{EtcdClient: 2379, EtcdPeer: 2380, ControllerManager: 10257, Scheduler: 10259}

// Plan is one cluster's control plane as the stand-in runs it: which machine config it follows, where its
// programs listen and where their files live.
type Plan struct {
	Config   talosconfig.Config // the control planes' machine config (the one of the node that bootstrapped)
	Host     string             // loopback address every program listens on
	Dir      string             // work folder
	Ports    Ports
	EtcdName string // etcd member name (the node's hostname)
	KwokCIDR string // pod IPs kwok hands out when a node has no podCIDR yet
}

// Files of the plan, relative to Dir.
const (
	FileCACrt                = "pki/ca.crt"
	FileCAKey                = "pki/ca.key"
	FileAggregatorCA         = "pki/aggregator-ca.crt"
	FileAPIServerCrt         = "pki/apiserver.crt"
	FileAPIServerKey         = "pki/apiserver.key"
	FileKubeletClientCrt     = "pki/apiserver-kubelet-client.crt"
	FileKubeletClientKey     = "pki/apiserver-kubelet-client.key"
	FileFrontProxyCrt        = "pki/front-proxy-client.crt"
	FileFrontProxyKey        = "pki/front-proxy-client.key"
	FileServiceAccountKey    = "pki/service-account.key"
	FileServiceAccountPub    = "pki/service-account.pub"
	FileEtcdCA               = "pki/etcd-ca.crt"
	FileEtcdServerCrt        = "pki/etcd-server.crt"
	FileEtcdServerKey        = "pki/etcd-server.key"
	FileEtcdPeerCrt          = "pki/etcd-peer.crt"
	FileEtcdPeerKey          = "pki/etcd-peer.key"
	FileEtcdClientCrt        = "pki/etcd-client.crt"
	FileEtcdClientKey        = "pki/etcd-client.key"
	FileAdmissionConfig      = "config/admission-control-config.yaml"
	FileAuditPolicy          = "config/auditpolicy.yaml"
	FileAuthorizationConfig  = "config/authorization-config.yaml"
	FileEncryptionConfig     = "config/encryptionconfig.yaml"
	FileControllerManagerKC  = "kubeconfig/kube-controller-manager"
	FileSchedulerKC          = "kubeconfig/kube-scheduler"
	FileMachinedKC           = "kubeconfig/machined"
	FileKwokKC               = "kubeconfig/kwok"
	FileKwokConfig           = "kwok/stages.yaml"
	DirEtcdData              = "etcd"
	DirControllerManagerCert = "certs/kube-controller-manager"
	DirSchedulerCert         = "certs/kube-scheduler"
	DirKwokHome              = "kwok/home"
	DirLogs                  = "logs"
)

func (p *Plan) path(rel string) string { return filepath.Join(p.Dir, filepath.FromSlash(rel)) }

func (p *Plan) hostPort(port int) string { return net.JoinHostPort(p.Host, strconv.Itoa(port)) }

// APIServerURL is the real API server's own address (what the stand-in's clients and the programs use, as
// Talos' components use https://localhost:<port>).
func (p *Plan) APIServerURL() string { return "https://" + p.hostPort(p.Ports.APIServer) }

// EtcdURL is etcd's client URL.
func (p *Plan) EtcdURL() string { return "https://" + p.hostPort(p.Ports.EtcdClient) }

// merge adds the config's extraArgs with Talos' policies; flags that decide where a program listens or which
// secrets it uses are denied (the stand-in must stay on loopback and on the config's secrets).
func merge(builder argsbuilder.Args, extra map[string][]string, additive, denied []string) error {
	policies := argsbuilder.MergePolicies{}
	for _, k := range additive {
		policies[k] = argsbuilder.MergeAdditive
	}

	for _, k := range denied {
		policies[k] = argsbuilder.MergeDenied
	}

	return builder.Merge(argsbuilder.Args(extra), argsbuilder.WithMergePolicies(policies))
}

// listenFlags may never come from the config: they would take a program off the stand-in's loopback address.
var listenFlags = []string{"bind-address", "secure-port", "advertise-address", "listen-client-urls", "listen-peer-urls"}

// EtcdArgs is etcd's command line (a single member: the Talos API's etcd membership is modelled by the stand-in;
// this etcd only backs the API server).
func (p *Plan) EtcdArgs() []string {
	peer := "https://" + p.hostPort(p.Ports.EtcdPeer)

	builder := argsbuilder.Args{
		"name":                        {p.EtcdName},
		"data-dir":                    {p.path(DirEtcdData)},
		"listen-client-urls":          {p.EtcdURL()},
		"advertise-client-urls":       {p.EtcdURL()},
		"listen-peer-urls":            {peer},
		"initial-advertise-peer-urls": {peer},
		"initial-cluster":             {p.EtcdName + "=" + peer},
		"initial-cluster-state":       {"new"},
		"auto-tls":                    {"false"},
		"peer-auto-tls":               {"false"},
		"client-cert-auth":            {"true"},
		"cert-file":                   {p.path(FileEtcdServerCrt)},
		"key-file":                    {p.path(FileEtcdServerKey)},
		"trusted-ca-file":             {p.path(FileEtcdCA)},
		"peer-client-cert-auth":       {"true"},
		"peer-cert-file":              {p.path(FileEtcdPeerCrt)},
		"peer-key-file":               {p.path(FileEtcdPeerKey)},
		"peer-trusted-ca-file":        {p.path(FileEtcdCA)},
		"log-level":                   {"warn"},
	}

	return builder.Args()
}

// APIServerArgs is kube-apiserver's command line as machined's ControlPlaneStaticPodController builds it
// (internal/app/machined/pkg/controllers/k8s/control_plane_static_pod.go, Talos v1.13.0), with the stand-in's
// files and addresses.
func (p *Plan) APIServerArgs() ([]string, error) {
	cluster := p.Config.Cluster()
	endpoint := cluster.Endpoint().String()

	builder := argsbuilder.Args{
		"admission-control-config-file":      {p.path(FileAdmissionConfig)},
		"allow-privileged":                   {"true"},
		"anonymous-auth":                     {"false"},
		"api-audiences":                      {endpoint},
		"bind-address":                       {p.Host},
		"advertise-address":                  {p.Host},
		"client-ca-file":                     {p.path(FileCACrt)},
		"enable-admission-plugins":           {"NodeRestriction"},
		"requestheader-client-ca-file":       {p.path(FileAggregatorCA)},
		"requestheader-allowed-names":        {"front-proxy-client"},
		"requestheader-extra-headers-prefix": {"X-Remote-Extra-"},
		"requestheader-group-headers":        {"X-Remote-Group"},
		"requestheader-username-headers":     {"X-Remote-User"},
		"proxy-client-cert-file":             {p.path(FileFrontProxyCrt)},
		"proxy-client-key-file":              {p.path(FileFrontProxyKey)},
		"enable-bootstrap-token-auth":        {"true"},
		"tls-min-version":                    {"VersionTLS12"},
		"tls-cipher-suites":                  {"TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}, //nolint:lll
		"encryption-provider-config":         {p.path(FileEncryptionConfig)},
		"audit-policy-file":                  {p.path(FileAuditPolicy)},
		"audit-log-path":                     {p.path(DirLogs + "/kube-apiserver-audit.log")},
		"audit-log-maxage":                   {"30"},
		"audit-log-maxbackup":                {"1"}, // Talos keeps 10 of 100 MB; the stand-in's folder is temporary
		"audit-log-maxsize":                  {"100"},
		"profiling":                          {"false"},
		"etcd-cafile":                        {p.path(FileEtcdCA)},
		"etcd-certfile":                      {p.path(FileEtcdClientCrt)},
		"etcd-keyfile":                       {p.path(FileEtcdClientKey)},
		"etcd-servers":                       {p.EtcdURL()},
		"kubelet-client-certificate":         {p.path(FileKubeletClientCrt)},
		"kubelet-client-key":                 {p.path(FileKubeletClientKey)},
		"secure-port":                        {strconv.Itoa(p.Ports.APIServer)},
		"service-account-issuer":             {endpoint},
		"service-account-key-file":           {p.path(FileServiceAccountPub)},
		"service-account-signing-key-file":   {p.path(FileServiceAccountKey)},
		"service-cluster-ip-range":           {strings.Join(cluster.Network().ServiceCIDRs(), ",")},
		"tls-cert-file":                      {p.path(FileAPIServerCrt)},
		"tls-private-key-file":               {p.path(FileAPIServerKey)},
		"kubelet-preferred-address-types":    {"InternalIP,ExternalIP,Hostname"},
	}

	extra := cluster.APIServer().ExtraArgs()

	switch {
	case extra["authorization-mode"] != nil, hasPrefixKey(extra, "authorization-webhook-"):
		builder.Set("authorization-mode", argsbuilder.Value{"Node,RBAC"})
	default:
		builder.Set("authorization-config", argsbuilder.Value{p.path(FileAuthorizationConfig)})
	}

	denied := append([]string{
		"etcd-servers", "client-ca-file", "requestheader-client-ca-file", "proxy-client-cert-file", "proxy-client-key-file",
		"encryption-provider-config", "etcd-cafile", "etcd-certfile", "etcd-keyfile", "kubelet-client-certificate",
		"kubelet-client-key", "service-account-key-file", "service-account-signing-key-file", "tls-cert-file",
		"tls-private-key-file", "authorization-config", "audit-log-path",
	}, listenFlags...)

	if err := merge(builder, extra, []string{"enable-admission-plugins", "feature-gates", "authorization-mode", "tls-cipher-suites"}, denied); err != nil {
		return nil, fmt.Errorf("cluster.apiServer.extraArgs: %w", err)
	}

	return builder.Args(), nil
}

func hasPrefixKey(m map[string][]string, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}

	return false
}

// ControllerManagerArgs is kube-controller-manager's command line (as machined builds it).
func (p *Plan) ControllerManagerArgs() ([]string, error) {
	cluster := p.Config.Cluster()
	kc := p.path(FileControllerManagerKC)

	builder := argsbuilder.Args{
		"allocate-node-cidrs":              {"true"},
		"bind-address":                     {p.Host},
		"secure-port":                      {strconv.Itoa(p.Ports.ControllerManager)},
		"cert-dir":                         {p.path(DirControllerManagerCert)},
		"cluster-cidr":                     {strings.Join(cluster.Network().PodCIDRs(), ",")},
		"service-cluster-ip-range":         {strings.Join(cluster.Network().ServiceCIDRs(), ",")},
		"cluster-signing-cert-file":        {p.path(FileCACrt)},
		"cluster-signing-key-file":         {p.path(FileCAKey)},
		"controllers":                      {"*,tokencleaner"},
		"configure-cloud-routes":           {"false"},
		"kubeconfig":                       {kc},
		"authentication-kubeconfig":        {kc},
		"authorization-kubeconfig":         {kc},
		"leader-elect":                     {"true"},
		"root-ca-file":                     {p.path(FileCACrt)},
		"service-account-private-key-file": {p.path(FileServiceAccountKey)},
		"profiling":                        {"false"},
		"tls-min-version":                  {"VersionTLS13"},
	}

	denied := append([]string{
		"cluster-signing-cert-file", "cluster-signing-key-file", "authentication-kubeconfig", "authorization-kubeconfig",
		"root-ca-file", "service-account-private-key-file", "kubeconfig", "cert-dir",
	}, listenFlags...)

	if err := merge(builder, cluster.ControllerManager().ExtraArgs(), []string{"service-cluster-ip-range", "controllers"}, denied); err != nil {
		return nil, fmt.Errorf("cluster.controllerManager.extraArgs: %w", err)
	}

	return append([]string{"--use-service-account-credentials"}, builder.Args()...), nil
}

// SchedulerArgs is kube-scheduler's command line (machined's, with flags instead of its configuration file).
func (p *Plan) SchedulerArgs() ([]string, error) {
	kc := p.path(FileSchedulerKC)

	builder := argsbuilder.Args{
		"kubeconfig":                {kc},
		"authentication-kubeconfig": {kc},
		"authorization-kubeconfig":  {kc},
		"bind-address":              {p.Host},
		"secure-port":               {strconv.Itoa(p.Ports.Scheduler)},
		"cert-dir":                  {p.path(DirSchedulerCert)},
		"leader-elect":              {"true"},
		"profiling":                 {"false"},
		"tls-min-version":           {"VersionTLS13"},
	}

	denied := append([]string{"kubeconfig", "authentication-kubeconfig", "authorization-kubeconfig", "cert-dir"}, listenFlags...)

	if err := merge(builder, p.Config.Cluster().Scheduler().ExtraArgs(), []string{"feature-gates"}, denied); err != nil {
		return nil, fmt.Errorf("cluster.scheduler.extraArgs: %w", err)
	}

	return builder.Args(), nil
}

// KwokAnnotation marks the Nodes kwok plays the kubelet of (kwok's own convention).
const KwokAnnotation = "kwok.x-k8s.io/node"

// KwokArgs is kwok's command line: out of cluster with a kubeconfig, managing only the Nodes the stand-in
// registered (annotated), with the stand-in's stages, no server of its own.
func (p *Plan) KwokArgs() []string {
	return []string{
		"--kubeconfig=" + p.path(FileKwokKC),
		"--config=" + p.path(FileKwokConfig),
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + KwokAnnotation + "=fake",
		"--node-lease-duration-seconds=40",
		"--cidr=" + p.KwokCIDR,
		"--node-port=0",
		"--server-address=",
	}
}

// Kubeconfig renders a kubeconfig for a client certificate against the real API server.
func Kubeconfig(server, clusterName, user string, caPEM []byte, client KeyPair) ([]byte, error) {
	cfg := map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"current-context": user + "@" + clusterName,
		"clusters": []any{map[string]any{
			"name":    clusterName,
			"cluster": map[string]any{"server": server, "certificate-authority-data": caPEM},
		}},
		"contexts": []any{map[string]any{
			"name":    user + "@" + clusterName,
			"context": map[string]any{"cluster": clusterName, "user": user},
		}},
		"users": []any{map[string]any{
			"name": user,
			"user": map[string]any{"client-certificate-data": client.Crt, "client-key-data": client.Key},
		}},
	}

	return yaml.Marshal(cfg) // []byte values become base64, as kubeconfig's *-data fields are
}

// Files are every file the programs read, by path relative to Dir.
func (p *Plan) Files(pki *PKI, kwokStages []byte) (map[string][]byte, error) {
	files := map[string][]byte{
		FileCACrt:             pki.AcceptedCAs,
		FileCAKey:             pki.CA.Key,
		FileAggregatorCA:      pki.AggregatorCA,
		FileAPIServerCrt:      pki.APIServer.Crt,
		FileAPIServerKey:      pki.APIServer.Key,
		FileKubeletClientCrt:  pki.APIServerKubeletClient.Crt,
		FileKubeletClientKey:  pki.APIServerKubeletClient.Key,
		FileFrontProxyCrt:     pki.FrontProxyClient.Crt,
		FileFrontProxyKey:     pki.FrontProxyClient.Key,
		FileServiceAccountKey: pki.ServiceAccountKey,
		FileServiceAccountPub: pki.ServiceAccountPublic,
		FileEtcdCA:            pki.EtcdCA,
		FileEtcdServerCrt:     pki.EtcdServer.Crt,
		FileEtcdServerKey:     pki.EtcdServer.Key,
		FileEtcdPeerCrt:       pki.EtcdPeer.Crt,
		FileEtcdPeerKey:       pki.EtcdPeer.Key,
		FileEtcdClientCrt:     pki.EtcdClient.Crt,
		FileEtcdClientKey:     pki.EtcdClient.Key,
		FileKwokConfig:        kwokStages,
	}

	var errs []error

	render := func(name string, f func() ([]byte, error)) {
		data, err := f()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))

			return
		}

		files[name] = data
	}

	render(FileAdmissionConfig, func() ([]byte, error) { return AdmissionConfig(p.Config) })
	render(FileAuditPolicy, func() ([]byte, error) { return AuditPolicy(p.Config) })
	render(FileAuthorizationConfig, func() ([]byte, error) { return AuthorizationConfig(p.Config) })
	render(FileEncryptionConfig, func() ([]byte, error) { return EncryptionConfig(p.Config) })

	clusterName := p.Config.Cluster().Name()

	for _, kc := range []struct {
		file, user string
		pair       KeyPair
	}{
		{FileControllerManagerKC, ControllerManagerUser, pki.ControllerManager},
		{FileSchedulerKC, SchedulerUser, pki.Scheduler},
		{FileMachinedKC, MachinedUser, pki.Machined},
		{FileKwokKC, KwokUser, pki.Kwok},
	} {
		render(kc.file, func() ([]byte, error) {
			return Kubeconfig(p.APIServerURL(), clusterName, kc.user, pki.AcceptedCAs, kc.pair)
		})
	}

	return files, errors.Join(errs...)
}

// AdmissionConfig is admission-control-config.yaml as machined renders it from cluster.apiServer.admissionControl
// (render_config_static_pods.go: an AdmissionConfiguration with each plugin's configuration verbatim).
func AdmissionConfig(cfg talosconfig.Config) ([]byte, error) {
	plugins := []any{}

	for _, plugin := range cfg.Cluster().APIServer().AdmissionControl() {
		plugins = append(plugins, map[string]any{"name": plugin.Name(), "configuration": plugin.Configuration()})
	}

	return toYAML(map[string]any{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AdmissionConfiguration", "plugins": plugins})
}

// AuditPolicy is auditpolicy.yaml: cluster.apiServer.auditPolicy verbatim.
func AuditPolicy(cfg talosconfig.Config) ([]byte, error) {
	policy := cfg.Cluster().APIServer().AuditPolicy()
	if len(policy) == 0 {
		policy = map[string]any{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": []any{map[string]any{"level": "Metadata"}}}
	}

	return toYAML(policy)
}

// AuthorizationConfig is authorization-config.yaml: cluster.apiServer.authorizationConfig, with the Node and RBAC
// authorizers Talos adds when they are missing (ControlPlaneAuthorizationController).
func AuthorizationConfig(cfg talosconfig.Config) ([]byte, error) {
	type authorizer struct {
		Type    string         `json:"type"`
		Name    string         `json:"name"`
		Webhook map[string]any `json:"webhook,omitempty"`
	}

	var list []authorizer

	for _, a := range cfg.Cluster().APIServer().AuthorizationConfig() {
		list = append(list, authorizer{Type: a.Type(), Name: a.Name(), Webhook: a.Webhook()})
	}

	has := func(t string) bool {
		for _, a := range list {
			if a.Type == t {
				return true
			}
		}

		return false
	}

	if !has("Node") {
		list = append([]authorizer{{Type: "Node", Name: "node"}}, list...)
	}

	if !has("RBAC") {
		list = append(list[:1], append([]authorizer{{Type: "RBAC", Name: "rbac"}}, list[1:]...)...)
	}

	return toYAML(map[string]any{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthorizationConfiguration", "authorizers": list})
}

// EncryptionConfig is encryptionconfig.yaml (k8stemplates.APIServerEncryptionConfig): secretbox and/or aescbc keys
// from the config, then identity.
func EncryptionConfig(cfg talosconfig.Config) ([]byte, error) {
	providers := []any{}

	if s := cfg.Cluster().SecretboxEncryptionSecret(); s != "" {
		providers = append(providers, map[string]any{"secretbox": map[string]any{"keys": []any{map[string]any{"name": "key2", "secret": s}}}})
	}

	if s := cfg.Cluster().AESCBCEncryptionSecret(); s != "" {
		providers = append(providers, map[string]any{"aescbc": map[string]any{"keys": []any{map[string]any{"name": "key1", "secret": s}}}})
	}

	providers = append(providers, map[string]any{"identity": map[string]any{}})

	return toYAML(map[string]any{
		"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
		"resources": []any{map[string]any{"resources": []string{"secrets"}, "providers": providers}},
	})
}

func toYAML(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}

	return yaml.JSONToYAML(raw)
}
