/**
 * A DHCP DISCOVER probe that looks like a UEFI PXE client (RFC 2131/2132 + RFC 4578): it broadcasts a
 * DISCOVER with option 60 `PXEClient:Arch:…`, 93 (client architecture), 94 (network interface id),
 * 97 (client machine id) and 55 asking for 66/67 (TFTP server / boot file), collects every OFFER that
 * arrives within a window, and reports one entry per answering server.
 *
 * It never sends a REQUEST, so no lease is taken. Binding UDP port 68 needs root (or
 * CAP_NET_BIND_SERVICE); the chaddr is a random locally administered MAC unless one is given.
 */
import { macBytes } from "../net";
import * as crypto from "crypto";
import * as dgram from "dgram";

export const DHCP_MAGIC = 0x63825363;
export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;

/** RFC 4578 option 93 values for the UEFI network boot of each architecture. */
export const PXE_ARCH: Record<"amd64" | "arm64", number> = {
    amd64: 0x0007, // EFI x86-64 (EFI BC)
    arm64: 0x000b, // EFI ARM64
};

/** Parameter request list (option 55): subnet, router, DNS, hostname, domain, broadcast, vendor, server id, class id, 66, 67, 97. */
export const PXE_PARAMETER_REQUEST = [1, 3, 6, 12, 15, 28, 43, 54, 60, 66, 67, 97];

export interface DiscoverParams {
    xid: number;
    /** `aa:bb:cc:dd:ee:ff` */
    mac: string;
    arch: "amd64" | "arm64";
    /** 16 bytes (option 97 type 0 GUID). */
    uuid: Buffer;
}

export function formatMac(b: Buffer): string {
    return [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** A random unicast, locally administered MAC (02:…), so the probe never collides with a real host. */
export function randomMac(): string {
    const b = crypto.randomBytes(6);
    b[0] = (b[0] & 0xfc) | 0x02;
    return formatMac(b);
}

function opt(code: number, value: Buffer | number[] | string): Buffer {
    const v = typeof value === "string" ? Buffer.from(value, "ascii") : Buffer.from(value);
    if (v.length > 255) throw new Error(`DHCP option ${code} too long`);
    return Buffer.concat([Buffer.from([code, v.length]), v]);
}

/** Option 60 as UEFI PXE firmware sends it, e.g. `PXEClient:Arch:00007:UNDI:003016`. */
export function pxeVendorClass(arch: "amd64" | "arm64"): string {
    return `PXEClient:Arch:${String(PXE_ARCH[arch]).padStart(5, "0")}:UNDI:003016`;
}

export function encodeDiscover(p: DiscoverParams): Buffer {
    const head = Buffer.alloc(240);
    head[0] = 1; // BOOTREQUEST
    head[1] = 1; // Ethernet
    head[2] = 6;
    head[3] = 0;
    head.writeUInt32BE(p.xid >>> 0, 4);
    head.writeUInt16BE(4, 8); // secs: firmware has been trying for a few seconds
    head.writeUInt16BE(0x8000, 10); // broadcast flag: we have no address, answer by broadcast
    macBytes(p.mac).copy(head, 28);
    head.writeUInt32BE(DHCP_MAGIC, 236);
    if (p.uuid.length !== 16) throw new Error("option 97 needs a 16-byte UUID");
    const arch = PXE_ARCH[p.arch];
    const options = Buffer.concat([
        opt(53, [DHCPDISCOVER]),
        opt(57, [0x05, 0xc0]), // max message size 1472
        opt(93, [(arch >> 8) & 0xff, arch & 0xff]),
        opt(94, [1, 3, 16]), // UNDI 3.16
        opt(97, Buffer.concat([Buffer.from([0]), p.uuid])),
        opt(60, pxeVendorClass(p.arch)),
        opt(55, PXE_PARAMETER_REQUEST),
        Buffer.from([255]),
    ]);
    const pkt = Buffer.concat([head, options]);
    // BOOTP minimum message size is 300 bytes; some servers drop shorter packets.
    return pkt.length >= 300 ? pkt : Buffer.concat([pkt, Buffer.alloc(300 - pkt.length)]);
}

export interface DhcpMessage {
    op: number;
    xid: number;
    flags: number;
    ciaddr: string;
    yiaddr: string;
    siaddr: string;
    giaddr: string;
    chaddr: string;
    /** `sname` header field, when it is not used for options. */
    sname: string;
    /** `file` header field, when it is not used for options. */
    file: string;
    /** DHCP message type (option 53), undefined for plain BOOTP. */
    messageType?: number;
    /** Raw options by code (concatenated when repeated, RFC 3396). */
    options: Map<number, Buffer>;
}

function ip(b: Buffer, off: number): string {
    return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

function cstr(b: Buffer): string {
    const z = b.indexOf(0);
    return b.subarray(0, z === -1 ? b.length : z).toString("latin1");
}

function parseOptions(b: Buffer, into: Map<number, Buffer>): void {
    let i = 0;
    while (i < b.length) {
        const code = b[i];
        if (code === 0) {
            i++;
            continue;
        }
        if (code === 255) return;
        if (i + 1 >= b.length) throw new Error("truncated DHCP option");
        const len = b[i + 1];
        if (i + 2 + len > b.length) throw new Error(`truncated DHCP option ${code}`);
        const v = b.subarray(i + 2, i + 2 + len);
        const prev = into.get(code);
        into.set(code, prev ? Buffer.concat([prev, v]) : Buffer.from(v));
        i += 2 + len;
    }
}

/** Parses a BOOTP/DHCP message, honouring option overload (52). Throws on a malformed one. */
export function decodeDhcp(b: Buffer): DhcpMessage {
    if (b.length < 240) throw new Error(`DHCP message too short (${b.length} bytes)`);
    if (b.readUInt32BE(236) !== DHCP_MAGIC) throw new Error("no DHCP magic cookie");
    const options = new Map<number, Buffer>();
    parseOptions(b.subarray(240), options);
    const overload = options.get(52)?.[0] ?? 0;
    const fileField = b.subarray(108, 236);
    const snameField = b.subarray(44, 108);
    if (overload & 1) parseOptions(fileField, options);
    if (overload & 2) parseOptions(snameField, options);
    const mt = options.get(53);
    return {
        op: b[0],
        xid: b.readUInt32BE(4),
        flags: b.readUInt16BE(10),
        ciaddr: ip(b, 12),
        yiaddr: ip(b, 16),
        siaddr: ip(b, 20),
        giaddr: ip(b, 24),
        chaddr: formatMac(b.subarray(28, 34)),
        sname: overload & 2 ? "" : cstr(snameField),
        file: overload & 1 ? "" : cstr(fileField),
        messageType: mt ? mt[0] : undefined,
        options,
    };
}

export interface DhcpOffer {
    /** Server identifier (option 54), or the sender's address when absent. */
    serverId: string;
    /** Source address of the OFFER datagram. */
    from: string;
    /** Address offered to the client; 0.0.0.0 for a proxyDHCP (PXE-only) answer. */
    yiaddr: string;
    /** Boot file: option 67, or the `file` header field. */
    bootFile?: string;
    /** TFTP server: option 66, or `siaddr` (next-server) when it is not 0.0.0.0. */
    tftpServer?: string;
    /** Option 60 echoed by the server (`PXEClient` for PXE-aware answers). */
    vendorClass?: string;
    /** True for a proxyDHCP answer (no address offered). */
    proxy: boolean;
}

/** Reads an OFFER into the fields doctor reports; undefined if `m` is not an OFFER. */
export function offerFrom(m: DhcpMessage, from: string): DhcpOffer | undefined {
    if (m.op !== 2 || m.messageType !== DHCPOFFER) return undefined;
    const sid = m.options.get(54);
    const o67 = m.options.get(67);
    const o66 = m.options.get(66);
    const o60 = m.options.get(60);
    const bootFile = o67 ? cstr(o67) : m.file || undefined;
    const tftpServer = o66 ? cstr(o66) : m.siaddr !== "0.0.0.0" ? m.siaddr : undefined;
    return {
        serverId: sid && sid.length >= 4 ? ip(sid, 0) : from,
        from,
        yiaddr: m.yiaddr,
        bootFile,
        tftpServer,
        vendorClass: o60 ? o60.toString("latin1") : undefined,
        proxy: m.yiaddr === "0.0.0.0",
    };
}

export interface DhcpProbeOptions {
    /** Where the DISCOVER goes. Default `255.255.255.255`. A subnet's broadcast address picks the interface by route. */
    target?: string;
    /** Local address to bind. Default `0.0.0.0` (needed to receive broadcast answers). */
    bindAddress?: string;
    serverPort?: number;
    clientPort?: number;
    /** chaddr. Default: a random locally administered MAC. */
    mac?: string;
    arch?: "amd64" | "arm64";
    /** How long to collect OFFERs. Default 4000 ms. */
    windowMs?: number;
    /** Send the DISCOVER again every this many ms inside the window (lossy links). Default 1500 ms. */
    resendMs?: number;
}

export interface DhcpProbeResult {
    mac: string;
    xid: number;
    /** One per answering server (first OFFER of each), in arrival order. */
    offers: DhcpOffer[];
    /** DISCOVERs sent. */
    sent: number;
}

export class DhcpProbeError extends Error {
    readonly code?: string;
    constructor(message: string, code?: string) {
        super(message);
        this.name = "DhcpProbeError";
        this.code = code;
    }
}

/** Broadcasts PXE DISCOVERs and collects OFFERs for `windowMs`. */
export function probeDhcp(opts: DhcpProbeOptions = {}): Promise<DhcpProbeResult> {
    const target = opts.target ?? "255.255.255.255";
    const serverPort = opts.serverPort ?? 67;
    const clientPort = opts.clientPort ?? 68;
    const windowMs = opts.windowMs ?? 4000;
    const resendMs = opts.resendMs ?? 1500;
    const mac = opts.mac ?? randomMac();
    const xid = crypto.randomBytes(4).readUInt32BE(0);
    const packet = encodeDiscover({ xid, mac, arch: opts.arch ?? "amd64", uuid: crypto.randomBytes(16) });
    const macLc = formatMac(macBytes(mac));

    return new Promise((resolve, reject) => {
        const sock = dgram.createSocket({ type: "udp4", reuseAddr: true });
        const offers = new Map<string, DhcpOffer>();
        let sent = 0;
        let resendTimer: NodeJS.Timeout | undefined;
        let windowTimer: NodeJS.Timeout | undefined;
        let finished = false;
        const finish = (err?: Error) => {
            if (finished) return;
            finished = true;
            if (resendTimer) clearInterval(resendTimer);
            if (windowTimer) clearTimeout(windowTimer);
            try {
                sock.close();
            } catch {
                /* closed */
            }
            if (err) reject(err);
            else resolve({ mac: macLc, xid, offers: [...offers.values()], sent });
        };
        const send = () => {
            sock.send(packet, serverPort, target, (err) => {
                if (err)
                    finish(
                        new DhcpProbeError(
                            `sending the DHCP DISCOVER to ${target}:${serverPort} failed: ${err.message}` +
                                ((err as NodeJS.ErrnoException).code === "ENETUNREACH"
                                    ? " (no route: is this machine connected to the LAN?)"
                                    : ""),
                            (err as NodeJS.ErrnoException).code,
                        ),
                    );
                else sent++;
            });
        };
        sock.on("error", (err: NodeJS.ErrnoException) => {
            let msg = `DHCP probe socket error: ${err.message}`;
            if (err.code === "EACCES")
                msg = `binding UDP port ${clientPort} needs root: run doctor with sudo (or give node CAP_NET_BIND_SERVICE)`;
            if (err.code === "EADDRINUSE")
                msg = `UDP port ${clientPort} is held by another program (a DHCP client on this machine?); stop it or run the probe from another machine`;
            finish(new DhcpProbeError(msg, err.code));
        });
        sock.on("message", (msg, rinfo) => {
            let m: DhcpMessage;
            try {
                m = decodeDhcp(msg);
            } catch {
                return;
            }
            if (m.xid !== xid || m.chaddr !== macLc) return;
            const offer = offerFrom(m, rinfo.address);
            if (offer && !offers.has(offer.serverId)) offers.set(offer.serverId, offer);
        });
        sock.bind({ port: clientPort, address: opts.bindAddress ?? "0.0.0.0" }, () => {
            try {
                sock.setBroadcast(true);
            } catch (e) {
                finish(e as Error);
                return;
            }
            send();
            if (resendMs > 0 && resendMs < windowMs) resendTimer = setInterval(send, resendMs);
            windowTimer = setTimeout(() => finish(), windowMs);
        });
    });
}
