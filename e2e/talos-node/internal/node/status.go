package node

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/resource/meta"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state/registry"
	"github.com/dustin/go-humanize"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/resources/block"
	configres "github.com/siderolabs/talos/pkg/machinery/resources/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
)

// Partition sizes of a Talos system disk (EFI, BIOS, BOOT, META, STATE) and the GPT overhead; the rest is EPHEMERAL.
const (
	efiSize      = 1 << 30
	metaSize     = 1 << 20
	stateSize    = 100 << 20
	gptOverhead  = 10 << 20
	systemLayout = efiSize + metaSize + stateSize + gptOverhead
)

var stageEvents = map[runtime.MachineStage]machine.MachineStatusEvent_MachineStage{
	runtime.MachineStageBooting:      machine.MachineStatusEvent_BOOTING,
	runtime.MachineStageInstalling:   machine.MachineStatusEvent_INSTALLING,
	runtime.MachineStageMaintenance:  machine.MachineStatusEvent_MAINTENANCE,
	runtime.MachineStageRunning:      machine.MachineStatusEvent_RUNNING,
	runtime.MachineStageRebooting:    machine.MachineStatusEvent_REBOOTING,
	runtime.MachineStageShuttingDown: machine.MachineStatusEvent_SHUTTING_DOWN,
	runtime.MachineStageResetting:    machine.MachineStatusEvent_RESETTING,
	runtime.MachineStageUpgrading:    machine.MachineStatusEvent_UPGRADING,
}

// publishBoot fills this boot's resources and publishes the boot events.
func (n *Node) publishBoot() {
	ctx := context.Background()

	for _, rd := range []meta.ResourceWithRD{
		&block.Disk{}, &block.VolumeStatus{}, &runtime.MachineStatus{}, &configres.MachineType{}, &runtime.Diagnostic{},
		&runtime.ExtensionStatus{},
	} {
		if err := registry.NewResourceRegistry(n.res).Register(ctx, rd); err != nil {
			panic(err)
		}
	}

	n.registerKubernetesResources(ctx)

	for _, d := range n.spec.Disks {
		disk := block.NewDisk(block.NamespaceName, path.Base(d.DeviceName))
		spec := disk.TypedSpec()
		spec.DevPath = d.DeviceName
		spec.Size = d.Size
		spec.PrettySize = humanize.Bytes(d.Size)
		spec.IOSize = 512
		spec.SectorSize = 512
		spec.Model = d.Model
		spec.Transport = d.Type
		spec.Rotational = d.Type == "hdd"
		spec.CDROM = d.Type == "cd"
		spec.SubSystem = "/sys/class/block"

		if d.Type == "nvme" {
			spec.Transport = "nvme"
		} else if d.Type != "" {
			spec.Transport = "sata"
		}

		mustCreate(ctx, n, disk)
	}

	if n.mode == ModeConfigured {
		mt := configres.NewMachineType()
		mt.SetMachineType(n.machineType())
		mustCreate(ctx, n, mt)

		if disk := n.systemDisk(); disk != nil {
			for _, v := range []struct {
				id   string
				size uint64
				idx  int
			}{
				{"STATE", stateSize, 5},
				{"EPHEMERAL", ephemeralSize(disk.Size), 6},
			} {
				vs := block.NewVolumeStatus(block.NamespaceName, v.id)
				spec := vs.TypedSpec()
				spec.Phase = block.VolumePhaseReady
				spec.Type = block.VolumeTypePartition
				spec.Location = partitionPath(disk.DeviceName, v.idx)
				spec.MountLocation = spec.Location
				spec.ParentLocation = disk.DeviceName
				spec.PartitionIndex = v.idx
				spec.Size = v.size
				spec.PrettySize = humanize.IBytes(v.size)
				spec.Filesystem = block.FilesystemTypeXFS
				mustCreate(ctx, n, vs)
			}
		}
	}

	if n.schematic != "" {
		mustCreate(ctx, n, schematicExtension(n.schematic))
	}

	ms := runtime.NewMachineStatus()
	ms.TypedSpec().Stage = runtime.MachineStageBooting
	mustCreate(ctx, n, ms)

	n.events.Publish(&machine.SequenceEvent{Sequence: "boot", Action: machine.SequenceEvent_START}, "")
	n.events.Publish(&machine.MachineStatusEvent{Stage: machine.MachineStatusEvent_BOOTING, Status: &machine.MachineStatusEvent_MachineStatus{}}, "")

	for _, s := range n.services() {
		n.events.Publish(&machine.ServiceStateEvent{Service: s.Id, Action: machine.ServiceStateEvent_RUNNING, Message: "Started task " + s.Id, Health: s.Health}, "")
	}

	n.events.Publish(&machine.SequenceEvent{Sequence: "boot", Action: machine.SequenceEvent_STOP}, "")
	n.publishStatus()
}

// publishStatus updates MachineStatus and sends a MachineStatusEvent when stage or readiness changed.
func (n *Node) publishStatus() {
	if !n.listening() || n.res == nil || n.busy != "" {
		return // a running sequence owns the stage until the machine goes down
	}

	stage := runtime.MachineStageRunning
	if n.mode == ModeMaintenance {
		stage = runtime.MachineStageMaintenance
	}

	ready := n.ready()

	var unmet []runtime.UnmetCondition

	if n.mode == ModeConfigured && !ready {
		unmet = append(unmet, runtime.UnmetCondition{Name: "services", Reason: "some services are not healthy: " + strings.Join(n.unhealthyServices(), ", ")})
	}

	key := fmt.Sprintf("%s/%v/%v", stage, ready, unmet)
	if key == n.published {
		return
	}

	n.published = key

	n.setStage(stage, ready, unmet, "")
}

// setStage writes MachineStatus and publishes the matching event (actorID ties it to an API request).
func (n *Node) setStage(stage runtime.MachineStage, ready bool, unmet []runtime.UnmetCondition, actorID string) {
	ctx := context.Background()

	if _, err := safe.StateUpdateWithConflicts(ctx, n.res, runtime.NewMachineStatus().Metadata(), func(ms *runtime.MachineStatus) error {
		ms.TypedSpec().Stage = stage
		ms.TypedSpec().Status.Ready = ready
		ms.TypedSpec().Status.UnmetConditions = unmet

		return nil
	}); err != nil {
		panic(err)
	}

	ev := &machine.MachineStatusEvent{Stage: stageEvents[stage], Status: &machine.MachineStatusEvent_MachineStatus{Ready: ready}}
	for _, u := range unmet {
		ev.Status.UnmetConditions = append(ev.Status.UnmetConditions, &machine.MachineStatusEvent_MachineStatus_UnmetCondition{Name: u.Name, Reason: u.Reason})
	}

	n.events.Publish(ev, actorID)
}

func mustCreate(ctx context.Context, n *Node, r resource.Resource) {
	if err := n.res.Create(ctx, r); err != nil {
		panic(err)
	}
}

// systemDisk is the configured disk Talos is installed on, when the install disk is one of the node's disks.
func (n *Node) systemDisk() *diskSpec {
	cfg := n.cfg()
	if cfg == nil {
		return nil
	}

	want := cfg.Machine().Install().Disk()

	for i := range n.spec.Disks {
		d := &n.spec.Disks[i]
		if d.DeviceName == want || (n.matchedDisk != "" && d.DeviceName == n.matchedDisk) {
			return &diskSpec{DeviceName: d.DeviceName, Size: d.Size}
		}
	}

	return nil
}

type diskSpec struct {
	DeviceName string
	Size       uint64
}

func ephemeralSize(disk uint64) uint64 {
	if disk <= systemLayout {
		return 0
	}

	return disk - systemLayout
}

func partitionPath(dev string, idx int) string {
	base := path.Base(dev)
	if strings.HasPrefix(base, "nvme") || strings.HasPrefix(base, "mmcblk") || strings.HasPrefix(base, "loop") {
		return fmt.Sprintf("%sp%d", dev, idx)
	}

	return fmt.Sprintf("%s%d", dev, idx)
}

// schematicExtension is the ExtensionStatus an Image Factory image carries: an extension named "schematic" whose
// version is the schematic ID (`talosctl get extensions` lists it; the Image Factory adds it to every image it
// builds from a schematic). The stand-in knows the schematic from the installer image it was installed or upgraded
// from; a node that never installed (maintenance) publishes none.
func schematicExtension(id string) *runtime.ExtensionStatus {
	ext := runtime.NewExtensionStatus(runtime.NamespaceName, "0")
	ext.TypedSpec().Image = "000.schematic.sqsh"
	ext.TypedSpec().Metadata.Name = "schematic"
	ext.TypedSpec().Metadata.Version = id
	ext.TypedSpec().Metadata.Author = "Image Factory"
	ext.TypedSpec().Metadata.Description = "Image Factory schematic ID"

	return ext
}
