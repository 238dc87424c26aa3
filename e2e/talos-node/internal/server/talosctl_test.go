package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"homelab.local/e2e/talos-node/internal/fixture"
	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/snapshot"
)

// TestRealTalosctl drives the stand-in with the real talosctl v1.13.0 when TALOSCTL points at it
// (cd e2e/toolchain/talosctl && go build -tags grpcnotrace -o <bin>/ github.com/siderolabs/talos/cmd/talosctl).
func TestRealTalosctl(t *testing.T) {
	bin := fixture.EnvOrSkip(t, "TALOSCTL", "the real talosctl flow (apply, bootstrap, etcd snapshot, legacy upgrade --wait)")

	s := startAt(t, 79, 1, 50000)
	addr := s.addrs[0]
	dir := t.TempDir()

	s.bundle.Talosconfig.Contexts[s.bundle.Talosconfig.Context].Endpoints = []string{addr}

	tc := filepath.Join(dir, "talosconfig")
	if err := s.bundle.Talosconfig.Save(tc); err != nil {
		t.Fatal(err)
	}

	cp := filepath.Join(dir, "controlplane.yaml")
	if err := os.WriteFile(cp, s.bundle.ControlPlane, 0o600); err != nil {
		t.Fatal(err)
	}

	talosctl := func(args ...string) string {
		t.Helper()

		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "TALOSCONFIG="+tc, "HOME="+dir)

		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("talosctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}

		return string(out)
	}

	talosctl("apply-config", "--insecure", "-n", addr, "-f", cp)
	s.configured(t, addr)

	talosctl("-n", addr, "bootstrap")

	snap := filepath.Join(dir, "etcd.snapshot")
	out := talosctl("-n", addr, "etcd", "snapshot", snap)

	if !strings.Contains(out, "snapshot info: hash") {
		t.Fatalf("talosctl could not read the snapshot as an etcd database:\n%s", out)
	}

	data, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}

	params, err := s.cluster.Node(addr).SnapshotParams()
	if err != nil {
		t.Fatal(err)
	}

	size, digest, _ := snapshot.Digest(params) //nolint:errcheck
	sum := sha256.Sum256(data)

	if int64(len(data)) != size || hex.EncodeToString(sum[:]) != digest {
		t.Fatal("the saved snapshot differs from what the control API reports")
	}

	begin := time.Now()
	talosctl("-n", addr, "upgrade", "--image", fixture.Installer("v1.12.4"), "--preserve", "--wait", "--timeout", "2m")
	t.Logf("upgrade --wait took %s", time.Since(begin))

	if st := s.state(addr); st.TalosVersion != "v1.12.4" || st.Schematic != fixture.Schematic || st.Mode != node.ModeConfigured {
		t.Fatalf("after the upgrade %+v", st)
	}

	if out := talosctl("-n", addr, "version"); !strings.Contains(out, "Tag:         v1.12.4") {
		t.Fatalf("talosctl version after the upgrade:\n%s", out)
	}

	if n := len(s.entries("/machine.MachineService/Upgrade", addr)); n != 1 {
		t.Fatalf("%d legacy Upgrade calls, want 1", n)
	}

	// Talos' upgrade path to 1.14: 1.12 → 1.13 (legacy API), then 1.13 → 1.14, where talosctl uses
	// LifecycleService.Upgrade and reboots the node itself (after draining it through Kubernetes, which this test
	// does not run: --drain=false); a downgrade below 1.14's rules fails in the installer.
	talosctl("-n", addr, "upgrade", "--image", fixture.Installer("v1.13.9"), "--preserve", "--wait", "--timeout", "2m")
	talosctl("-n", addr, "upgrade", "--image", fixture.Installer("v1.14.0"), "--drain=false", "--wait", "--timeout", "2m")

	if st := s.state(addr); st.TalosVersion != "v1.14.0" || st.Mode != node.ModeConfigured {
		t.Fatalf("after the upgrades to 1.14 %+v", st)
	}

	lifecycle := s.entries("/machine.LifecycleService/Upgrade", addr)
	if len(lifecycle) != 1 || lifecycle[0].Detail != "image="+fixture.Installer("v1.14.0") {
		t.Fatalf("LifecycleService.Upgrade calls %+v, want one to v1.14.0", lifecycle)
	}

	cmd := exec.Command(bin, "-n", addr, "upgrade", "--image", fixture.Installer("v1.12.1"), "--drain=false", "--wait", "--timeout", "1m")
	cmd.Env = append(os.Environ(), "TALOSCONFIG="+tc, "HOME="+dir)

	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "upgrade failed with exit code 1") {
		t.Fatalf("a downgrade 1.14.0 → 1.12.1 must fail in the installer: %v\n%s", err, out)
	}

	if st := s.state(addr); st.TalosVersion != "v1.14.0" {
		t.Fatalf("after a refused downgrade %+v", st)
	}
}
