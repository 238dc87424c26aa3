package server_test

import (
	"context"
	"crypto/tls"
	stdx509 "crypto/x509"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"

	"homelab.local/e2e/talos-node/internal/calllog"
	"homelab.local/e2e/talos-node/internal/config"
	"homelab.local/e2e/talos-node/internal/fixture"
	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/server"
)

// standIn is a running stand-in (in-process) with real listeners on loopback addresses.
type standIn struct {
	cluster *node.Cluster
	server  *server.Server
	log     *calllog.Log
	addrs   []string
	bundle  *fixture.Bundle
}

var timing = node.Timing{Install: 50 * time.Millisecond, Reboot: 100 * time.Millisecond, Settle: 20 * time.Millisecond, Hold: 1200 * time.Millisecond}

// start serves one node per address (127.0.<block>.<2..>) at a free port shared by all of them.
func start(t *testing.T, block int, nodes int) *standIn {
	t.Helper()

	return startAt(t, block, nodes, 0)
}

// startAt is start at a given port (50000: Talos' own, as talosctl and the provider assume).
func startAt(t *testing.T, block, nodes, port int) *standIn {
	t.Helper()

	f := &config.File{}
	for i := range nodes {
		f.Nodes = append(f.Nodes, config.Node{
			Address: fmt.Sprintf("127.0.%d.%d", block, i+2), TalosVersion: "v1.12.1", MemoryMiB: 8192,
			Disks:             []config.Disk{{DeviceName: "/dev/nvme0n1", Size: 512110190592, Model: "Samsung SSD 980", Type: "nvme"}},
			EtcdSnapshotBytes: 300 << 10,
		})
	}

	log, err := calllog.Open("")
	if err != nil {
		t.Fatal(err)
	}

	s := &standIn{log: log}
	s.cluster = node.NewCluster(f, node.RealScheduler{}, timing, t.Logf)
	s.server = server.New(s.cluster, log, port, t.Logf)
	s.cluster.Start()
	s.addrs = s.cluster.Addresses()

	t.Cleanup(s.server.Close)

	for _, a := range s.addrs {
		if !s.server.Serving(a) {
			t.Fatalf("%s is not listening", a)
		}
	}

	s.bundle, err = fixture.Generate(fixture.Options{Endpoint: "https://" + s.addrs[0] + ":6443"})
	if err != nil {
		t.Fatal(err)
	}

	return s
}

func (s *standIn) endpoint(addr string) string {
	return net.JoinHostPort(addr, strconv.Itoa(s.server.Port()))
}

// insecure is the maintenance-mode client (talosctl --insecure, the provider's probe).
func (s *standIn) insecure(t *testing.T, addr string) *client.Client {
	t.Helper()

	c, err := client.New(context.Background(), client.WithTLSConfig(&tls.Config{InsecureSkipVerify: true}), client.WithEndpoints(s.endpoint(addr)))
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { c.Close() }) //nolint:errcheck

	return c
}

// admin is a client with the generated talosconfig (os:admin), aimed at an endpoint.
func (s *standIn) admin(t *testing.T, addr string) *client.Client {
	t.Helper()

	c, err := client.New(context.Background(), client.WithConfig(s.bundle.Talosconfig), client.WithEndpoints(s.endpoint(addr)))
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { c.Close() }) //nolint:errcheck

	return c
}

// withRole is a client whose certificate the OS CA signed for another role (os:reader, os:operator).
func (s *standIn) withRole(t *testing.T, addr, role string) *client.Client {
	t.Helper()

	cfg, err := configloader.NewFromBytes(s.bundle.ControlPlane)
	if err != nil {
		t.Fatal(err)
	}

	caPEM := cfg.Machine().Security().IssuingCA()

	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(caPEM)
	if err != nil {
		t.Fatal(err)
	}

	pair, err := x509.NewKeyPair(ca, x509.Organization(role), x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}))
	if err != nil {
		t.Fatal(err)
	}

	pool := stdx509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM.Crt)

	c, err := client.New(context.Background(), client.WithTLSConfig(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{*pair.Certificate}}),
		client.WithEndpoints(s.endpoint(addr)))
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { c.Close() }) //nolint:errcheck

	return c
}

func (s *standIn) state(addr string) node.State {
	for _, st := range s.cluster.States() {
		if st.Address == addr {
			return st
		}
	}

	return node.State{}
}

// waitFor polls the node state until cond holds.
func (s *standIn) waitFor(t *testing.T, addr string, what string, cond func(node.State) bool) node.State {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)

	for time.Now().Before(deadline) {
		if st := s.state(addr); cond(st) {
			return st
		}

		time.Sleep(10 * time.Millisecond)
	}

	t.Fatalf("%s: timed out waiting for %s (state %+v)", addr, what, s.state(addr))

	return node.State{}
}

func (s *standIn) configured(t *testing.T, addr string) node.State {
	t.Helper()

	return s.waitFor(t, addr, "configured mode", func(st node.State) bool { return st.Mode == node.ModeConfigured && s.server.Serving(addr) })
}

// apply sends a machine config in maintenance mode (what the provider's first ConfigurationApply does).
func (s *standIn) apply(t *testing.T, addr string, data []byte) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := s.insecure(t, addr).ApplyConfiguration(client.WithNode(ctx, addr), &machine.ApplyConfigurationRequest{Data: data}); err != nil {
		t.Fatalf("%s: apply: %v", addr, err)
	}
}

// entries returns the log lines of a method (full name) to a node.
func (s *standIn) entries(method, nodeAddr string) []calllog.Entry {
	var out []calllog.Entry

	for _, e := range s.log.Entries() {
		if e.Method == method && (nodeAddr == "" || e.Node == nodeAddr) {
			out = append(out, e)
		}
	}

	return out
}

func timeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)

	return ctx
}
