/**
 * Waiting for a node before its config is applied, with an error that says which node and what to check.
 *
 * The Talos provider's own apply waits for the node too, but when nobody answers it fails after
 * `cluster.applyTimeout` with a raw gRPC "connection refused". `TalosNodeWait` runs just before the apply, only
 * when the apply will run (its inputs carry a hash of the node's machine config, so an `up` that changes nothing
 * for the node waits for nothing), and fails naming the node, its address and what to look at.
 *
 * Its provider runs in Pulumi's provider host, which loads it from this file at each run (../dynamic.ts).
 */
import * as net from "net";
import type * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "../dynamic";

/** The Talos API port (apid; maintenance mode listens there too). */
export const TALOS_API_PORT = 50000;

/** Inputs (and state) of a {@link TalosNodeWait}. */
export interface NodeWaitState {
    hostname: string;
    ip: string;
    port: number;
    /** How long to wait, in seconds. */
    timeoutSeconds: number;
    /** The `cluster.applyTimeout` text, for the message. */
    timeoutText: string;
    /** Hash of the machine config to apply: a change means an apply will run, so wait again. */
    configHash: string;
    /** What to check, appended to the error (pure text, built by {@link nodeWaitHint}). */
    hint: string;
}

/** The error a node that never answered gets (pure). */
export function nodeWaitError(
    s: Pick<NodeWaitState, "hostname" | "ip" | "port" | "timeoutText" | "hint">,
    lastError: string,
): string {
    return (
        `node ${s.hostname} (${s.ip}) did not answer on the Talos API port ${s.port} within ${s.timeoutText} ` +
        `(cluster.applyTimeout; last attempt: ${lastError}). ${s.hint}`
    );
}

/** What to check when a node does not answer (pure). */
export function nodeWaitHint(args: {
    hostname: string;
    mac: string;
    ip: string;
    stack: string;
    wakeOnLan: boolean;
}): string {
    return (
        `Check that the machine is powered on${args.wakeOnLan ? " (a Wake-on-LAN packet was sent to " + args.mac + ")" : ""} ` +
        `and boots from the network after its disk (UEFI), that the NAS's DHCP server hands ${args.mac} the address ` +
        `${args.ip}, and run \`npm run doctor -- --stack ${args.stack} --only nodes,dhcp,tftp\`. ` +
        "Raise cluster.applyTimeout if the machine needs longer to boot."
    );
}

/**
 * Resolves once a TCP connection to ip:port succeeds; rejects with {@link nodeWaitError} after `timeoutSeconds`.
 * Tries every `intervalMs` (each attempt itself times out after a few seconds).
 */
export function waitForTalosApi(s: NodeWaitState, intervalMs = 2000): Promise<void> {
    const deadline = Date.now() + s.timeoutSeconds * 1000;
    const attempt = () =>
        new Promise<void>((resolve, reject) => {
            const socket = net.connect({ host: s.ip, port: s.port });
            const done = (err?: Error) => {
                socket.removeAllListeners();
                socket.destroy();
                if (err) reject(err);
                else resolve();
            };
            socket.setTimeout(Math.min(5000, Math.max(500, intervalMs)), () => done(new Error("no answer (timeout)")));
            socket.once("connect", () => done());
            socket.once("error", (e: NodeJS.ErrnoException) => done(new Error(e.code ?? e.message)));
        });
    return new Promise((resolve, reject) => {
        const tick = () => {
            attempt().then(resolve, (e: Error) => {
                if (Date.now() + intervalMs > deadline) {
                    reject(new Error(nodeWaitError(s, e.message)));
                } else {
                    setTimeout(tick, intervalMs);
                }
            });
        };
        tick();
    });
}

/** Pure diff: wait again when the config to apply, the address or the port changed. */
export function diffNodeWait(olds: NodeWaitState, news: NodeWaitState): pulumi.dynamic.DiffResult {
    const changed = (["configHash", "ip", "port"] as const).filter((k) => olds[k] !== news[k]);
    const cosmetic = (["hostname", "timeoutSeconds", "timeoutText", "hint"] as const).some((k) => olds[k] !== news[k]);
    return { changes: changed.length > 0 || cosmetic };
}

/** Waits until a node's Talos API answers, before its config is applied (an update with only cosmetic changes does not wait). */
export class TalosNodeWait extends dynamicResource<NodeWaitState, NodeWaitState, "port">({
    module: "homelab",
    type: "TalosNodeWait",
    file: __filename,
    defaults: { port: TALOS_API_PORT },
    outputs: [],
    provider: {
        async create(inputs: NodeWaitState) {
            await waitForTalosApi(inputs);
            return { id: `${inputs.hostname}-talos-api`, outs: inputs };
        },
        diff: (_id: string, olds: NodeWaitState, news: NodeWaitState) => Promise.resolve(diffNodeWait(olds, news)),
        async update(_id: string, olds: NodeWaitState, news: NodeWaitState) {
            if (olds.configHash !== news.configHash || olds.ip !== news.ip || olds.port !== news.port)
                await waitForTalosApi(news);
            return { outs: news };
        },
        async delete() {
            // Waiting leaves nothing behind.
        },
    },
}) {}
