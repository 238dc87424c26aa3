package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"homelab.local/e2e/talos-node/internal/calllog"
	"homelab.local/e2e/talos-node/internal/node"
)

// Routing modes, as apid's director names them.
const (
	routeLocal    = "local"    // no node metadata: the endpoint answers itself
	routeOne2One  = "one2one"  // node: <ip>, proxied verbatim
	routeOne2Many = "one2many" // nodes: a,b — each answer tagged with its node
)

// call is what is known of an incoming call before it reaches a node.
type call struct {
	method   string
	listener string // endpoint address
	remote   string
	tls      string
	org      []string
	roles    role.Set
	start    time.Time
}

type targetKey struct{}

// target is the node a handler answers for.
func target(ctx context.Context) *node.Node {
	n, _ := ctx.Value(targetKey{}).(*node.Node)

	return n
}

func (s *Server) newCall(ctx context.Context, address, method string) *call {
	c := &call{method: method, listener: address, start: time.Now(), tls: "server-only"}

	if p, ok := peer.FromContext(ctx); ok {
		c.remote = p.Addr.String()

		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			c.tls = "mutual"
			c.org = info.State.PeerCertificates[0].Subject.Organization
		}
	}

	if c.tls == "mutual" {
		c.roles, _ = role.Parse(c.org)
	} else {
		// maintenance mode (apid's ReadonlyRoleMode): every client is a reader
		c.roles = role.MakeSet(role.Reader)
	}

	return c
}

// route decides the target nodes from the metadata the way apid's director does.
func (s *Server) route(ctx context.Context, c *call) (mode string, targets []string, err error) {
	md, _ := metadata.FromIncomingContext(ctx)
	nodes, okNodes := md["nodes"]
	nodeMD, okNode := md["node"]

	if okNode && len(nodeMD) != 1 {
		return routeOne2One, nil, status.Error(codes.InvalidArgument, "node metadata must be single-valued")
	}

	// apid's metadata may carry "a,b" in one value as well as several values
	if okNodes {
		var split []string
		for _, v := range nodes {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					split = append(split, part)
				}
			}
		}

		nodes = split
	}

	// maintenance mode: apid runs with node routing disabled, so every call is answered locally whatever the
	// metadata says (talosctl --insecure sends node: "" for COSI reads)
	if s.cluster.Node(c.listener).Mode() == node.ModeMaintenance {
		return routeLocal, []string{c.listener}, nil
	}

	switch {
	case okNodes:
		switch {
		case strings.HasPrefix(c.method, "/machine.MachineService/"),
			strings.HasPrefix(c.method, "/cluster.ClusterService/"),
			strings.HasPrefix(c.method, "/inspect.InspectService/"),
			strings.HasPrefix(c.method, "/storage.StorageService/"),
			strings.HasPrefix(c.method, "/time.TimeService/"):
		default:
			return routeOne2Many, nil, status.Errorf(codes.InvalidArgument, "one-2-many proxying is not supported for method %s", c.method)
		}

		return routeOne2Many, nodes, nil
	case okNode:
		return routeOne2One, nodeMD, nil
	default:
		return routeLocal, []string{c.listener}, nil
	}
}

// unreachable is the error apid gets dialing a node that does not answer.
func unreachable(address string) error {
	return status.Errorf(codes.Unavailable,
		`connection error: desc = "transport: Error while dialing: dial tcp %s:%d: connect: connection refused"`, address, constants.ApidPort)
}

// prepare resolves a target node, applies authorization and faults. It returns the context for the handler.
func (s *Server) prepare(ctx context.Context, c *call, address string, e *calllog.Entry) (context.Context, error) {
	n := s.cluster.Node(address)
	if n == nil || (address != c.listener && !n.Listening()) {
		return nil, unreachable(address)
	}

	e.Mode = string(n.Mode())

	roles := c.roles
	if n.Mode() == node.ModeMaintenance {
		roles = role.MakeSet(role.Reader) // the target's apid runs in read-only role mode
	}

	if !allowed(c.method, roles) {
		return nil, status.Error(codes.PermissionDenied, "not authorized")
	}

	if f := s.faults.take(address, c.method); f != nil {
		e.Fault = f.Kind

		switch f.Kind {
		case FaultRefuse:
			return nil, status.Errorf(f.code, "stand-in fault: %s refused with %s", c.method, f.code)
		case FaultDelay:
			select {
			case <-time.After(f.delay()):
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		case FaultDrop:
			if l := s.listener(c.listener); l != nil {
				l.drop(c.remote)
			}

			return nil, status.Error(codes.Unavailable, "stand-in fault: connection dropped")
		}
	}

	ctx = context.WithValue(ctx, targetKey{}, n)
	ctx = context.WithValue(ctx, rolesKey{}, roles)

	return ctx, nil
}

type rolesKey struct{}

func rolesOf(ctx context.Context) role.Set {
	r, _ := ctx.Value(rolesKey{}).(role.Set)

	return r
}

func (s *Server) entry(c *call, address, mode string) calllog.Entry {
	return calllog.Entry{
		Time: c.start, Node: address, Listener: c.listener, Method: c.method, TLS: c.tls, PeerOrg: c.org, Routing: mode,
	}
}

func (s *Server) finish(e calllog.Entry, err error) {
	st := status.Convert(err)
	e.Code = st.Code().String()
	e.Message = st.Message()
	e.DurationMs = time.Since(e.Time).Milliseconds()
	s.log.Add(e)
}

// describe adds what the log may say about a request (never its content).
func describe(e *calllog.Entry, req any) {
	switch r := req.(type) {
	case *machine.ApplyConfigurationRequest:
		sum := sha256.Sum256(r.GetData())
		e.Apply = &calllog.Apply{Mode: r.GetMode().String(), DryRun: r.GetDryRun(), ConfigSHA256: hex.EncodeToString(sum[:]), ConfigBytes: len(r.GetData()),
			Kinds: node.DocumentKinds(r.GetData()),
		}
	case *machine.UpgradeRequest:
		e.Detail = fmt.Sprintf("image=%s stage=%v force=%v preserve=%v", r.GetImage(), r.GetStage(), r.GetForce(), r.GetPreserve())
	case *machine.LifecycleServiceUpgradeRequest:
		e.Detail = "image=" + r.GetSource().GetImageName()
	case *machine.ResetRequest:
		var labels []string
		for _, p := range r.GetSystemPartitionsToWipe() {
			labels = append(labels, p.GetLabel())
		}

		e.Detail = fmt.Sprintf("graceful=%v reboot=%v mode=%s wipe=%s", r.GetGraceful(), r.GetReboot(), r.GetMode(), strings.Join(labels, ","))
	case *machine.RebootRequest:
		e.Detail = "mode=" + r.GetMode().String()
	}
}

func (s *Server) unaryInterceptor(address string) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		c := s.newCall(ctx, address, info.FullMethod)

		mode, targets, err := s.route(ctx, c)
		if err != nil {
			e := s.entry(c, c.listener, mode)
			describe(&e, req)
			s.finish(e, err)

			return nil, err
		}

		if mode != routeOne2Many {
			e := s.entry(c, targets[0], mode)
			describe(&e, req)

			hctx, err := s.prepare(ctx, c, targets[0], &e)
			if err != nil {
				s.finish(e, err)

				return nil, err
			}

			resp, err := handler(hctx, req)
			s.finish(e, err)

			return resp, err
		}

		out, err := newMessage(info.FullMethod, false)
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}

		for _, t := range targets {
			e := s.entry(c, t, mode)
			describe(&e, req)

			hctx, err := s.prepare(ctx, c, t, &e)

			var resp any
			if err == nil {
				resp, err = handler(hctx, req)
			}

			s.finish(e, err)

			if err != nil {
				appendError(out, t, err)

				continue
			}

			appendMessages(out, resp.(proto.Message), t)
		}

		return out, nil
	}
}

// methodDescriptor finds a method in the protobuf registry (machinery registers its API files).
func methodDescriptor(fullMethod string) (protoreflect.MethodDescriptor, error) {
	svc, method, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return nil, fmt.Errorf("bad method name %q", fullMethod)
	}

	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil, err
	}

	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service", svc)
	}

	md := sd.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return nil, fmt.Errorf("no method %s", fullMethod)
	}

	return md, nil
}

// newMessage makes an empty request (input) or response (output) of a method.
func newMessage(fullMethod string, input bool) (proto.Message, error) {
	md, err := methodDescriptor(fullMethod)
	if err != nil {
		return nil, err
	}

	desc := md.Output()
	if input {
		desc = md.Input()
	}

	mt, err := protoregistry.GlobalTypes.FindMessageByName(desc.FullName())
	if err != nil {
		return nil, err
	}

	return mt.New().Interface(), nil
}

// setMetadata sets the "metadata" field of a message (a reply of one node in a one-2-many answer).
func setMetadata(m protoreflect.Message, md *common.Metadata) bool {
	fd := m.Descriptor().Fields().ByName("metadata")
	if fd == nil || fd.Message() == nil || fd.Message().FullName() != md.ProtoReflect().Descriptor().FullName() {
		return false
	}

	m.Set(fd, protoreflect.ValueOfMessage(md.ProtoReflect()))

	return true
}

// appendMessages copies resp.messages into out.messages, each tagged with its node (apid's AppendInfo).
func appendMessages(out, resp proto.Message, host string) {
	om := out.ProtoReflect()
	rm := resp.ProtoReflect()
	fd := om.Descriptor().Fields().ByName("messages")

	if fd == nil {
		return
	}

	dst := om.Mutable(fd).List()
	src := rm.Get(rm.Descriptor().Fields().ByName("messages")).List()

	for i := range src.Len() {
		msg := src.Get(i).Message()
		setMetadata(msg, &common.Metadata{Hostname: host})
		dst.Append(protoreflect.ValueOfMessage(msg))
	}
}

// appendError adds a node's failure as a message carrying only metadata (apid's BuildError).
func appendError(out proto.Message, host string, err error) {
	om := out.ProtoReflect()
	fd := om.Descriptor().Fields().ByName("messages")

	if fd == nil {
		return
	}

	list := om.Mutable(fd).List()
	elem := list.NewElement()
	setMetadata(elem.Message(), errorMetadata(host, err))
	list.Append(elem)
}

func errorMetadata(host string, err error) *common.Metadata {
	return &common.Metadata{Hostname: host, Error: err.Error(), Status: status.Convert(err).Proto()}
}

// serverStream gives a handler its target's context, replays a request read once, and tags one-2-many replies.
type serverStream struct {
	grpc.ServerStream

	ctx    context.Context //nolint:containedctx
	req    proto.Message   // nil: read from the wire
	served bool
	host   string // one2many: tag each reply with this node
	sendMu *sync.Mutex
	onRecv func(any) // one2one: describes the request read from the wire in the call's log entry
}

func (ss *serverStream) Context() context.Context { return ss.ctx }

func (ss *serverStream) RecvMsg(m any) error {
	if ss.req == nil {
		err := ss.ServerStream.RecvMsg(m)
		if err == nil && ss.onRecv != nil {
			ss.onRecv(m)
		}

		return err
	}

	if ss.served {
		return io.EOF
	}

	ss.served = true
	proto.Merge(m.(proto.Message), ss.req)

	return nil
}

func (ss *serverStream) SendMsg(m any) error {
	if ss.host != "" {
		if pm, ok := m.(proto.Message); ok {
			setMetadata(pm.ProtoReflect(), &common.Metadata{Hostname: ss.host})
		}
	}

	ss.sendMu.Lock()
	defer ss.sendMu.Unlock()

	return ss.ServerStream.SendMsg(m)
}

func (s *Server) streamInterceptor(address string) grpc.StreamServerInterceptor {
	return func(srv any, stream grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := stream.Context()
		c := s.newCall(ctx, address, info.FullMethod)

		mode, targets, err := s.route(ctx, c)
		if err == nil && mode == routeOne2Many && info.IsClientStream {
			err = status.Errorf(codes.InvalidArgument, "one-2-many proxying is not supported for method %s", c.method)
		}

		if err != nil {
			s.finish(s.entry(c, c.listener, mode), err)

			return err
		}

		sendMu := &sync.Mutex{}

		if mode != routeOne2Many {
			e := s.entry(c, targets[0], mode)

			hctx, err := s.prepare(ctx, c, targets[0], &e)
			if err != nil {
				s.finish(e, err)

				return err
			}

			err = handler(srv, &serverStream{ServerStream: stream, ctx: hctx, sendMu: sendMu, onRecv: func(m any) { describe(&e, m) }})
			s.finish(e, err)

			return err
		}

		// one-2-many streaming: read the request once, run every node's handler concurrently, tag the replies
		req, err := newMessage(info.FullMethod, true)
		if err == nil {
			err = stream.RecvMsg(req)
		}

		if err != nil {
			s.finish(s.entry(c, c.listener, mode), err)

			return err
		}

		var wg sync.WaitGroup

		for _, t := range targets {
			wg.Add(1)

			go func() {
				defer wg.Done()

				e := s.entry(c, t, mode)
				describe(&e, req)

				hctx, err := s.prepare(ctx, c, t, &e)
				if err == nil {
					err = handler(srv, &serverStream{ServerStream: stream, ctx: hctx, req: req, host: t, sendMu: sendMu})
				}

				s.finish(e, err)

				if err != nil {
					if reply, merr := newMessage(info.FullMethod, false); merr == nil && setMetadata(reply.ProtoReflect(), errorMetadata(t, err)) {
						sendMu.Lock()
						_ = stream.SendMsg(reply) //nolint:errcheck
						sendMu.Unlock()
					}
				}
			}()
		}

		wg.Wait()

		return nil
	}
}
