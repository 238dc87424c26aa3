package control_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"homelab.local/e2e/talos-node/internal/calllog"
	"homelab.local/e2e/talos-node/internal/config"
	"homelab.local/e2e/talos-node/internal/control"
	"homelab.local/e2e/talos-node/internal/kube"
	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/server"
)

func handler(t *testing.T, withKube bool) http.Handler {
	t.Helper()

	f, err := config.Parse([]byte(`{"port":0,"nodes":[{"address":"127.0.95.2","talosVersion":"v1.12.1"}]}`))
	if err != nil {
		t.Fatal(err)
	}

	log, _ := calllog.Open("") //nolint:errcheck
	cluster := node.NewCluster(f, node.RealScheduler{}, node.Timing{Install: time.Millisecond, Reboot: time.Millisecond}, nil)
	srv := server.New(cluster, log, 0, nil)
	t.Cleanup(srv.Close)

	h := &control.Handler{Cluster: cluster, Server: srv, Log: log}

	if withKube {
		bin := t.TempDir()
		for _, p := range config.KubernetesPrograms {
			if err := os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\nexec sleep 300\n"), 0o700); err != nil {
				t.Fatal(err)
			}
		}

		if h.Kube, err = kube.New(&config.Kubernetes{BinDir: bin, WorkDir: t.TempDir(), StartTimeoutMs: 1000}, cluster, nil); err != nil {
			t.Fatal(err)
		}

		h.Kube.Start()
		t.Cleanup(h.Kube.Close)
	}

	cluster.Start()

	return h
}

func call(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))

	return rec.Code, rec.Body.String()
}

func TestKubernetesRoutes(t *testing.T) {
	without := handler(t, false)
	with := handler(t, true)

	for _, tc := range []struct {
		name     string
		h        http.Handler
		method   string
		path     string
		body     string
		wantCode int
		want     string
	}{
		{"no kubernetes: status", without, "GET", "/kubernetes", "", 200, `{"enabled":false}`},
		{"no kubernetes: never-ready", without, "PUT", "/kubernetes/never-ready", `{"namespace":"a","labelSelector":"b=c"}`, 409, "runs no Kubernetes"},
		{"no kubernetes: API server", without, "POST", "/nodes/127.0.95.2/kubernetes/apiserver/stop", "", 409, "runs no Kubernetes"},
		{"status", with, "GET", "/kubernetes", "", 200, `"enabled":true`},
		{"never-ready: a rule", with, "PUT", "/kubernetes/never-ready", `{"namespace":"synology-csi","labelSelector":"app=controller"}`, 200,
			`[{"namespace":"synology-csi","labelSelector":"app=controller"}]`},
		{"never-ready: another", with, "PUT", "/kubernetes/never-ready", `{"namespace":"x","labelSelector":""}`, 200, `"namespace":"x"`},
		{"never-ready: bad selector", with, "PUT", "/kubernetes/never-ready", `{"namespace":"x","labelSelector":"a in b"}`, 400, "labelSelector"},
		{"never-ready: unknown key", with, "PUT", "/kubernetes/never-ready", `{"ns":"x"}`, 400, "unknown field"},
		{"never-ready: list", with, "GET", "/kubernetes/never-ready", "", 200, `"synology-csi"`},
		{"never-ready: delete one", with, "DELETE", "/kubernetes/never-ready", `{"namespace":"x","labelSelector":""}`, 200,
			`[{"namespace":"synology-csi","labelSelector":"app=controller"}]`},
		{"never-ready: delete all", with, "DELETE", "/kubernetes/never-ready", "", 200, `[]`},
		{"API server of a node in maintenance", with, "POST", "/nodes/127.0.95.2/kubernetes/apiserver/stop", "", 409, "not a configured control plane"},
		{"API server as a fault kind", with, "POST", "/nodes/127.0.95.2/faults", `{"kind":"apiserver-stop"}`, 409, "not a configured control plane"},
		{"node view without a config has no kubernetes", with, "GET", "/nodes/127.0.95.2", "", 200, `"mode":"maintenance"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(t, tc.h, tc.method, tc.path, tc.body)
			if code != tc.wantCode || !strings.Contains(body, tc.want) {
				t.Fatalf("%s %s: %d %s; want %d with %q", tc.method, tc.path, code, body, tc.wantCode, tc.want)
			}

			if strings.HasPrefix(tc.path, "/nodes/") && tc.method == "GET" {
				var v map[string]any
				if err := json.Unmarshal([]byte(body), &v); err != nil || v["kubernetes"] != nil {
					t.Fatalf("node view %s", body)
				}
			}
		})
	}
}
