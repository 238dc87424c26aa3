package node

import (
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"google.golang.org/grpc/codes"

	"homelab.local/e2e/talos-node/internal/fixture"
)

func TestFirstApplyInstallsThenBootsConfigured(t *testing.T) {
	for _, tc := range []struct {
		name          string
		installer     string
		mutate        func(*v1alpha1.Config)
		wantMode      Mode
		wantVersion   string
		wantSchematic string
		wantHooks     []string
		wantError     string
	}{
		{
			name:      "install disk present: install, reboot, configured",
			installer: fixture.Installer("v1.12.1"),
			wantMode:  ModeConfigured, wantVersion: "v1.12.1", wantSchematic: fixture.Schematic,
			wantHooks: []string{"down 127.0.0.11", "up 127.0.0.11"},
		},
		{
			name:      "installer of another version: the node then runs that version",
			installer: fixture.Installer("v1.12.4"),
			wantMode:  ModeConfigured, wantVersion: "v1.12.4", wantSchematic: fixture.Schematic,
			wantHooks: []string{"down 127.0.0.11", "up 127.0.0.11"},
		},
		{
			name:      "install disk missing: apply accepted, install fails, back in maintenance",
			installer: fixture.Installer("v1.12.1"),
			mutate:    func(c *v1alpha1.Config) { c.MachineConfig.MachineInstall.InstallDisk = "/dev/sdb" },
			wantMode:  ModeMaintenance, wantVersion: "v1.12.1",
			wantHooks: []string{"down 127.0.0.11", "up 127.0.0.11"},
			wantError: "Talos install failed: lstat /dev/sdb: no such file or directory",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, "v1.12.1")
			n := c.node(0)
			bootBefore := c.state(n).BootID

			data := bundle(t, "1.35.0", tc.installer).ControlPlane
			if tc.mutate != nil {
				data = fixture.MustModify(data, tc.mutate)
			}

			res := mustApply(t, n, data, machine.ApplyConfigurationRequest_AUTO)
			if res.GetMode() != machine.ApplyConfigurationRequest_NO_REBOOT || res.GetModeDetails() != "Applied configuration without a reboot" {
				t.Fatalf("maintenance apply answered %s %q, want NO_REBOOT as machined does", res.GetMode(), res.GetModeDetails())
			}

			if got := n.Mode(); got != ModeInstalling {
				t.Fatalf("right after apply: mode %s, want installing", got)
			}

			c.clock.advance(testTiming.Settle)

			if n.Listening() {
				t.Fatal("an installing node must not answer")
			}

			c.clock.settle()

			st := c.state(n)
			if st.Mode != tc.wantMode || st.TalosVersion != tc.wantVersion || st.Schematic != tc.wantSchematic || st.InstallError != tc.wantError {
				t.Fatalf("state %+v, want mode %s version %s schematic %q installError %q", st, tc.wantMode, tc.wantVersion, tc.wantSchematic, tc.wantError)
			}

			if st.BootID == bootBefore {
				t.Fatal("the node did not get a new boot ID")
			}

			wantExtensions := ""
			if tc.wantSchematic != "" {
				wantExtensions = "schematic=" + tc.wantSchematic
			}

			if got := extensions(t, n); strings.Join(got, ",") != wantExtensions {
				t.Fatalf("extensions %v, want %q", got, wantExtensions)
			}

			if got := c.hooks.take(); strings.Join(got, ",") != strings.Join(tc.wantHooks, ",") {
				t.Fatalf("listener transitions %v, want %v", got, tc.wantHooks)
			}

			if string(n.LastConfig()) != string(data) {
				t.Fatal("the control API must keep the applied config verbatim")
			}
		})
	}
}

func TestKubernetesVersionIsCheckedAgainstTheNodesTalosVersion(t *testing.T) {
	for _, tc := range []struct {
		talos, k8s string
		worker     bool
		want       string // "" = accepted
	}{
		{talos: "v1.12.1", k8s: "1.36.0", want: "kube-apiserver image is not valid: version of Kubernetes 1.36.0 is too new to be used with Talos 1.12.1"},
		{talos: "v1.12.1", k8s: "1.36.0", worker: true, want: "kubelet image is not valid: version of Kubernetes 1.36.0 is too new to be used with Talos 1.12.1"},
		{talos: "v1.12.1", k8s: "1.35.0"},
		{talos: "v1.13.0", k8s: "1.36.0"},
		{talos: "v1.11.5", k8s: "1.35.0", want: "version of Kubernetes 1.35.0 is too new to be used with Talos 1.11.5"},
		{talos: "v1.12.1", k8s: "1.29.0", worker: true, want: "version of Kubernetes 1.29.0 is too old to be used with Talos 1.12.1"},
		{talos: "v1.14.0", k8s: "1.37.0"},
		{talos: "v1.14.0", k8s: "1.31.0", worker: true, want: "kubelet image is not valid: version of Kubernetes 1.31.0 is too old to be used with Talos 1.14.0"},
		{talos: "v1.14.0", k8s: "1.38.0", want: "version of Kubernetes 1.38.0 is too new to be used with Talos 1.14.0"},
	} {
		t.Run(tc.talos+"/"+tc.k8s, func(t *testing.T) {
			c := newCluster(t, tc.talos)
			n := c.node(0)

			b := bundle(t, tc.k8s, fixture.Installer(tc.talos))
			data := b.ControlPlane

			if tc.worker {
				data = b.Worker
			}

			_, err := n.Apply(ApplyRequest{Data: data, Mode: machine.ApplyConfigurationRequest_AUTO})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Talos %s refused Kubernetes %s: %v", tc.talos, tc.k8s, err)
				}

				return
			}

			wantCode(t, err, codes.InvalidArgument, tc.want)

			if n.Mode() != ModeMaintenance || n.LastConfig() != nil {
				t.Fatal("a refused config must leave the node untouched in maintenance mode")
			}
		})
	}
}

func TestBootstrapOnceAndEtcdAcrossControlPlanes(t *testing.T) {
	c := newCluster(t, "v1.12.1", "v1.12.1", "v1.12.1", "v1.12.1")
	b := defaultBundle(t)
	cp1, cp2, cp3, worker := c.node(0), c.node(1), c.node(2), c.node(3)

	wantCode(t, cp1.Bootstrap(), codes.FailedPrecondition, "bootstrap is not available yet")

	for _, n := range []*Node{cp1, cp2, cp3} {
		c.configure(t, n, b.ControlPlane)
	}

	c.configure(t, worker, b.Worker)

	if _, err := cp1.EtcdMembers(); err == nil {
		t.Fatal("before bootstrap there is no etcd to list")
	}

	if svc := cp1.Services(); !strings.Contains(serviceState(svc, "etcd"), "Preparing") {
		t.Fatalf("etcd before bootstrap: %s, want Preparing", serviceState(svc, "etcd"))
	}

	wantCode(t, worker.Bootstrap(), codes.Unimplemented, "bootstrap is only available on control plane nodes")

	if err := cp1.Bootstrap(); err != nil {
		t.Fatal(err)
	}

	wantCode(t, cp1.Bootstrap(), codes.AlreadyExists, "etcd data directory is not empty")
	wantCode(t, cp2.Bootstrap(), codes.AlreadyExists, "etcd data directory is not empty")

	var first []string

	for _, n := range []*Node{cp1, cp2, cp3} {
		m, err := n.EtcdMembers()
		if err != nil {
			t.Fatalf("%s: %v", n.Address(), err)
		}

		var peers []string
		for _, member := range m.GetMembers() {
			peers = append(peers, member.GetPeerUrls()...)
		}

		if first == nil {
			first = peers
		}

		if strings.Join(peers, ",") != strings.Join(first, ",") || len(peers) != 3 {
			t.Fatalf("%s sees members %v, want the same 3 on every control plane (%v)", n.Address(), peers, first)
		}

		if !c.state(n).EtcdRunning || !c.state(n).Ready {
			t.Fatalf("%s: %+v, want etcd running and ready", n.Address(), c.state(n))
		}
	}

	if _, err := worker.EtcdMembers(); err == nil {
		t.Fatal("a worker has no etcd member list")
	}

	if !c.state(cp1).Bootstrapped || c.state(cp2).Bootstrapped {
		t.Fatal("only the bootstrapped node reports bootstrapped")
	}

	// losing quorum: two of three members down
	cp2.PowerOff()
	cp3.PowerOff()

	wantCode(t, func() error { _, err := cp1.EtcdMembers(); return err }(), codes.Unavailable, "etcdserver: no leader")

	if c.state(cp1).Ready {
		t.Fatal("without quorum etcd is unhealthy, so the machine is not ready")
	}
}

func serviceState(svcs []*machine.ServiceInfo, id string) string {
	for _, s := range svcs {
		if s.GetId() == id {
			return s.GetState()
		}
	}

	return "absent"
}

func TestApplyModesOnAConfiguredNode(t *testing.T) {
	b := defaultBundle(t)
	withEnv := fixture.MustModify(b.ControlPlane, func(c *v1alpha1.Config) { c.MachineConfig.MachineEnv = map[string]string{"FOO": "bar"} })
	withHostname, err := fixture.WithHostname(b.ControlPlane, "cp-1")
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name        string
		data        []byte
		mode        machine.ApplyConfigurationRequest_Mode
		dryRun      bool
		admin       bool
		wantCode    codes.Code
		wantErr     string
		wantMode    machine.ApplyConfigurationRequest_Mode
		wantDetails string
		rebooted    bool
		hostname    string
	}{
		{name: "auto, immediate change", data: withHostname, mode: machine.ApplyConfigurationRequest_AUTO, admin: true,
			wantMode: machine.ApplyConfigurationRequest_NO_REBOOT, wantDetails: "Applied configuration without a reboot", hostname: "cp-1"},
		{name: "auto, change needing a reboot", data: withEnv, mode: machine.ApplyConfigurationRequest_AUTO, admin: true,
			wantMode: machine.ApplyConfigurationRequest_REBOOT, wantDetails: "Applied configuration with a reboot: this config change can't be applied in immediate mode", rebooted: true},
		{name: "no-reboot refused for a change needing a reboot", data: withEnv, mode: machine.ApplyConfigurationRequest_NO_REBOOT, admin: true,
			wantCode: codes.InvalidArgument, wantErr: "this config change can't be applied in immediate mode"},
		{name: "reboot", data: withHostname, mode: machine.ApplyConfigurationRequest_REBOOT, admin: true,
			wantMode: machine.ApplyConfigurationRequest_REBOOT, wantDetails: "Applied configuration with a reboot", rebooted: true, hostname: "cp-1"},
		{name: "staged: applied at the next reboot", data: withHostname, mode: machine.ApplyConfigurationRequest_STAGED, admin: true,
			wantMode: machine.ApplyConfigurationRequest_STAGED, wantDetails: "Staged configuration to be applied after the next reboot"},
		{name: "dry run changes nothing", data: withHostname, mode: machine.ApplyConfigurationRequest_AUTO, dryRun: true, admin: true,
			wantMode: machine.ApplyConfigurationRequest_NO_REBOOT, wantDetails: "Dry run summary:\nApplied configuration without a reboot (skipped in dry-run).\nConfig diff:"},
		{name: "not an admin certificate", data: withHostname, mode: machine.ApplyConfigurationRequest_AUTO,
			wantCode: codes.PermissionDenied, wantErr: "not authorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, "v1.12.1")
			n := c.node(0)
			c.configure(t, n, b.ControlPlane)

			before := c.state(n)

			res, err := n.Apply(ApplyRequest{Data: tc.data, Mode: tc.mode, DryRun: tc.dryRun, Admin: tc.admin})
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantCode, tc.wantErr)

				return
			}

			if err != nil {
				t.Fatal(err)
			}

			if res.GetMode() != tc.wantMode || !strings.HasPrefix(res.GetModeDetails(), tc.wantDetails) {
				t.Fatalf("answer %s %q, want %s %q…", res.GetMode(), res.GetModeDetails(), tc.wantMode, tc.wantDetails)
			}

			c.clock.settle()

			after := c.state(n)
			if (after.BootID != before.BootID) != tc.rebooted {
				t.Fatalf("rebooted=%v, want %v", after.BootID != before.BootID, tc.rebooted)
			}

			wantHostname := before.Hostname
			if tc.hostname != "" {
				wantHostname = tc.hostname
			}

			if after.Hostname != wantHostname {
				t.Fatalf("hostname %q, want %q", after.Hostname, wantHostname)
			}

			if tc.dryRun && string(n.LastConfig()) != string(b.ControlPlane) {
				t.Fatal("a dry run must not record a config")
			}

			if tc.mode == machine.ApplyConfigurationRequest_STAGED {
				if !after.StagedConfig {
					t.Fatal("a staged config is pending until the next reboot")
				}

				if _, err := n.Reboot(&machine.RebootRequest{}); err != nil {
					t.Fatal(err)
				}

				c.clock.settle()

				if got := c.state(n).Hostname; got != "cp-1" {
					t.Fatalf("after the reboot the staged config runs: hostname %q, want cp-1", got)
				}
			}
		})
	}
}

func TestTryModeRollsBack(t *testing.T) {
	c := newCluster(t, "v1.12.1")
	n := c.node(0)
	b := defaultBundle(t)
	c.configure(t, n, b.ControlPlane)

	original := c.state(n).Hostname
	try, err := fixture.WithHostname(b.ControlPlane, "trying")
	if err != nil {
		t.Fatal(err)
	}

	res, err := n.Apply(ApplyRequest{Data: try, Mode: machine.ApplyConfigurationRequest_TRY, TryTimeout: 30 * time.Second, Admin: true})
	if err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(res.GetModeDetails(), "will be automatically reverted back in 30s") {
		t.Fatalf("details %q", res.GetModeDetails())
	}

	if got := c.state(n).Hostname; got != "trying" {
		t.Fatalf("hostname during try %q", got)
	}

	c.clock.advance(31 * time.Second)

	if got := c.state(n).Hostname; got != original {
		t.Fatalf("hostname after the try timeout %q, want %q back", got, original)
	}
}

func TestReset(t *testing.T) {
	wipeStateAndEphemeral := []*machine.ResetPartitionSpec{{Label: "STATE", Wipe: true}, {Label: "EPHEMERAL", Wipe: true}}

	for _, tc := range []struct {
		name        string
		cps         int
		req         *machine.ResetRequest
		wantMode    Mode
		wantErr     string // the sequence's error event
		installed   bool
		wantMembers int // etcd members left on the other control planes
	}{
		{name: "graceful reset of the last etcd member fails as etcd refuses it", cps: 1,
			req: &machine.ResetRequest{Graceful: true, Reboot: true, SystemPartitionsToWipe: wipeStateAndEphemeral}, wantMode: ModeConfigured,
			wantErr: "error running phase 4 in reset sequence: task 1/1: failed, failed to remove member", installed: true},
		{name: "non-graceful reset with reboot: maintenance mode, config wiped, still installed", cps: 1,
			req: &machine.ResetRequest{Graceful: false, Reboot: true, SystemPartitionsToWipe: wipeStateAndEphemeral}, wantMode: ModeMaintenance, installed: true},
		{name: "reset without reboot powers the machine off", cps: 1,
			req: &machine.ResetRequest{Graceful: false, Reboot: false, SystemPartitionsToWipe: wipeStateAndEphemeral}, wantMode: ModeOff, installed: true},
		{name: "whole system disk: not installed any more", cps: 1,
			req: &machine.ResetRequest{Graceful: false, Reboot: true}, wantMode: ModeMaintenance, installed: false},
		{name: "graceful reset of one of three members leaves etcd", cps: 3,
			req: &machine.ResetRequest{Graceful: true, Reboot: true, SystemPartitionsToWipe: wipeStateAndEphemeral}, wantMode: ModeMaintenance, installed: true, wantMembers: 2},
		{name: "non-graceful reset of one of three leaves a stale member", cps: 3,
			req: &machine.ResetRequest{Graceful: false, Reboot: true, SystemPartitionsToWipe: wipeStateAndEphemeral}, wantMode: ModeMaintenance, installed: true, wantMembers: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			versions := make([]string, tc.cps)
			for i := range versions {
				versions[i] = "v1.12.1"
			}

			c := newCluster(t, versions...)
			b := defaultBundle(t)

			for i := range tc.cps {
				c.configure(t, c.node(i), b.ControlPlane)
			}

			n := c.node(0)
			if err := n.Bootstrap(); err != nil {
				t.Fatal(err)
			}

			_, ch, cancel := n.Events().Watch(WatchOptions{})
			defer cancel()

			res, err := n.Reset(tc.req)
			if err != nil {
				t.Fatal(err)
			}

			c.clock.settle()

			var evs []*machine.Event
			for ev := range ch {
				evs = append(evs, ev)
				if len(ch) == 0 && (tc.wantMode == ModeConfigured) {
					break
				}
			}

			got := payloads(t, evs)
			if tc.wantErr == "" && !containsInOrder(got, "SequenceEvent:reset/START", "TaskEvent:stopAllServices/START", "SequenceEvent:reset/STOP") {
				t.Fatalf("events %v lack the reset sequence with stopAllServices", got)
			}

			if tc.wantErr != "" && !containsInOrder(got, "SequenceEvent:reset/START", "TaskEvent:leaveEtcd/START") {
				t.Fatalf("events %v lack leaveEtcd", got)
			}

			for _, ev := range evs {
				if ev.GetActorId() != res.GetActorId() && strings.Contains(ev.GetData().GetTypeUrl(), "Task") {
					t.Fatalf("a reset task event carries actor %q, want %q", ev.GetActorId(), res.GetActorId())
				}
			}

			st := c.state(n)
			if st.Mode != tc.wantMode || st.Installed != tc.installed {
				t.Fatalf("state %+v, want mode %s installed %v", st, tc.wantMode, tc.installed)
			}

			if tc.wantErr != "" && !strings.Contains(st.LastError, tc.wantErr) {
				t.Fatalf("lastError %q, want %q", st.LastError, tc.wantErr)
			}

			if tc.wantMode == ModeMaintenance && st.ClusterID != "" {
				t.Fatal("after a reset the configuration is gone")
			}

			if tc.wantMembers > 0 {
				m, err := c.node(1).EtcdMembers()
				if err != nil {
					t.Fatal(err)
				}

				if len(m.GetMembers()) != tc.wantMembers {
					t.Fatalf("%d members left, want %d", len(m.GetMembers()), tc.wantMembers)
				}
			}

			if tc.wantMode == ModeOff {
				n.PowerOn()

				if got := n.Mode(); got != ModeMaintenance {
					t.Fatalf("powered on after reset: %s, want maintenance", got)
				}
			}
		})
	}
}

func TestUpgrade(t *testing.T) {
	image := fixture.Installer("v1.12.4")

	t.Run("records the image and comes back with its version after a reboot", func(t *testing.T) {
		c := newCluster(t, "v1.12.1")
		n := c.node(0)
		c.configure(t, n, defaultBundle(t).ControlPlane)

		if err := n.Bootstrap(); err != nil {
			t.Fatal(err)
		}

		before := c.state(n)
		backlog, ch, cancel := n.Events().Watch(WatchOptions{})
		defer cancel()

		res, err := n.Upgrade(&machine.UpgradeRequest{Image: image, Preserve: true})
		if err != nil {
			t.Fatal(err)
		}

		if res.GetAck() != "Upgrade request received" || res.GetActorId() == "" {
			t.Fatalf("answer %+v", res)
		}

		c.clock.settle()

		for ev := range ch {
			backlog = append(backlog, ev)
		}

		if got := payloads(t, backlog); !containsInOrder(got, "SequenceEvent:upgrade/START", "TaskEvent:stopAllServices/START", "SequenceEvent:upgrade/STOP") {
			t.Fatalf("events %v", got)
		}

		after := c.state(n)
		if after.TalosVersion != "v1.12.4" || after.Image != image || after.Schematic != fixture.Schematic || after.BootID == before.BootID || after.Mode != ModeConfigured {
			t.Fatalf("after upgrade %+v", after)
		}

		// `talosctl get extensions` names the image's schematic, as on an Image Factory image
		if got := extensions(t, n); strings.Join(got, ",") != "schematic="+fixture.Schematic {
			t.Fatalf("extensions after the upgrade %v, want the schematic %s", got, fixture.Schematic)
		}

		// the new boot's events end with the machine ready (talosctl's tracker waits for it)
		all, _, cancel2 := n.Events().Watch(WatchOptions{TailEvents: -1})
		defer cancel2()

		if got := payloads(t, all); !containsInOrder(got, "MachineStatusEvent:BOOTING/ready=false", "MachineStatusEvent:RUNNING/ready=true") {
			t.Fatalf("boot events %v", got)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		c := newCluster(t, "v1.12.1", "v1.12.1", "v1.12.1")
		b := defaultBundle(t)

		_, err := c.node(2).Upgrade(&machine.UpgradeRequest{Image: image})
		wantCode(t, err, codes.FailedPrecondition, "Talos is not installed")

		c.configure(t, c.node(0), b.ControlPlane)
		c.configure(t, c.node(1), b.ControlPlane)

		if err := c.node(0).Bootstrap(); err != nil {
			t.Fatal(err)
		}

		_, err = c.node(0).Upgrade(&machine.UpgradeRequest{Image: image})
		if err == nil || !strings.Contains(err.Error(), "etcd member count(2) is insufficient to maintain quorum if upgrade commences") {
			t.Fatalf("upgrading one of two members: %v", err)
		}

		_, err = c.node(0).Upgrade(&machine.UpgradeRequest{Image: "factory.talos.dev/metal-installer/" + fixture.Schematic})
		if err == nil || !strings.Contains(err.Error(), "error validating installer image") {
			t.Fatalf("an image without a version tag: %v", err)
		}

		if _, err = c.node(0).Upgrade(&machine.UpgradeRequest{Image: image, Force: true}); err != nil {
			t.Fatalf("--force skips the etcd checks: %v", err)
		}
	})
}

func TestParseImage(t *testing.T) {
	for _, tc := range []struct {
		ref, version, schematic string
		bad                     bool
	}{
		{ref: fixture.Installer("v1.12.1"), version: "v1.12.1", schematic: fixture.Schematic},
		{ref: "factory.talos.dev/installer/" + fixture.Schematic + ":v1.13.0", version: "v1.13.0", schematic: fixture.Schematic},
		{ref: "ghcr.io/siderolabs/installer:v1.12.1", version: "v1.12.1"},
		{ref: "registry.local:5000/installer:v1.12.2@sha256:abc", version: "v1.12.2"},
		{ref: "ghcr.io/siderolabs/installer", bad: true},
		{ref: "registry.local:5000/installer", bad: true},
		{ref: "ghcr.io/siderolabs/installer:latest", bad: true},
	} {
		v, s, err := ParseImage(tc.ref)
		if (err != nil) != tc.bad || v != tc.version || s != tc.schematic {
			t.Errorf("%s: got (%q, %q, %v), want (%q, %q, bad=%v)", tc.ref, v, s, err, tc.version, tc.schematic, tc.bad)
		}
	}
}

func TestWorkerAPIWaitsForAControlPlaneToSignItsCertificate(t *testing.T) {
	c := newCluster(t, "v1.12.1", "v1.12.1")
	b := defaultBundle(t)
	cp, worker := c.node(0), c.node(1)

	mustApply(t, worker, b.Worker, machine.ApplyConfigurationRequest_AUTO)
	c.clock.settle()

	if worker.Listening() || worker.Mode() != ModeConfigured {
		t.Fatalf("a worker without a control plane: mode %s listening %v, want configured and not answering", worker.Mode(), worker.Listening())
	}

	if !strings.Contains(c.state(worker).LastError, "trustd") {
		t.Fatalf("lastError %q should say what it waits for", c.state(worker).LastError)
	}

	c.hooks.take()
	c.configure(t, cp, b.ControlPlane)

	if !worker.Listening() {
		t.Fatal("once a control plane runs, the worker's apid gets its certificate and answers")
	}

	if got := c.hooks.take(); !containsInOrder(got, "up 127.0.0.11", "up 127.0.0.12") {
		t.Fatalf("transitions %v", got)
	}

	tls := worker.TLS()
	if !tls.Configured || tls.Issued == nil {
		t.Fatal("the worker serves mutual TLS")
	}
}
