/**
 * Everything this client knows (or guesses) about the SHAPES of DSM objects, in one place, with the
 * confidence from docs/dsm-api.md. Decoders here are pure: they turn DSM's answers
 * (booleans as true/1/"1", MACs in any case, v1 vs v3 layouts) into the types in ./types.ts, and they
 * check that objects whose write shape is UNKNOWN have the fields we are going to write.
 *
 * If a real NAS answers differently, this is the file to change (capture the object with
 * `npm run dsm -- --url <url> --user <name> <API> get [key=value ...]`).
 */
import { canonicalMac } from "../../net";
import { DsmShapeError } from "./errors";
import type { Reservation } from "../reservations";
import type { FileInfo, PxeSettings, TftpSettings } from "./types";

/** DSM sends booleans as true/false, 0/1 or "0"/"1" (and sometimes "true"/"false"/"yes"/"no"). */
export function toBool(v: unknown): boolean {
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v !== 0;
    if (typeof v === "string") return ["1", "true", "yes", "on"].includes(v.trim().toLowerCase());
    return false;
}

/**
 * A value DSM sent where text belongs, as text: a string as it is, a number or boolean written out, `fallback` when
 * there is none, and anything else (a DSM that answers in another shape) as its JSON rather than `[object Object]`.
 */
export function scalarText(v: unknown, fallback: string): string {
    if (v === undefined || v === null) return fallback;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
    return JSON.stringify(v) ?? fallback;
}

// ---------------------------------------------------------------- TFTP (SOLID: field names and partial set)

/** `SYNO.Core.TFTP get` fields (SOLID, schema SYNO.Core.TFTP-get.json). */
export const TFTP_FIELDS = ["enable", "root_path", "permission", "enable_log", "startip", "endip", "timeout"];
/** The TFTP defaults of a never-configured DSM 7: "all clients" is the full range (MEDIUM). */
export const TFTP_ALL_CLIENTS = { startip: "0.0.0.0", endip: "255.255.255.255" };

export function decodeTftp(data: unknown): TftpSettings {
    const o = asObject(data, "SYNO.Core.TFTP", "get");
    requireFields("SYNO.Core.TFTP", "the TFTP settings", TFTP_FIELDS, o);
    return {
        ...o,
        enable: toBool(o.enable),
        enable_log: toBool(o.enable_log),
        root_path: scalarText(o.root_path, ""),
        permission: scalarText(o.permission, "r"),
        startip: scalarText(o.startip, ""),
        endip: scalarText(o.endip, ""),
        timeout: Number(o.timeout),
    };
}

// ---------------------------------------------------------------- File Station (SOLID)

/** getinfo entries: `{path, name, isdir, additional:{size, time:{mtime}}}`, or `{code: 408, path}` when missing. */
export function decodeFileInfo(entry: unknown): FileInfo | undefined {
    const e = (entry ?? {}) as Record<string, unknown>;
    if (e.code !== undefined) return undefined;
    const add = (e.additional ?? {}) as Record<string, unknown>;
    const time = (add.time ?? {}) as Record<string, unknown>;
    return {
        path: String(e.path),
        name: String(e.name),
        isdir: toBool(e.isdir),
        size: Number(add.size ?? 0),
        mtime: time.mtime === undefined ? undefined : Number(time.mtime),
    };
}

// ---------------------------------------------------------------- Reservations (SOLID shape)

/**
 * Read: v2/v3 `data.reservationList.ipv4[] = {clid, ip, hostname}`; v1 (SRM/older) `data.reservationList[] =
 * {mac, ip, hostname}`. Write (v2): `reservationData = [{mac, ip, hostname}]`, replacing the whole list.
 */
export function decodeReservations(data: unknown): Reservation[] {
    return ipv4Entries(data, "reservationList", "DHCPServer.Reservation", "the reservation list").map(macIpHostname);
}

/**
 * The entries of a DHCP list answer: `data[key].ipv4[]` (v2/v3), or `data[key][]` (v1); a shape error naming
 * both when neither is there.
 */
function ipv4Entries(data: unknown, key: string, api: string, what: string): Record<string, unknown>[] {
    const d = (data ?? {}) as Record<string, unknown>;
    const list = d[key];
    const raw = Array.isArray(list)
        ? list
        : Array.isArray((list as Record<string, unknown> | undefined)?.ipv4)
          ? ((list as Record<string, unknown>).ipv4 as unknown[])
          : undefined;
    if (!raw) throw new DsmShapeError(api, what, [`${key}.ipv4 (or ${key}[])`], Object.keys(d));
    return raw.map((r) => (r ?? {}) as Record<string, unknown>);
}

/** MAC (from `clid`, else `mac`), IP and hostname of one entry, as strings. */
function macIpHostname(e: Record<string, unknown>): Reservation {
    return {
        mac: canonicalMac(scalarText(e.clid ?? e.mac, "")),
        ip: scalarText(e.ip, ""),
        hostname: scalarText(e.hostname, ""),
    };
}

export function encodeReservations(list: Reservation[]): Reservation[] {
    return list.map((r) => ({ mac: canonicalMac(r.mac).toUpperCase(), ip: r.ip, hostname: r.hostname ?? "" }));
}

// ---------------------------------------------------------------- PXE (MEDIUM-HIGH on names, from the real get schema)

/**
 * The five fields the real `SYNO.Network.DHCPServer.PXE get` returns (schema SYNO.Network.DHCPServer.PXE-get.json).
 * `set` is assumed to take the same five keys (UNKNOWN whether a partial payload is accepted, so the client
 * always sends all five), echoing `is_remote_tftp` in the encoding `get` returned (it comes back as a string).
 */
export const PXE_FIELDS = [
    "enable",
    "is_remote_tftp",
    "local_bootloader",
    "remote_bootloader",
    "remote_tftp_server_ip",
];

export function decodePxe(data: unknown): PxeSettings {
    const o = asObject(data, "DHCPServer.PXE", "get");
    requireFields("DHCPServer.PXE", "the PXE settings", PXE_FIELDS, o);
    return {
        ...o,
        enable: toBool(o.enable),
        is_remote_tftp: o.is_remote_tftp,
        local_bootloader: scalarText(o.local_bootloader, ""),
        remote_bootloader: scalarText(o.remote_bootloader, ""),
        remote_tftp_server_ip: scalarText(o.remote_tftp_server_ip, ""),
    };
}

/**
 * Build the PXE `set` body: the object `get` returned with the known fields replaced. `is_remote_tftp` goes
 * back in the encoding `get` used: a string stays a string ("true"/"false" or "1"/"0"), a boolean stays a
 * boolean, a number stays a number.
 */
export function encodePxe(current: Record<string, unknown>, wanted: PxeSettings): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const k of PXE_FIELDS) body[k] = current[k];
    body.enable = toBool(wanted.enable);
    body.is_remote_tftp = encodeLike(current.is_remote_tftp, toBool(wanted.is_remote_tftp));
    body.local_bootloader = scalarText(wanted.local_bootloader, "");
    body.remote_bootloader = scalarText(wanted.remote_bootloader, "");
    body.remote_tftp_server_ip = scalarText(wanted.remote_tftp_server_ip, "");
    return body;
}

/** Encode a boolean the way `sample` was encoded. */
export function encodeLike(sample: unknown, value: boolean): unknown {
    if (typeof sample === "string") {
        if (sample === "0" || sample === "1") return value ? "1" : "0";
        if (sample === "yes" || sample === "no") return value ? "yes" : "no";
        return value ? "true" : "false";
    }
    if (typeof sample === "number") return value ? 1 : 0;
    return value;
}

// ---------------------------------------------------------------- DHCP server per interface (UNKNOWN shape)

/**
 * `SYNO.Network.DHCPServer get/set` with `ifname`: the body is NOT publicly known (docs/dsm-api.md 3.2 and 9).
 * Keys seen in Synology's DHCP SDK header: enable, enable_v6, startip, endip, gateway, netmask, dns, desc,
 * bootloader. The subnet-list and lease-time keys are unknown. So:
 * - `get` only requires `enable` (to tell whether the server runs on the interface);
 * - `set` is read-modify-write of the whole object: every key the caller changes must already exist in the
 *   object `get` returned (otherwise DsmShapeError listing expected vs seen, and nothing is written), then
 *   the client re-reads and compares the changed keys.
 */
export const DHCP_SERVER_REQUIRED_FIELDS = ["enable"];
/** Keys from the SDK header that a caller may reasonably name (documentation; not enforced). */
export const DHCP_SERVER_KNOWN_FIELDS = [
    "enable",
    "enable_v6",
    "startip",
    "endip",
    "gateway",
    "netmask",
    "dns",
    "desc",
    "bootloader",
];

export function checkDhcpServerObject(api: string, o: Record<string, unknown>, changing: string[] = []): void {
    const expected = [...new Set([...DHCP_SERVER_REQUIRED_FIELDS, ...changing])];
    requireFields(api, "the DHCP server settings for the interface", expected, o);
}

/** Merge changes into the object `get` returned; booleans are encoded the way DSM sent the existing value. */
export function mergeDhcpServer(
    current: Record<string, unknown>,
    changes: Record<string, unknown>,
): Record<string, unknown> {
    const out: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(changes)) {
        out[k] = typeof v === "boolean" ? encodeLike(current[k], v) : v;
    }
    return out;
}

/** Compare a wanted value with what DSM returned, tolerant of DSM's boolean and number encodings. */
export function sameValue(wanted: unknown, got: unknown): boolean {
    if (typeof wanted === "boolean" || typeof got === "boolean") return toBool(wanted) === toBool(got);
    if (typeof wanted === "number" || typeof got === "number") return Number(wanted) === Number(got);
    return JSON.stringify(wanted) === JSON.stringify(got);
}

// ---------------------------------------------------------------- helpers

export function asObject(data: unknown, api: string, method: string): Record<string, unknown> {
    if (!data || typeof data !== "object" || Array.isArray(data)) {
        throw new DsmShapeError(
            api,
            `the ${method} answer`,
            ["an object"],
            [Array.isArray(data) ? "an array" : typeof data],
        );
    }
    return data as Record<string, unknown>;
}

export function requireFields(api: string, what: string, expected: string[], o: Record<string, unknown>): void {
    const seen = Object.keys(o);
    if (expected.some((k) => !(k in o))) throw new DsmShapeError(api, what, expected, seen);
}

// ---------------------------------------------------------------- Pre-flight reads (../preflight.ts)

/**
 * `SYNO.Core.Group.Member list` (v1, `group`, `offset`, `limit`): `data = {offset, total, users: [{name, uid,
 * description}]}`. LIKELY: N4S4's documented answer, and a client whose tests were re-probed on a DS423+
 * (it also reports an unknown group as 3205). Only `users[].name` and `total` are relied on.
 */
export function decodeGroupMembers(data: unknown): { names: string[]; total: number } {
    const api = "SYNO.Core.Group.Member";
    const o = asObject(data, api, "list");
    const users = o.users;
    if (!Array.isArray(users) || typeof o.total !== "number") {
        throw new DsmShapeError(api, "the group's member list", ["users", "total"], Object.keys(o));
    }
    const names = users.map((u) => (u && typeof u === "object" ? (u as Record<string, unknown>).name : undefined));
    const bad = names.findIndex((n) => typeof n !== "string");
    if (bad >= 0) {
        throw new DsmShapeError(
            api,
            `member ${bad} of the group's member list`,
            ["name"],
            Object.keys((users[bad] ?? {}) as object),
        );
    }
    return { names: names as string[], total: o.total };
}

/** One volume as the pre-flight needs it. */
export interface VolumeSpace {
    /** `/volume1`. */
    path: string;
    totalBytes: number;
    usedBytes: number;
    /** DSM's `is_writable`, when it says. */
    writable?: boolean;
    /** DSM's `status` (`normal`, `crashed`, `read_only`, ...), when it says. */
    status?: string;
}

/** DSM sends sizes as decimal strings (or numbers); anything else is not a size. */
function byteCount(v: unknown): number | undefined {
    const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * `SYNO.Storage.CGI.Storage load_info` (v1): `data.volumes[] = {vol_path, status, is_writable, size: {total, used,
 * ...}}`, sizes as decimal strings. SOLID enough: py-synologydsm-api (Home Assistant's client) reads exactly these
 * fields, with fixtures from real DSM 6 and DSM 7 units. A volume without them is a shape error naming them.
 */
export function decodeVolumes(data: unknown): VolumeSpace[] {
    const api = "SYNO.Storage.CGI.Storage";
    const o = asObject(data, api, "load_info");
    if (!Array.isArray(o.volumes)) throw new DsmShapeError(api, "the storage overview", ["volumes"], Object.keys(o));
    return o.volumes.map((raw, i) => {
        const v = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
        const size = (v.size && typeof v.size === "object" ? v.size : {}) as Record<string, unknown>;
        const total = byteCount(size.total);
        const used = byteCount(size.used);
        if (typeof v.vol_path !== "string" || total === undefined || used === undefined) {
            const seen = [...Object.keys(v), ...Object.keys(size).map((k) => `size.${k}`)];
            throw new DsmShapeError(
                api,
                `volume ${i} of the storage overview`,
                ["vol_path", "size.total", "size.used"],
                seen.filter(
                    (k) => !(k === "size.total" && total === undefined) && !(k === "size.used" && used === undefined),
                ),
            );
        }
        const out: VolumeSpace = { path: v.vol_path, totalBytes: total, usedBytes: used };
        if (typeof v.is_writable === "boolean") out.writable = v.is_writable;
        if (typeof v.status === "string") out.status = v.status;
        return out;
    });
}

/** `SYNO.Core.Network.Ethernet list` (SOLID): an array of `{ifname, ip, mask, status, ...}`; the names. */
export function decodeInterfaceNames(data: unknown): string[] {
    const list = Array.isArray(data)
        ? data
        : Array.isArray((data as Record<string, unknown> | undefined)?.list)
          ? (data as { list: unknown[] }).list
          : undefined;
    if (!list)
        throw new DsmShapeError(
            "SYNO.Core.Network.Ethernet",
            "the interface list",
            ["an array of {ifname}"],
            data && typeof data === "object" ? Object.keys(data) : [typeof data],
        );
    return list
        .map((e) => (e as Record<string, unknown> | null)?.ifname)
        .filter((n): n is string => typeof n === "string");
}
