/**
 * MAC and IPv4 helpers shared by the config, the DSM client, the reservations, Wake-on-LAN and the
 * doctor (pure; small enough to be serialised with a dynamic provider).
 */

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Lower-case, colon-separated MAC (`aa:bb:cc:dd:ee:ff`) from any usual spelling (`AA-BB-…`,
 * `aabb.ccdd.eeff`, `AABBCCDDEEFF`), or undefined when the text is not a MAC address.
 */
export function normaliseMac(text: string): string | undefined {
    const trimmed = String(text).trim();
    if (!/^[0-9a-f:.-]+$/i.test(trimmed)) return undefined;
    const hex = trimmed.replace(/[:.-]/g, "").toLowerCase();
    return hex.length === 12 ? hex.match(/../g)!.join(":") : undefined;
}

/** {@link normaliseMac}, or the text trimmed and lower-cased when it is no MAC (values read from a NAS). */
export function canonicalMac(text: string): string {
    return normaliseMac(text) ?? String(text).trim().toLowerCase();
}

/** The six bytes of a MAC address; throws a plain error naming the text when it is not one. */
export function macBytes(text: string): Buffer {
    const mac = normaliseMac(text);
    if (!mac) throw new Error(`"${text}" is not a MAC address (expected six hex pairs, e.g. aa:bb:cc:dd:ee:ff)`);
    return Buffer.from(mac.replace(/:/g, ""), "hex");
}

export function isIpv4(text: string): boolean {
    return IPV4_RE.test(text);
}

export function ipToInt(ip: string): number {
    return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** A parsed IPv4 CIDR: network and broadcast as integers. */
export interface Cidr {
    network: number;
    broadcast: number;
    prefix: number;
}

/** Parses `a.b.c.d/p` with a prefix from 8 to 30; undefined otherwise. */
export function parseCidr(text: string): Cidr | undefined {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
    if (!m || !isIpv4(m[1])) return undefined;
    const prefix = Number(m[2]);
    if (prefix < 8 || prefix > 30) return undefined;
    const size = 2 ** (32 - prefix);
    const network = Math.floor(ipToInt(m[1]) / size) * size;
    return { network, broadcast: network + size - 1, prefix };
}

/** Where an IPv4 address lies relative to a CIDR. */
export type CidrPlace = "network" | "broadcast" | "host" | "outside";

/** The CIDR's network address, its broadcast address, one of its host addresses, or outside it. */
export function placeInCidr(cidr: Cidr, ip: string): CidrPlace {
    const n = ipToInt(ip);
    if (n === cidr.network) return "network";
    if (n === cidr.broadcast) return "broadcast";
    return n > cidr.network && n < cidr.broadcast ? "host" : "outside";
}

/** `192.168.0.1 to 192.168.0.254`: the host addresses of the CIDR, for messages. */
export function hostRange(cidr: Cidr): string {
    return `${intToIp(cidr.network + 1)} to ${intToIp(cidr.broadcast - 1)}`;
}

/** True when `ip` lies between `start` and `end`, both included. */
export function ipInRange(ip: string, start: string, end: string): boolean {
    const n = ipToInt(ip);
    return n >= ipToInt(start) && n <= ipToInt(end);
}

/**
 * Blocks of the IPv4 space that are no LAN machine's own address (RFC 6890): `0.0.0.0/8` "this network",
 * `127.0.0.0/8` loopback, `169.254.0.0/16` link-local (what a machine gives itself when DHCP failed),
 * `224.0.0.0/4` multicast, `240.0.0.0/4` reserved, and `255.255.255.255`, the limited broadcast.
 */
export type SpecialIpv4 = "this-network" | "loopback" | "link-local" | "multicast" | "reserved" | "limited-broadcast";

/** Which special block `ip` is in, or undefined for an ordinary unicast address. */
export function specialIpv4(ip: string): SpecialIpv4 | undefined {
    const n = ipToInt(ip);
    const first = Math.floor(n / 2 ** 24);
    if (n === 0xffffffff) return "limited-broadcast";
    if (first === 0) return "this-network";
    if (first === 127) return "loopback";
    if (first === 169 && Math.floor(n / 2 ** 16) % 256 === 254) return "link-local";
    if (first >= 224 && first <= 239) return "multicast";
    if (first >= 240) return "reserved";
    return undefined;
}

/**
 * What kind of address a MAC is: `unicast` (what a network card carries), `multicast` (the group bit, the
 * lowest bit of the first byte, is set), `broadcast` (ff:ff:ff:ff:ff:ff) or `zero` (00:00:00:00:00:00).
 * Undefined when the text is not a MAC.
 */
export function macKind(text: string): "unicast" | "multicast" | "broadcast" | "zero" | undefined {
    const mac = normaliseMac(text);
    if (!mac) return undefined;
    if (mac === "ff:ff:ff:ff:ff:ff") return "broadcast";
    if (mac === "00:00:00:00:00:00") return "zero";
    return parseInt(mac.slice(0, 2), 16) & 1 ? "multicast" : "unicast";
}

/**
 * MACs that stand in for a real one in examples and are refused in a stack: the placeholder of the shipped
 * Pulumi.dev.yaml, the example MAC of this program's own messages, and the usual ones of documentation.
 */
export const PLACEHOLDER_MACS: readonly string[] = [
    "02:00:00:00:00:01",
    "aa:bb:cc:dd:ee:ff",
    "00:11:22:33:44:55",
    "12:34:56:78:9a:bc",
    "de:ad:be:ef:00:01",
];

/** True when the MAC (any spelling) is one of {@link PLACEHOLDER_MACS}. */
export function isPlaceholderMac(text: string): boolean {
    const mac = normaliseMac(text);
    return mac !== undefined && PLACEHOLDER_MACS.includes(mac);
}
