package server_test

import (
	"crypto/sha256"
	stdx509 "crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"gopkg.in/yaml.v3"

	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/snapshot"
)

func TestMaintenanceModeServesWithoutClientCertificates(t *testing.T) {
	s := start(t, 71, 1)
	addr := s.addrs[0]
	c := s.insecure(t, addr)
	ctx := timeout(t, 10*time.Second)

	disks, err := c.Disks(client.WithNode(ctx, addr))
	if err != nil {
		t.Fatal(err)
	}

	d := disks.GetMessages()[0].GetDisks()
	if len(d) != 1 || d[0].GetDeviceName() != "/dev/nvme0n1" || d[0].GetSize() != 512110190592 || d[0].GetType() != storage.Disk_NVME || d[0].GetModel() != "Samsung SSD 980" {
		t.Fatalf("disks %v", d)
	}

	v, err := c.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if got := v.GetMessages()[0]; got.GetVersion().GetTag() != "v1.12.1" || got.GetPlatform().GetMode() != "metal" || got.GetFeatures() != nil {
		t.Fatalf("maintenance version %v", got)
	}

	// maintenance mode is read-only apart from ApplyConfiguration: nothing to bootstrap or upgrade
	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("bootstrap in maintenance mode: %v, want PermissionDenied", err)
	}

	// a bad config is refused with Talos' validation message and nothing changes
	bad := strings.Replace(string(s.bundle.ControlPlane), "type: controlplane", "type: mainframe", 1)
	if _, err := c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: []byte(bad)}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("invalid machine type: %v, want InvalidArgument", err)
	}

	res, err := c.ApplyConfiguration(client.WithNode(ctx, addr), &machine.ApplyConfigurationRequest{Data: s.bundle.ControlPlane})
	if err != nil {
		t.Fatal(err)
	}

	if m := res.GetMessages()[0]; m.GetMode() != machine.ApplyConfigurationRequest_NO_REBOOT {
		t.Fatalf("apply answered %v", m)
	}

	s.configured(t, addr)

	applies := s.entries("/machine.MachineService/ApplyConfiguration", addr)
	last := applies[len(applies)-1]
	sum := sha256.Sum256(s.bundle.ControlPlane)

	if last.Code != "OK" || last.TLS != "server-only" || last.Apply == nil || last.Apply.ConfigSHA256 != hex.EncodeToString(sum[:]) ||
		last.Apply.ConfigBytes != len(s.bundle.ControlPlane) || last.Mode != "maintenance" ||
		len(last.Apply.Kinds) == 0 || last.Apply.Kinds[0] != "v1alpha1" {
		t.Fatalf("log entry %+v", last)
	}

	for _, e := range s.log.Entries() {
		if strings.Contains(e.Message, "BEGIN") || (e.Apply != nil && strings.Contains(e.Detail, "key")) {
			t.Fatalf("the log must not carry key material: %+v", e)
		}
	}
}

func TestConfiguredModeRequiresAClientCertificateFromTheOSCA(t *testing.T) {
	s := start(t, 72, 1)
	addr := s.addrs[0]

	s.apply(t, addr, s.bundle.ControlPlane)
	s.configured(t, addr)

	ctx := timeout(t, 10*time.Second)

	// the provider's probe: no client certificate, no verification — refused in the handshake
	if _, err := s.insecure(t, addr).Disks(client.WithNode(ctx, addr)); status.Code(err) != codes.Unavailable {
		t.Fatalf("probe without a client certificate: %v, want the handshake refused", err)
	}

	// the server sees the missing certificate after the client's side of the TLS 1.3 handshake: poll
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		hs := s.entries("(tls handshake)", addr)
		if len(hs) > 0 && hs[len(hs)-1].Code == "Unauthenticated" && hs[len(hs)-1].TLS == "mutual" {
			break
		}

		if time.Now().After(deadline) {
			t.Fatalf("refused handshakes are logged: %v", hs)
		}
	}

	admin := s.admin(t, addr)

	v, err := admin.Version(client.WithNodes(ctx, addr))
	if err != nil {
		t.Fatal(err)
	}

	if m := v.GetMessages()[0]; m.GetMetadata().GetHostname() != addr || m.GetVersion().GetTag() != "v1.12.1" || !m.GetFeatures().GetRbac() {
		t.Fatalf("version %v: the health check compares Metadata.Hostname with the node IP", m)
	}

	// roles come from the certificate's organization, with machined's rules
	reader := s.withRole(t, addr, "os:reader")

	if _, err := reader.Version(ctx); err != nil {
		t.Fatalf("a reader may read: %v", err)
	}

	if _, err := reader.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: s.bundle.ControlPlane}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("a reader applying a config: %v, want PermissionDenied", err)
	}

	if _, err := reader.Kubeconfig(ctx); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("a reader fetching the kubeconfig: %v, want PermissionDenied", err)
	}

	if entries := s.entries("/machine.MachineService/Version", addr); entries[len(entries)-1].PeerOrg[0] != "os:reader" || entries[len(entries)-1].TLS != "mutual" {
		t.Fatalf("log entry %+v", entries[len(entries)-1])
	}
}

func TestBootstrapKubeconfigAndSnapshot(t *testing.T) {
	s := start(t, 73, 1)
	addr := s.addrs[0]

	s.apply(t, addr, s.bundle.ControlPlane)
	s.configured(t, addr)

	c := s.admin(t, addr)
	ctx := client.WithNode(timeout(t, 20*time.Second), addr)

	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}

	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{}); status.Code(err) != codes.AlreadyExists || !strings.Contains(err.Error(), "etcd data directory is not empty") {
		t.Fatalf("second bootstrap: %v", err)
	}

	raw, err := c.Kubeconfig(ctx)
	if err != nil {
		t.Fatal(err)
	}

	checkKubeconfig(t, raw, s.bundle.ControlPlane, "https://"+addr+":6443")

	rd, err := c.EtcdSnapshot(ctx, &machine.EtcdSnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}

	got, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}

	params, err := s.cluster.Node(addr).SnapshotParams()
	if err != nil {
		t.Fatal(err)
	}

	size, digest, err := snapshot.Digest(params)
	if err != nil {
		t.Fatal(err)
	}

	sum := sha256.Sum256(got)
	if int64(len(got)) != size || hex.EncodeToString(sum[:]) != digest || size < 300<<10 {
		t.Fatalf("snapshot of %d bytes (sha %x), control API says %d bytes (sha %s)", len(got), sum, size, digest)
	}

	if err := s.cluster.Node(addr).SetSnapshotBytes(2 << 20); err != nil {
		t.Fatal(err)
	}

	rd, err = c.EtcdSnapshot(ctx, &machine.EtcdSnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}

	if n, _ := io.Copy(io.Discard, rd); n != snapshot.Size(snapshot.Params{Bytes: 2 << 20}) { //nolint:errcheck
		t.Fatalf("after setting 2 MiB the snapshot has %d bytes", n)
	}
}

// checkKubeconfig parses the admin kubeconfig as kubectl would and checks it against the cluster CA.
func checkKubeconfig(t *testing.T, raw, machineConfig []byte, server string) {
	t.Helper()

	var kc struct {
		Clusters []struct {
			Name    string `yaml:"name"`
			Cluster struct {
				Server string `yaml:"server"`
				CA     string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []struct {
			Name string `yaml:"name"`
			User struct {
				Cert string `yaml:"client-certificate-data"`
				Key  string `yaml:"client-key-data"`
			} `yaml:"user"`
		} `yaml:"users"`
		CurrentContext string `yaml:"current-context"`
	}

	if err := yaml.Unmarshal(raw, &kc); err != nil {
		t.Fatalf("kubeconfig: %v\n%s", err, raw)
	}

	cfg, err := configloader.NewFromBytes(machineConfig)
	if err != nil {
		t.Fatal(err)
	}

	clusterCA := cfg.Cluster().IssuingCA().Crt

	if len(kc.Clusters) != 1 || kc.Clusters[0].Cluster.Server != server || kc.CurrentContext != "admin@homelab" || len(kc.Users) != 1 {
		t.Fatalf("kubeconfig %+v", kc)
	}

	caPEM, _ := base64.StdEncoding.DecodeString(kc.Clusters[0].Cluster.CA) //nolint:errcheck
	certPEM, _ := base64.StdEncoding.DecodeString(kc.Users[0].User.Cert)   //nolint:errcheck
	keyPEM, _ := base64.StdEncoding.DecodeString(kc.Users[0].User.Key)     //nolint:errcheck

	if string(caPEM) != string(clusterCA) {
		t.Fatal("the kubeconfig's CA is not cluster.ca")
	}

	if len(keyPEM) == 0 {
		t.Fatal("no client key")
	}

	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("client certificate is not PEM")
	}

	cert, err := stdx509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	pool := stdx509.NewCertPool()
	pool.AppendCertsFromPEM(clusterCA)

	if _, err := cert.Verify(stdx509.VerifyOptions{Roots: pool, KeyUsages: []stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("client certificate does not chain to cluster.ca: %v", err)
	}

	if len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != "system:masters" {
		t.Fatalf("client certificate organization %v", cert.Subject.Organization)
	}

	// the provider renews certificates expiring within 720 h on every run
	if left := time.Until(cert.NotAfter); left < 360*24*time.Hour {
		t.Fatalf("client certificate valid for %s only", left)
	}
}

func TestUpgradeOverTheAPIRebootsIntoTheImageVersion(t *testing.T) {
	s := start(t, 74, 1)
	addr := s.addrs[0]

	s.apply(t, addr, s.bundle.ControlPlane)
	before := s.configured(t, addr)

	c := s.admin(t, addr)
	ctx := client.WithNode(timeout(t, 20*time.Second), addr)

	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}

	image := "factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba:v1.12.4"

	resp, err := c.UpgradeWithOptions(ctx, client.WithUpgradeImage(image), client.WithUpgradePreserve(true)) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}

	if resp.GetMessages()[0].GetActorId() == "" {
		t.Fatal("no actor ID")
	}

	after := s.waitFor(t, addr, "the upgraded version", func(st node.State) bool { return st.TalosVersion == "v1.12.4" && st.Mode == node.ModeConfigured })
	if after.BootID == before.BootID || after.Image != image || !after.EtcdRunning {
		t.Fatalf("after upgrade %+v", after)
	}

	s.configured(t, addr)

	v, err := s.admin(t, addr).Version(client.WithNodes(timeout(t, 5*time.Second), addr))
	if err != nil {
		t.Fatal(err)
	}

	if got := v.GetMessages()[0].GetVersion().GetTag(); got != "v1.12.4" {
		t.Fatalf("version after upgrade %s", got)
	}
}
