/**
 * What the previous `up` left, and what it decides now (pure functions). index.ts reads the stack's
 * previous outputs (components/program-start.ts `readPreviousOutputs`) and hands them here:
 *
 * - `talos` (exported since this version, {@link TalosStackOutput}): the Talos release and Kubernetes version the
 *   stack was configured for, whether its configs carried workload isolation, and the installer image its upgrade
 *   commands carried;
 * - `installerImage` and `nodes` (exported by every version): a stack made before `talos` existed is read from them.
 *
 * From them: the Talos release an upgrade starts from ({@link previousTalos}), the installer image the upgrade
 * commands carry ({@link upgradeImageFor}) and what an up that upgrades in rounds may not do besides
 * ({@link upgradeProblems}).
 */
import { imageTag, parseVersion } from "../version";
import type { ClusterConfig, NodeConfig } from "./config";
import { describeUpgradePlan, kubernetesOnPathProblem, planTalosUpgrade, TalosUpgradePlan } from "./upgrade-path";
import { upgradeOrder } from "./upgrades";

/** The stack output `talos`. */
export interface TalosStackOutput {
    /** `cluster.talosVersion` of the up: what the nodes run after it when `cluster.upgrades` is on. */
    version: string;
    kubernetesVersion: string;
    /** Whether the nodes' configs carry Talos 1.14's workload isolation (./workload-isolation.ts). */
    workloadIsolation: boolean;
    /** The installer image the upgrade commands carry ({@link upgradeImageFor}). */
    upgradeImage: string;
    /**
     * Per hostname, the digest of the part of its machine config whose change needs a reboot
     * (./reboot-changes.ts `rebootDigest`; not secret), for the next preview to compare.
     */
    rebootDigests: Record<string, string>;
}

/** What the program knows of the previous up; every field undefined on a stack's first one. */
export interface PreviousTalos {
    version?: string;
    kubernetesVersion?: string;
    workloadIsolation?: boolean;
    upgradeImage?: string;
    /** The hostnames of the nodes the previous up managed. */
    hostnames?: string[];
    /** {@link TalosStackOutput.rebootDigests}; undefined for a stack made before them. */
    rebootDigests?: Record<string, string>;
}

const str = (x: unknown): string | undefined => (typeof x === "string" && x !== "" ? x : undefined);

/** The tag of an installer image, or undefined when it has none. */
function tagOf(image: string | undefined): string | undefined {
    try {
        return image ? imageTag(image) : undefined;
    } catch {
        return undefined;
    }
}

/** The previous up's outputs (`talos`, `installerImage`, `nodes`), read defensively: what is not understood is left out. */
export function previousTalos(outputs: Record<string, unknown>): PreviousTalos {
    const talos = (outputs.talos && typeof outputs.talos === "object" ? outputs.talos : {}) as Record<string, unknown>;
    const legacyImage = str(outputs.installerImage);
    const version = str(talos.version) ?? tagOf(legacyImage);
    const upgradeImage = str(talos.upgradeImage) ?? legacyImage;
    const nodes = Array.isArray(outputs.nodes) ? (outputs.nodes as { hostname?: unknown }[]) : undefined;
    const digests = talos.rebootDigests && typeof talos.rebootDigests === "object" ? talos.rebootDigests : undefined;
    const rebootDigests = digests
        ? Object.fromEntries(
              Object.entries(digests).filter(([, d]) => typeof d === "string" && /^[0-9a-f]{64}$/.test(d)),
          )
        : undefined;
    return {
        ...(version && parseVersion(version) ? { version } : {}),
        ...(str(talos.kubernetesVersion) ? { kubernetesVersion: str(talos.kubernetesVersion) } : {}),
        ...(typeof talos.workloadIsolation === "boolean" ? { workloadIsolation: talos.workloadIsolation } : {}),
        ...(upgradeImage ? { upgradeImage } : {}),
        ...(nodes ? { hostnames: nodes.map((n) => String(n.hostname)) } : {}),
        ...(rebootDigests ? { rebootDigests } : {}),
    };
}

/** `<host>/<repository>/<schematic>:<tag>` of a factory installer reference. */
function installerParts(image: string): { host: string; repository: string; rest: string } | undefined {
    const m = /^(.+?)\/((?:[a-z0-9-]+-)?installer(?:-secureboot)?)\/([0-9a-f]{64}:[^/]+)$/.exec(image);
    return m ? { host: m[1], repository: m[2], rest: m[3] } : undefined;
}

/**
 * The installer image the upgrade commands carry: the new one, unless the previous one names the same schematic and
 * Talos release at the same factory in the factory's other form of the metal installer (`installer/` before this
 * version, `metal-installer/` now): then the previous one, so that the form alone never runs an upgrade (a reboot of
 * every node). The machine configs take the new form, which Talos applies without a reboot.
 */
export function upgradeImageFor(previousImage: string | undefined, newImage: string): string {
    if (!previousImage || previousImage === newImage) return newImage;
    const [a, b] = [installerParts(previousImage), installerParts(newImage)];
    const metal = (r: string) => r === "installer" || r === "metal-installer";
    if (a && b && a.host === b.host && a.rest === b.rest && metal(a.repository) && metal(b.repository))
        return previousImage;
    return newImage;
}

/**
 * What an up that upgrades in more than one round may not do besides, or undefined: add a node. A new node boots
 * the target release; the command of a round before the last would move it down to that round's release.
 */
export function upgradeProblems(
    cluster: Pick<ClusterConfig, "upgrades">,
    plan: TalosUpgradePlan,
    nodes: readonly Pick<NodeConfig, "hostname">[],
    previous: PreviousTalos,
): string | undefined {
    if (!cluster.upgrades || plan.hops.length < 2 || !previous.hostnames) return undefined;
    const added = nodes.filter((n) => !previous.hostnames!.includes(n.hostname)).map((n) => n.hostname);
    if (added.length === 0) return undefined;
    const one = added.length === 1;
    return (
        `nodes: ${added.join(", ")} ${one ? "is" : "are"} new, and this up upgrades Talos in ${plan.hops.length} ` +
        `rounds (${[plan.from, ...plan.hops].join(" → ")}, cluster.talosVersion): add ${one ? "it" : "them"} in an ` +
        "up of its own, before or after the upgrade (a new node boots the target release, which a round before the " +
        "last would move down)"
    );
}

/**
 * The upgrades of this up from the previous one's outputs: the rounds (./upgrade-path.ts), or the problem that
 * refuses the change at preview, and what the preview says of them.
 */
export function decideUpgrades(
    cluster: Pick<ClusterConfig, "talosVersion" | "kubernetesVersion" | "upgrades" | "upgradePath">,
    nodes: readonly NodeConfig[],
    previous: PreviousTalos,
): { problem: string } | { plan: TalosUpgradePlan; said?: string } {
    const r = planTalosUpgrade(previous.version, cluster.talosVersion, cluster.upgradePath);
    if ("problem" in r) return r;
    const problem =
        upgradeProblems(cluster, r.plan, nodes, previous) ??
        kubernetesOnPathProblem(r.plan, cluster.kubernetesVersion, previous.kubernetesVersion);
    if (problem) return { problem };
    const kubernetes = { from: previous.kubernetesVersion, to: cluster.kubernetesVersion };
    return { plan: r.plan, said: describeUpgradePlan(r.plan, upgradeOrder(nodes), cluster.upgrades, kubernetes) };
}
