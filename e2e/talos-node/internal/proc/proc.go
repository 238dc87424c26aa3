// Package proc runs the stand-in's child programs so that none outlives it: each runs in its own process group
// (stopping it signals the whole group) with the parent-death signal set to SIGKILL, so a SIGKILLed stand-in
// takes them along. The parent-death signal follows the OS thread that forked the child (prctl PR_SET_PDEATHSIG),
// so every child is started from one goroutine locked to its thread for the life of the process.
package proc

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

type startReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan startReq
)

// spawner starts every child from one goroutine that stays locked to its OS thread: the thread never exits, so
// PR_SET_PDEATHSIG only fires when the stand-in dies.
func spawner() {
	runtime.LockOSThread() // never unlocked: this goroutine and its thread live as long as the process

	for req := range spawnCh {
		req.done <- req.cmd.Start()
	}
}

func start(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan startReq)

		go spawner()
	})

	req := startReq{cmd: cmd, done: make(chan error, 1)}
	spawnCh <- req

	return <-req.done
}

// Spec is a program to run.
type Spec struct {
	Name string   // for logs
	Path string   // executable
	Args []string // without argv[0]
	Env  []string // extra environment (added to a minimal one)
	Dir  string
	Log  io.Writer // stdout and stderr
}

// Process is a running child.
type Process struct {
	Name     string
	cmd      *exec.Cmd
	done     chan struct{}
	err      error
	exitedAt time.Time

	mu      sync.Mutex
	stopped bool
}

// Start runs a program in its own process group, killed with the stand-in.
func Start(spec Spec) (*Process, error) {
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + spec.Dir, "GOTRACEBACK=single"}, spec.Env...)
	cmd.Stdout = spec.Log
	cmd.Stderr = spec.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}

	if err := start(cmd); err != nil {
		return nil, fmt.Errorf("starting %s: %w", spec.Name, err)
	}

	p := &Process{Name: spec.Name, cmd: cmd, done: make(chan struct{})}

	go func() {
		p.err = cmd.Wait()
		p.exitedAt = time.Now()
		close(p.done)
	}()

	return p, nil
}

// PID is the child's process ID (also its process group ID).
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the child has exited, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// ExitedAt is when the child exited (zero while it runs).
func (p *Process) ExitedAt() time.Time {
	select {
	case <-p.done:
		return p.exitedAt
	default:
		return time.Time{}
	}
}

// Stop sends SIGTERM to the child's process group, then SIGKILL after grace, and waits for the child.
func (p *Process) Stop(grace time.Duration) error {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()

	pgid := p.cmd.Process.Pid

	select {
	case <-p.done:
		_ = syscall.Kill(-pgid, syscall.SIGKILL) //nolint:errcheck // anything left in its group

		return nil
	default:
	}

	_ = syscall.Kill(-pgid, syscall.SIGTERM) //nolint:errcheck

	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL) //nolint:errcheck
		<-p.done
	}

	_ = syscall.Kill(-pgid, syscall.SIGKILL) //nolint:errcheck // grandchildren, if any

	return nil
}

// Stopped reports whether Stop was called (an exit then is not a crash).
func (p *Process) Stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()

	return p.stopped
}

// Alive reports whether a process with this PID exists and is not a zombie.
func Alive(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}

	// pid (comm) state ...: the state follows the last ')'
	for i := len(raw) - 1; i >= 0; i-- {
		if raw[i] == ')' {
			return i+2 < len(raw) && raw[i+2] != 'Z'
		}
	}

	return true
}
