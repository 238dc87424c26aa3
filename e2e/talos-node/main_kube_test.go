package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"

	"homelab.local/e2e/talos-node/internal/fixture"
	"homelab.local/e2e/talos-node/internal/proc"
)

// TestMain lets a test start this very binary as the stand-in (TALOS_NODE_RUN_MAIN=1): the same code, a separate
// process that can be signalled and killed.
func TestMain(m *testing.M) {
	if os.Getenv("TALOS_NODE_RUN_MAIN") == "1" {
		main()

		return
	}

	os.Exit(m.Run())
}

// descendantsIn lists the processes whose command line mentions dir (every program the stand-in starts reads its
// files from its work folder there).
func descendantsIn(dir string) []string {
	entries, _ := os.ReadDir("/proc") //nolint:errcheck

	var out []string

	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}

		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(raw), dir) || !proc.Alive(pid) {
			continue
		}

		out = append(out, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(raw), "\x00", " ")[:min(len(raw), 120)]))
	}

	return out
}

func getJSON(url string, v any) error {
	res, err := http.Get(url) //nolint:gosec,noctx
	if err != nil {
		return err
	}

	defer res.Body.Close() //nolint:errcheck

	return json.NewDecoder(res.Body).Decode(v)
}

// TestKubernetesProgramsEndWithTheStandIn: after a bootstrap with Kubernetes, SIGTERM (exit 0) and SIGKILL of the
// stand-in leave no program of it running.
func TestKubernetesProgramsEndWithTheStandIn(t *testing.T) {
	bin := fixture.EnvOrSkip(t, "KUBE_BIN", "the stand-in's Kubernetes process lifecycle test")

	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			addr := fmt.Sprintf("127.0.%d.2", 82+i)
			workDir := t.TempDir()
			cfg := writeConfig(t, fmt.Sprintf(`{"port":0,"installDelayMs":10,"rebootDelayMs":10,"nodes":[{"address":%q,"talosVersion":"v1.12.1",
				"disks":[{"deviceName":"/dev/nvme0n1","size":512110190592,"type":"nvme"}]}],"kubernetes":{"binDir":%q,"workDir":%q}}`, addr, bin, workDir))

			cmd := exec.Command(os.Args[0], "--config", cfg)
			cmd.Env = append(os.Environ(), "TALOS_NODE_RUN_MAIN=1")
			cmd.Stderr = os.Stderr

			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}

			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}

			exited := make(chan error, 1)

			t.Cleanup(func() {
				_ = cmd.Process.Kill() //nolint:errcheck

				for _, p := range descendantsIn(workDir) {
					if pid, err := strconv.Atoi(strings.Fields(p)[0]); err == nil {
						_ = syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck
					}
				}
			})

			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}

			var ready struct {
				Control string `json:"control"`
				Port    int    `json:"port"`
			}

			if err := json.Unmarshal([]byte(line), &ready); err != nil {
				t.Fatal(err)
			}

			go func() { exited <- cmd.Wait() }()

			bundle, err := fixture.Generate(fixture.Options{Endpoint: "https://" + addr + ":6443"})
			if err != nil {
				t.Fatal(err)
			}

			data, err := fixture.WithHostname(bundle.ControlPlane, "cp-1")
			if err != nil {
				t.Fatal(err)
			}

			endpoint := fmt.Sprintf("%s:%d", addr, ready.Port)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()

			insecure, err := client.New(ctx, client.WithTLSConfig(&tls.Config{InsecureSkipVerify: true}), client.WithEndpoints(endpoint)) //nolint:gosec
			if err != nil {
				t.Fatal(err)
			}

			defer insecure.Close() //nolint:errcheck

			if _, err := insecure.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: data}); err != nil {
				t.Fatal(err)
			}

			admin, err := client.New(ctx, client.WithConfig(bundle.Talosconfig), client.WithEndpoints(endpoint))
			if err != nil {
				t.Fatal(err)
			}

			defer admin.Close() //nolint:errcheck

			for {
				if err := admin.Bootstrap(ctx, &machine.BootstrapRequest{}); err == nil {
					break
				} else if ctx.Err() != nil {
					t.Fatalf("bootstrap: %v", err)
				}

				time.Sleep(200 * time.Millisecond)
			}

			var k8s struct {
				WorkDir  string `json:"workDir"`
				Clusters []struct {
					Phase    string         `json:"phase"`
					Programs map[string]int `json:"programs"`
				} `json:"clusters"`
				PIDs []int `json:"pids"`
			}

			for {
				if err := getJSON(ready.Control+"/kubernetes", &k8s); err == nil && len(k8s.Clusters) == 1 && k8s.Clusters[0].Phase == "running" &&
					len(k8s.Clusters[0].Programs) == 5 {
					break
				}

				if ctx.Err() != nil {
					t.Fatalf("the control plane did not run: %+v", k8s)
				}

				time.Sleep(250 * time.Millisecond)
			}

			running := descendantsIn(workDir)
			if len(running) < 5 {
				t.Fatalf("expected the five programs among the stand-in's children: %v", running)
			}

			t.Logf("running: %v", k8s.Clusters[0].Programs)

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}

			select {
			case err := <-exited:
				if sig == syscall.SIGTERM && err != nil {
					t.Fatalf("exit after SIGTERM: %v, want 0", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the stand-in did not exit")
			}

			alive := func() []string {
				left := descendantsIn(workDir)

				for name, pid := range k8s.Clusters[0].Programs {
					if proc.Alive(pid) {
						left = append(left, fmt.Sprintf("%s (pid %d)", name, pid))
					}
				}

				return left
			}

			// a big process takes a moment to exit after SIGKILL
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(alive()) > 0; {
				time.Sleep(100 * time.Millisecond)
			}

			if left := alive(); len(left) > 0 {
				t.Fatalf("after %s these programs of the stand-in still run: %v", sig, left)
			}

			if _, err := os.Stat(k8s.WorkDir); sig == syscall.SIGTERM && !os.IsNotExist(err) {
				t.Errorf("after SIGTERM the work folder %s must be gone (%v)", k8s.WorkDir, err)
			}
		})
	}
}
