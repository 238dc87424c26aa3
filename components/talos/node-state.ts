/**
 * What a node runs, as a resource: `pulumi refresh` reads the node's Talos version and the digest of the machine
 * config it runs (./drift.ts), so a node changed by hand (`talosctl apply-config`, `talosctl upgrade`) shows as a
 * changed resource; the next `up` (after that refresh, or `up --refresh`) puts it back; a refresh of a node that did
 * not drift changes nothing. Registered per node with `cluster.upgrades` (the only way talosctl is there anyway).
 *
 * - `create` only reads the node (after its apply and its upgrade commands);
 * - `read` (refresh) asks the node with two read-only calls: `talosctl version` and `talosctl get machineconfig`
 *   (a node that does not answer keeps what was last seen, with a warning: `refreshNode`);
 * - `diff` reports a change when what was read is not what is declared (or a declared value changed);
 * - `update` reads the node, then repairs only what differs: `talosctl upgrade --image <declared installer>` for
 *   the version (a worker through the control planes as endpoints), `talosctl apply-config` of the declared config
 *   (in the node's apply mode: ./drift.ts `repairApplyMode`) for the config; then reads it back until it runs what is
 *   declared, and fails naming the node when it does not. An `up` whose apply or upgrade already did the work writes
 *   nothing here.
 *
 * The declared config and the talosconfig are secret inputs; talosctl gets them as 0600 files in a 0700 temporary
 * folder removed after the call, never on a command line; errors carry talosctl's last error line only.
 * Its provider runs in Pulumi's provider host, which loads it from this file at each run (../dynamic.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "../dynamic";
import { durationSeconds } from "../duration";
import {
    configDigest,
    DeclaredNode,
    driftOf,
    nodeDifferences,
    ObservedNode,
    repairApplyMode,
    runningConfigOf,
} from "./drift";
import { execTalosctl, privateFiles, serverTag } from "./talosctl";

/** Inputs of a {@link TalosNodeState}. */
export interface NodeStateInputs {
    hostname: string;
    ip: string;
    /** The endpoints an upgrade of this node goes through (a control plane's own IP; a worker: the control planes). */
    upgradeEndpoints: string[];
    /** The Talos version it should run (the upgrade image's tag). */
    tag: string;
    /** The installer image a repair upgrades it to. */
    image: string;
    /** configDigest of the declared machine config (not secret). */
    digest: string;
    /** The declared machine config (secret): what a repair applies. */
    config: string;
    /** The cluster's talosconfig (secret). */
    talosconfig: string;
    /** The node's apply mode (./apply-mode.ts). */
    applyMode: string;
    /** `cluster.upgradeTimeout` (Go duration): a repair's upgrade, and how long the read-back waits. */
    timeout: string;
}

/** Outputs: the inputs and what the node runs. */
export interface NodeStateOutputs extends NodeStateInputs {
    observedTag: string;
    observedDigest: string;
}

/** How the provider reaches talosctl (tests give another). */
export interface TalosctlRunner {
    /** Runs talosctl with the talosconfig and `args`; `files` are written 0600 beside it (their paths replace `@name`). */
    run(talosconfig: string, args: string[], files?: Record<string, string>, timeoutMs?: number): Promise<string>;
}

/** Flags whose value follows them. */
const VALUED = new Set(["--nodes", "-n", "--endpoints", "-e", "--file", "-f", "--mode", "--image", "--timeout", "-o"]);

/** A call for its errors: `talosctl get machineconfig v1alpha1 on 192.168.0.11`. Pure. */
export function describeCall(args: readonly string[]): string {
    const words: string[] = [];
    let node = "";
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--nodes" || args[i] === "-n") node = args[i + 1] ?? "";
        if (VALUED.has(args[i])) i++;
        else if (!args[i].startsWith("-")) words.push(args[i]);
    }
    return `talosctl ${words.join(" ")}${node ? ` on ${node}` : ""}`;
}

/** The real one: talosctl from PATH. */
export const TALOSCTL: TalosctlRunner = {
    run(talosconfig, args, files = {}, timeoutMs = 60_000) {
        const folder = privateFiles("homelab-node-state-", { ...files, talosconfig });
        // `@name` stands for the path of the file `name`
        const file = (a: string) => (a.startsWith("@") && a.slice(1) in files ? folder.paths[a.slice(1)] : a);
        const argv = ["--talosconfig", folder.paths.talosconfig, ...args.map(file)];
        return execTalosctl({ args: argv, timeoutMs, what: describeCall(args) }).finally(() => folder.remove());
    },
};

/** What the node runs now: two read-only calls. Errors name the node. */
export async function observeNode(
    talosctl: TalosctlRunner,
    s: Pick<NodeStateInputs, "hostname" | "ip" | "talosconfig">,
): Promise<ObservedNode> {
    const who = `${s.hostname} (${s.ip})`;
    const target = ["--nodes", s.ip, "--endpoints", s.ip];
    try {
        const tag = serverTag(await talosctl.run(s.talosconfig, [...target, "version"]));
        if (!tag) throw new Error("the answer names no server Talos version");
        const config = runningConfigOf(
            await talosctl.run(s.talosconfig, [...target, "get", "machineconfig", "v1alpha1", "-o", "json"]),
        );
        return { tag, digest: configDigest(config) };
    } catch (e) {
        const message = (e as Error).message;
        // talosctl decodes the config it reads with its own machinery: a document kind of a newer Talos (1.14's
        // SecurityProfileConfig for a talosctl 1.13) is "not registered" there
        const hint = /not registered/.test(message)
            ? "The node's config holds a document this talosctl does not know: use the talosctl of the nodes' Talos release"
            : "Check that the node is powered on and answers (`talosctl --nodes <ip> version`)";
        throw new Error(`reading what ${who} runs (talosctl version, get machineconfig): ${message}. ${hint}`);
    }
}

/** A talosctl error that says the node did not answer (powered off, rebooting, unreachable), not that it refused. */
export function unreachable(message: string): boolean {
    return /code = (Unavailable|DeadlineExceeded)|connection refused|no route to host|i\/o timeout|network is unreachable|no answer within/i.test(
        message,
    );
}

/**
 * Refresh: what the node runs now. A node that does not answer keeps what was last seen, with a warning naming it (a
 * powered-off node must not stop every `up --refresh` of the stack; the health check and the doctor report it); any
 * other failure (a talosconfig the node refuses, …) fails the refresh.
 */
export async function refreshNode(
    talosctl: TalosctlRunner,
    props: NodeStateOutputs,
    warn: (message: string) => void,
): Promise<NodeStateOutputs> {
    try {
        return withObserved(props, await observeNode(talosctl, props));
    } catch (e) {
        if (!unreachable((e as Error).message)) throw e;
        warn(
            `${(e as Error).message}. Kept what was last seen (Talos ${props.observedTag}): drift of this node is not checked`,
        );
        return props;
    }
}

/** `s` with what was read. */
function withObserved(s: NodeStateInputs, o: ObservedNode): NodeStateOutputs {
    return { ...s, observedTag: o.tag, observedDigest: o.digest };
}

/** Pure diff: a change when the node does not run what is declared, or a declared value changed. */
export function diffNodeState(
    olds: NodeStateOutputs,
    news: NodeStateInputs,
): pulumi.dynamic.DiffResult & { changed: string[] } {
    // the talosconfig too: a refresh reads with the stored one, so a new one must reach the state
    const keys = ["hostname", "ip", "tag", "image", "digest", "applyMode", "timeout", "talosconfig"] as const;
    const changed: string[] = keys.filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.upgradeEndpoints) !== JSON.stringify(news.upgradeEndpoints))
        changed.push("upgradeEndpoints");
    const d = driftOf(news, { tag: olds.observedTag, digest: olds.observedDigest });
    if (d.version) changed.push("observedTag");
    if (d.config) changed.push("observedDigest");
    return { changes: changed.length > 0, changed };
}

/**
 * Puts the node back to what is declared (only the halves that differ), then reads it back until it runs what is
 * declared (staged mode: the config waits for the next reboot, and stays drifted until then).
 */
export async function repairNode(
    talosctl: TalosctlRunner,
    s: NodeStateInputs,
    log: (message: string) => void = () => undefined,
    pollMs = 2000,
): Promise<NodeStateOutputs> {
    const declared: DeclaredNode = { hostname: s.hostname, ip: s.ip, tag: s.tag, digest: s.digest };
    let observed = await observeNode(talosctl, s);
    const who = `${s.hostname} (${s.ip})`;
    const timeoutMs = durationSeconds(s.timeout) * 1000;
    const fail = (e: Error, what: string) => new Error(`${who}: ${what}: ${e.message}`);
    if (driftOf(declared, observed).version) {
        log(`${who}: runs Talos ${observed.tag}, declared ${s.tag}: upgrading it to ${s.image}`);
        await talosctl
            .run(
                s.talosconfig,
                [
                    "--nodes",
                    s.ip,
                    "--endpoints",
                    s.upgradeEndpoints.join(","),
                    "upgrade",
                    "--image",
                    s.image,
                    "--preserve",
                    "--wait",
                    "--timeout",
                    s.timeout,
                ],
                {},
                timeoutMs + 60_000,
            )
            .catch((e: Error) => Promise.reject(fail(e, `talosctl upgrade --image ${s.image}`)));
        observed = await readBack(talosctl, s, declared, timeoutMs, pollMs, ["version"]);
    }
    const mode = repairApplyMode(s.applyMode);
    if (driftOf(declared, observed).config) {
        log(
            `${nodeDifferences(declared, { ...observed, tag: s.tag }).join("; ")}: applying the declared config (mode ${mode})`,
        );
        await talosctl
            .run(
                s.talosconfig,
                ["--nodes", s.ip, "--endpoints", s.ip, "apply-config", "--file", "@config.yaml", "--mode", mode],
                { "config.yaml": s.config },
                timeoutMs,
            )
            .catch((e: Error) => Promise.reject(fail(e, `talosctl apply-config --mode ${mode}`)));
        if (mode === "staged") {
            log(
                `${who}: the declared config is staged (apply mode ${s.applyMode}): the node takes it at its next reboot`,
            );
            return withObserved(s, await observeNode(talosctl, s));
        }
        observed = await readBack(talosctl, s, declared, timeoutMs, pollMs, ["version", "config"]);
    }
    return withObserved(s, observed);
}

/** Reads the node until the halves in `check` are as declared; fails naming the node and what still differs. */
async function readBack(
    talosctl: TalosctlRunner,
    s: NodeStateInputs,
    declared: DeclaredNode,
    timeoutMs: number,
    pollMs: number,
    check: ("version" | "config")[],
): Promise<ObservedNode> {
    const deadline = Date.now() + timeoutMs;
    let last: ObservedNode | undefined;
    let lastError: Error | undefined;
    for (;;) {
        try {
            last = await observeNode(talosctl, s);
            lastError = undefined;
            const d = driftOf(declared, last);
            if (!check.some((c) => d[c])) return last;
        } catch (e) {
            lastError = e as Error; // rebooting: try again
        }
        if (Date.now() + pollMs > deadline) break;
        await new Promise((r) => setTimeout(r, pollMs));
    }
    const still = last
        ? nodeDifferences(declared, check.includes("config") ? last : { ...last, digest: declared.digest })
        : [];
    throw new Error(
        `${s.hostname} (${s.ip}) still does not run what the stack declares after the repair, within ${s.timeout} ` +
            `(cluster.upgradeTimeout): ${lastError ? lastError.message : still.join("; ")}`,
    );
}

/** Per node: what it runs (Talos version, machine config digest), read by refresh, repaired by up. */
export class TalosNodeState extends dynamicResource<NodeStateInputs, NodeStateOutputs>({
    module: "homelab",
    type: "TalosNodeState",
    file: __filename,
    outputs: ["observedTag", "observedDigest"],
    secretOutputs: ["config", "talosconfig"],
    prepare: (args) => ({
        ...args,
        config: pulumi.secret(args.config),
        talosconfig: pulumi.secret(args.talosconfig),
    }),
    provider: {
        async create(inputs: NodeStateInputs) {
            return { id: `${inputs.hostname}-state`, outs: withObserved(inputs, await observeNode(TALOSCTL, inputs)) };
        },
        async read(id: string, props: NodeStateOutputs) {
            return { id, props: await refreshNode(TALOSCTL, props, (m) => process.stderr.write(`warning: ${m}\n`)) };
        },
        diff: (_id: string, olds: NodeStateOutputs, news: NodeStateInputs) =>
            Promise.resolve(diffNodeState(olds, news)),
        async update(_id: string, _olds: NodeStateOutputs, news: NodeStateInputs) {
            return { outs: await repairNode(TALOSCTL, news, (m) => process.stderr.write(`${m}\n`)) };
        },
        async delete() {
            // Reading a node leaves nothing behind.
        },
    },
}) {}
