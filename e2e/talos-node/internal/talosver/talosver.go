// Package talosver is what a Talos node of a given version knows that machinery v1.13.0 cannot tell: its upgrade
// rules, its Kubernetes range and its config document kinds, for the Talos minors the program runs (1.12, 1.13,
// 1.14). Other minors fall back to machinery's compatibility tables, as before.
package talosver

import (
	"fmt"
	"slices"

	"github.com/blang/semver/v4"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/compatibility"
)

// Minor is a Talos major.minor, e.g. {1, 14}.
type Minor [2]uint64

func (m Minor) String() string { return fmt.Sprintf("%d.%d", m[0], m[1]) }

// Rules is one minor's compatibility/talosXYZ: the upgrade rules and the Kubernetes range.
type Rules struct {
	MinimumHostUpgrade, MaximumHostDowngrade semver.Version
	DeniedHostUpgrade                        []semver.Version
	MinimumKubernetes, MaximumKubernetes     semver.Version
}

// rules per target minor: the same values as components/talos/versions.ts (TALOS_UPGRADE_RULES and the
// TALOS_RELEASES ranges), read there from Talos' pkg/machinery/compatibility/talos112, talos113 (v1.13.0) and
// talos114 (tag v1.14.0-rc.1).
var rules = map[Minor]Rules{
	{1, 12}: {
		MinimumHostUpgrade: semver.MustParse("1.10.0"), MaximumHostDowngrade: semver.MustParse("1.14.0"),
		MinimumKubernetes: semver.MustParse("1.30.0"), MaximumKubernetes: semver.MustParse("1.35.99"),
	},
	{1, 13}: {
		MinimumHostUpgrade: semver.MustParse("1.11.0"), MaximumHostDowngrade: semver.MustParse("1.15.0"),
		MinimumKubernetes: semver.MustParse("1.31.0"), MaximumKubernetes: semver.MustParse("1.36.99"),
	},
	{1, 14}: {
		MinimumHostUpgrade: semver.MustParse("1.12.0"), MaximumHostDowngrade: semver.MustParse("1.16.0"),
		MinimumKubernetes: semver.MustParse("1.32.0"), MaximumKubernetes: semver.MustParse("1.37.99"),
	},
}

// Parse reads a Talos version tag (`v1.14.0`, `1.14.0`) as Talos does (semver.ParseTolerant).
func Parse(tag string) (semver.Version, error) { return semver.ParseTolerant(tag) }

// MinorOf is the major.minor of a version.
func MinorOf(v semver.Version) Minor { return Minor{v.Major, v.Minor} }

func core(v semver.Version) semver.Version {
	return semver.Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch}
}

// UpgradeableFrom is compatibility.TalosVersion.UpgradeableFrom: may a host running `host` install `target`?
// The errors are Talos' own words.
func UpgradeableFrom(host, target string) error {
	h, err := Parse(host)
	if err != nil {
		return err
	}

	t, err := Parse(target)
	if err != nil {
		return err
	}

	r, ok := rules[MinorOf(t)]
	if !ok {
		return upgradeableFromMachinery(host, target)
	}

	hc := core(h)

	switch {
	case hc.LT(r.MinimumHostUpgrade):
		return fmt.Errorf("host version %s is too old to upgrade to Talos %s", h, t)
	case hc.GTE(r.MaximumHostDowngrade):
		return fmt.Errorf("host version %s is too new to downgrade to Talos %s", h, t)
	case slices.ContainsFunc(r.DeniedHostUpgrade, h.EQ):
		return fmt.Errorf("host version %s is denied for upgrade to Talos %s", h, t)
	}

	return nil
}

func upgradeableFromMachinery(host, target string) error {
	h, err := compatibility.ParseTalosVersion(&machine.VersionInfo{Tag: host})
	if err != nil {
		return err
	}

	t, err := compatibility.ParseTalosVersion(&machine.VersionInfo{Tag: target})
	if err != nil {
		return err
	}

	return t.UpgradeableFrom(h)
}

// KubernetesSupported is compatibility.KubernetesVersion.SupportedWith for a Talos version: below the minimum is
// too old, at or above the maximum too new (major, minor and patch compared; a pre-release counts as its release).
func KubernetesSupported(kubernetes, talos string) error {
	t, err := Parse(talos)
	if err != nil {
		return fmt.Errorf("failed to parse Talos version: %w", err)
	}

	r, ok := rules[MinorOf(t)]
	if !ok {
		return kubernetesFromMachinery(kubernetes, talos)
	}

	k, err := semver.ParseTolerant(kubernetes)
	if err != nil {
		return err
	}

	switch kc := core(k); {
	case kc.LT(r.MinimumKubernetes):
		return fmt.Errorf("version of Kubernetes %s is too old to be used with Talos %s", k, t)
	case kc.GTE(r.MaximumKubernetes):
		return fmt.Errorf("version of Kubernetes %s is too new to be used with Talos %s", k, t)
	}

	return nil
}

func kubernetesFromMachinery(kubernetes, talos string) error {
	t, err := compatibility.ParseTalosVersion(&machine.VersionInfo{Tag: talos})
	if err != nil {
		return fmt.Errorf("failed to parse Talos version: %w", err)
	}

	k, err := compatibility.ParseKubernetesVersion(kubernetes)
	if err != nil {
		return err
	}

	return k.SupportedWith(t)
}
