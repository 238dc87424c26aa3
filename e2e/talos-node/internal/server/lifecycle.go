package server

import (
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// lifecycleService answers machine.LifecycleService for the target node: Upgrade, which talosctl v1.13 uses against
// Talos > 1.13.0-alpha.2 (then it reboots the node itself). Install is not modelled (Unimplemented).
type lifecycleService struct {
	machine.UnimplementedLifecycleServiceServer
}

// Upgrade writes the installer's Talos for the next boot and streams the installer's end as machined does: a
// message, then its exit code. A version Talos' upgrade rules refuse is the installer's failure (its words as the
// message, exit code 1: the API answers no error for it), as is an image without a version tag.
func (l *lifecycleService) Upgrade(in *machine.LifecycleServiceUpgradeRequest, srv grpc.ServerStreamingServer[machine.LifecycleServiceUpgradeResponse]) error {
	image := in.GetSource().GetImageName()
	message, code := "installed "+image, int32(0)

	if err := target(srv.Context()).StageUpgrade(image); err != nil {
		if status.Code(err) != codes.Unknown {
			return err
		}

		message, code = err.Error(), 1
	}

	for _, p := range []*machine.LifecycleServiceInstallProgress{
		{Response: &machine.LifecycleServiceInstallProgress_Message{Message: message}},
		{Response: &machine.LifecycleServiceInstallProgress_ExitCode{ExitCode: code}},
	} {
		if err := srv.Send(&machine.LifecycleServiceUpgradeResponse{Progress: p}); err != nil {
			return err
		}
	}

	return nil
}
