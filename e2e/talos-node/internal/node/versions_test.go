package node

import (
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"homelab.local/e2e/talos-node/internal/fixture"
)

const (
	securityProfile = "---\napiVersion: v1alpha1\nkind: SecurityProfileConfig\nworkloadIsolation: true\n"
	environment     = "---\napiVersion: v1alpha1\nkind: EnvironmentConfig\nvariables:\n  HTTP_PROXY: http://127.0.0.1:3128\n"
)

func TestConfigDocumentsAreThoseOfTheNodesTalosVersion(t *testing.T) {
	for _, tc := range []struct {
		name, talos, extra string
		want               string // "" = accepted
		wantRecorded       []string
	}{
		{name: "1.14 takes SecurityProfileConfig", talos: "v1.14.0", extra: securityProfile, wantRecorded: []string{"SecurityProfileConfig"}},
		{name: "1.13 does not know it", talos: "v1.13.9", extra: securityProfile, want: `"SecurityProfileConfig" "v1alpha1": not registered`},
		{name: "1.12 does not know it", talos: "v1.12.1", extra: securityProfile, want: `"SecurityProfileConfig" "v1alpha1": not registered`},
		{name: "1.12 does not know 1.13's EnvironmentConfig", talos: "v1.12.1", extra: environment, want: `error decoding document v1alpha1/EnvironmentConfig/`},
		{name: "1.13 decodes EnvironmentConfig", talos: "v1.13.0", extra: environment},
		{name: "1.14 decodes EnvironmentConfig", talos: "v1.14.0", extra: environment + securityProfile, wantRecorded: []string{"SecurityProfileConfig"}},
		{name: "only the v1alpha1 config", talos: "v1.14.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, tc.talos)
			n := c.node(0)
			data := append(append([]byte{}, bundle(t, "1.35.0", fixture.Installer(tc.talos)).ControlPlane...), tc.extra...)

			_, err := n.Apply(ApplyRequest{Data: data, Mode: machine.ApplyConfigurationRequest_AUTO})
			if tc.want != "" {
				wantCode(t, err, codes.InvalidArgument, tc.want)

				if n.LastConfig() != nil {
					t.Fatal("a refused config must leave the node untouched")
				}

				return
			}

			if err != nil {
				t.Fatalf("Talos %s refused: %v", tc.talos, err)
			}

			c.clock.settle()

			st := c.state(n)
			if st.Mode != ModeConfigured || st.TalosVersion != tc.talos || st.ClusterName != "homelab" {
				t.Fatalf("state %+v: want configured %s with the v1alpha1 config decoded", st, tc.talos)
			}

			var kinds []string
			for _, d := range st.RecordedDocuments {
				kinds = append(kinds, d.Kind)

				if d.Kind == "SecurityProfileConfig" && d.Content["workloadIsolation"] != true {
					t.Fatalf("recorded %+v: want it as sent (workloadIsolation: true)", d)
				}
			}

			if len(kinds) != len(tc.wantRecorded) || (len(kinds) > 0 && kinds[0] != tc.wantRecorded[0]) {
				t.Fatalf("recorded %v, want %v", kinds, tc.wantRecorded)
			}

			if string(n.LastConfig()) != string(data) {
				t.Fatal("the control API must keep the applied config verbatim")
			}
		})
	}
}

func TestUpgradeFollowsTalosRules(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		force    bool
		want     string // "" = upgraded
	}{
		{from: "v1.12.1", to: "v1.13.9"},
		{from: "v1.13.9", to: "v1.14.0"},
		{from: "v1.12.1", to: "v1.14.0"},
		{from: "v1.11.5", to: "v1.14.0", want: "host version 1.11.5 is too old to upgrade to Talos 1.14.0"},
		{from: "v1.11.5", to: "v1.14.0", force: true},
		{from: "v1.14.0", to: "v1.12.1", want: "host version 1.14.0 is too new to downgrade to Talos 1.12.1"},
		{from: "v1.14.0", to: "v1.13.9"},
	} {
		for _, api := range []string{"MachineService", "LifecycleService"} {
			if tc.force && api == "LifecycleService" {
				continue // no force there
			}

			t.Run(api+"/"+tc.from+"->"+tc.to, func(t *testing.T) {
				c := newCluster(t, tc.from)
				n := c.node(0)
				c.configure(t, n, bundle(t, "1.34.0", fixture.Installer(tc.from)).ControlPlane) // 1.34: every minor here runs it

				if err := n.Bootstrap(); err != nil {
					t.Fatal(err)
				}

				image := fixture.Installer(tc.to)

				var err error

				if api == "MachineService" {
					_, err = n.Upgrade(&machine.UpgradeRequest{Image: image, Preserve: true, Force: tc.force})
				} else if err = n.StageUpgrade(image); err == nil {
					if v := n.Version().GetVersion().GetTag(); v != tc.from {
						t.Fatalf("runs %s before the reboot, want %s", v, tc.from)
					}

					_, err = n.Reboot(&machine.RebootRequest{})
				}

				c.clock.settle()

				want := tc.to

				switch {
				case tc.want != "" && api == "MachineService":
					wantCode(t, err, codes.FailedPrecondition, tc.want)

					want = tc.from
				case tc.want != "": // the installer's failure: its exit code, not the call's error
					if err == nil || status.Code(err) != codes.Unknown || err.Error() != tc.want {
						t.Fatalf("got %v, want the installer's %q", err, tc.want)
					}

					want = tc.from
				case err != nil:
					t.Fatal(err)
				}

				if got := c.state(n); got.TalosVersion != want || got.Mode != ModeConfigured {
					t.Fatalf("state %+v after the upgrade, want configured at %s", got, want)
				}

				if v := n.Version().GetVersion().GetTag(); v != want {
					t.Fatalf("Version answers %s, want %s", v, want)
				}
			})
		}
	}
}

func TestDocumentKinds(t *testing.T) {
	for _, tc := range []struct {
		data string
		want []string
	}{
		{data: "version: v1alpha1\nmachine:\n  type: worker\n" + securityProfile, want: []string{"v1alpha1", "SecurityProfileConfig"}},
		{data: "version: v1alpha1\n" + environment + securityProfile, want: []string{"v1alpha1", "EnvironmentConfig", "SecurityProfileConfig"}},
		{data: "machine: [", want: nil},
	} {
		if got := DocumentKinds([]byte(tc.data)); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%q: got %v, want %v", tc.data, got, tc.want)
		}
	}
}
