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
    if (!/^[0-9a-f:.\-]+$/i.test(trimmed)) return undefined;
    const hex = trimmed.replace(/[:.\-]/g, "").toLowerCase();
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

/** True for a host address of the CIDR (not its network or broadcast address). */
export function cidrContains(cidr: Cidr, ip: string): boolean {
    const n = ipToInt(ip);
    return n > cidr.network && n < cidr.broadcast;
}
