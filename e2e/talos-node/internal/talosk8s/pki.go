// Package talosk8s is what Talos renders for Kubernetes from a machine configuration, as pure functions: the
// control plane's certificates (machined's secrets controllers), the programs' command lines and configuration
// files (the static pod and config renderers), the static pods and their mirror pods, the Node a kubelet registers,
// and the bootstrap manifests (see the k8stemplates subpackage). Nothing here starts a process or talks to an API.
package talosk8s

import (
	stdx509 "crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/siderolabs/crypto/x509"
	talosconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
)

// CertificateValidity is how long the control plane's certificates are valid (machined's
// KubernetesCertificateValidityDuration: one year).
const CertificateValidity = 365 * 24 * time.Hour

// Identities of the clients the stand-in's programs use (Talos' constants where they exist).
const (
	ControllerManagerUser = "system:kube-controller-manager"
	SchedulerUser         = "system:kube-scheduler"
	APIServerKubeletUser  = "apiserver-kubelet-client"
	EtcdClientUser        = "kube-apiserver-etcd-client"
	AdminGroup            = "system:masters"
	// machined's own client (it applies the bootstrap manifests and node labels/taints) and kwok (the kubelets).
	MachinedUser = "talos:admin"
	KwokUser     = "stand-in:kwok"
)

// KeyPair is a certificate and its key in PEM.
type KeyPair struct {
	Crt, Key []byte
}

// PKI is every secret the control plane's programs read, derived from the machine config as Talos derives them:
// the roots come from the config (cluster.ca, cluster.aggregatorCA, cluster.serviceAccount, cluster.etcd.ca); the
// leaf certificates are issued here.
type PKI struct {
	CA           KeyPair // cluster.ca
	AcceptedCAs  []byte  // cluster.ca plus cluster.acceptedCAs, concatenated (what clients trust)
	AggregatorCA []byte  // cluster.aggregatorCA (certificate only)
	EtcdCA       []byte  // cluster.etcd.ca (certificate only)

	ServiceAccountKey    []byte // cluster.serviceAccount.key
	ServiceAccountPublic []byte

	APIServer              KeyPair // serving; SANs as machined's KubernetesCertSANsController
	APIServerKubeletClient KeyPair
	FrontProxyClient       KeyPair // signed by the aggregator CA
	EtcdServer             KeyPair
	EtcdPeer               KeyPair
	EtcdClient             KeyPair // the API server's client certificate for etcd

	ControllerManager KeyPair // client certificates for the kubeconfigs
	Scheduler         KeyPair
	Machined          KeyPair
	Kwok              KeyPair
}

// SANs are the subject alternative names of the API server certificate.
type SANs struct {
	IPs []netip.Addr
	DNS []string
}

// APIServerSANs is what machined puts in the API server's certificate (KubernetesCertSANsController): the
// endpoint's host, cluster.apiServer.certSANs, kubernetes{,.default,.default.svc,.default.svc.<domain>}, localhost,
// the hostnames, the first address of each service CIDR (10.96.0.1), the node's addresses and 127.0.0.1. The
// stand-in serves every control plane of a cluster from one API server, so every control plane's address and
// hostname is in it.
func APIServerSANs(cfg talosconfig.Config, addresses, hostnames []string) (SANs, error) {
	var s SANs

	add := func(v string) {
		if v == "" {
			return
		}

		if ip, err := netip.ParseAddr(v); err == nil {
			s.IPs = append(s.IPs, ip)
		} else {
			s.DNS = append(s.DNS, v)
		}
	}

	cluster := cfg.Cluster()
	if cluster == nil {
		return s, errors.New("the machine config has no cluster section")
	}

	if ep := cluster.Endpoint(); ep != nil {
		add(ep.Hostname())
	}

	for _, san := range cluster.CertSANs() {
		add(san)
	}

	domain := cluster.Network().DNSDomain()
	s.DNS = append(s.DNS, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc."+domain, "localhost")

	for _, h := range hostnames {
		add(h)
	}

	apiIPs, err := cluster.Network().APIServerIPs()
	if err != nil {
		return s, fmt.Errorf("cluster.network.serviceSubnets: %w", err)
	}

	s.IPs = append(s.IPs, apiIPs...)

	for _, a := range addresses {
		add(a)
	}

	s.IPs = append(s.IPs, netip.MustParseAddr("127.0.0.1"))

	slices.SortFunc(s.IPs, func(a, b netip.Addr) int { return a.Compare(b) })
	s.IPs = slices.Compact(s.IPs)
	slices.Sort(s.DNS)
	s.DNS = slices.Compact(s.DNS)

	return s, nil
}

func (s SANs) stdIPs() []net.IP {
	out := make([]net.IP, 0, len(s.IPs))
	for _, ip := range s.IPs {
		out = append(out, net.IP(ip.AsSlice()))
	}

	return out
}

// NewPKI issues the control plane's certificates. host is the address etcd listens on; addresses and hostnames
// are the control planes' (API server SANs).
func NewPKI(cfg talosconfig.Config, host string, addresses, hostnames []string) (*PKI, error) {
	cluster := cfg.Cluster()
	if cluster == nil {
		return nil, errors.New("the machine config has no cluster section")
	}

	var problems []string

	ca := cluster.IssuingCA()
	if ca == nil || len(ca.Crt) == 0 || len(ca.Key) == 0 {
		problems = append(problems, "cluster.ca (crt and key) is missing")
	}

	agg := cluster.AggregatorCA()
	if agg == nil || len(agg.Crt) == 0 || len(agg.Key) == 0 {
		problems = append(problems, "cluster.aggregatorCA (crt and key) is missing")
	}

	sa := cluster.ServiceAccount()
	if sa == nil || len(sa.Key) == 0 {
		problems = append(problems, "cluster.serviceAccount.key is missing")
	}

	etcdCA := cluster.Etcd().CA()
	if etcdCA == nil || len(etcdCA.Crt) == 0 || len(etcdCA.Key) == 0 {
		problems = append(problems, "cluster.etcd.ca (crt and key) is missing")
	}

	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}

	p := &PKI{CA: KeyPair{Crt: ca.Crt, Key: ca.Key}, AggregatorCA: agg.Crt, EtcdCA: etcdCA.Crt, ServiceAccountKey: sa.Key}

	p.AcceptedCAs = append([]byte(nil), ca.Crt...)
	for _, a := range cluster.AcceptedCAs() {
		if a != nil && len(a.Crt) > 0 {
			p.AcceptedCAs = append(append(p.AcceptedCAs, '\n'), a.Crt...)
		}
	}

	key, err := sa.GetKey()
	if err != nil {
		return nil, fmt.Errorf("cluster.serviceAccount.key: %w", err)
	}

	p.ServiceAccountPublic = key.GetPublicKeyPEM()

	sans, err := APIServerSANs(cfg, addresses, hostnames)
	if err != nil {
		return nil, err
	}

	k8sCA, err := x509.NewCertificateAuthorityFromCertificateAndKey(ca)
	if err != nil {
		return nil, fmt.Errorf("cluster.ca: %w", err)
	}

	aggCA, err := x509.NewCertificateAuthorityFromCertificateAndKey(agg)
	if err != nil {
		return nil, fmt.Errorf("cluster.aggregatorCA: %w", err)
	}

	eCA, err := x509.NewCertificateAuthorityFromCertificateAndKey(etcdCA)
	if err != nil {
		return nil, fmt.Errorf("cluster.etcd.ca: %w", err)
	}

	server := stdx509.ExtKeyUsageServerAuth
	client := stdx509.ExtKeyUsageClientAuth

	etcdSANs := SANs{DNS: []string{"localhost"}, IPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	if ip, err := netip.ParseAddr(host); err == nil {
		etcdSANs.IPs = append(etcdSANs.IPs, ip)
	}

	for _, is := range []struct {
		out   *KeyPair
		ca    *x509.CertificateAuthority
		cn    string
		org   []string
		sans  *SANs
		usage []stdx509.ExtKeyUsage
	}{
		{&p.APIServer, k8sCA, "kube-apiserver", []string{"kube-master"}, &sans, []stdx509.ExtKeyUsage{server}},
		{&p.APIServerKubeletClient, k8sCA, APIServerKubeletUser, []string{AdminGroup}, nil, []stdx509.ExtKeyUsage{client}},
		{&p.FrontProxyClient, aggCA, "front-proxy-client", nil, nil, []stdx509.ExtKeyUsage{client}},
		{&p.EtcdServer, eCA, "etcd", nil, &etcdSANs, []stdx509.ExtKeyUsage{server, client}},
		{&p.EtcdPeer, eCA, "etcd-peer", nil, &etcdSANs, []stdx509.ExtKeyUsage{server, client}},
		{&p.EtcdClient, eCA, EtcdClientUser, nil, nil, []stdx509.ExtKeyUsage{client}},
		{&p.ControllerManager, k8sCA, ControllerManagerUser, []string{ControllerManagerUser}, nil, []stdx509.ExtKeyUsage{client}},
		{&p.Scheduler, k8sCA, SchedulerUser, []string{SchedulerUser}, nil, []stdx509.ExtKeyUsage{client}},
		{&p.Machined, k8sCA, MachinedUser, []string{AdminGroup}, nil, []stdx509.ExtKeyUsage{client}},
		{&p.Kwok, k8sCA, KwokUser, []string{AdminGroup}, nil, []stdx509.ExtKeyUsage{client}},
	} {
		opts := []x509.Option{
			x509.CommonName(is.cn),
			x509.NotBefore(time.Now().Add(-time.Minute)),
			x509.NotAfter(time.Now().Add(CertificateValidity)),
			x509.KeyUsage(stdx509.KeyUsageDigitalSignature | stdx509.KeyUsageKeyEncipherment),
			x509.ExtKeyUsage(is.usage),
		}

		if len(is.org) > 0 {
			opts = append(opts, x509.Organization(is.org...))
		}

		if is.sans != nil {
			opts = append(opts, x509.IPAddresses(is.sans.stdIPs()), x509.DNSNames(is.sans.DNS))
		}

		pair, err := x509.NewKeyPair(is.ca, opts...)
		if err != nil {
			return nil, fmt.Errorf("issuing %s: %w", is.cn, err)
		}

		*is.out = KeyPair{Crt: pair.CrtPEM, Key: pair.KeyPEM}
	}

	return p, nil
}
