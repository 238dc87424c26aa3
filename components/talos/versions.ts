/**
 * Which Kubernetes versions each Talos release runs (pure data and lookups; no I/O).
 *
 * One table, {@link TALOS_RELEASES}: per Talos release, the Kubernetes version it ships with and the range it
 * accepts. Source: Talos' own machinery module, github.com/siderolabs/talos `pkg/machinery` at the release tag:
 *   - `constants.DefaultKubernetesVersion` (pkg/machinery/constants/constants.go): the default;
 *   - `compatibility/talosXY` `MinimumKubernetesVersion` / `MaximumKubernetesVersion` of the release's own
 *     minor (e.g. compatibility/talos112 for v1.12.x): the range. `KubernetesVersion.SupportedWith`
 *     (compatibility/kubernetes_version.go) refuses a version below the minimum ("too old") and a version at
 *     or above the maximum ("too new"; the maximum is written `1.35.99`, so every 1.35 patch is in). It compares
 *     major, minor and patch only: a pre-release such as `1.37.0-rc.0` counts as 1.37.0.
 * A node refuses a machine config outside that range with InvalidArgument, which the provider does not retry:
 * "version of Kubernetes 1.36.0 is too new to be used with Talos v1.12.1".
 *
 * Where each row was read (`git show <tag>:pkg/machinery/...` in github.com/siderolabs/talos; the Go module proxy
 * serves the machinery module only at v1.12.1 and v1.13.0, which give the same values):
 *   - v1.10.6 (cfa6c98c), v1.11.0 (d9d89a3a), v1.11.5 (bc34de6e): the earlier table, from the machinery modules;
 *   - v1.12.0 (ac91ade2) … v1.12.11 (2e80771b, the head of branch release-1.12): every 1.12 tag; compatibility/
 *     talos112 is the same at each (1.30.0 to 1.35.99), the default moves with the patches (1.35.0 → 1.35.2 at
 *     v1.12.5 → 1.35.4 at v1.12.7);
 *   - v1.13.0 (b9e9c657) … v1.13.9 (3ebd10a7, the head of branch release-1.13): every 1.13 tag; talos113 1.31.0 to
 *     1.36.99 at each, the default 1.36.0 → 1.36.1 (v1.13.3) → 1.36.2 (v1.13.5) → 1.36.3 (v1.13.9);
 *   - v1.14.0: READ AT TAG v1.14.0-rc.1 (7a84d742, 2026-08-14), which is also the head of branch release-1.14 in
 *     the snapshot of Talos' repository this was read from: v1.14.0 itself (September 2026) is not in it. There
 *     talos114 says 1.32.0 to 1.37.99 and DefaultKubernetesVersion is `1.37.0-rc.0`, a Kubernetes release
 *     candidate, which this row keeps as read; the program says so at preview when a stack runs it by default
 *     ({@link prereleaseDefaultNote}). Re-read the row from tag v1.14.0 when a snapshot has it.
 * The full commits are in tests/talos/versions.test.ts, which keeps the table consistent.
 *
 * To add a release: `git show <tag>:pkg/machinery/constants/constants.go` and
 * `git show <tag>:pkg/machinery/compatibility/talos1XY/talos1XY.go` (or `go mod download -json
 * github.com/siderolabs/talos/pkg/machinery@<tag>` where the proxy serves it), then those three values.
 *
 * A release not in the table (policy of {@link kubernetesSupport}):
 *   - same minor as a listed release (e.g. v1.12.12): the range of that minor (Talos keeps it within a minor),
 *     and as the default the Kubernetes version of the closest listed release of that minor at or below it
 *     (else the lowest listed): inside the range, so the node accepts it; set `cluster.kubernetesVersion` for
 *     that release's own;
 *   - a minor the table does not know (older than v1.10 or newer than v1.14): no range to check against, so
 *     `cluster.kubernetesVersion` must be set explicitly (the config refuses to guess; the node itself
 *     checks the range on apply).
 */
import { compareVersions, parseVersion, VersionTriple } from "../version";

export { compareVersions, parseVersion };

/** One Talos release and the Kubernetes versions it runs. */
export interface TalosRelease {
    /** Release tag, e.g. `v1.12.1`. */
    talos: string;
    /** `constants.DefaultKubernetesVersion` at that tag, e.g. `1.35.0` (for v1.14.0 the rc's `1.37.0-rc.0`). */
    kubernetes: string;
    /** `compatibility/talosXY.MinimumKubernetesVersion`: the oldest Kubernetes it accepts, e.g. `1.30.0`. */
    minimumKubernetes: string;
    /** `compatibility/talosXY.MaximumKubernetesVersion`: versions at or above it are refused, e.g. `1.35.99`. */
    maximumKubernetes: string;
    /** The tag the values were read at when it is not `talos` itself (v1.14.0: `v1.14.0-rc.1`). */
    readAt?: string;
}

const K112 = { minimumKubernetes: "1.30.0", maximumKubernetes: "1.35.99" };
const K113 = { minimumKubernetes: "1.31.0", maximumKubernetes: "1.36.99" };

/** The table, oldest first. Values read from pkg/machinery at each tag (see the file comment). */
export const TALOS_RELEASES: readonly TalosRelease[] = [
    { talos: "v1.10.6", kubernetes: "1.33.3", minimumKubernetes: "1.28.0", maximumKubernetes: "1.33.99" },
    { talos: "v1.11.0", kubernetes: "1.34.0", minimumKubernetes: "1.29.0", maximumKubernetes: "1.34.99" },
    { talos: "v1.11.5", kubernetes: "1.34.1", minimumKubernetes: "1.29.0", maximumKubernetes: "1.34.99" },
    { talos: "v1.12.0", kubernetes: "1.35.0", ...K112 },
    { talos: "v1.12.1", kubernetes: "1.35.0", ...K112 },
    { talos: "v1.12.2", kubernetes: "1.35.0", ...K112 },
    { talos: "v1.12.3", kubernetes: "1.35.0", ...K112 },
    { talos: "v1.12.4", kubernetes: "1.35.0", ...K112 },
    { talos: "v1.12.5", kubernetes: "1.35.2", ...K112 },
    { talos: "v1.12.6", kubernetes: "1.35.2", ...K112 },
    { talos: "v1.12.7", kubernetes: "1.35.4", ...K112 },
    { talos: "v1.12.8", kubernetes: "1.35.4", ...K112 },
    { talos: "v1.12.9", kubernetes: "1.35.4", ...K112 },
    { talos: "v1.12.10", kubernetes: "1.35.4", ...K112 },
    { talos: "v1.12.11", kubernetes: "1.35.4", ...K112 },
    { talos: "v1.13.0", kubernetes: "1.36.0", ...K113 },
    { talos: "v1.13.1", kubernetes: "1.36.0", ...K113 },
    { talos: "v1.13.2", kubernetes: "1.36.0", ...K113 },
    { talos: "v1.13.3", kubernetes: "1.36.1", ...K113 },
    { talos: "v1.13.4", kubernetes: "1.36.1", ...K113 },
    { talos: "v1.13.5", kubernetes: "1.36.2", ...K113 },
    { talos: "v1.13.6", kubernetes: "1.36.2", ...K113 },
    { talos: "v1.13.7", kubernetes: "1.36.2", ...K113 },
    { talos: "v1.13.8", kubernetes: "1.36.2", ...K113 },
    { talos: "v1.13.9", kubernetes: "1.36.3", ...K113 },
    {
        talos: "v1.14.0",
        kubernetes: "1.37.0-rc.0",
        minimumKubernetes: "1.32.0",
        maximumKubernetes: "1.37.99",
        readAt: "v1.14.0-rc.1",
    },
];

/**
 * `[major, minor, patch]` of a Kubernetes version as Talos compares it (`1.35.0`, `v1.35.0`, also a pre-release
 * such as `1.37.0-rc.0`, which counts as 1.37.0); undefined for anything else.
 */
export function kubernetesCore(text: string): VersionTriple | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/.exec(text.trim());
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether a Kubernetes version is a pre-release (`1.37.0-rc.0`). */
export function isPrerelease(kubernetesVersion: string): boolean {
    return /-/.test(kubernetesVersion.trim());
}

function triple(text: string): VersionTriple {
    const t = kubernetesCore(text);
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

/**
 * A note for the preview when the stack runs, by default, a Kubernetes pre-release the table read for its Talos
 * release (v1.14.0's row comes from tag v1.14.0-rc.1, whose default is `1.37.0-rc.0`); undefined otherwise. Only a
 * default can be a pre-release: `cluster.kubernetesVersion` itself takes release versions only.
 */
export function prereleaseDefaultNote(talosVersion: string, kubernetesVersion: string): string | undefined {
    const s = kubernetesSupport(talosVersion);
    if (!s || s.basis === "unknown" || !isPrerelease(kubernetesVersion)) return undefined;
    if (s.defaultKubernetes !== kubernetesVersion) return undefined;
    const line = triple(kubernetesVersion).slice(0, 2).join(".");
    return (
        `Kubernetes ${kubernetesVersion} is a release candidate: it is the default Talos ${s.source.talos} names in the ` +
        `source this program's table was read from (components/talos/versions.ts: tag ${s.source.readAt ?? s.source.talos}). To run a Kubernetes release, set cluster.kubernetesVersion to a ${line} release, e.g. ` +
        `\`pulumi config set --path homelab:cluster.kubernetesVersion ${line}.0\``
    );
}

/**
 * Which hosts a Talos minor's installer takes (`TalosVersion.UpgradeableFrom`, pkg/machinery/compatibility/
 * talos_version.go): a host below `MinimumHostUpgradeVersion` is "too old to upgrade", one at or above
 * `MaximumHostDowngradeVersion` "too new to downgrade", one in `DeniedHostUpgradeVersions` "denied"; it compares
 * major, minor and patch of the host. Read with `git show <tag>:pkg/machinery/compatibility/talos1XY/talos1XY.go`
 * in github.com/siderolabs/talos:
 *   - talos112 at v1.12.11 (2e80771b, the head of release-1.12): 1.10.0, 1.14.0, none denied;
 *   - talos113 at v1.13.9 (3ebd10a7, the head of release-1.13): 1.11.0, 1.15.0, none denied;
 *   - talos114 at v1.14.0-rc.1 (7a84d742, the head of release-1.14 in the snapshot): 1.12.0, 1.16.0, none denied.
 * Each is the same at v1.14.0-rc.1 for the older minors (the files do not change after their release).
 */
export interface TalosUpgradeRules {
    /** `1.14`: the minor whose installer applies these rules. */
    minor: string;
    minimumHostUpgrade: string;
    maximumHostDowngrade: string;
    deniedHostUpgrade: readonly string[];
}

/** The rules of every minor the program can upgrade to, oldest first (see {@link TalosUpgradeRules}). */
export const TALOS_UPGRADE_RULES: readonly TalosUpgradeRules[] = [
    { minor: "1.12", minimumHostUpgrade: "1.10.0", maximumHostDowngrade: "1.14.0", deniedHostUpgrade: [] },
    { minor: "1.13", minimumHostUpgrade: "1.11.0", maximumHostDowngrade: "1.15.0", deniedHostUpgrade: [] },
    { minor: "1.14", minimumHostUpgrade: "1.12.0", maximumHostDowngrade: "1.16.0", deniedHostUpgrade: [] },
];

/** The newest release of a minor (`1.13`) in {@link TALOS_RELEASES}, e.g. `v1.13.9`; undefined for an unknown minor. */
export function newestKnownRelease(minor: string): string | undefined {
    const rows = TALOS_RELEASES.filter((r) => triple(r.talos).slice(0, 2).join(".") === minor);
    return rows.length > 0 ? rows[rows.length - 1].talos : undefined;
}
