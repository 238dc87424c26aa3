package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/cluster"
	"github.com/siderolabs/talos/pkg/cluster/check"
	"github.com/siderolabs/talos/pkg/conditions"
	machineapi "github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"

	"homelab.local/e2e/talos-node/internal/server"
)

// clusterNodes is the Talos provider's cluster.Info (terraform-provider-talos talos_cluster_health_data_source.go).
type clusterNodes struct {
	byType map[machine.Type][]cluster.NodeInfo
	all    []cluster.NodeInfo
}

func (c *clusterNodes) Nodes() []cluster.NodeInfo                     { return c.all }
func (c *clusterNodes) NodesByType(t machine.Type) []cluster.NodeInfo { return c.byType[t] }

type reporter struct {
	mu    sync.Mutex
	lines []string
}

func (r *reporter) Update(c conditions.Condition) {
	r.mu.Lock()
	defer r.mu.Unlock()

	line := "waiting for " + c.String()
	if len(r.lines) == 0 || r.lines[len(r.lines)-1] != line {
		r.lines = append(r.lines, line)
	}
}

func (r *reporter) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()

	return strings.Join(r.lines, "\n")
}

// providerHealth runs what talos:cluster/getHealth runs with skipKubernetesChecks (check.PreBootSequenceChecks).
func providerHealth(t *testing.T, s *standIn, timeout time.Duration, endpoint string, controlPlanes, workers []string) (string, error) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	c, err := client.New(ctx, client.WithConfig(s.bundle.Talosconfig), client.WithEndpoints(s.endpoint(endpoint)))
	if err != nil {
		t.Fatal(err)
	}

	provider := &cluster.ConfigClientProvider{DefaultClient: c}
	defer provider.Close() //nolint:errcheck

	cps, err := cluster.IPsToNodeInfos(controlPlanes)
	if err != nil {
		t.Fatal(err)
	}

	ws, err := cluster.IPsToNodeInfos(workers)
	if err != nil {
		t.Fatal(err)
	}

	info := &clusterNodes{
		byType: map[machine.Type][]cluster.NodeInfo{machine.TypeControlPlane: cps, machine.TypeWorker: ws},
		all:    append(append([]cluster.NodeInfo{}, cps...), ws...),
	}

	state := struct {
		cluster.ClientProvider
		cluster.K8sProvider
		cluster.Info
	}{provider, &cluster.KubernetesClient{ClientProvider: provider}, info}

	r := &reporter{}
	err = check.Wait(ctx, &state, check.PreBootSequenceChecks(), r)

	return r.String(), err
}

func TestTheProvidersHealthCheckWithoutKubernetes(t *testing.T) {
	s := start(t, 78, 3)
	cp1, cp2, worker := s.addrs[0], s.addrs[1], s.addrs[2]
	cps, workers := []string{cp1, cp2}, []string{worker}

	for _, a := range cps {
		s.apply(t, a, s.bundle.ControlPlane)
	}

	s.apply(t, worker, s.bundle.Worker)

	for _, a := range s.addrs {
		s.configured(t, a)
	}

	// not bootstrapped: etcd waits, and the check names the control planes
	report, err := providerHealth(t, s, 3*time.Second, cp1, cps, workers)
	if err == nil || !strings.Contains(report, cp1+": service \"etcd\" not in expected state") {
		t.Fatalf("before bootstrap the check must fail on etcd naming the node; got %v\n%s", err, report)
	}

	if err := s.admin(t, cp1).Bootstrap(client.WithNode(timeout(t, 5*time.Second), cp1), &machineapi.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}

	if report, err := providerHealth(t, s, 20*time.Second, cp1, cps, workers); err != nil {
		t.Fatalf("healthy stand-ins must pass: %v\n%s", err, report)
	}

	if err := s.server.AddFault(worker, server.Fault{Kind: server.FaultPowerOff}); err != nil {
		t.Fatal(err)
	}

	report, err = providerHealth(t, s, 7*time.Second, cp1, cps, workers)
	if err == nil || !strings.Contains(report, worker) {
		t.Fatalf("with the worker powered off the check must fail naming it; got %v\n%s", err, report)
	}

	t.Logf("report with the worker off:\n%s", report)
}
