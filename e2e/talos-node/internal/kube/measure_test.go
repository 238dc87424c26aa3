package kube_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuAndRSS reads a process's CPU time (user+system) and resident memory from /proc.
func cpuAndRSS(pid int) (time.Duration, int64, string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, "", err
	}

	s := string(raw)
	name := s[strings.Index(s, "(")+1 : strings.LastIndex(s, ")")]
	fields := strings.Fields(s[strings.LastIndex(s, ")")+2:])

	utime, _ := strconv.ParseInt(fields[11], 10, 64) //nolint:errcheck
	stime, _ := strconv.ParseInt(fields[12], 10, 64) //nolint:errcheck
	rss, _ := strconv.ParseInt(fields[21], 10, 64)   //nolint:errcheck

	const ticks = 100 // CLK_TCK on Linux

	return time.Duration(utime+stime) * time.Second / ticks, rss * int64(os.Getpagesize()), name, nil
}

// TestMeasureIdle (KUBE_MEASURE=1) reports the control plane's CPU and memory at idle after a passing health check.
func TestMeasureIdle(t *testing.T) {
	if os.Getenv("KUBE_MEASURE") == "" {
		t.Skip("KUBE_MEASURE is not set: skipping the idle measurement")
	}

	for _, shape := range []struct{ cps, workers int }{{1, 0}, {3, 2}} {
		t.Run(fmt.Sprintf("%d+%d", shape.cps, shape.workers), func(t *testing.T) {
			e := startEnv(t, envOptions{block: 96 + shape.cps, cps: shape.cps, workers: shape.workers})
			start := e.bootstrap(t)

			e.waitHealthy(t, 5*time.Minute)
			t.Logf("bootstrap to a passing health check: %s", time.Since(start).Round(100*time.Millisecond))

			time.Sleep(20 * time.Second) // settle

			pids := append(e.mgr.PIDs(), os.Getpid())
			before := map[int]time.Duration{}

			for _, pid := range pids {
				before[pid], _, _, _ = cpuAndRSS(pid) //nolint:errcheck
			}

			const window = 60 * time.Second

			time.Sleep(window)

			var totalCPU time.Duration

			var totalRSS int64

			for _, pid := range pids {
				cpu, rss, name, err := cpuAndRSS(pid)
				if err != nil {
					continue
				}

				if pid == os.Getpid() {
					name = "stand-in (test process)"
				}

				used := cpu - before[pid]
				totalCPU += used
				totalRSS += rss

				t.Logf("%-26s CPU %5.1f%% of one core, RSS %4d MiB", name, 100*used.Seconds()/window.Seconds(), rss>>20)
			}

			t.Logf("%-26s CPU %5.1f%% of one core, RSS %4d MiB", "total", 100*totalCPU.Seconds()/window.Seconds(), totalRSS>>20)
		})
	}
}
