// Package server puts the node state machine on Talos' gRPC API: one listener per node address at the shared
// port, TLS that follows the node's mode, apid's routing by the node/nodes metadata, machined's authorization,
// injected faults, and a log line per call.
package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	cosiv1alpha1 "github.com/cosi-project/runtime/api/v1alpha1"
	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"homelab.local/e2e/talos-node/internal/calllog"
	"homelab.local/e2e/talos-node/internal/node"
)

// Server serves every node of a cluster.
type Server struct {
	cluster *node.Cluster
	log     *calllog.Log
	faults  *faults
	logf    func(string, ...any)

	mu        sync.Mutex
	port      int
	listeners map[string]*listener
	closed    bool
}

// New makes the server; nodes start listening when the cluster starts them (Hooks).
func New(cluster *node.Cluster, log *calllog.Log, port int, logf func(string, ...any)) *Server {
	if logf == nil {
		logf = func(string, ...any) {}
	}

	s := &Server{cluster: cluster, log: log, faults: newFaults(), logf: logf, port: port, listeners: map[string]*listener{}}
	cluster.SetHooks(s)

	return s
}

// Port is the port every node listens on (resolved once the first node listened when configured as 0).
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.port
}

// listener is one node's address while it is up.
type listener struct {
	address string
	gen     uint64 // the node's API incarnation it serves
	grpc    *grpc.Server
	lis     net.Listener

	mu    sync.Mutex
	conns map[string]net.Conn // by remote address, to drop the connection of a call
}

// Sync implements node.Hooks: make the listener match the node (a rebooted node gets a fresh listener, so the
// connections of its previous boot are gone, as on a real machine).
func (s *Server) Sync(address string) {
	up, gen := s.cluster.Node(address).Serving()

	s.mu.Lock()
	defer s.mu.Unlock()

	l := s.listeners[address]

	if l != nil && (!up || l.gen != gen || s.closed) {
		delete(s.listeners, address)
		l.closeConns()
		l.grpc.Stop()

		l = nil
	}

	if up && l == nil && !s.closed {
		s.listen(address, gen)
	}
}

func (s *Server) listen(address string, gen uint64) {
	var (
		lis net.Listener
		err error
	)

	// a port just released by the previous incarnation can take a moment to be free again
	for attempt := range 50 {
		lis, err = net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(s.port)))
		if err == nil || attempt == 49 {
			break
		}

		time.Sleep(20 * time.Millisecond)
	}

	if err != nil {
		s.logf("%s: cannot listen: %v", address, err)

		return
	}

	if s.port == 0 {
		s.port = lis.Addr().(*net.TCPAddr).Port
	}

	l := &listener{address: address, gen: gen, conns: map[string]net.Conn{}}
	l.lis = &trackingListener{Listener: lis, l: l}

	creds := &loggingCreds{TransportCredentials: credentials.NewTLS(&tls.Config{
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return s.tlsConfig(address) },
		NextProtos:         []string{"h2"},
		MinVersion:         tls.VersionTLS13,
	}), s: s, address: address}

	l.grpc = grpc.NewServer(
		grpc.Creds(creds),
		grpc.UnaryInterceptor(s.unaryInterceptor(address)),
		grpc.StreamInterceptor(s.streamInterceptor(address)),
		grpc.MaxRecvMsgSize(constants.GRPCMaxMessageSize),
		grpc.MaxSendMsgSize(constants.GRPCMaxMessageSize),
	)

	machine.RegisterMachineServiceServer(l.grpc, &machineService{})
	machine.RegisterLifecycleServiceServer(l.grpc, &lifecycleService{})
	storage.RegisterStorageServiceServer(l.grpc, &storageService{})
	cosiv1alpha1.RegisterStateServer(l.grpc, &cosiState{})
	clusterapi.RegisterClusterServiceServer(l.grpc, &clusterService{s: s})

	s.listeners[address] = l

	go func() {
		if err := l.grpc.Serve(l.lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			s.logf("%s: serve: %v", address, err)
		}
	}()
}

// Close stops every listener.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	addrs := make([]string, 0, len(s.listeners))

	for a := range s.listeners {
		addrs = append(addrs, a)
	}
	s.mu.Unlock()

	for _, a := range addrs {
		s.Sync(a)
	}
}

func (s *Server) tlsConfig(address string) (*tls.Config, error) {
	n := s.cluster.Node(address)
	st := n.TLS()

	if !st.Listening {
		return nil, fmt.Errorf("%s is not up", address)
	}

	cfg := &tls.Config{
		Certificates: []tls.Certificate{st.Cert},
		NextProtos:   []string{"h2"},
		MinVersion:   tls.VersionTLS13,
		ClientAuth:   tls.NoClientCert,
	}

	if st.Configured {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = st.Issued.ClientCAs
	}

	return cfg, nil
}

// loggingCreds records refused TLS handshakes (a client without a certificate once the node is configured).
type loggingCreds struct {
	credentials.TransportCredentials
	s       *Server
	address string
}

func (c *loggingCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ServerHandshake(raw)
	if err != nil {
		n := c.s.cluster.Node(c.address)
		c.s.log.Add(calllog.Entry{
			Time: time.Now(), Node: c.address, Listener: c.address, Method: "(tls handshake)",
			Mode: string(n.Mode()), TLS: tlsKindFor(n), Code: "Unauthenticated", Message: err.Error(),
		})
	}

	return conn, info, err
}

func (c *loggingCreds) Clone() credentials.TransportCredentials {
	return &loggingCreds{TransportCredentials: c.TransportCredentials.Clone(), s: c.s, address: c.address}
}

func tlsKindFor(n *node.Node) string {
	if n.Mode() == node.ModeConfigured {
		return "mutual"
	}

	return "server-only"
}

// trackingListener remembers accepted connections so a "drop" fault can cut the one a call came on.
type trackingListener struct {
	net.Listener
	l *listener
}

func (t *trackingListener) Accept() (net.Conn, error) {
	c, err := t.Listener.Accept()
	if err != nil {
		return nil, err
	}

	t.l.mu.Lock()
	t.l.conns[c.RemoteAddr().String()] = c
	t.l.mu.Unlock()

	return &trackedConn{Conn: c, l: t.l}, nil
}

type trackedConn struct {
	net.Conn
	l    *listener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c.RemoteAddr().String())
		c.l.mu.Unlock()
	})

	return c.Conn.Close()
}

func (l *listener) drop(remote string) bool {
	l.mu.Lock()
	c := l.conns[remote]
	l.mu.Unlock()

	if c == nil {
		return false
	}

	_ = c.Close() //nolint:errcheck

	return true
}

func (l *listener) closeConns() {
	l.mu.Lock()
	conns := make([]net.Conn, 0, len(l.conns))

	for _, c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()

	for _, c := range conns {
		_ = c.Close() //nolint:errcheck
	}
}

// Serving reports whether a node's address is being listened on.
func (s *Server) Serving(address string) bool { return s.listener(address) != nil }

func (s *Server) listener(address string) *listener {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.listeners[address]
}

// Faults: the control API's entry points.

// AddFault injects a fault into a node (poweroff/poweron/clear act at once).
func (s *Server) AddFault(address string, f Fault) error {
	n := s.cluster.Node(address)
	if n == nil {
		return fmt.Errorf("no node %s", address)
	}

	if err := f.Check(); err != nil {
		return err
	}

	switch f.Kind {
	case FaultPowerOff:
		n.PowerOff()
	case FaultPowerOn:
		n.PowerOn()
	case FaultClear:
		s.faults.clear(address, f.Method)
	default:
		s.faults.add(address, &f)
	}

	return nil
}

// Faults lists a node's pending faults.
func (s *Server) Faults(address string) []Fault { return s.faults.list(address) }
