/**
 * Wake-on-LAN: wake a node after the NAS is ready to PXE-boot it, before its config is applied.
 *
 * - `magicPacket(mac)`: pure; 6 × 0xff followed by the MAC 16 times (102 bytes).
 * - `sendMagicPacket(mac, {address, port})`: one UDP datagram (a few, `repeat`) with broadcast enabled.
 * - `WakeOnLan`: a small dynamic resource that sends the packet on create (and when MAC/address/port
 *   change). Like every dynamic provider here it is serialised by the engine and run in a separate
 *   process, so its functions use only their inputs and Node built-ins (required inside the function).
 */
import { isIpv4, macBytes } from "../net";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../config";

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
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const dgram = require("dgram") as typeof import("dgram");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const net = require("net") as typeof import("net");
    let packet: Buffer;
    try { packet = magicPacket(mac); } catch (e) { return Promise.reject(e); }
    const port = opts.port ?? 9;
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
            const next = () => sock.send(packet, port, opts.address, (err) => {
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

/** Check the WoL settings before anything runs; returns the problems (empty when fine). */
export function wakeOnLanProblems(mac: string, broadcast: string, label: string): string[] {
    const problems: string[] = [];
    try { macBytes(mac); } catch (e) { problems.push(`${label}.mac: ${(e as Error).message}`); }
    if (!isIpv4(broadcast ?? "")) {
        problems.push(`cluster.wakeOnLanBroadcast: "${broadcast}" is not an IPv4 address; set it to your LAN's ` +
            `broadcast address (e.g. 192.168.0.255) or turn off ${label}.wakeOnLan`);
    }
    return problems;
}

/** State of a WakeOnLan resource. */
export interface WakeOnLanState {
    mac: string;
    address: string;
    port: number;
    /** Datagrams sent by the last create/update. */
    packetsSent: number;
}

/** The dynamic provider: send on create/update, nothing to delete. */
export const wakeOnLanProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: { mac: string; address: string; port?: number; repeat?: number }) {
        const sent = await sendMagicPacket(inputs.mac, { address: inputs.address, port: inputs.port, repeat: inputs.repeat });
        const outs: WakeOnLanState = { mac: inputs.mac, address: inputs.address, port: inputs.port ?? 9, packetsSent: sent };
        return { id: `wol-${inputs.mac.toLowerCase()}`, outs };
    },
    async diff(_id: string, olds: WakeOnLanState, news: { mac: string; address: string; port?: number }) {
        const replaces: string[] = [];
        if (olds.mac !== news.mac) replaces.push("mac");
        const changed = replaces.length > 0 || olds.address !== news.address || olds.port !== (news.port ?? 9);
        return { changes: changed, replaces, deleteBeforeReplace: true };
    },
    async update(_id: string, _olds: WakeOnLanState, news: { mac: string; address: string; port?: number; repeat?: number }) {
        const sent = await sendMagicPacket(news.mac, { address: news.address, port: news.port, repeat: news.repeat });
        const outs: WakeOnLanState = { mac: news.mac, address: news.address, port: news.port ?? 9, packetsSent: sent };
        return { outs };
    },
    async delete() {
        // Nothing to undo: a sent packet cannot be unsent.
    },
};

/** Inputs of {@link WakeOnLan}. */
export interface WakeOnLanArgs {
    /** The node's MAC address. */
    mac: pulumi.Input<string>;
    /** Broadcast (or unicast) destination address. */
    address: pulumi.Input<string>;
    /** UDP port; default 9. */
    port?: pulumi.Input<number>;
    /** Datagrams to send; default 3. */
    repeat?: pulumi.Input<number>;
    /**
     * Something to wait for before sending (the Synology component's `pxeReady`): its dependencies
     * become this resource's, its value is not stored.
     */
    after?: pulumi.Input<unknown>;
}

/** Sends a Wake-on-LAN magic packet when created. */
export class WakeOnLan extends pulumi.dynamic.Resource {
    declare public readonly mac: pulumi.Output<string>;
    declare public readonly address: pulumi.Output<string>;
    declare public readonly port: pulumi.Output<number>;
    declare public readonly packetsSent: pulumi.Output<number>;

    constructor(name: string, args: WakeOnLanArgs, opts?: pulumi.CustomResourceOptions) {
        const problems: string[] = [];
        if (typeof args.mac === "string" && typeof args.address === "string") {
            problems.push(...wakeOnLanProblems(args.mac, args.address, name));
        }
        if (problems.length) throw new ConfigError(problems);
        // Carry `after`'s dependencies on the mac input without storing its value.
        const mac = pulumi.all([args.mac, args.after]).apply(([m]) => m);
        super(wakeOnLanProvider, name, {
            mac, address: args.address, port: args.port ?? WOL_PORT, repeat: args.repeat ?? 3, packetsSent: undefined,
        }, opts, "homelab", "WakeOnLan");
    }
}
