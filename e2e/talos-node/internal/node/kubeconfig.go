package node

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/siderolabs/crypto/x509"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"gopkg.in/yaml.v3"

	"homelab.local/e2e/talos-node/internal/pki"
	"homelab.local/e2e/talos-node/internal/snapshot"
)

// kubeconfig is clientcmd's v1 Config in the key order clientcmd.Write produces.
type kubeconfig struct {
	APIVersion     string         `yaml:"apiVersion"`
	Clusters       []namedCluster `yaml:"clusters"`
	Contexts       []namedContext `yaml:"contexts"`
	CurrentContext string         `yaml:"current-context"`
	Kind           string         `yaml:"kind"`
	Preferences    struct{}       `yaml:"preferences"`
	Users          []namedUser    `yaml:"users"`
}

type namedCluster struct {
	Cluster struct {
		CertificateAuthorityData string `yaml:"certificate-authority-data"`
		Server                   string `yaml:"server"`
	} `yaml:"cluster"`
	Name string `yaml:"name"`
}

type namedContext struct {
	Context struct {
		Cluster   string `yaml:"cluster"`
		Namespace string `yaml:"namespace"`
		User      string `yaml:"user"`
	} `yaml:"context"`
	Name string `yaml:"name"`
}

type namedUser struct {
	Name string `yaml:"name"`
	User struct {
		ClientCertificateData string `yaml:"client-certificate-data"`
		ClientKeyData         string `yaml:"client-key-data"`
	} `yaml:"user"`
}

// Kubeconfig answers machine.MachineService/Kubeconfig: the admin kubeconfig (kubeconfig.GenerateAdmin) in a
// gzipped tar with one entry, as machined wraps it.
func (n *Node) Kubeconfig() ([]byte, error) {
	n.c.lock()
	defer n.c.unlock()

	if err := n.requireControlPlane("kubeconfig"); err != nil {
		return nil, err
	}

	cluster := n.cfg().Cluster()
	ca := cluster.IssuingCA()

	if ca == nil || len(ca.Key) == 0 {
		return nil, fmt.Errorf("error getting Kubernetes CA: cluster.ca is missing")
	}

	admin := cluster.AdminKubeconfig()

	client, err := pki.IssueClient(ca, admin.CommonName(), admin.CertOrganization(), admin.CertLifetime())
	if err != nil {
		return nil, fmt.Errorf("error generating Kubernetes client certificate: %w", err)
	}

	accepted := append([]*x509.PEMEncodedCertificate(nil), cluster.AcceptedCAs()...)
	accepted = append(accepted, &x509.PEMEncodedCertificate{Crt: ca.Crt})

	var caData []byte
	for _, a := range accepted {
		caData = append(caData, a.Crt...)
	}

	name := cluster.Name()
	user := "admin@" + name

	kc := kubeconfig{APIVersion: "v1", Kind: "Config", CurrentContext: user}

	var c namedCluster
	c.Name = name
	c.Cluster.Server = cluster.Endpoint().String()
	c.Cluster.CertificateAuthorityData = base64.StdEncoding.EncodeToString(caData)
	kc.Clusters = []namedCluster{c}

	var ctx namedContext
	ctx.Name = user
	ctx.Context.Cluster = name
	ctx.Context.Namespace = "default"
	ctx.Context.User = user
	kc.Contexts = []namedContext{ctx}

	var u namedUser
	u.Name = user
	u.User.ClientCertificateData = base64.StdEncoding.EncodeToString(client.CertPEM)
	u.User.ClientKeyData = base64.StdEncoding.EncodeToString(client.KeyPEM)
	kc.Users = []namedUser{u}

	raw, err := yaml.Marshal(&kc)
	if err != nil {
		return nil, err
	}

	var buf bytes.Buffer

	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)

	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "kubeconfig", Size: int64(len(raw)), ModTime: time.Now(), Mode: 0o600}); err != nil {
		return nil, err
	}

	if _, err := tw.Write(raw); err != nil {
		return nil, err
	}

	if err := tw.Close(); err != nil {
		return nil, err
	}

	if err := zw.Close(); err != nil {
		return nil, err
	}

	return buf.Bytes(), nil
}

// SnapshotParams is what an etcd snapshot of this node would be made of now, or machined's error when there is
// no etcd to snapshot.
func (n *Node) SnapshotParams() (snapshot.Params, error) {
	n.c.lock()
	defer n.c.unlock()

	if err := n.requireControlPlane("etcd snapshot"); err != nil {
		return snapshot.Params{}, err
	}

	if !n.etcdRunning() {
		return snapshot.Params{}, fmt.Errorf("failed reading etcd snapshot: %w", status.Error(codes.Unavailable,
			`connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused"`))
	}

	ec := n.etcdCluster()

	return snapshot.Params{ClusterID: ec.id, Member: n.spec.Address, Revision: ec.revision, Bytes: n.snapshotBytes}, nil
}

// SetSnapshotBytes changes the size of later snapshots.
func (n *Node) SetSnapshotBytes(b int64) error {
	if b <= 0 {
		return fmt.Errorf("bytes: must be positive (got %d)", b)
	}

	n.c.lock()
	defer n.c.unlock()

	n.snapshotBytes = b

	return nil
}
