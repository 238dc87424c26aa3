package talosver

import (
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/compatibility/talos112"
	"github.com/siderolabs/talos/pkg/machinery/compatibility/talos113"
)

func TestUpgradeableFrom(t *testing.T) {
	for _, tc := range []struct {
		host, target, want string // want "" = allowed
	}{
		{host: "v1.12.1", target: "v1.13.9"},
		{host: "v1.13.9", target: "v1.14.0"},
		{host: "v1.12.0", target: "v1.14.0"},
		{host: "v1.12.1", target: "v1.12.4"},
		{host: "v1.11.5", target: "v1.14.0", want: "host version 1.11.5 is too old to upgrade to Talos 1.14.0"},
		{host: "v1.10.6", target: "v1.13.9", want: "host version 1.10.6 is too old to upgrade to Talos 1.13.9"},
		{host: "v1.10.0", target: "v1.12.1"},
		{host: "v1.14.0", target: "v1.12.1", want: "host version 1.14.0 is too new to downgrade to Talos 1.12.1"},
		{host: "v1.14.0", target: "v1.13.9"},
		{host: "v1.12.0-alpha.1", target: "v1.14.0"}, // a pre-release counts as its release, as Talos compares cores
		{host: "v1.11.0", target: "v1.11.5"},         // a minor of no table here: machinery's own
		{host: "v1.8.0", target: "v1.11.5", want: "host version 1.8.0 is too old to upgrade to Talos 1.11.5"},
		{host: "v1.12.1", target: "v1.15.0", want: "upgrades to version 1.15.0 are not supported"},
	} {
		t.Run(tc.host+"->"+tc.target, func(t *testing.T) {
			err := UpgradeableFrom(tc.host, tc.target)
			if got := errText(err); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestKubernetesSupported(t *testing.T) {
	for _, tc := range []struct {
		k8s, talos, want string
	}{
		{k8s: "1.35.0", talos: "v1.12.1"},
		{k8s: "1.36.0", talos: "v1.12.1", want: "version of Kubernetes 1.36.0 is too new to be used with Talos 1.12.1"},
		{k8s: "1.29.0", talos: "v1.12.1", want: "version of Kubernetes 1.29.0 is too old to be used with Talos 1.12.1"},
		{k8s: "1.36.3", talos: "v1.13.9"},
		{k8s: "1.30.0", talos: "v1.13.9", want: "version of Kubernetes 1.30.0 is too old to be used with Talos 1.13.9"},
		{k8s: "1.35.0", talos: "v1.14.0"},
		{k8s: "1.37.0-rc.0", talos: "v1.14.0"},
		{k8s: "1.31.4", talos: "v1.14.0", want: "version of Kubernetes 1.31.4 is too old to be used with Talos 1.14.0"},
		{k8s: "1.38.0", talos: "v1.14.0", want: "version of Kubernetes 1.38.0 is too new to be used with Talos 1.14.0"},
		{k8s: "1.35.0", talos: "v1.11.5", want: "version of Kubernetes 1.35.0 is too new to be used with Talos 1.11.5"},
		{k8s: "1.35.0", talos: "v1.15.0", want: "compatibility with version 1.15.0 is not supported"},
	} {
		t.Run(tc.talos+"/"+tc.k8s, func(t *testing.T) {
			if got := errText(KubernetesSupported(tc.k8s, tc.talos)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		talos, kind string
		want        KindSupport
	}{
		{talos: "v1.14.0", kind: "SecurityProfileConfig", want: Record},
		{talos: "v1.14.0", kind: "KubeletConfig", want: Record},
		{talos: "v1.13.9", kind: "SecurityProfileConfig", want: Unknown},
		{talos: "v1.12.1", kind: "SecurityProfileConfig", want: Unknown},
		{talos: "v1.12.1", kind: "EnvironmentConfig", want: Unknown},
		{talos: "v1.13.0", kind: "EnvironmentConfig", want: Decode},
		{talos: "v1.14.0", kind: "EnvironmentConfig", want: Decode},
		{talos: "v1.12.1", kind: "HostnameConfig", want: Decode},
		{talos: "v1.14.0", kind: "HostnameConfig", want: Decode},
		{talos: "v1.15.0", kind: "SecurityProfileConfig", want: Record},
	} {
		if got := Kind(tc.talos, tc.kind); got != tc.want {
			t.Errorf("Talos %s, %s: got %d, want %d", tc.talos, tc.kind, got, tc.want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}

	return err.Error()
}

// The 1.12 and 1.13 rows are machinery v1.13.0's own compatibility/talos112 and talos113.
func TestRulesAgreeWithMachinery(t *testing.T) {
	for minor, want := range map[Minor]Rules{
		{1, 12}: {
			MinimumHostUpgrade: talos112.MinimumHostUpgradeVersion, MaximumHostDowngrade: talos112.MaximumHostDowngradeVersion,
			DeniedHostUpgrade: talos112.DeniedHostUpgradeVersions,
			MinimumKubernetes: talos112.MinimumKubernetesVersion, MaximumKubernetes: talos112.MaximumKubernetesVersion,
		},
		{1, 13}: {
			MinimumHostUpgrade: talos113.MinimumHostUpgradeVersion, MaximumHostDowngrade: talos113.MaximumHostDowngradeVersion,
			DeniedHostUpgrade: talos113.DeniedHostUpgradeVersions,
			MinimumKubernetes: talos113.MinimumKubernetesVersion, MaximumKubernetes: talos113.MaximumKubernetesVersion,
		},
	} {
		got := rules[minor]
		if !got.MinimumHostUpgrade.EQ(want.MinimumHostUpgrade) || !got.MaximumHostDowngrade.EQ(want.MaximumHostDowngrade) ||
			len(got.DeniedHostUpgrade) != len(want.DeniedHostUpgrade) ||
			!got.MinimumKubernetes.EQ(want.MinimumKubernetes) || !got.MaximumKubernetes.EQ(want.MaximumKubernetes) {
			t.Errorf("%s: %+v, machinery says %+v", minor, got, want)
		}
	}
}
