/**
 * Which Kubernetes versions each Talos release runs (pure data and lookups; no I/O).
 *
 * One table, {@link TALOS_RELEASES}: per Talos release, the Kubernetes version it ships with and the range it
 * accepts. Source: Talos' own machinery module, `github.com/siderolabs/talos/pkg/machinery` at the release
 * tag (served by the Go module proxy):
 *   - `constants.DefaultKubernetesVersion` (pkg/machinery/constants/constants.go): the default;
 *   - `compatibility/talosXY` `MinimumKubernetesVersion` / `MaximumKubernetesVersion` of the release's own
 *     minor (e.g. compatibility/talos112 for v1.12.x): the range. `KubernetesVersion.SupportedWith`
 *     (compatibility/kubernetes_version.go) refuses a version below the minimum ("too old") and a version at
 *     or above the maximum ("too new"; the maximum is written `1.35.99`, so every 1.35 patch is in).
 * A node refuses a machine config outside that range with InvalidArgument, which the provider does not retry:
 * "version of Kubernetes 1.36.0 is too new to be used with Talos v1.12.1".
 *
 * To add a release: `go mod download -json github.com/siderolabs/talos/pkg/machinery@<tag>`, then read those
 * three values from the downloaded folder. tests/talos/versions.test.ts keeps the table consistent.
 *
 * A release not in the table (policy of {@link kubernetesSupport}):
 *   - same minor as a listed release (e.g. v1.12.3): the range of that minor (Talos keeps it within a minor:
 *     compatibility/talos112 is the same at v1.11.0, v1.12.0, v1.12.1 and v1.13.0), and as the default the
 *     Kubernetes version of the closest listed release of that minor at or below it (else the lowest listed):
 *     inside the range, so the node accepts it; set `cluster.kubernetesVersion` for that release's own;
 *   - a minor the table does not know (older than v1.10 or newer than v1.13): no range to check against, so
 *     `cluster.kubernetesVersion` must be set explicitly (the config refuses to guess; the node itself
 *     checks the range on apply).
 */

/** One Talos release and the Kubernetes versions it runs. */
export interface TalosRelease {
    /** Release tag, e.g. `v1.12.1`. */
    talos: string;
    /** `constants.DefaultKubernetesVersion` at that tag, e.g. `1.35.0`. */
    kubernetes: string;
    /** `compatibility/talosXY.MinimumKubernetesVersion`: the oldest Kubernetes it accepts, e.g. `1.30.0`. */
    minimumKubernetes: string;
    /** `compatibility/talosXY.MaximumKubernetesVersion`: versions at or above it are refused, e.g. `1.35.99`. */
    maximumKubernetes: string;
}

/** The table, oldest first. Values read from pkg/machinery at each tag (see the file comment). */
export const TALOS_RELEASES: readonly TalosRelease[] = [
    { talos: "v1.10.6", kubernetes: "1.33.3", minimumKubernetes: "1.28.0", maximumKubernetes: "1.33.99" },
    { talos: "v1.11.0", kubernetes: "1.34.0", minimumKubernetes: "1.29.0", maximumKubernetes: "1.34.99" },
    { talos: "v1.11.5", kubernetes: "1.34.1", minimumKubernetes: "1.29.0", maximumKubernetes: "1.34.99" },
    { talos: "v1.12.0", kubernetes: "1.35.0", minimumKubernetes: "1.30.0", maximumKubernetes: "1.35.99" },
    { talos: "v1.12.1", kubernetes: "1.35.0", minimumKubernetes: "1.30.0", maximumKubernetes: "1.35.99" },
    { talos: "v1.13.0", kubernetes: "1.36.0", minimumKubernetes: "1.31.0", maximumKubernetes: "1.36.99" },
];

type Triple = [number, number, number];

/** `[major, minor, patch]` of `1.35.0` / `v1.35.0`; undefined for anything else (pre-releases included). */
export function parseVersion(text: string): Triple | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Negative, zero or positive as `a` is below, equal to or above `b` (major, minor, patch). */
export function compareVersions(a: Triple, b: Triple): number {
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
}

function triple(text: string): Triple {
    const t = parseVersion(text);
    if (!t) throw new Error(`versions table: "${text}" is not a version`);
    return t;
}

/** What the config layer knows about the Kubernetes side of a Talos release. */
export type KubernetesSupport =
    | {
          /** `release`: the release is in the table; `minor`: another release of its minor is. */
          basis: "release" | "minor";
          /** The Talos release asked about, normalised, e.g. `v1.12.1`. */
          talos: string;
          /** The Kubernetes version to use when none is set. */
          defaultKubernetes: string;
          minimumKubernetes: string;
          maximumKubernetes: string;
          /** The table row the answer comes from. */
          source: TalosRelease;
      }
    | { basis: "unknown"; talos: string; knownMinors: string[] };

/** The Talos minors the table covers, e.g. `["v1.10", "v1.11", "v1.12", "v1.13"]`. */
export function knownTalosMinors(): string[] {
    return [
        ...new Set(
            TALOS_RELEASES.map((r) => {
                const t = triple(r.talos);
                return `v${t[0]}.${t[1]}`;
            }),
        ),
    ];
}

/**
 * The Kubernetes default and range of a Talos release (`v1.12.1` or `1.12.1`), by the policy of the file
 * comment. Undefined when `talosVersion` is not a release version at all.
 */
export function kubernetesSupport(talosVersion: string): KubernetesSupport | undefined {
    const want = parseVersion(talosVersion);
    if (!want) return undefined;
    const talos = `v${want.join(".")}`;
    const exact = TALOS_RELEASES.find((r) => compareVersions(triple(r.talos), want) === 0);
    const sameMinor = TALOS_RELEASES.filter((r) => {
        const t = triple(r.talos);
        return t[0] === want[0] && t[1] === want[1];
    });
    const row =
        exact ?? [...sameMinor].reverse().find((r) => compareVersions(triple(r.talos), want) <= 0) ?? sameMinor[0];
    if (!row) return { basis: "unknown", talos, knownMinors: knownTalosMinors() };
    return {
        basis: exact ? "release" : "minor",
        talos,
        defaultKubernetes: row.kubernetes,
        minimumKubernetes: row.minimumKubernetes,
        maximumKubernetes: row.maximumKubernetes,
        source: row,
    };
}

/** The range in words, e.g. `1.30.0 to 1.35.x` (a maximum of `1.35.99` lets every 1.35 patch in). */
export function describeRange(s: { minimumKubernetes: string; maximumKubernetes: string }): string {
    const max = triple(s.maximumKubernetes);
    return `${s.minimumKubernetes} to ${max[2] >= 99 ? `${max[0]}.${max[1]}.x` : `below ${s.maximumKubernetes}`}`;
}

/**
 * Whether Talos accepts `kubernetesVersion` (`1.35.0` or `v1.35.0`), by `KubernetesVersion.SupportedWith`'s
 * rule: below the minimum is "too old", at or above the maximum is "too new". Undefined = accepted.
 */
export function kubernetesVersionVerdict(
    kubernetesVersion: string,
    range: { minimumKubernetes: string; maximumKubernetes: string },
): "too old" | "too new" | undefined {
    const v = triple(kubernetesVersion);
    if (compareVersions(v, triple(range.minimumKubernetes)) < 0) return "too old";
    if (compareVersions(v, triple(range.maximumKubernetes)) >= 0) return "too new";
    return undefined;
}
