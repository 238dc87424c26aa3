package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"homelab.local/e2e/talos-node/internal/control"
	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/server"
)

// twoNodes is a configured control plane (bootstrapped) and worker.
func twoNodes(t *testing.T, block int) (*standIn, string, string) {
	t.Helper()

	s := start(t, block, 2)
	cp, worker := s.addrs[0], s.addrs[1]

	s.apply(t, cp, s.bundle.ControlPlane)
	s.configured(t, cp)

	if err := s.admin(t, cp).Bootstrap(client.WithNode(timeout(t, 5*time.Second), cp), &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}

	s.apply(t, worker, s.bundle.Worker)
	s.configured(t, worker)

	return s, cp, worker
}

func TestCallsAreRoutedLikeApid(t *testing.T) {
	s, cp, worker := twoNodes(t, 75)
	c := s.admin(t, cp)
	ctx := timeout(t, 10*time.Second)

	// node: one target, answered verbatim (no metadata), as apid's one-to-one proxying
	mem, err := c.Memory(client.WithNode(ctx, worker))
	if err != nil {
		t.Fatal(err)
	}

	if m := mem.GetMessages()[0]; m.GetMetadata() != nil || m.GetMeminfo().GetMemtotal() != 8192*1024 {
		t.Fatalf("one-to-one answer %v", m)
	}

	// nodes: fan-out, every message tagged with its node
	svc, err := c.ServiceList(client.WithNodes(ctx, cp, worker))
	if err != nil {
		t.Fatal(err)
	}

	hosts := map[string][]string{}

	for _, m := range svc.GetMessages() {
		for _, s := range m.GetServices() {
			hosts[m.GetMetadata().GetHostname()] = append(hosts[m.GetMetadata().GetHostname()], s.GetId())
		}
	}

	if !strings.Contains(strings.Join(hosts[cp], ","), "etcd") || strings.Contains(strings.Join(hosts[worker], ","), "etcd") || !strings.Contains(strings.Join(hosts[worker], ","), "kubelet") {
		t.Fatalf("services by node %v", hosts)
	}

	// a node nobody answers for: its message carries the error, the others still answer
	_, err = c.Version(client.WithNodes(ctx, cp, "127.0.75.99"))
	if err == nil || !strings.Contains(err.Error(), "127.0.75.99") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("fan-out to an absent node: %v", err)
	}

	// COSI is not fanned out (apid refuses)
	_, err = safe.StateGetByID[*runtime.MachineStatus](client.WithNodes(ctx, cp, worker), c.COSI, runtime.MachineStatusID)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("COSI one-to-many: %v", err)
	}

	ms, err := safe.StateGetByID[*runtime.MachineStatus](client.WithNode(ctx, worker), c.COSI, runtime.MachineStatusID)
	if err != nil {
		t.Fatal(err)
	}

	if ms.TypedSpec().Stage != runtime.MachineStageRunning || !ms.TypedSpec().Status.Ready {
		t.Fatalf("worker machine status %+v", ms.TypedSpec())
	}

	e := s.entries("/machine.MachineService/Memory", worker)
	if len(e) != 1 || e[0].Listener != cp || e[0].Routing != "one2one" {
		t.Fatalf("the log names the target node and the endpoint: %+v", e)
	}
}

func TestFaults(t *testing.T) {
	s, cp, worker := twoNodes(t, 76)
	c := s.admin(t, cp)
	ctx := timeout(t, 20*time.Second)
	version := "/machine.MachineService/Version"

	// refuse: the next two calls fail with the code, then the node answers again
	if err := s.server.AddFault(worker, server.Fault{Method: version, Kind: server.FaultRefuse, Code: "UNAVAILABLE", Times: 2}); err != nil {
		t.Fatal(err)
	}

	for i := range 3 {
		_, err := c.Version(client.WithNode(ctx, worker))
		if (i < 2) != (status.Code(err) == codes.Unavailable) {
			t.Fatalf("call %d: %v", i, err)
		}
	}

	if _, err := c.Version(client.WithNode(ctx, cp)); err != nil {
		t.Fatalf("a fault of one node must not touch another: %v", err)
	}

	// delay
	if err := s.server.AddFault(worker, server.Fault{Kind: server.FaultDelay, DelayMs: 300, Times: 1}); err != nil {
		t.Fatal(err)
	}

	begin := time.Now()
	if _, err := c.Version(client.WithNode(ctx, worker)); err != nil || time.Since(begin) < 300*time.Millisecond {
		t.Fatalf("delayed call: %v after %s", err, time.Since(begin))
	}

	// drop: the connection goes away mid-call; the client reconnects for the next one
	if err := s.server.AddFault(cp, server.Fault{Method: version, Kind: server.FaultDrop, Times: 1}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.Version(ctx); status.Code(err) != codes.Unavailable {
		t.Fatalf("dropped call: %v", err)
	}

	if _, err := c.Version(ctx); err != nil {
		t.Fatalf("after a drop: %v", err)
	}

	// power off: not listening, routed calls fail naming the node; power on: a new boot
	bootBefore := s.state(worker).BootID

	if err := s.server.AddFault(worker, server.Fault{Kind: server.FaultPowerOff}); err != nil {
		t.Fatal(err)
	}

	if s.server.Serving(worker) || s.state(worker).Mode != node.ModeOff {
		t.Fatal("a powered-off node must not listen")
	}

	if _, err := s.admin(t, worker).Version(ctx); status.Code(err) != codes.Unavailable {
		t.Fatalf("direct call to a powered-off node: %v", err)
	}

	if _, err := c.Version(client.WithNodes(ctx, cp, worker)); err == nil || !strings.Contains(err.Error(), worker) {
		t.Fatalf("fan-out including a powered-off node: %v", err)
	}

	if err := s.server.AddFault(worker, server.Fault{Kind: server.FaultPowerOn}); err != nil {
		t.Fatal(err)
	}

	if st := s.configured(t, worker); st.BootID == bootBefore {
		t.Fatal("power on is a new boot")
	}

	for _, bad := range []server.Fault{{Kind: "explode"}, {Kind: server.FaultRefuse}, {Kind: server.FaultRefuse, Code: "Nope"}, {Kind: server.FaultDelay}, {Kind: server.FaultDrop, Method: "Version"}} {
		if err := s.server.AddFault(worker, bad); err == nil {
			t.Errorf("fault %+v accepted", bad)
		}
	}

	refused := 0

	for _, e := range s.entries(version, worker) {
		if e.Fault == server.FaultRefuse && e.Code == "Unavailable" {
			refused++
		}
	}

	if refused != 2 {
		t.Fatalf("%d refused calls logged, want 2", refused)
	}
}

func TestControlAPI(t *testing.T) {
	s, cp, worker := twoNodes(t, 77)
	h := httptest.NewServer(&control.Handler{Cluster: s.cluster, Server: s.server, Log: s.log})
	t.Cleanup(h.Close)

	get := func(path string, into any) int {
		t.Helper()

		res, err := http.Get(h.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close() //nolint:errcheck

		body, _ := io.ReadAll(res.Body) //nolint:errcheck
		if into != nil {
			if err := json.Unmarshal(body, into); err != nil {
				t.Fatalf("%s: %v: %s", path, err, body)
			}
		}

		return res.StatusCode
	}

	send := func(method, path, body string) (int, string) {
		t.Helper()

		req, _ := http.NewRequest(method, h.URL+path, strings.NewReader(body)) //nolint:errcheck

		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close() //nolint:errcheck

		b, _ := io.ReadAll(res.Body) //nolint:errcheck

		return res.StatusCode, string(b)
	}

	var nodes []control.NodeView
	if get("/nodes", &nodes) != 200 || len(nodes) != 2 {
		t.Fatalf("nodes %+v", nodes)
	}

	if n := nodes[0]; n.Address != cp || n.Mode != node.ModeConfigured || !n.Bootstrapped || !n.EtcdRunning || n.MachineType != "controlplane" ||
		n.ClusterID == "" || n.InstallDisk != "/dev/nvme0n1" || n.Counters["/machine.MachineService/ApplyConfiguration"] != 1 || n.Schematic == "" {
		t.Fatalf("control plane %+v", n)
	}

	res, err := http.Get(h.URL + "/nodes/" + worker + "/config")
	if err != nil {
		t.Fatal(err)
	}

	cfg, _ := io.ReadAll(res.Body) //nolint:errcheck
	res.Body.Close()               //nolint:errcheck

	if string(cfg) != string(s.bundle.Worker) {
		t.Fatal("GET /config must return the applied config verbatim")
	}

	var digest struct {
		Bytes  int64  `json:"bytes"`
		SHA256 string `json:"sha256"`
	}

	if get("/nodes/"+cp+"/etcd-snapshot/sha256", &digest) != 200 || digest.Bytes == 0 || len(digest.SHA256) != 64 {
		t.Fatalf("digest %+v", digest)
	}

	if code := get("/nodes/"+worker+"/etcd-snapshot/sha256", nil); code != http.StatusConflict {
		t.Fatalf("a worker has no etcd: HTTP %d", code)
	}

	if code, body := send(http.MethodPut, "/nodes/"+cp+"/etcd-snapshot-bytes", `{"bytes": 4194304}`); code != 200 || !strings.Contains(body, "4194336") {
		t.Fatalf("PUT snapshot bytes: %d %s", code, body)
	}

	if code, body := send(http.MethodPost, "/nodes/"+worker+"/faults", `{"method":"/machine.MachineService/ApplyConfiguration","kind":"refuse","code":"Unavailable","times":2}`); code != 200 ||
		!strings.Contains(body, `"faults":[{"method":"/machine.MachineService/ApplyConfiguration","kind":"refuse","code":"Unavailable","times":2}]`) {
		t.Fatalf("POST fault: %d %s", code, body)
	}

	if code, body := send(http.MethodPost, "/nodes/"+worker+"/faults", `{"kind":"refuse"}`); code != 400 || !strings.Contains(body, "code: refuse needs a gRPC code") {
		t.Fatalf("bad fault: %d %s", code, body)
	}

	if code, _ := send(http.MethodPost, "/nodes/"+worker+"/faults", `{"kind":"clear"}`); code != 200 || len(s.server.Faults(worker)) != 0 {
		t.Fatal("clear must remove the node's faults")
	}

	if code, _ := send(http.MethodPost, "/nodes/"+worker+"/faults", `{"kind":"poweroff"}`); code != 200 || s.state(worker).Mode != node.ModeOff {
		t.Fatal("poweroff through the control API")
	}

	if code := get("/nodes/127.0.77.99", nil); code != 404 {
		t.Fatalf("unknown node: %d", code)
	}

	var log []map[string]any
	if get("/log", &log) != 200 || len(log) == 0 {
		t.Fatal("GET /log")
	}
}
