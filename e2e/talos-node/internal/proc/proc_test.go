package proc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}

func script(t *testing.T, body string) string {
	t.Helper()

	p := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}

	return p
}

func TestStopEndsTheWholeGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child")

	// a program that ignores SIGTERM and leaves a grandchild behind
	p, err := Start(Spec{Name: "stubborn", Path: script(t, `trap '' TERM; sleep 300 & echo $! > `+pidFile+`; while true; do sleep 1; done`), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}

	var child int

	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && child == 0; time.Sleep(20 * time.Millisecond) {
		if raw, err := os.ReadFile(pidFile); err == nil && len(bytes.TrimSpace(raw)) > 0 {
			child = atoi(strings.TrimSpace(string(raw)))
		}
	}

	if child == 0 || !Alive(child) || !Alive(p.PID()) {
		t.Fatal("the program did not start its grandchild")
	}

	start := time.Now()

	if err := p.Stop(300 * time.Millisecond); err != nil {
		t.Fatal(err)
	}

	if took := time.Since(start); took < 250*time.Millisecond || took > 5*time.Second {
		t.Fatalf("stop took %s: SIGTERM is ignored, SIGKILL must follow the grace period", took)
	}

	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && Alive(child); {
		time.Sleep(20 * time.Millisecond)
	}

	if Alive(p.PID()) || Alive(child) || !p.Stopped() {
		t.Fatalf("program %v, grandchild %v still alive", Alive(p.PID()), Alive(child))
	}
}

func TestExitIsReported(t *testing.T) {
	var out syncBuffer

	p, err := Start(Spec{Name: "short", Path: script(t, `echo "$HOME $EXTRA"; exit 3`), Env: []string{"EXTRA=x"}, Dir: t.TempDir(), Log: &out})
	if err != nil {
		t.Fatal(err)
	}

	<-p.Done()

	exited, err := p.Exited()
	if !exited || err == nil || !strings.Contains(err.Error(), "exit status 3") || p.ExitedAt().IsZero() || p.Stopped() {
		t.Fatalf("exited %v err %v", exited, err)
	}

	if !strings.HasSuffix(strings.TrimSpace(out.String()), " x") {
		t.Fatalf("output %q", out.String())
	}
}

func atoi(s string) int {
	n := 0

	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}

		n = n*10 + int(c-'0')
	}

	return n
}
