/**
 * Which nodes' machine-config change needs a reboot, the way Talos decides it (pure; no Pulumi, no I/O), and what
 * the preview says of them with each node's apply mode (./apply-mode.ts).
 *
 * Talos 1.12 and 1.13 decide in machined: `CanApplyImmediate` (internal/app/machined/pkg/runtime/v1alpha1/
 * v1alpha1_runtime.go, read at tag v1.13.0; identical at release-1.12 and release-1.13). It compares only the
 * v1alpha1 document of the running config and of the new one (`RawV1Alpha1`): the other documents of a
 * multi-document config (HostnameConfig, ExtensionServiceConfig, …) never make a change need a reboot. In the new
 * document it first copies from the running one the fields Talos applies live (`debug`, `cluster`, and under
 * `machine`: `ca`, `acceptedCAs`, `time`, `certSANs`, `install`, `network`, `sysfs`, `sysctls`, `logging`,
 * `controlPlane`, `kubelet`, `kernel`, `registries`, `pods`, `seccompProfiles`, `nodeAnnotations`, `nodeLabels`,
 * `nodeTaints`; under `machine.features`, when both configs have it: `kubernetesTalosAPIAccess`, `kubePrism`,
 * `hostDNS`, `imageCache`, `nodeAddressSortAlgorithm`), then any difference left (`reflect.DeepEqual`) needs a
 * reboot: `auto` reboots (internal/app/machined/internal/server/v1alpha1/v1alpha1_server.go `ApplyConfiguration`),
 * `no_reboot` is refused ("this config change can't be applied in immediate mode").
 *
 * So the part of a config that decides is the v1alpha1 document without those fields ({@link rebootRelevantPart}):
 * two configs whose parts are equal apply live. The previous config is not in the program, so the stack output
 * `talos` keeps a digest of each node's part ({@link rebootDigest}), and the next preview compares. It is the
 * digest of the config the last `up` sent: after a staged apply the node runs its older config until it reboots, and
 * Talos compares with that one, so until then the preview may name a node wrongly or miss one (a known limit).
 *
 * Talos 1.14 has no such check: commit 995bc30d5 ("feat: drop apply config method reboot", in v1.14.0-rc.1 and
 * release-1.14) removed `CanApplyImmediate`; `auto` applies every change without a reboot, the `reboot` mode is
 * refused outside maintenance mode. A node that runs 1.14 or later is never named ({@link rebootCheckApplies}).
 */
import { createHash } from "crypto";
import * as YAML from "yaml";
import { parseVersion } from "../version";
import type { ApplyMode } from "./apply-mode";

/** The fields of `machine` Talos applies live (CanApplyImmediate, v1.13.0), by their YAML names. */
export const LIVE_MACHINE_FIELDS = [
    "ca",
    "acceptedCAs",
    "time",
    "certSANs",
    "install",
    "network",
    "sysfs",
    "sysctls",
    "logging",
    "controlPlane",
    "kubelet",
    "kernel",
    "registries",
    "pods",
    "seccompProfiles",
    "nodeAnnotations",
    "nodeLabels",
    "nodeTaints",
] as const;

/** The fields of `machine.features` Talos applies live, when both configs have `machine.features`. */
export const LIVE_FEATURE_FIELDS = [
    "kubernetesTalosAPIAccess",
    "kubePrism",
    "hostDNS",
    "imageCache",
    "nodeAddressSortAlgorithm",
] as const;

/** The top-level fields of the v1alpha1 document Talos applies live. */
const LIVE_TOP_FIELDS = ["debug", "cluster"] as const;

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x);

/**
 * The value as Go decodes it for the comparison: a `null` field is absent (a nil pointer, map or slice), and keys
 * are sorted so that the order of a YAML mapping does not count. An empty mapping or list stays: Go's DeepEqual
 * tells a non-nil empty struct, map or slice from a nil one.
 */
function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
        if (value[key] === null || value[key] === undefined) continue;
        out[key] = canonical(value[key]);
    }
    return out;
}

/** The v1alpha1 document of a multi-document machine config (the one without `kind`), or undefined. */
function v1alpha1Document(config: string): Record<string, unknown> | undefined {
    for (const doc of YAML.parseAllDocuments(config)) {
        const value: unknown = doc.toJS({ maxAliasCount: 1000 });
        if (isRecord(value) && value.kind === undefined && value.version === "v1alpha1") return value;
    }
    return undefined;
}

/**
 * The part of a machine config whose change needs a reboot on Talos 1.12/1.13: its v1alpha1 document without the
 * fields Talos applies live (see the file comment); `machine.features` keeps its mapping (empty when every key was
 * live) since Talos copies the live features only when both configs have the mapping. Undefined when the config
 * has no v1alpha1 document (Talos refuses to apply it immediately: "new config is not v1alpha1").
 */
export function rebootRelevantPart(config: string): unknown {
    const doc = v1alpha1Document(config);
    if (!doc) return undefined;
    const part = canonical(doc) as Record<string, unknown>;
    for (const f of LIVE_TOP_FIELDS) delete part[f];
    const machine = part.machine;
    if (isRecord(machine)) {
        for (const f of LIVE_MACHINE_FIELDS) delete machine[f];
        if (isRecord(machine.features)) for (const f of LIVE_FEATURE_FIELDS) delete machine.features[f];
    }
    return part;
}

/**
 * SHA-256 (hex) of {@link rebootRelevantPart}, or of a marker when the config has no v1alpha1 document. Published
 * in clear in the stack output `talos`: the part still holds the node's join token (`machine.token`, 22 random
 * characters of the cluster's secrets, about 113 bits), so the digest cannot be used to guess anything in the
 * config, a low-entropy value of a node's patch included; the CA keys and `cluster` are not in the part at all.
 */
export function rebootDigest(config: string): string {
    const part = rebootRelevantPart(config);
    return createHash("sha256")
        .update(part === undefined ? "no v1alpha1 document" : JSON.stringify(part))
        .digest("hex");
}

/** Whether a node running `talosVersion` checks a change for a reboot at all (before 1.14; see the file comment). */
export function rebootCheckApplies(talosVersion: string | undefined): boolean {
    const v = talosVersion ? parseVersion(talosVersion) : undefined;
    return v !== undefined && (v[0] < 1 || (v[0] === 1 && v[1] < 14));
}

/** What a node's apply mode does with a change that needs a reboot. */
export function rebootConsequence(mode: ApplyMode): string {
    switch (mode) {
        case "auto":
            return "applyMode auto reboots it now";
        case "reboot":
            return "applyMode reboot reboots it now";
        case "no_reboot":
            return (
                "applyMode no_reboot: refused by Talos, the apply fails (set the node's applyMode to auto to reboot " +
                "it, or staged_if_needing_reboot to take it at its next reboot)"
            );
        case "staged":
        case "staged_if_needing_reboot":
            return `applyMode ${mode}: staged until its next reboot`;
    }
}

/**
 * The preview's note naming the nodes whose change needs a reboot, or undefined when none does. `previous`: the
 * digests the previous `up` left (none on a stack's first, or one made before them: nothing is named);
 * `current`: this run's; `modes`: each node's apply mode of this up; `runningTalos`: the release the nodes run
 * (the previous up's `cluster.talosVersion`), which decides whether Talos checks at all.
 */
export function rebootNote(
    previous: Readonly<Record<string, string>> | undefined,
    current: Readonly<Record<string, string>>,
    modes: Readonly<Record<string, ApplyMode>>,
    runningTalos: string | undefined,
): string | undefined {
    if (!previous || !rebootCheckApplies(runningTalos)) return undefined;
    const named = Object.keys(current)
        .filter((h) => previous[h] !== undefined && previous[h] !== current[h] && modes[h] !== undefined)
        .map((h) => `${h}: the change needs a reboot; ${rebootConsequence(modes[h])}`);
    if (named.length === 0) return undefined;
    return (
        `Machine config changes that need a reboot on Talos ${runningTalos} (a field Talos does not apply live; ` +
        `components/talos/reboot-changes.ts): ${named.join(". ")}`
    );
}
