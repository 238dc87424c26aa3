/**
 * The NAS side of the stack config: `homelab:synology` (how to reach DSM, where the boot files go) and
 * `homelab:dhcp` (the DHCP server the nodes PXE-boot from), their types, defaults and checks (pure; no Pulumi,
 * no I/O). The rules that join them with the nodes (addresses, the cluster endpoint) live in parseStackConfig
 * (components/config.ts).
 */
import {
    Checker,
    describe,
    DNS_LABEL_RE,
    hostAddressProblem,
    Json,
    parseUrl,
    specialWords,
    stripSlash,
    urlParts,
} from "../checker";
import { allKeys } from "../keys";
import { Cidr, intToIp, ipToInt, parseCidr, placeInCidr, specialIpv4 } from "../net";
import type { Reservation } from "./reservations";

/** How the DSM client trusts the NAS's certificate. */
export interface TlsConfig {
    /** PEM of the CA (or the self-signed certificate itself) to trust. */
    caCertPem?: string;
    /** SHA-256 fingerprint of the NAS's certificate, lower-case hex with colons. */
    fingerprintSha256?: string;
    /** Skip verification entirely (warned about). Default false. */
    insecureSkipVerify: boolean;
}

/** `homelab:synology` */
export interface SynologyConfig {
    /** DSM base URL without trailing slash, e.g. `https://192.168.0.6:5001`. */
    url: string;
    username: string;
    /** Volume path, e.g. `/volume1`. */
    volume: string;
    /** Shared folder name for the TFTP root, e.g. `pxe`. */
    share: string;
    /** NAS interface the DHCP server runs on: `eth0`, `ovs_eth0`, `bond0`, ... */
    interface: string;
    tls: TlsConfig;
    /** Allow a plain-http DSM URL. Default false. */
    allowHttp: boolean;
    /** A remembered 2FA device id from an earlier login. */
    deviceId?: string;
}

/** `homelab:dhcp` */
export interface DhcpConfig {
    /** IPv4 CIDR, normalised to its network address, e.g. `192.168.0.0/24`. */
    subnet: string;
    rangeStart: string;
    rangeEnd: string;
    gateway: string;
    dns: string[];
    /** Lease time in seconds. Default {@link DEFAULT_LEASE_TIME}. */
    leaseTime: number;
    domain?: string;
    extraReservations: Reservation[];
    /**
     * Manage the per-interface DHCP server object (subnet, range, gateway, DNS). Its write shape is
     * not publicly known, so this is opt-in; when off, the program only checks the server is enabled.
     * Default false.
     */
    manageServer: boolean;
}

/** Where the NAS's shares live unless `synology.volume` says otherwise. */
export const DEFAULT_VOLUME = "/volume1";
/** The shared folder the boot files go to unless `synology.share` says otherwise. */
export const DEFAULT_SHARE = "pxe";
/** `dhcp.leaseTime` unless set: a day. */
export const DEFAULT_LEASE_TIME = 86400;
/** A DSM volume path. */
export const VOLUME_RE = /^\/volume\d+$/;

export const SYNOLOGY_KEYS = allKeys<SynologyConfig>()([
    "url",
    "username",
    "volume",
    "share",
    "interface",
    "tls",
    "allowHttp",
    "deviceId",
]);
export const TLS_KEYS = allKeys<TlsConfig>()(["caCertPem", "fingerprintSha256", "insecureSkipVerify"]);
export const DHCP_KEYS = allKeys<DhcpConfig>()([
    "subnet",
    "rangeStart",
    "rangeEnd",
    "gateway",
    "dns",
    "leaseTime",
    "domain",
    "extraReservations",
    "manageServer",
]);
export const RESERVATION_KEYS = allKeys<Reservation>()(["mac", "ip", "hostname"]);

/** A shared folder name the program accepts (`synology.share`, `backups.share`; see {@link shareNameProblem}). */
const SHARE_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$/;
/**
 * Shared-folder names DSM keeps for itself ("reserved for system use" in DSM's and SRM's help on shared folders;
 * names compare case-insensitively), and the prefixes of the folders it makes for external drives (usbshare1,
 * satashare1-2, …).
 */
export const DSM_RESERVED_SHARES: readonly string[] = [
    "global",
    "home",
    "homes",
    "printers",
    "satashare",
    "surveillance",
    "usbbackup",
    "usbshare",
];
const EXTERNAL_SHARE_RE = /^(usbshare|satashare|esatashare)\d/i;
const INTERFACE_RE = /^(eth|ovs_eth|bond|ovs_bond)\d+$/;
const FINGERPRINT_RE = /^([0-9a-f]{2}:?){31}[0-9a-f]{2}$/i;

/** `homelab:synology`. */
export function parseSynology(c: Checker, value: Json): SynologyConfig | undefined {
    const o = c.object("synology", value, true);
    if (!o) return undefined;
    c.knownKeys("synology", o, SYNOLOGY_KEYS);
    const allowHttp = c.boolean("synology.allowHttp", o.allowHttp, false);
    const rawUrl = c.string("synology.url", o.url, true);
    let url = "";
    const urlProblem = rawUrl === undefined ? undefined : dsmUrlProblem(rawUrl);
    if (urlProblem) c.add("synology.url", urlProblem);
    else if (rawUrl !== undefined) {
        const u = parseUrl(rawUrl);
        if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || (u.pathname !== "/" && u.pathname !== "")) {
            c.add(
                "synology.url",
                `"${rawUrl}" must be the NAS's DSM address without a path, e.g. https://192.168.0.6:5001`,
            );
        } else if (u.protocol === "http:" && !allowHttp) {
            c.add(
                "synology.url",
                `"${rawUrl}" is plain http: the DSM password would cross the LAN in clear; use https://<nas>:5001, or set synology.allowHttp: true to accept that`,
            );
        } else {
            url = stripSlash(rawUrl);
        }
    }
    const username = c.string("synology.username", o.username, true);
    const volume = c.string("synology.volume", o.volume, false) ?? DEFAULT_VOLUME;
    const folder = /^(\/volume\d+)\/([^/]+)\/?$/.exec(volume);
    if (folder) {
        c.add(
            "synology.volume",
            `"${volume}" is a folder; synology.volume is the volume alone and synology.share the shared folder on it: ` +
                `synology.volume: ${folder[1]} and synology.share: ${folder[2]}`,
        );
    } else if (!VOLUME_RE.test(volume)) c.add("synology.volume", `"${volume}" must be a DSM volume path like /volume1`);
    const share = c.string("synology.share", o.share, false) ?? DEFAULT_SHARE;
    const shareProblem = shareNameProblem(share);
    if (shareProblem) c.add("synology.share", shareProblem);
    const iface = c.string("synology.interface", o.interface, true);
    if (iface !== undefined && !INTERFACE_RE.test(iface)) {
        const label = /^(lan|bond)\s*(\d+)$/i.exec(iface);
        const n = label ? Number(label[2]) - 1 : 0;
        const name = label?.[1].toLowerCase() === "bond" ? `bond${n}` : `eth${n}`;
        c.add(
            "synology.interface",
            label && n >= 0
                ? `"${iface}" is DSM's label for the port; the interface name is ${name}` +
                      `${name.startsWith("eth") ? ` (ovs_${name} with Virtual Machine Manager installed)` : ""}`
                : `"${iface}" is not a DSM interface name; use eth0, ovs_eth0 (with Virtual Machine Manager) or bond0`,
        );
    }
    const tls: TlsConfig = { insecureSkipVerify: false };
    const t = c.object("synology.tls", o.tls, false);
    if (t) {
        c.knownKeys("synology.tls", t, TLS_KEYS);
        const pem = c.string("synology.tls.caCertPem", t.caCertPem, false);
        if (pem !== undefined) {
            if (!pem.includes("-----") && /^(~|\.{0,2}\/|[A-Za-z]:\\)\S*$|^\S+\.(pem|crt|cer)$/i.test(pem))
                c.add(
                    "synology.tls.caCertPem",
                    `"${pem}" is a file path, not the certificate: the setting holds the PEM text itself, e.g. ` +
                        `pulumi config set --path 'homelab:synology.tls.caCertPem' -- "$(cat ${pem})"`,
                );
            else if (!pem.includes("-----BEGIN CERTIFICATE-----"))
                c.add("synology.tls.caCertPem", "must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)");
            else tls.caCertPem = pem;
        }
        const fp = c.string("synology.tls.fingerprintSha256", t.fingerprintSha256, false);
        if (fp !== undefined) {
            if (!FINGERPRINT_RE.test(fp))
                c.add(
                    "synology.tls.fingerprintSha256",
                    "must be the certificate's SHA-256 fingerprint: 64 hex digits, colons optional",
                );
            else tls.fingerprintSha256 = fp.replace(/:/g, "").toLowerCase().match(/../g)!.join(":");
        }
        tls.insecureSkipVerify = c.boolean("synology.tls.insecureSkipVerify", t.insecureSkipVerify, false);
        const chosen = [tls.caCertPem, tls.fingerprintSha256, tls.insecureSkipVerify || undefined].filter(
            (x) => x !== undefined,
        );
        if (chosen.length > 1)
            c.add("synology.tls", "set only one of caCertPem, fingerprintSha256 and insecureSkipVerify");
    }
    const deviceId = c.string("synology.deviceId", o.deviceId, false);
    return {
        url,
        username: username ?? "",
        volume,
        share,
        interface: iface ?? "",
        tls,
        allowHttp,
        ...(deviceId !== undefined ? { deviceId } : {}),
    };
}

/**
 * What is wrong with a DSM URL before it is parsed as one: a user and password in it (they would sit in the stack
 * file in clear: the message never repeats them), or no scheme. Undefined when neither.
 */
function dsmUrlProblem(raw: string): string | undefined {
    const parts = urlParts(raw);
    const afterScheme = parts ? raw.slice(raw.indexOf("//") + 2) : raw;
    const at = afterScheme.search(/[/?#]/);
    const authority = at < 0 ? afterScheme : afterScheme.slice(0, at);
    if (authority.includes("@")) {
        const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
        return (
            `holds a user name and password ("${parts?.scheme ?? "https"}://…@${hostPort}"), which would sit in the stack file ` +
            `in clear; write https://${hostPort}, put the user in synology.username and the password in the secret: ` +
            "pulumi config set --secret homelab:synologyPassword"
        );
    }
    if (!parts && /^[A-Za-z0-9.-]+(:\d+)?\/?$/.test(raw)) {
        const hostPort = raw.replace(/\/$/, "");
        return `"${raw}" has no scheme; write https://${hostPort}${/:\d+$/.test(hostPort) ? "" : ":5001"} (DSM's https port is 5001)`;
    }
    return undefined;
}

/**
 * Why DSM would refuse `name` as the name of a shared folder the program creates, if it would (`synology.share`,
 * `backups.share`); `defaultName` is the key's default, offered as the fix.
 */
export function shareNameProblem(name: string, defaultName: string = DEFAULT_SHARE): string | undefined {
    if (!SHARE_RE.test(name))
        return `"${name}" is not a valid shared folder name; use up to 32 letters, digits, spaces, dots, hyphens or underscores`;
    const fix = `pick another name, e.g. ${defaultName} (the default)`;
    if (DSM_RESERVED_SHARES.includes(name.toLowerCase()))
        return `"${name}" is a name DSM reserves for its own shared folders (${DSM_RESERVED_SHARES.join(", ")}, in any case); ${fix}`;
    if (EXTERNAL_SHARE_RE.test(name))
        return `"${name}" is how DSM names the shared folder of an external drive (usbshare<N>, satashare<N>); ${fix}`;
    return undefined;
}

/** One `dhcp.extraReservations` entry. */
function parseReservation(c: Checker, path: string, value: Json): Reservation | undefined {
    const o = c.object(path, value, true);
    if (!o) return undefined;
    c.knownKeys(path, o, RESERVATION_KEYS);
    const mac = c.mac(`${path}.mac`, o.mac);
    const ip = c.ipv4(`${path}.ip`, o.ip, true);
    const hostname = c.hostname(`${path}.hostname`, o.hostname);
    return mac && ip && hostname ? { mac, ip, hostname } : undefined;
}

/** `homelab:dhcp`. */
export function parseDhcp(c: Checker, value: Json): DhcpConfig | undefined {
    const o = c.object("dhcp", value, true);
    if (!o) return undefined;
    c.knownKeys("dhcp", o, DHCP_KEYS);
    const subnetText = c.string("dhcp.subnet", o.subnet, true);
    let cidr: Cidr | undefined;
    let subnet = "";
    if (subnetText !== undefined) {
        cidr = parseCidr(subnetText);
        if (!cidr)
            c.add(
                "dhcp.subnet",
                `"${subnetText}" is not an IPv4 CIDR with a prefix from /8 to /30, e.g. 192.168.0.0/24`,
            );
        else subnet = `${intToIp(cidr.network)}/${cidr.prefix}`;
    }
    if (cidr) {
        const special = specialIpv4(intToIp(cidr.network));
        if (special && special !== "loopback") {
            c.add(
                "dhcp.subnet",
                `${subnet} is ${specialWords(special)}, not a LAN; give the subnet your NAS and nodes are on, e.g. 192.168.0.0/24`,
            );
        }
    }
    const inside = (path: string, ip: string | undefined) => {
        const problem = ip && cidr ? hostAddressProblem(cidr, ip) : undefined;
        if (problem) c.add(path, problem);
    };
    const rangeStart = c.ipv4("dhcp.rangeStart", o.rangeStart, true);
    const rangeEnd = c.ipv4("dhcp.rangeEnd", o.rangeEnd, true);
    const gateway = c.ipv4("dhcp.gateway", o.gateway, true);
    inside("dhcp.rangeStart", rangeStart);
    inside("dhcp.rangeEnd", rangeEnd);
    inside("dhcp.gateway", gateway);
    if (rangeStart && rangeEnd && ipToInt(rangeStart) > ipToInt(rangeEnd)) {
        c.add("dhcp.rangeStart", `${rangeStart} is after dhcp.rangeEnd ${rangeEnd}; swap them`);
    }
    if (
        gateway &&
        rangeStart &&
        rangeEnd &&
        ipToInt(gateway) >= ipToInt(rangeStart) &&
        ipToInt(gateway) <= ipToInt(rangeEnd)
    ) {
        c.add(
            "dhcp.gateway",
            `${gateway} lies inside the DHCP range ${rangeStart}-${rangeEnd}; the server would lease the router's address`,
        );
    }
    const dns: string[] = [];
    const dnsList = c.list("dhcp.dns", o.dns, true) ?? [];
    if (o.dns !== undefined && dnsList.length === 0)
        c.add("dhcp.dns", "needs at least one DNS server, e.g. [192.168.0.1]");
    dnsList.forEach((d, i) => {
        const path = `dhcp.dns[${i}]`;
        if (typeof d === "string" && d.includes(":")) {
            c.add(
                path,
                `${d.trim()} is an IPv6 address; DSM's DHCPv4 server hands out IPv4 DNS servers only: give an IPv4 one` +
                    `${gateway ? `, e.g. ${gateway}` : ""}`,
            );
            return;
        }
        const ip = c.ipv4(path, d, true);
        if (!ip) return;
        const fix = `give the address of your router or DNS server${gateway ? `, e.g. ${gateway}` : ""}`;
        const special = specialIpv4(ip);
        const place = cidr ? placeInCidr(cidr, ip) : undefined;
        if (dns.includes(ip)) c.add(path, `${ip} is listed twice; remove the duplicate`);
        else if (special === "loopback" && !(cidr && specialIpv4(intToIp(cidr.network)) === "loopback")) {
            c.add(
                path,
                `${ip} is a loopback address: every machine that is handed it asks itself, and a node runs no DNS server for the LAN there; ${fix}`,
            );
        } else if (special && special !== "loopback")
            c.add(path, `${ip} is ${specialWords(special)}, not a DNS server's; ${fix}`);
        else if (place === "network" || place === "broadcast")
            c.add(path, `${ip} is the ${place} address of dhcp.subnet ${subnet}, not a DNS server's; ${fix}`);
        dns.push(ip);
    });
    let leaseTime = DEFAULT_LEASE_TIME;
    if (o.leaseTime !== undefined) {
        const n = typeof o.leaseTime === "string" ? Number(o.leaseTime) : o.leaseTime;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 120)
            c.add(
                "dhcp.leaseTime",
                `must be a whole number of seconds, at least 120 (e.g. 86400 for a day), got ${describe(o.leaseTime)}`,
            );
        else leaseTime = n;
    }
    const domain = c.string("dhcp.domain", o.domain, false);
    if (domain !== undefined && !domain.split(".").every((l) => DNS_LABEL_RE.test(l))) {
        c.add("dhcp.domain", `"${domain}" is not a DNS domain name, e.g. home.arpa`);
    }
    const extraReservations: Reservation[] = [];
    (c.list("dhcp.extraReservations", o.extraReservations, false) ?? []).forEach((r, i) => {
        const path = `dhcp.extraReservations[${i}]`;
        const res = parseReservation(c, path, r);
        if (res) {
            inside(`${path}.ip`, res.ip);
            extraReservations.push(res);
        }
    });
    return {
        subnet,
        rangeStart: rangeStart ?? "",
        rangeEnd: rangeEnd ?? "",
        gateway: gateway ?? "",
        dns,
        leaseTime,
        ...(domain !== undefined ? { domain } : {}),
        extraReservations,
        manageServer: c.boolean("dhcp.manageServer", o.manageServer, false),
    };
}
