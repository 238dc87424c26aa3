package server

import (
	"context"

	cosiv1alpha1 "github.com/cosi-project/runtime/api/v1alpha1"
	"github.com/cosi-project/runtime/pkg/state"
	cosiserver "github.com/cosi-project/runtime/pkg/state/protobuf/server"
	"github.com/rs/xid"
	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"

	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/snapshot"
)

// chunkSize of streamed files (kubeconfig, snapshot): machined's stream chunker reads in such pieces.
const chunkSize = 64 << 10

// machineService answers for the target node the routing put in the context (see route.go).
type machineService struct {
	machine.UnimplementedMachineServiceServer
}

func (m *machineService) ApplyConfiguration(ctx context.Context, in *machine.ApplyConfigurationRequest) (*machine.ApplyConfigurationResponse, error) {
	req := node.ApplyRequest{
		Data:   in.GetData(),
		Mode:   in.GetMode(),
		DryRun: in.GetDryRun(),
		Admin:  rolesOf(ctx).Includes(role.Admin),
	}

	if in.GetTryModeTimeout() != nil {
		req.TryTimeout = in.GetTryModeTimeout().AsDuration()
	}

	res, err := target(ctx).Apply(req)
	if err != nil {
		return nil, err
	}

	return &machine.ApplyConfigurationResponse{Messages: []*machine.ApplyConfiguration{res}}, nil
}

func (m *machineService) Bootstrap(ctx context.Context, _ *machine.BootstrapRequest) (*machine.BootstrapResponse, error) {
	if err := target(ctx).Bootstrap(); err != nil {
		return nil, err
	}

	return &machine.BootstrapResponse{Messages: []*machine.Bootstrap{{}}}, nil
}

func (m *machineService) ImagePull(ctx context.Context, in *machine.ImagePullRequest) (*machine.ImagePullResponse, error) {
	if err := target(ctx).ImagePull(in.GetNamespace().String(), in.GetReference()); err != nil {
		return nil, err
	}

	return &machine.ImagePullResponse{Messages: []*machine.ImagePull{{}}}, nil
}

func (m *machineService) Version(ctx context.Context, _ *emptypb.Empty) (*machine.VersionResponse, error) {
	return &machine.VersionResponse{Messages: []*machine.Version{target(ctx).Version()}}, nil
}

func (m *machineService) Hostname(ctx context.Context, _ *emptypb.Empty) (*machine.HostnameResponse, error) {
	return &machine.HostnameResponse{Messages: []*machine.Hostname{{Hostname: target(ctx).Hostname()}}}, nil
}

func (m *machineService) Memory(ctx context.Context, _ *emptypb.Empty) (*machine.MemoryResponse, error) {
	return &machine.MemoryResponse{Messages: []*machine.Memory{target(ctx).Memory()}}, nil
}

func (m *machineService) ServiceList(ctx context.Context, _ *emptypb.Empty) (*machine.ServiceListResponse, error) {
	return &machine.ServiceListResponse{Messages: []*machine.ServiceList{{Services: target(ctx).Services()}}}, nil
}

func (m *machineService) EtcdMemberList(ctx context.Context, _ *machine.EtcdMemberListRequest) (*machine.EtcdMemberListResponse, error) {
	members, err := target(ctx).EtcdMembers()
	if err != nil {
		return nil, err
	}

	return &machine.EtcdMemberListResponse{Messages: []*machine.EtcdMembers{members}}, nil
}

func (m *machineService) Upgrade(ctx context.Context, in *machine.UpgradeRequest) (*machine.UpgradeResponse, error) {
	res, err := target(ctx).Upgrade(in)
	if err != nil {
		return nil, err
	}

	return &machine.UpgradeResponse{Messages: []*machine.Upgrade{res}}, nil
}

func (m *machineService) Reset(ctx context.Context, in *machine.ResetRequest) (*machine.ResetResponse, error) {
	res, err := target(ctx).Reset(in)
	if err != nil {
		return nil, err
	}

	return &machine.ResetResponse{Messages: []*machine.Reset{res}}, nil
}

func (m *machineService) Reboot(ctx context.Context, in *machine.RebootRequest) (*machine.RebootResponse, error) {
	res, err := target(ctx).Reboot(in)
	if err != nil {
		return nil, err
	}

	return &machine.RebootResponse{Messages: []*machine.Reboot{res}}, nil
}

func (m *machineService) Shutdown(ctx context.Context, in *machine.ShutdownRequest) (*machine.ShutdownResponse, error) {
	res, err := target(ctx).Shutdown(in)
	if err != nil {
		return nil, err
	}

	return &machine.ShutdownResponse{Messages: []*machine.Shutdown{res}}, nil
}

func sendChunks(data []byte, srv grpc.ServerStreamingServer[common.Data]) error {
	for len(data) > 0 {
		n := min(len(data), chunkSize)
		if err := srv.Send(&common.Data{Bytes: data[:n]}); err != nil {
			return err
		}

		data = data[n:]
	}

	return nil
}

func (m *machineService) Kubeconfig(_ *emptypb.Empty, srv grpc.ServerStreamingServer[common.Data]) error {
	data, err := target(srv.Context()).Kubeconfig()
	if err != nil {
		return err
	}

	return srv.Send(&common.Data{Bytes: data})
}

func (m *machineService) Read(in *machine.ReadRequest, srv grpc.ServerStreamingServer[common.Data]) error {
	data, err := target(srv.Context()).ReadFile(in.GetPath())
	if err != nil {
		return err
	}

	return sendChunks(data, srv)
}

// chunkWriter turns a byte stream into common.Data messages without holding more than one chunk.
type chunkWriter struct {
	srv grpc.ServerStreamingServer[common.Data]
	buf []byte
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	total := len(p)

	for len(p) > 0 {
		n := min(len(p), chunkSize-len(w.buf))
		w.buf = append(w.buf, p[:n]...)
		p = p[n:]

		if len(w.buf) == chunkSize {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}

	return total, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}

	err := w.srv.Send(&common.Data{Bytes: w.buf})
	w.buf = make([]byte, 0, chunkSize)

	return err
}

func (m *machineService) EtcdSnapshot(_ *machine.EtcdSnapshotRequest, srv grpc.ServerStreamingServer[common.Data]) error {
	params, err := target(srv.Context()).SnapshotParams()
	if err != nil {
		return err
	}

	w := &chunkWriter{srv: srv, buf: make([]byte, 0, chunkSize)}
	if _, err := snapshot.Write(w, params); err != nil {
		return err
	}

	return w.flush()
}

func (m *machineService) Events(in *machine.EventsRequest, srv grpc.ServerStreamingServer[machine.Event]) error {
	ctx := srv.Context()
	log := target(ctx).Events()

	backlog, ch, cancel := log.Watch(node.WatchOptions{
		TailEvents: in.GetTailEvents(), TailID: in.GetTailId(), TailSeconds: in.GetTailSeconds(), ActorID: in.GetWithActorId(),
	})
	defer cancel()

	// machined first sends an empty event so the client knows the watch is established
	if err := srv.Send(&machine.Event{Data: &anypb.Any{}, Id: xid.New().String(), ActorId: in.GetWithActorId()}); err != nil {
		return err
	}

	for _, ev := range backlog {
		if err := srv.Send(ev); err != nil {
			return err
		}
	}

	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-ch:
			if !ok {
				return status.Error(codes.Unavailable, "node is going down")
			}

			if err := srv.Send(ev); err != nil {
				return err
			}
		}
	}
}

type storageService struct {
	storage.UnimplementedStorageServiceServer
}

func (s *storageService) Disks(ctx context.Context, _ *emptypb.Empty) (*storage.DisksResponse, error) {
	return &storage.DisksResponse{Messages: []*storage.Disks{{Disks: target(ctx).Disks()}}}, nil
}

// cosiState serves the target node's COSI resources read-only (the API's writes need os:admin and the stand-in
// has no user-writable resources).
type cosiState struct {
	cosiv1alpha1.UnimplementedStateServer
}

func readOnly(st state.State) *cosiserver.State {
	return cosiserver.NewState(state.Filter(st, func(_ context.Context, access state.Access) error {
		if access.Verb == state.Get || access.Verb == state.List || access.Verb == state.Watch {
			return nil
		}

		return status.Error(codes.PermissionDenied, "not authorized")
	}))
}

func (c *cosiState) Get(ctx context.Context, req *cosiv1alpha1.GetRequest) (*cosiv1alpha1.GetResponse, error) {
	return readOnly(target(ctx).Resources()).Get(ctx, req)
}

func (c *cosiState) List(req *cosiv1alpha1.ListRequest, srv cosiv1alpha1.State_ListServer) error {
	return readOnly(target(srv.Context()).Resources()).List(req, srv)
}

func (c *cosiState) Watch(req *cosiv1alpha1.WatchRequest, srv cosiv1alpha1.State_WatchServer) error {
	return readOnly(target(srv.Context()).Resources()).Watch(req, srv)
}

func (c *cosiState) Create(ctx context.Context, req *cosiv1alpha1.CreateRequest) (*cosiv1alpha1.CreateResponse, error) {
	return readOnly(target(ctx).Resources()).Create(ctx, req)
}

func (c *cosiState) Update(ctx context.Context, req *cosiv1alpha1.UpdateRequest) (*cosiv1alpha1.UpdateResponse, error) {
	return readOnly(target(ctx).Resources()).Update(ctx, req)
}

func (c *cosiState) Destroy(ctx context.Context, req *cosiv1alpha1.DestroyRequest) (*cosiv1alpha1.DestroyResponse, error) {
	return readOnly(target(ctx).Resources()).Destroy(ctx, req)
}
