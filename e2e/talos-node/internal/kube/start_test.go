package kube_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"homelab.local/e2e/talos-node/internal/proc"
)

// fakeBin is a binDir of shell scripts: every program sleeps (writing its PID to pids/<name>) except those given a
// body of their own.
func fakeBin(t *testing.T, bodies map[string]string) (bin, pids string) {
	t.Helper()

	bin, pids = t.TempDir(), t.TempDir()

	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} {
		body, ok := bodies[name]
		if !ok {
			body = "exec sleep 300"
		}

		script := "#!/bin/sh\necho $$ > " + filepath.Join(pids, name) + "\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
	}

	return bin, pids
}

// TestAFailedStartStopsWhatItStarted: kube-apiserver dies at start; etcd, started before it, is stopped again and
// the control plane reports why (no real programs needed).
func TestAFailedStartStopsWhatItStarted(t *testing.T) {
	bin, pids := fakeBin(t, map[string]string{"kube-apiserver": `echo "error: cannot listen" >&2; exit 3`})

	e := startEnv(t, envOptions{block: 94, cps: 1, binDir: bin})
	e.bootstrap(t)

	eventually(t, 30*time.Second, "start failed", func() error {
		st := e.mgr.Status()
		if len(st.Clusters) != 1 || st.Clusters[0].Phase != "failed" {
			return errorf("status %+v", st)
		}

		if !strings.Contains(st.Clusters[0].LastError, "kube-apiserver exited while starting") {
			return errorf("last error %q", st.Clusters[0].LastError)
		}

		return nil
	})

	raw, err := os.ReadFile(filepath.Join(pids, "etcd"))
	if err != nil {
		t.Fatal("etcd was not started first")
	}

	etcd, _ := strconv.Atoi(strings.TrimSpace(string(raw))) //nolint:errcheck

	eventually(t, 10*time.Second, "etcd stopped", func() error {
		if proc.Alive(etcd) {
			return errorf("etcd (pid %d) still runs after the failed start", etcd)
		}

		if left := e.mgr.PIDs(); len(left) > 0 {
			return errorf("children still running: %v", left)
		}

		return nil
	})

	for _, never := range []string{"kube-controller-manager", "kube-scheduler", "kwok"} {
		if _, err := os.Stat(filepath.Join(pids, never)); err == nil {
			t.Errorf("%s started although the API server never was ready", never)
		}
	}

	if st := e.mgr.NodeStatus(e.cps[0]); st == nil || st.ControlPlane != "failed" || st.APIServerRunning {
		t.Fatalf("node status %+v", st)
	}
}
