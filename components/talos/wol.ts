/**
 * Wake-on-LAN: wake a node after the NAS is ready to PXE-boot it, before its config is applied.
 *
 * - `magicPacket(mac)`: pure; 6 × 0xff followed by the MAC 16 times (102 bytes).
 * - `sendMagicPacket(mac, {address, port})`: one UDP datagram (a few, `repeat`) with broadcast enabled.
 * - `WakeOnLan`: a small dynamic resource that sends the packet on create (and when MAC/address/port
 *   change). Its provider runs in Pulumi's provider host, which loads it from this file (../dynamic.ts).
 */
import * as dgram from "dgram";
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "../dynamic";
import { isIpv4, macBytes } from "../net";

/** The default Wake-on-LAN UDP port ("discard"). */
export const WOL_PORT = 9;

/** The magic packet: 6 × 0xff then the MAC repeated 16 times. */
export function magicPacket(mac: string): Buffer {
    const bytes = macBytes(mac);
    const out = Buffer.alloc(6 + 16 * 6, 0xff);
    for (let i = 0; i < 16; i++) bytes.copy(out, 6 + i * 6);
    return out;
}

export interface SendOptions {
    /** Destination: a broadcast address such as 192.168.0.255 (tests: 127.0.0.1). */
    address: string;
    /** UDP port. Default 9. */
    port?: number;
    /** How many datagrams to send (UDP may drop one). Default 3. */
    repeat?: number;
}

/** Send the magic packet for `mac`; resolves with the number of datagrams sent. */
export function sendMagicPacket(mac: string, opts: SendOptions): Promise<number> {
    let packet: Buffer;
    try {
        packet = magicPacket(mac);
    } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const port = opts.port ?? WOL_PORT;
    const repeat = Math.max(1, opts.repeat ?? 3);
    const family = net.isIPv6(opts.address) ? "udp6" : "udp4";
    return new Promise((resolve, reject) => {
        const sock = dgram.createSocket(family);
        let sent = 0;
        const fail = (err: Error) => {
            sock.close();
            reject(new Error(`Wake-on-LAN to ${opts.address}:${port} for ${mac} failed: ${err.message}`));
        };
        sock.once("error", fail);
        sock.bind(0, () => {
            sock.setBroadcast(true);
            const next = () =>
                sock.send(packet, port, opts.address, (err) => {
                    if (err) return fail(err);
                    sent++;
                    if (sent < repeat) return next();
                    sock.close();
                    resolve(sent);
                });
            next();
        });
    });
}

/**
 * What the sender relies on: a MAC and an IPv4 destination. Throws a short internal error; users get
 * parseStackConfig's messages (`nodes[i].mac`, `cluster.wakeOnLanBroadcast`) before this can run.
 */
export function assertWakeTarget(mac: string, address: string): void {
    macBytes(mac);
    if (!isIpv4(address))
        throw new Error(
            `WakeOnLan: address "${address}" is not IPv4 (parseStackConfig checks cluster.wakeOnLanBroadcast)`,
        );
}

/** Inputs of a WakeOnLan resource. */
export interface WakeOnLanInputs {
    /** The node's MAC address. */
    mac: string;
    /** Broadcast (or unicast) destination address. */
    address: string;
    /** UDP port; default 9. */
    port: number;
    /** Datagrams to send; default 3. */
    repeat: number;
}

/** State of a WakeOnLan resource. */
export interface WakeOnLanState extends WakeOnLanInputs {
    /** Datagrams sent by the last create/update. */
    packetsSent: number;
}

async function wake(inputs: WakeOnLanInputs): Promise<WakeOnLanState> {
    const sent = await sendMagicPacket(inputs.mac, {
        address: inputs.address,
        port: inputs.port,
        repeat: inputs.repeat,
    });
    return { ...inputs, packetsSent: sent };
}

/** Pure diff: another MAC is another machine (replace); another address or port sends again. */
export function diffWakeOnLan(olds: WakeOnLanState, news: WakeOnLanInputs): pulumi.dynamic.DiffResult {
    const replaces = olds.mac !== news.mac ? ["mac"] : [];
    return {
        changes: replaces.length > 0 || olds.address !== news.address || olds.port !== news.port,
        replaces,
        deleteBeforeReplace: true,
    };
}

/** Inputs of {@link WakeOnLan}: the provider's, as Pulumi inputs, and what to wait for. */
export interface WakeOnLanArgs {
    mac: pulumi.Input<string>;
    address: pulumi.Input<string>;
    port?: pulumi.Input<number>;
    repeat?: pulumi.Input<number>;
    /**
     * Something to wait for before sending (the Synology component's `pxeReady`): its dependencies
     * become this resource's, its value is not stored.
     */
    after?: pulumi.Input<unknown>;
}

/** Sends a Wake-on-LAN magic packet when created (and again when the address or port change); nothing to delete. */
export class WakeOnLan extends dynamicResource<WakeOnLanInputs, WakeOnLanState, "port" | "repeat">({
    module: "homelab",
    type: "WakeOnLan",
    file: __filename,
    defaults: { port: WOL_PORT, repeat: 3 },
    outputs: ["packetsSent"],
    provider: {
        create: async (inputs: WakeOnLanInputs) => ({
            id: `wol-${inputs.mac.toLowerCase()}`,
            outs: await wake(inputs),
        }),
        diff: (_id: string, olds: WakeOnLanState, news: WakeOnLanInputs) => Promise.resolve(diffWakeOnLan(olds, news)),
        update: async (_id: string, _olds: WakeOnLanState, news: WakeOnLanInputs) => ({ outs: await wake(news) }),
        async delete() {
            // Nothing to undo: a sent packet cannot be unsent.
        },
    },
}) {
    constructor(name: string, args: WakeOnLanArgs, opts?: pulumi.CustomResourceOptions) {
        if (typeof args.mac === "string" && typeof args.address === "string") assertWakeTarget(args.mac, args.address);
        // Carry `after`'s dependencies on the mac input without storing its value.
        const mac = pulumi.all([args.mac, args.after]).apply(([m]) => m);
        super(name, { mac, address: args.address, port: args.port, repeat: args.repeat }, opts);
    }
}
