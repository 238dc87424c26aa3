package node

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/block/blockhelpers"
	"github.com/siderolabs/talos/pkg/machinery/resources/block"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"homelab.local/e2e/talos-node/internal/config"
	"homelab.local/e2e/talos-node/internal/talosver"
)

// step is one phase of a machined sequence with its single task; run (optional) may fail the sequence.
type step struct {
	phase, task string
	run         func() error
}

func newActorID() string { return newUUID() }

// stopAll is the tail every sequence that takes the machine down shares (stopAllPhaselist), ending with the
// "stopAllServices" task the talosctl/provider trackers wait for.
func stopAll() []step {
	return []step{
		{phase: "stopServices", task: "stopServicesForUpgrade"},
		{phase: "umount", task: "unmountPodMounts"},
		{phase: "unmountSystem", task: "unmountEphemeralPartition"},
		{phase: "stopEverything", task: "stopAllServices"},
	}
}

func rebootPlan(controlPlane bool) []step {
	plan := []step{{phase: "cleanup", task: "stopAllPods"}, {phase: "dbus", task: "stopDBus"}}
	if controlPlane {
		plan = append(plan, step{phase: "etcd", task: "stopEtcd"})
	}

	return append(append(plan, stopAll()...), step{phase: "reboot", task: "reboot"})
}

// startSequence answers now and runs the sequence's events after a moment (as machined runs it in a goroutine);
// finish takes the machine down (reboot, shutdown) once the events had time to reach watchers.
func (n *Node) startSequence(name, actorID string, plan []step, finish func()) {
	if n.busy != "" {
		n.events.Publish(&machine.SequenceEvent{
			Sequence: name, Action: machine.SequenceEvent_NOOP,
			Error: &common.Error{Code: common.Code_LOCKED, Message: "sequence not started: locked"},
		}, actorID)

		return
	}

	n.busy = name

	n.c.after(n, n.c.timing.Settle, func() {
		stage := map[string]runtime.MachineStage{
			"reset": runtime.MachineStageResetting, "upgrade": runtime.MachineStageUpgrading,
			"reboot": runtime.MachineStageRebooting, "shutdown": runtime.MachineStageShuttingDown,
		}[name]
		if stage != runtime.MachineStageUnknown {
			n.setStage(stage, false, nil, actorID)
		}

		n.events.Publish(&machine.SequenceEvent{Sequence: name, Action: machine.SequenceEvent_START}, actorID)

		for i, s := range plan {
			n.events.Publish(&machine.PhaseEvent{Phase: s.phase, Action: machine.PhaseEvent_START}, actorID)
			n.events.Publish(&machine.TaskEvent{Task: s.task, Action: machine.TaskEvent_START}, actorID)

			var err error
			if s.run != nil {
				err = s.run()
			}

			n.events.Publish(&machine.TaskEvent{Task: s.task, Action: machine.TaskEvent_STOP}, actorID)
			n.events.Publish(&machine.PhaseEvent{Phase: s.phase, Action: machine.PhaseEvent_STOP}, actorID)

			if err != nil {
				msg := fmt.Sprintf("sequence failed: error running phase %d in %s sequence: task 1/1: failed, %s", i+1, name, err)
				n.events.Publish(&machine.SequenceEvent{Sequence: name, Action: machine.SequenceEvent_STOP}, actorID)
				n.events.Publish(&machine.SequenceEvent{
					Sequence: name, Action: machine.SequenceEvent_NOOP,
					Error: &common.Error{Code: common.Code_FATAL, Message: msg},
				}, actorID)
				n.lastError = msg
				n.busy = ""
				n.published = ""
				n.c.logf("%s: %s", n.spec.Address, msg)

				return
			}
		}

		n.events.Publish(&machine.SequenceEvent{Sequence: name, Action: machine.SequenceEvent_STOP}, actorID)

		n.c.after(n, n.c.timing.Hold, func() {
			n.busy = ""
			finish()
		})
	})
}

// reboot takes the node down and boots it again after the reboot delay (new boot ID).
func (n *Node) reboot() {
	n.down(ModeRebooting)
	n.c.after(n, n.c.timing.Reboot, n.boot)
}

// startInstall follows the first apply in maintenance mode: the answer goes out, the maintenance API stops, Talos
// is written to disk, and the machine reboots into configured mode.
func (n *Node) startInstall() {
	n.installError = ""
	n.mode = ModeInstalling
	n.c.logf("%s: installing Talos", n.spec.Address)

	n.c.after(n, n.c.timing.Settle, func() {
		n.down(ModeInstalling)
		n.c.after(n, n.c.timing.Install, n.finishInstall)
	})
}

func (n *Node) finishInstall() {
	disk, err := n.installDisk()
	if err != nil {
		// the install sequence fails; the machine comes back in maintenance mode, nothing persisted
		n.installError = "Talos install failed: " + err.Error()
		n.persisted = nil
		n.c.logf("%s: %s", n.spec.Address, n.installError)
		n.boot()

		return
	}

	cfg := n.persisted.cfg
	n.installed = true
	n.matchedDisk = disk
	n.image = cfg.Machine().Install().Image()

	if v, schematic, err := ParseImage(n.image); err == nil {
		n.version, n.schematic = v, schematic
	}

	n.c.logf("%s: installed %s to %s", n.spec.Address, n.image, disk)
	n.reboot()
}

// installDisk resolves machine.install (disk or diskSelector) against the node's disks as the install task does.
func (n *Node) installDisk() (string, error) {
	install := n.persisted.cfg.Machine().Install()

	expr, err := install.DiskMatchExpression()
	if err != nil {
		return "", fmt.Errorf("failed to get disk match expression: %w", err)
	}

	if expr != nil {
		matched, err := blockhelpers.MatchDisks(context.Background(), n.res, expr)
		if err != nil {
			return "", err
		}

		if len(matched) == 0 {
			return "", fmt.Errorf("no disks matched the expression: %s", expr)
		}

		return matched[0].TypedSpec().DevPath, nil
	}

	disk := install.Disk()
	for _, d := range n.spec.Disks {
		if d.DeviceName == disk {
			return disk, nil
		}
	}

	// filepath.EvalSymlinks of a device the machine does not have
	return "", fmt.Errorf("lstat %s: no such file or directory", disk)
}

// Upgrade answers the legacy machine.MachineService/Upgrade (what talosctl v1.13 uses against Talos < 1.13).
func (n *Node) Upgrade(req *machine.UpgradeRequest) (*machine.Upgrade, error) {
	n.c.lock()
	defer n.c.unlock()

	if !n.installed {
		return nil, status.Errorf(codes.FailedPrecondition, "Talos is not installed")
	}

	version, schematic, err := ParseImage(req.GetImage())
	if err != nil {
		return nil, fmt.Errorf("error validating installer image %q: %w", req.GetImage(), err)
	}

	// Talos' installer refuses a version its minor's rules do not take from the host's (compatibility/talosXYZ,
	// the installer's pre-flight check, which --force skips); the stand-in answers it on the call.
	if !req.GetForce() {
		if err := talosver.UpgradeableFrom(n.version, version); err != nil {
			return nil, status.Error(codes.FailedPrecondition, err.Error())
		}
	}

	if n.mode == ModeConfigured && n.isControlPlane() && !req.GetForce() {
		if err := n.validateForUpgrade(); err != nil {
			return nil, err
		}
	}

	actorID := newActorID()
	image := req.GetImage()

	plan := []step{{phase: "cordonAndDrain", task: "cordonAndDrainNode"}, {phase: "upgrade", task: "upgrade"}}
	plan = append(append(plan, stopAll()...), step{phase: "reboot", task: "reboot"})

	n.c.logf("%s: upgrade request received: staged %v, force %v, image %s", n.spec.Address, req.GetStage(), req.GetForce(), image)

	n.startSequence("upgrade", actorID, plan, func() {
		n.image, n.version, n.schematic = image, version, schematic
		n.staged = nil
		n.lastError = ""
		n.c.logf("%s: upgraded to %s", n.spec.Address, version)
		n.reboot()
	})

	return &machine.Upgrade{Ack: "Upgrade request received", ActorId: actorID}, nil
}

// StageUpgrade answers machine.LifecycleService/Upgrade (talosctl v1.13 against Talos > 1.13.0-alpha.2): the
// installer writes its Talos for the next boot (the caller reboots the node after). A status error is the call's
// own refusal; any other error is the installer's (Talos' upgrade rules, an image without a version tag), which
// the API reports as its exit code.
func (n *Node) StageUpgrade(image string) error {
	n.c.lock()
	defer n.c.unlock()

	if !n.installed {
		return status.Errorf(codes.FailedPrecondition, "Talos is not installed")
	}

	version, schematic, err := ParseImage(image)
	if err != nil {
		return fmt.Errorf("error validating installer image %q: %w", image, err)
	}

	if err := talosver.UpgradeableFrom(n.version, version); err != nil {
		return err
	}

	n.staged = &stagedImage{image: image, version: version, schematic: schematic}
	n.c.logf("%s: installed %s for the next boot", n.spec.Address, image)

	return nil
}

// Reboot answers machine.MachineService/Reboot.
func (n *Node) Reboot(_ *machine.RebootRequest) (*machine.Reboot, error) {
	n.c.lock()
	defer n.c.unlock()

	actorID := newActorID()
	n.startSequence("reboot", actorID, rebootPlan(n.isControlPlane()), n.reboot)

	return &machine.Reboot{ActorId: actorID}, nil
}

// Shutdown answers machine.MachineService/Shutdown: the machine powers off.
func (n *Node) Shutdown(_ *machine.ShutdownRequest) (*machine.Shutdown, error) {
	n.c.lock()
	defer n.c.unlock()

	actorID := newActorID()
	plan := append([]step{{phase: "cleanup", task: "stopAllPods"}}, stopAll()...)
	plan = append(plan, step{phase: "shutdown", task: "shutdown"})

	n.startSequence("shutdown", actorID, plan, func() {
		n.c.logf("%s: powered off (shutdown)", n.spec.Address)
		n.down(ModeOff)
	})

	return &machine.Shutdown{ActorId: actorID}, nil
}

// Reset answers machine.MachineService/Reset. Wiping STATE removes the configuration, EPHEMERAL the etcd data;
// the machine then reboots (back to maintenance mode) or, without reboot, powers off as machined's sequence does.
//
//nolint:gocyclo,cyclop
func (n *Node) Reset(req *machine.ResetRequest) (*machine.Reset, error) {
	n.c.lock()
	defer n.c.unlock()

	if len(req.GetUserDisksToWipe()) > 0 {
		if req.Mode == machine.ResetRequest_SYSTEM_DISK {
			return nil, errors.New("reset failed: invalid input, wipe mode SYSTEM_DISK doesn't support UserDisksToWipe parameter")
		}

		system := ""
		if d := n.systemDisk(); d != nil {
			system = d.DeviceName
		}

		for _, dev := range req.GetUserDisksToWipe() {
			if !slices.ContainsFunc(n.spec.Disks, func(d config.Disk) bool { return d.DeviceName == dev }) {
				return nil, fmt.Errorf("reset user disk failed: device %s wasn't found", dev)
			}

			if dev == system {
				return nil, fmt.Errorf("reset user disk failed: device %s is the system disk", dev)
			}
		}
	}

	wipe := map[string]bool{}

	if len(req.GetSystemPartitionsToWipe()) > 0 {
		if req.Mode == machine.ResetRequest_USER_DISKS {
			return nil, errors.New("reset failed: invalid input, wipe mode USER_DISKS doesn't support SystemPartitionsToWipe parameter")
		}

		for _, spec := range req.GetSystemPartitionsToWipe() {
			vs, err := safe.StateGetByID[*block.VolumeStatus](context.Background(), n.res, spec.Label)
			if err != nil {
				return nil, fmt.Errorf("failed to get volume status with label %q: %w", spec.Label, err)
			}

			if vs.TypedSpec().Location == "" {
				return nil, fmt.Errorf("failed to reset: volume %q is not located", spec.Label)
			}

			if spec.Wipe {
				wipe[spec.Label] = true
			}
		}
	}

	wholeDisk := req.Mode != machine.ResetRequest_USER_DISKS && len(req.GetSystemPartitionsToWipe()) == 0

	if wholeDisk && n.systemDisk() == nil {
		return nil, fmt.Errorf("system disk paths lookup failed: system disk not found")
	}

	actorID := newActorID()

	var plan []step
	if req.Graceful {
		plan = append(plan, step{phase: "drain", task: "cordonAndDrainNode"}, step{phase: "cleanup", task: "removeAllPods"})
	} else {
		plan = append(plan, step{phase: "cleanup", task: "stopAllPods"})
	}

	plan = append(plan, step{phase: "dbus", task: "stopDBus"})

	if req.Graceful && n.isControlPlane() {
		plan = append(plan, step{phase: "leave", task: "leaveEtcd", run: n.leaveEtcd})
	}

	plan = append(plan, step{phase: "preReset", task: "sendResetSignal"})
	plan = append(plan, stopAll()...)
	plan = append(plan, step{phase: "forceCleanup", task: "forceCleanup"})

	switch {
	case wholeDisk:
		plan = append(plan, step{phase: "reset", task: "resetSystemDisk"})
	case len(wipe) > 0:
		plan = append(plan, step{phase: "resetSpec", task: "resetSystemDiskSpec"})
	}

	if len(req.GetUserDisksToWipe()) > 0 {
		plan = append(plan, step{phase: "resetUserDisks", task: "resetUserDisks"})
	}

	if req.Reboot {
		plan = append(plan, step{phase: "reboot", task: "reboot"})
	} else {
		plan = append(plan, step{phase: "shutdown", task: "shutdown"})
	}

	n.c.logf("%s: reset request received (graceful %v, reboot %v)", n.spec.Address, req.Graceful, req.Reboot)

	n.startSequence("reset", actorID, plan, func() {
		if wholeDisk {
			// the system disk is wiped: nothing installed, the next boot is the network (PXE) boot again
			n.installed = false
			n.persisted, n.active = nil, nil
			n.image, n.schematic, n.version = "", "", n.spec.TalosVersion
			n.staged = nil
			n.matchedDisk = ""
			n.wipeEtcd()
		}

		if wipe["STATE"] {
			n.persisted, n.active = nil, nil
		}

		if wipe["EPHEMERAL"] {
			n.wipeEtcd()
		}

		n.lastError = ""

		if req.Reboot {
			n.c.logf("%s: reset done, rebooting", n.spec.Address)
			n.reboot()
		} else {
			n.c.logf("%s: reset done, powered off", n.spec.Address)
			n.down(ModeOff)
		}
	})

	return &machine.Reset{ActorId: actorID}, nil
}

// PowerOff pulls the plug (control API fault): no sequence, connections drop.
func (n *Node) PowerOff() {
	n.c.lock()
	defer n.c.unlock()

	if n.mode == ModeOff {
		return
	}

	n.busy = ""
	n.down(ModeOff)
	n.c.logf("%s: powered off (fault)", n.spec.Address)
	n.c.refresh()
}

// PowerOn boots a node that is off (Wake-on-LAN, or the control API).
func (n *Node) PowerOn() {
	n.c.lock()
	defer n.c.unlock()

	if n.mode != ModeOff {
		return
	}

	n.boot()
	n.c.refresh()
}
