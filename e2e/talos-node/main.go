// Command talos-node plays one or more Talos nodes on Talos' own gRPC API (apid/machined as the Talos provider and
// talosctl use them), each on its own loopback address, plus an HTTP control API for tests.
//
//	talos-node --config <file.json> [--log <file.jsonl>] [--control 127.0.0.1:0]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"homelab.local/e2e/talos-node/internal/calllog"
	"homelab.local/e2e/talos-node/internal/config"
	"homelab.local/e2e/talos-node/internal/control"
	"homelab.local/e2e/talos-node/internal/kube"
	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)

	stop()
	os.Exit(code)
}

// ready is the one line printed on stdout once every node listens.
type ready struct {
	Ready   bool     `json:"ready"`
	Control string   `json:"control"`
	Port    int      `json:"port"`
	Nodes   []string `json:"nodes"`
}

// run serves until ctx ends (SIGTERM/SIGINT): 0 then, 2 for a bad command line or configuration, 1 when the
// addresses cannot be listened on.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("talos-node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "stand-in configuration (JSON: port, installDelayMs, rebootDelayMs, nodes)")
	logPath := fs.String("log", "", "append every gRPC call to this JSON-lines file")
	controlAddr := fs.String("control", "127.0.0.1:0", "loopback address of the HTTP control API")

	if err := fs.Parse(args); err != nil {
		return 2
	}

	logger := log.New(stderr, "talos-node: ", log.LstdFlags|log.Lmicroseconds)

	if *configPath == "" {
		logger.Print("--config <file.json> is required")

		return 2
	}

	cfg, err := config.Load(*configPath)
	if err != nil {
		logger.Print(err)

		return 2
	}

	host, _, err := net.SplitHostPort(*controlAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		logger.Printf("--control: %q must be a loopback host:port such as 127.0.0.1:0", *controlAddr)

		return 2
	}

	calls, err := calllog.Open(*logPath)
	if err != nil {
		logger.Print(err)

		return 2
	}
	defer calls.Close() //nolint:errcheck

	cluster := node.NewCluster(cfg, node.RealScheduler{}, node.Timing{
		Install: time.Duration(cfg.InstallDelayMs) * time.Millisecond,
		Reboot:  time.Duration(cfg.RebootDelayMs) * time.Millisecond,
		Settle:  200 * time.Millisecond,
		Hold:    1500 * time.Millisecond,
	}, logger.Printf)

	srv := server.New(cluster, calls, cfg.Port, logger.Printf)
	defer srv.Close()

	var k8s *kube.Manager

	if cfg.Kubernetes != nil {
		if k8s, err = kube.New(cfg.Kubernetes, cluster, logger.Printf); err != nil {
			logger.Print(err)

			return 1
		}

		defer k8s.Close() // every program it started stops, its folder goes
	}

	cluster.Start()

	if k8s != nil {
		k8s.Start()
	}

	for _, addr := range cluster.Addresses() {
		if !srv.Serving(addr) {
			logger.Printf("%s: could not listen on port %d", addr, cfg.Port)

			return 1
		}
	}

	lis, err := net.Listen("tcp", *controlAddr)
	if err != nil {
		logger.Printf("--control: %v", err)

		return 1
	}

	httpSrv := &http.Server{Handler: &control.Handler{Cluster: cluster, Server: srv, Log: calls, Kube: k8s}, ReadHeaderTimeout: 5 * time.Second}

	go func() {
		if err := httpSrv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Printf("control API: %v", err)
		}
	}()

	line, _ := json.Marshal(ready{Ready: true, Control: "http://" + lis.Addr().String(), Port: srv.Port(), Nodes: cluster.Addresses()}) //nolint:errcheck
	fmt.Fprintln(stdout, string(line))

	<-ctx.Done()
	logger.Print("stopping")

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	_ = httpSrv.Shutdown(shutdownCtx) //nolint:errcheck

	return 0
}
