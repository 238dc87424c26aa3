package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()

	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}

	return p
}

func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		want   int
		stderr string
	}{
		{name: "no config", args: nil, want: 2, stderr: "--config <file.json> is required"},
		{name: "missing file", args: []string{"--config", "/nonexistent/x.json"}, want: 2, stderr: "no such file"},
		{name: "bad config", args: []string{"--config", writeConfig(t, `{"nodes":[{"address":"10.0.0.1","talosVersion":"v1.12.1"}]}`)}, want: 2,
			stderr: "nodes[0].address: 10.0.0.1 is not a loopback address"},
		{name: "control off loopback", args: []string{"--config", writeConfig(t, `{"nodes":[{"address":"127.0.80.2","talosVersion":"v1.12.1"}]}`), "--control", "0.0.0.0:0"},
			want: 2, stderr: "--control"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder

			if got := run(context.Background(), tc.args, io.Discard, &stderr); got != tc.want || !strings.Contains(stderr.String(), tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", got, stderr.String(), tc.want, tc.stderr)
			}
		})
	}
}

func TestServesUntilStoppedAndPrintsOneReadyLine(t *testing.T) {
	cfg := writeConfig(t, `{"port":0,"installDelayMs":10,"rebootDelayMs":10,"nodes":[
		{"address":"127.0.80.2","talosVersion":"v1.12.1"},{"address":"127.0.80.3","talosVersion":"v1.11.5"}]}`)
	logFile := filepath.Join(t.TempDir(), "calls.jsonl")

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)

	go func() {
		done <- run(ctx, []string{"--config", cfg, "--log", logFile, "--control", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close() //nolint:errcheck
	}()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}

	var ready struct {
		Ready   bool     `json:"ready"`
		Control string   `json:"control"`
		Port    int      `json:"port"`
		Nodes   []string `json:"nodes"`
	}

	if err := json.Unmarshal([]byte(line), &ready); err != nil || !ready.Ready || len(ready.Nodes) != 2 || !strings.HasPrefix(ready.Control, "http://127.0.0.1:") {
		t.Fatalf("ready line %q: %v", line, err)
	}

	for _, n := range ready.Nodes {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(n, itoa(ready.Port)), time.Second)
		if err != nil {
			t.Fatalf("%s is not listening: %v", n, err)
		}

		c.Close() //nolint:errcheck
	}

	res, err := http.Get(ready.Control + "/nodes")
	if err != nil {
		t.Fatal(err)
	}

	var nodes []map[string]any
	if err := json.NewDecoder(res.Body).Decode(&nodes); err != nil || len(nodes) != 2 || nodes[1]["talosVersion"] != "v1.11.5" || nodes[0]["mode"] != "maintenance" {
		t.Fatalf("GET /nodes: %v %v", nodes, err)
	}

	res.Body.Close() //nolint:errcheck

	cancel()

	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after SIGTERM, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop")
	}

	if _, err := net.DialTimeout("tcp", net.JoinHostPort(ready.Nodes[0], itoa(ready.Port)), time.Second); err == nil {
		t.Fatal("listeners must be closed on exit")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
