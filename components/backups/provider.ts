/**
 * The etcd snapshot that precedes the rolling upgrades (cluster.upgrades: true), as a dynamic resource that
 * the first upgrade command depends on: if it fails, no upgrade starts.
 *
 * When it takes one is decided to match when the upgrade commands (talos/upgrades.ts) run something:
 * - its inputs carry, per upgrade command, a digest of the text that command's `update` runs (node: installer
 *   image, address, timeout; Kubernetes: version, first control plane), as talos/upgrades.ts's `upgradeDigests`
 *   computes them. The engine runs a command's `update` exactly when that text (or its environment, the
 *   talosconfig) changes, so this resource is updated in place, and takes a snapshot, exactly when one of them is
 *   about to run: a new installer image or Kubernetes version.
 *   A command only in the new inputs is a created one (a node added), which upgrades nothing on a fresh node.
 * - `create` (upgrades just turned on, on a new or an existing cluster): the node commands' `create` upgrades a
 *   node only when it runs another Talos version than the image's. So create asks every node (`talosctl
 *   version`) and takes a snapshot unless each one answers with the image's version.
 * - Anything else (NAS connection, `keep`, the snapshot folder) is stored without a snapshot; a lower `keep` applies
 *   retention. A new snapshot folder (`backups.share`; or a state from a version that stored them under the TFTP
 *   root, which has no `tftpShare`) is said once: the snapshots already stored stay where they are, nothing is moved.
 * A no-op `up` changes nothing here. Deleting the resource leaves every snapshot on the NAS.
 */
import * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "../dynamic";
import {
    checkConnection,
    connectionChanged,
    DsmResourceProps,
    guard,
    knownFailures,
    HOST_RUNTIME,
    prepareDsmArgs,
    SECRET_OUTPUTS,
    sessionFor,
} from "../synology/kit/resource";
import type { DsmConnectionArgs } from "../synology/dsm/types";
import { whileEngineAlive } from "../synology/kit/engine-watch";
import { BeforeUpgrades, imageSchematic, upgradeDigests } from "../talos/upgrades";
import { imageTag } from "../version";
import { keepProblem, sameShare } from "./config";
import { legacySnapshotDir, snapshotDir } from "./names";
import { applyRetention, StoredSnapshot, takeEtcdSnapshot } from "./store";
import { talosctlApi } from "./talosctl";

export interface EtcdSnapshotInputs extends DsmResourceProps {
    /** The cluster's talosconfig (secret). */
    talosconfig: string;
    clusterName: string;
    /** `backups.share`: the snapshots go to `/<share>/etcd`. */
    share: string;
    /**
     * `synology.share`, the TFTP root: never the snapshots' folder. Absent in the state of a version that stored the
     * snapshots under it (in `/<share>/backups/etcd`, `share` then being the TFTP root).
     */
    tftpShare?: string;
    keep: number;
    /** Control planes in config order: the snapshot is taken through the first that works. */
    controlPlanes: { hostname: string; ip: string }[];
    /** Every node: `create` asks each which Talos it runs. */
    nodes: { hostname: string; ip: string }[];
    /** The installer image the upgrades move the nodes to (`…:<talos version>`). */
    installerImage: string;
    /** Per node hostname: digest of the text its upgrade command's `update` runs. */
    nodeUpgrades: Record<string, string>;
    /** Digest of the text the Kubernetes upgrade command's `update` runs. */
    kubernetesUpgrade: string;
    /** Resolves once the cluster is healthy (orders the snapshot after the health check; a constant `true`). */
    afterHealthCheck?: boolean;
}

export interface EtcdSnapshotOutputs extends EtcdSnapshotInputs {
    /** File Station path of the last snapshot this resource stored ("" before the first). */
    lastSnapshot: string;
    lastSnapshotSize: number;
    lastSnapshotMd5: string;
    /** The control plane it was taken through. */
    lastSnapshotNode: string;
    /** Why the last create or update took a snapshot, or did not. */
    lastReason: string;
}

/**
 * Why an update of this resource must take a snapshot: the upgrade commands whose `update` will run (existing
 * ones whose text changed, or all of them when the talosconfig they get changed). Undefined: none will. Pure.
 */
export function snapshotReasonOnUpdate(
    olds: Pick<EtcdSnapshotInputs, "nodeUpgrades" | "kubernetesUpgrade" | "talosconfig">,
    news: Pick<EtcdSnapshotInputs, "nodeUpgrades" | "kubernetesUpgrade" | "talosconfig">,
): string | undefined {
    const oldNodes = olds.nodeUpgrades ?? {};
    const changed = Object.keys(news.nodeUpgrades ?? {}).filter(
        (h) => h in oldNodes && oldNodes[h] !== news.nodeUpgrades[h],
    );
    if (olds.kubernetesUpgrade && olds.kubernetesUpgrade !== news.kubernetesUpgrade) changed.push("Kubernetes");
    if (changed.length > 0) return `the upgrade of ${changed.join(", ")} is about to run`;
    if (olds.talosconfig !== news.talosconfig) return "the talosconfig changed, so every upgrade command runs again";
    return undefined;
}

/** What a node said it runs (components/talos/upgrades.ts reads the same: `talosctl version`, `get extensions`). */
export interface RunningNode {
    hostname: string;
    ip: string;
    tag?: string;
    schematic?: string;
    error?: string;
}

/**
 * Whether `create` must take a snapshot: unless every node answered with the image's Talos version and schematic,
 * a node command's create will upgrade something (or wait for a node that does not answer). Pure.
 */
export function snapshotReasonOnCreate(
    image: { version: string; schematic: string },
    running: RunningNode[],
): string | undefined {
    const behind = running.filter((r) => r.tag !== image.version || r.schematic !== image.schematic);
    if (behind.length === 0) return undefined;
    return behind
        .map((r) =>
            !r.tag
                ? `${r.hostname} did not say which Talos it runs (${r.error ?? "no answer"})`
                : r.tag !== image.version
                  ? `${r.hostname} runs ${r.tag}, not ${image.version}`
                  : `${r.hostname} runs schematic ${r.schematic || "(none)"}, not ${image.schematic}`,
        )
        .join("; ");
}

const OTHER_KEYS: Array<keyof EtcdSnapshotInputs> = [
    "clusterName",
    "share",
    "tftpShare",
    "keep",
    "controlPlanes",
    "nodes",
    "installerImage",
];

/** Pure diff: an update in place whenever anything changed; never a replacement. */
export function diffEtcdSnapshot(olds: EtcdSnapshotOutputs, news: EtcdSnapshotInputs): pulumi.dynamic.DiffResult {
    const changed =
        snapshotReasonOnUpdate(olds, news) !== undefined ||
        connectionChanged(olds, news) ||
        JSON.stringify(olds.nodeUpgrades) !== JSON.stringify(news.nodeUpgrades) ||
        OTHER_KEYS.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return { changes: changed, replaces: [], deleteBeforeReplace: false };
}

export function checkEtcdSnapshot(news: Partial<EtcdSnapshotInputs>): pulumi.dynamic.CheckFailure[] {
    const failures = checkConnection(news);
    const keep = keepProblem("backups.etcd.keep", news.keep);
    if (keep) failures.push({ property: "keep", reason: keep });
    if (typeof news.talosconfig !== "string" || news.talosconfig.trim() === "")
        failures.push({ property: "talosconfig", reason: "the cluster's talosconfig is required" });
    if (typeof news.share !== "string" || news.share === "")
        failures.push({ property: "share", reason: "backups.share is required" });
    else if (typeof news.tftpShare === "string" && sameShare(news.share, news.tftpShare))
        failures.push({
            property: "share",
            reason: `backups.share "${news.share}" is the TFTP root (synology.share), which anyone on the LAN can read: give the snapshots a shared folder of their own`,
        });
    if (typeof news.clusterName !== "string" || news.clusterName === "")
        failures.push({ property: "clusterName", reason: "cluster.name is required" });
    if (!Array.isArray(news.controlPlanes) || news.controlPlanes.length === 0) {
        failures.push({ property: "controlPlanes", reason: "no control plane to take an etcd snapshot from" });
    }
    try {
        imageTag(String(news.installerImage));
    } catch (e) {
        failures.push({ property: "installerImage", reason: (e as Error).message });
    }
    return failures;
}

function outputsOf(
    inputs: EtcdSnapshotInputs,
    previous: Partial<EtcdSnapshotOutputs>,
    reason: string,
    stored?: StoredSnapshot,
): EtcdSnapshotOutputs {
    return {
        ...inputs,
        lastSnapshot: stored?.path ?? previous.lastSnapshot ?? "",
        lastSnapshotSize: stored?.size ?? previous.lastSnapshotSize ?? 0,
        lastSnapshotMd5: stored?.md5 ?? previous.lastSnapshotMd5 ?? "",
        lastSnapshotNode: stored?.node ?? previous.lastSnapshotNode ?? "",
        lastReason: reason,
    };
}

/**
 * What an update says when the snapshots' folder moves (pure): a new `backups.share`, or the first run of this version
 * on a state whose snapshots went under the TFTP root. Undefined when the folder stays. Nothing is moved.
 */
export function folderChangeMessage(
    olds: Pick<EtcdSnapshotInputs, "share" | "tftpShare">,
    news: Pick<EtcdSnapshotInputs, "share">,
): string | undefined {
    const now = snapshotDir(news.share);
    if (olds.tftpShare === undefined) {
        const before = legacySnapshotDir(olds.share);
        return (
            `etcd snapshots: from now on they are stored in ${now} (backups.share), a shared folder of their own. The ones ` +
            `an earlier version stored in ${before} stay there (nothing was moved): that is under the TFTP root, where ` +
            `any machine the NAS's TFTP service answers can read them without a password. Move them to ${now} in File ` +
            "Station, or delete them; `npm run etcd-snapshot -- --list` shows both folders"
        );
    }
    const before = snapshotDir(olds.share);
    if (before === now) return undefined;
    return (
        `etcd snapshots: from now on they are stored in ${now} (backups.share); the ones in ${before} stay there ` +
        "(nothing was moved), and `npm run etcd-snapshot` no longer lists them"
    );
}

/** Take a snapshot with `inputs` (in the provider host: stops, cleaning up, if the engine goes away). */
async function snapshotNow(inputs: EtcdSnapshotInputs, reason: string): Promise<StoredSnapshot> {
    const { client: dsm, log } = sessionFor(HOST_RUNTIME, inputs);
    log(`etcd snapshot before the upgrades: ${reason}`);
    const talos = talosctlApi(inputs.talosconfig);
    let stopped: Error | undefined;
    let stopUpload: (e: Error) => void = () => undefined;
    try {
        return await whileEngineAlive(
            (e) => {
                stopped = e;
                talos.abort(e);
                stopUpload(e);
            },
            () =>
                takeEtcdSnapshot(
                    {
                        dsm,
                        talos,
                        log,
                        stopped: () => stopped,
                        onUpload: (stop) => (stopUpload = stop),
                    },
                    inputs,
                ),
        );
    } finally {
        talos.close();
    }
}

async function runningImages(inputs: EtcdSnapshotInputs): Promise<RunningNode[]> {
    const talos = talosctlApi(inputs.talosconfig, { versionTimeoutMs: 20_000 });
    try {
        return await Promise.all(
            inputs.nodes.map(async (n) => {
                try {
                    return { ...n, tag: await talos.version(n.ip), schematic: await talos.schematic(n.ip) };
                } catch (e) {
                    return { ...n, error: String((e as Error).message).split("\n")[0] };
                }
            }),
        );
    } finally {
        talos.close();
    }
}

export const etcdSnapshotProvider: pulumi.dynamic.ResourceProvider = {
    check(_olds: unknown, news: EtcdSnapshotInputs) {
        return Promise.resolve({ inputs: news, failures: knownFailures(news, checkEtcdSnapshot(news)) });
    },
    diff(_id: string, olds: EtcdSnapshotOutputs, news: EtcdSnapshotInputs) {
        return Promise.resolve(diffEtcdSnapshot(olds, news));
    },
    async create(inputs: EtcdSnapshotInputs) {
        const id = `etcd-snapshots:${inputs.clusterName}`;
        return guard(inputs, "etcd snapshot before the upgrades", async () => {
            const image = {
                version: imageTag(inputs.installerImage),
                schematic: imageSchematic(inputs.installerImage),
            };
            const reason = snapshotReasonOnCreate(image, await runningImages(inputs));
            if (reason === undefined) {
                const why = `every node already runs ${inputs.installerImage}: no upgrade will run, no snapshot taken`;
                HOST_RUNTIME.log(`etcd snapshot: ${why}`);
                return { id, outs: outputsOf(inputs, {}, why) };
            }
            return { id, outs: outputsOf(inputs, {}, reason, await snapshotNow(inputs, reason)) };
        });
    },
    read(id: string, props: EtcdSnapshotOutputs) {
        // Nothing of this resource's own lives anywhere to read back: the snapshots are files it leaves alone.
        return Promise.resolve({ id, props });
    },
    async update(_id: string, olds: EtcdSnapshotOutputs, news: EtcdSnapshotInputs) {
        return guard(news, "etcd snapshot before the upgrades", async () => {
            const moved = folderChangeMessage(olds, news);
            if (moved) HOST_RUNTIME.log(moved);
            const reason = snapshotReasonOnUpdate(olds, news);
            if (reason !== undefined) return { outs: outputsOf(news, olds, reason, await snapshotNow(news, reason)) };
            if (news.keep < olds.keep)
                await applyRetention(sessionFor(HOST_RUNTIME, news).client, news, HOST_RUNTIME.log);
            return { outs: outputsOf(news, olds, olds.lastReason) };
        });
    },
    delete() {
        HOST_RUNTIME.log("etcd snapshots: the snapshots stay on the NAS (npm run etcd-snapshot -- --list shows them)");
        return Promise.resolve();
    },
};

/**
 * The etcd snapshot before the upgrades, as a Pulumi resource (the state stores a small loader of this module's
 * provider, components/dynamic.ts). The DSM password and the talosconfig are secrets in and out.
 */
export class EtcdSnapshot extends dynamicResource<EtcdSnapshotInputs, EtcdSnapshotOutputs>({
    module: "backups",
    type: "EtcdSnapshot",
    file: __filename,
    outputs: ["lastSnapshot", "lastSnapshotSize", "lastSnapshotMd5", "lastSnapshotNode", "lastReason"],
    secretOutputs: [...SECRET_OUTPUTS, "talosconfig"],
    prepare: (args) => ({ ...prepareDsmArgs(args), talosconfig: pulumi.secret(args.talosconfig) }),
    provider: etcdSnapshotProvider,
}) {}

/** Where the snapshots go (index.ts builds it from the stack config). */
export interface EtcdBackupTarget {
    connection: pulumi.Input<DsmConnectionArgs>;
    /** The DSM password (secret). */
    password: pulumi.Input<string>;
    /** `backups.share`. */
    share: string;
    /** `synology.share`, the TFTP root. */
    tftpShare: string;
    /** `backups.etcd.keep`. */
    keep: number;
    /** `cluster.name`: the first part of every snapshot's name. */
    clusterName: string;
    /** What the snapshot waits for besides the cluster: the resource that makes `backups.share`. */
    after?: pulumi.Resource[];
}

/**
 * The etcd snapshot before the upgrades, for TalosCluster's `beforeUpgrades` (index.ts wires it): registers
 * `${name}-etcd-snapshot`, a child of the cluster, after what the upgrades wait for; the first upgrade waits for it.
 */
export function etcdSnapshotBeforeUpgrades(target: EtcdBackupTarget): BeforeUpgrades {
    return (name, upgrades, parent) => {
        const image = pulumi.output(upgrades.installerImage);
        const digests = image.apply((img) =>
            upgradeDigests(upgrades.nodes, img, upgrades.kubernetesVersion, upgrades.upgradeTimeout),
        );
        const pick = (n: { hostname: string; ip: string }) => ({ hostname: n.hostname, ip: n.ip });
        return new EtcdSnapshot(
            `${name}-etcd-snapshot`,
            {
                connection: target.connection,
                password: target.password,
                talosconfig: upgrades.talosconfig,
                clusterName: target.clusterName,
                share: target.share,
                tftpShare: target.tftpShare,
                keep: target.keep,
                controlPlanes: upgrades.nodes.filter((n) => n.role === "controlplane").map(pick),
                nodes: upgrades.nodes.map(pick),
                installerImage: image,
                nodeUpgrades: digests.apply((d) => d.nodeUpgrades),
                kubernetesUpgrade: digests.apply((d) => d.kubernetesUpgrade),
                afterHealthCheck: (pulumi.output(upgrades.healthy) as pulumi.Output<unknown>).apply(() => true),
            },
            { parent, dependsOn: [...upgrades.dependsOn, ...(target.after ?? [])] },
        );
    };
}
