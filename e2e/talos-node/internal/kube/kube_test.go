package kube_test

import (
	"testing"
	"time"
)

func TestOneControlPlane(t *testing.T) {
	e := startEnv(t, envOptions{block: 91, cps: 1})
	start := e.bootstrap(t)

	e.waitHealthy(t, 4*time.Minute)
	t.Logf("bootstrap to a passing health check: %s", time.Since(start))
}
