package kube_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// talosctlBin is the real talosctl v1.13.0 (TALOSCTL), or the test is skipped.
func talosctlBin(t *testing.T) string {
	t.Helper()

	bin := os.Getenv("TALOSCTL")
	if bin == "" {
		t.Skip("TALOSCTL is not set: skipping the real talosctl flows (health with Kubernetes, upgrade-k8s)")
	}

	return bin
}

type talosctl struct {
	bin, config, home string
}

func newTalosctl(t *testing.T, e *env) *talosctl {
	t.Helper()

	bin := talosctlBin(t)
	dir := t.TempDir()

	e.bundle.Talosconfig.Contexts[e.bundle.Talosconfig.Context].Endpoints = []string{e.cps[0]}

	tc := filepath.Join(dir, "talosconfig")
	if err := e.bundle.Talosconfig.Save(tc); err != nil {
		t.Fatal(err)
	}

	return &talosctl{bin: bin, config: tc, home: dir}
}

// run runs talosctl and returns its combined output and error.
func (tc *talosctl) run(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, tc.bin, append([]string{"--talosconfig", tc.config}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+tc.home)

	out, err := cmd.CombinedOutput()

	return string(out), err
}

func (tc *talosctl) must(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()

	out, err := tc.run(timeout, args...)
	if err != nil {
		t.Fatalf("talosctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}

	return out
}
