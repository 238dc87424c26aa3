package kube_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"homelab.local/e2e/talos-node/internal/fixture"
)

// talosctlBin is the real talosctl v1.13.0 (TALOSCTL), or the test is skipped.
func talosctlBin(t *testing.T) string {
	t.Helper()

	return fixture.EnvOrSkip(t, "TALOSCTL", "the real talosctl flows (health with Kubernetes, upgrade-k8s)")
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
