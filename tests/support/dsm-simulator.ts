/**
 * A stateful Synology DSM 7 simulator on 127.0.0.1 that speaks the real Web API protocol
 * (`/webapi/entry.cgi`, `query.cgi`, `auth.cgi`, and `/webapi/entry.cgi/<API>`), for tests of the DSM
 * client and of the dynamic providers. Facts come from docs/dsm-api.md and the public DSM 7 response schemas and
 * API listings it cites (mikespub/synology, tools/schemas and docs).
 *
 * ## Start / stop
 * ```ts
 * const sim = await startDsmSimulator({ https: true, users: { admin: "pw" } });
 * // sim.url  e.g. "https://127.0.0.1:40123"  (no trailing slash)
 * // sim.certPem, sim.fingerprintSha256  (https only: the self-signed certificate, for pinning tests)
 * await sim.close();
 * ```
 *
 * ## Options (`DsmSimulatorOptions`, all optional)
 * - `https`: serve HTTPS with a fresh self-signed certificate (CN "synology", like a fresh NAS). Default HTTP.
 * - `users`: account → password. Default `{ admin: "admin-password" }`.
 * - `twoFactor`: `{ code: "123456" }` turns 2FA on for every user: login without `otp_code` → 403, wrong
 *   code → 404, right code → ok (with `enable_device_token=yes` the answer carries `did`/`device_id`; a later
 *   login with that `device_id` skips the OTP). `twoFactor: { enforcedNotSetUp: true }` → 406.
 * - `dhcp`: which DHCP API family is published: `"network"` (DSM 7 package, default), `"core"`
 *   (`SYNO.Core.Network.DHCPServer*` names only, as DSM 6/SRM), `"both"`, or `"none"` (package missing:
 *   the APIs are absent from SYNO.API.Info and answer 102).
 * - `boolStyle`: how booleans in TFTP / PXE `enable` / DHCP server `enable` come back:
 *   `"bool"` (default, as the schemas), `"number"` (0/1) or `"string"` ("0"/"1").
 * - `interfaces`: interface names that exist (default `["eth0"]`); others give 4302 "bad interface name".
 * - `volumes`: volume paths that exist (default `["/volume1"]`).
 * - `volumeSpace`: volume path → `{ total, used }` bytes (default 4 TiB total, 1 TiB used each); uploads add
 *   their size to the volume of their share and deletes subtract it; an upload that does not fit answers 416.
 * - `volumeWritable`: volume path → false for a read-only volume (load_info `is_writable`; writes there → 411).
 * - `administrators`: members of the `administrators` group (default: every user in `users`). Everyone else
 *   is a plain user: every SYNO.Core.*, SYNO.Network.* and SYNO.Storage.* call answers 105 (no permission),
 *   File Station works.
 * - `keepBytesUpTo`: uploaded files up to this size keep their bytes (default 1 MiB); larger ones only
 *   size + md5, so a 1 GiB upload costs no memory.
 * - `keepPartialUploads`: an upload whose client goes away mid-body leaves the bytes received so far under
 *   its target name, as a NAS writing straight to the file would (default false: nothing is stored).
 * - `requireSynoToken`: default true: a call without the right SynoToken (param or X-SYNO-TOKEN) → 119.
 * - `apiOverrides`: `{ "<API>": { minVersion, maxVersion } | null }` to change or remove API.Info entries.
 * - `state`: initial state, merged over the defaults (see below).
 *
 * ## State (`sim.state`, read and seed it directly; the simulator mutates it)
 * - `tftp`: the SYNO.Core.TFTP object, real DSM 7 defaults: `{enable:false, root_path:"", permission:"r",
 *   enable_log:false, startip:"0.0.0.0", endip:"255.255.255.255", timeout:3}` (booleans stored as booleans).
 * - `shares`: name → `{name, vol_path, desc, uuid, hidden, enable_recycle_bin, ...}`; creating a share
 *   also creates the directory `/<name>` in `files`.
 * - `sharePermissions`: share name → local user → `{is_readonly, is_writable, is_deny, is_custom}`, the users' own
 *   permissions on that share (a user without an entry has none of its own); creating a share starts it empty,
 *   deleting one drops it. `SYNO.Core.Share.Permission list` (v1, `name`, `user_group_type: "local_user"`,
 *   `action: "enum"`, `offset`, `limit` (-1: all)) answers `{items: [{name, is_readonly, is_writable, is_deny,
 *   is_custom, is_admin, inherit}], total}` for every local user (those of `users`, and `guest`), sorted by name,
 *   `inherit` being what groups give (`"rw"` for administrators, `"-"` otherwise); `set` (`name`,
 *   `user_group_type`, `permissions`: `[{name, is_readonly, is_writable, is_deny, is_custom?}]`) changes the
 *   entries it names and no other (all flags false: the entry goes). Shape from BATON and N4S4 (docs/dsm-api.md 5.1);
 *   another `user_group_type` lists nothing.
 * - `files`: Map File Station path (`/<share>/dir/name`) → `SimFile` `{isdir, size, md5, bytes?, mtime}`.
 *   Helpers: `sim.putFile(path, Buffer | {size, md5})`, `sim.getFile(path)`.
 * - `reservations`: ifname → `[{clid (upper-case MAC), ip, hostname}]`.
 * - `dhcpServers`: ifname → the per-interface DHCP server object (shape UNKNOWN publicly; the seed is a
 *   plausible flat object with the SDK keys enable, enable_v6, startip, endip, gateway, netmask, dns, desc,
 *   bootloader). `set` requires the whole object back with the same keys and types.
 * - `pxe`: the PXE object, five fields, `is_remote_tftp` stored and returned as a string ("false"/"true").
 * - `leases`: ifname → `[{hostname, clid, ip, expire}]` for ClientList.
 * - `groups`: group name → member user names (`administrators` from the option above, `users` = everyone):
 *   `SYNO.Core.Group.Member list` (v1, `group`, `offset`, `limit`) answers `{offset, total, users:[{name, uid,
 *   description}]}`, an unknown group 3205 (shape from N4S4 and a client probed on a DS423+).
 * - `volumes`: path → `{ total, used, writable }` for `SYNO.Storage.CGI.Storage load_info` (v1, no
 *   requestFormat), answered as DSM does: `data.volumes[] = {id: "volume_1", vol_path, status, fs_type,
 *   is_writable, size: {total, used, total_device, free_inode, total_inode}}` with the sizes as decimal
 *   strings (shape from py-synologydsm-api's DSM 6/7 fixtures), plus `disks`, `storagePools`, `env`.
 *
 * ## Counters (`sim.counters`, `sim.resetCounters()`)
 * - `calls["API.method"]`: every request, including failed ones.
 * - `logins` (successful), `loginAttempts`, `logouts`.
 * - `sessionErrors`: calls answered 106/107/119 (no session, or one DSM ended).
 * - `writes`: calls that reached a writing method (set/create/delete/upload/rename) past auth and faults.
 * - `uploadBytes`: file bytes received by uploads (also counted for failed/reset uploads).
 *
 * ## Inspection
 * - `sim.requests`: every request's decoded form/query parameters and headers, newest last (wire-format
 *   assertions: JSON-encoded values, `_sid`/`SynoToken`/`X-SYNO-TOKEN`/cookie, upload fields).
 * - `sim.notJsonEncoded()`: the values of those requests sent raw to a requestFormat JSON API. DSM takes them (as
 *   strings), so the simulator does too; the program's own encoding is asserted with this, not refused.
 * - `sim.activeSessions()`: sessions currently valid (logout tests).
 *
 * ## Protocol details it enforces
 * - Envelopes `{success:true, data}` / `{success:false, error:{code, errors?}}`; unknown API 102, method not
 *   in that version 103, version out of range 104 (ranges and methods from the DSM 7 API listings).
 * - Session by `_sid` (query/body) or the `id` cookie; SynoToken by `SynoToken` or `X-SYNO-TOKEN`.
 * - Values of a requestFormat JSON API are read as JSON when they parse, else as the raw string (as DSM does:
 *   public clients send `name=pxe` raw); the Upload `path` field is taken raw (a JSON-quoted path → 408).
 *   `additional` is a JSON array or one comma-separated list.
 * - File Station `getinfo` of a missing path: the entry `{code: 408, name: "", path}` (no name, as DSM).
 * - `SYNO.FileStation.Delete`: the blocking `delete`, and the non-blocking `start` (→ `taskid`), `status`
 *   (`finished`; the deletion's error, if any, once finished) and `stop`.
 * - `SYNO.Core.System` `info` (v1-3, on every DSM 7): model, serial, `firmware_ver`, uptime and the rest of
 *   Info Center's General tab, in the DSM 6/7 shape public clients' fixtures have.
 * - Download (`SYNO.FileStation.Download download`, GET or POST, `path` raw or JSON): the file's bytes as
 *   `application/octet-stream` with its Content-Length; a missing path or a folder → 408 envelope. A file
 *   stored without its bytes (bigger than `keepBytesUpTo`) cannot be served: HTTP 500 saying so.
 * - Upload: multipart parsed incrementally (text fields must come before the file part, which is hashed and
 *   counted as it streams); no Content-Length or chunked → 1800; existing file without `overwrite` → 414,
 *   with `overwrite=false` → success with `blSkip: true`.
 * - Share create: needs `shareinfo`, existing → 3301, bad volume or desc > 64 chars → 3300.
 * - Reservation set: entries must be exactly {mac, ip, hostname}; duplicates → 4300; stored MACs upper case.
 *   Reservation get v1 answers the flat `{mac}` list, v2/v3 `{ipv4:[{clid}], ipv6:[]}`.
 * - PXE set needs all five fields. DHCP server set needs the whole object back (same keys and JSON types).
 *
 * ## Fault knobs (`sim.faults`)
 * - `expireSessions(code = 119)`: every current session now answers `code` (119, or 106 timeout, 107).
 * - `expireSessionsAfter(key, code = 119)`: the same, right after the next successful answer to `key` ("API" or
 *   "API.method"): DSM ends the session between two calls of one client (its timeout, or a login elsewhere).
 * - `busy(key, times, answer?)`: the next `times` calls to `key` ("API" or "API.method") fail with
 *   `answer`: a DSM code (default 117 busy; use 3300/3328 for shares), `"http503"` (HTTP 503 page) or
 *   `"reset"` (the connection is destroyed). Checked after the session.
 * - `resetUploadAfterBytes(n, times = 1)`: the next `times` uploads get their connection destroyed after
 *   `n` file bytes (no file is stored).
 * - `ignoreWrites(key, times)`: the next `times` calls to `key` answer success but change nothing (a NAS that
 *   silently ignores fields; the client's re-read must notice).
 * - `delayMs`: answer every request this much later (slow NAS).
 * - `rewrite(key, fn)`: every later successful answer of `key` ("API.method") carries `fn(data)` instead of
 *   `data` (a DSM whose answer has another shape); `rewrite(key)` stops it.
 * - `corruptDownloads(times)`: the next `times` downloads carry one flipped byte (a damaged transfer).
 * - DHCP package missing / Core names only: the `dhcp` option.
 * - `sim.rotateCertificate()` (https only): the NAS presents a new self-signed certificate from the next connection on
 *   (a renewed certificate, or someone in the middle); `sim.certPem` and `sim.fingerprintSha256` follow it.
 */
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";
import type { AddressInfo, Socket } from "net";

/** A parameter as text, as DSM reads one: a list as its items joined with commas (as String does), a map as JSON. */
function paramText(v: unknown): string {
    if (v === undefined || v === null) return "";
    if (Array.isArray(v)) return v.map(paramText).join(",");
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
    return JSON.stringify(v) ?? "";
}

export interface SimFile {
    isdir: boolean;
    size: number;
    /** Lower-case hex MD5 of the content (empty for directories). */
    md5: string;
    bytes?: Buffer;
    /** Unix seconds. */
    mtime: number;
}

export interface SimShare {
    name: string;
    vol_path: string;
    desc: string;
    uuid: string;
    hidden: boolean;
    enable_recycle_bin: boolean;
    [extra: string]: unknown;
}

/** A shared folder as DSM lists it, on /volume1 unless `more` says otherwise (test fixtures). */
export function simShare(name: string, more: Partial<SimShare> = {}): SimShare {
    return { name, vol_path: "/volume1", desc: "", uuid: "u", hidden: false, enable_recycle_bin: false, ...more };
}

/**
 * A simulator whose NAS has the user `admin` (password `password`, an administrator) and the shared folder `pxe`
 * on /volume1, keeping the bytes of uploads up to 4 MiB (the etcd snapshot tests read them back); `more` adds to it.
 */
export function startNasWithShare(password: string, more: DsmSimulatorOptions = {}): Promise<DsmSimulator> {
    return startDsmSimulator({
        users: { admin: password },
        keepBytesUpTo: 4 * 1024 * 1024,
        state: { shares: { pxe: simShare("pxe") } },
        ...more,
    });
}

/** A login by hand, over HTTP, as DSM's own web UI and other clients do (Auth v7, format=sid): its sid and SynoToken. */
export async function rawLogin(
    sim: Pick<DsmSimulator, "url">,
    account: string,
    password: string,
): Promise<{ sid: string; synotoken: string }> {
    const body = new URLSearchParams({
        api: "SYNO.API.Auth",
        version: "7",
        method: "login",
        account,
        passwd: password,
        format: "sid",
        enable_syno_token: "yes",
    }).toString();
    const res = await fetch(`${sim.url}/webapi/entry.cgi`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
    });
    const data = (await res.json()) as { data?: { sid?: string; synotoken?: string } };
    if (!data.data?.sid) throw new Error(`rawLogin: no session in ${JSON.stringify(data)}`);
    return { sid: data.data.sid, synotoken: data.data.synotoken ?? "" };
}

export interface SimReservation {
    clid: string;
    ip: string;
    hostname: string;
}

export interface SimLease {
    hostname: string;
    clid: string;
    ip: string;
    expire: number;
}

/** A local user's own permission on a shared folder (SYNO.Core.Share.Permission). */
export interface SimPermission {
    is_readonly: boolean;
    is_writable: boolean;
    is_deny: boolean;
    is_custom: boolean;
}

export interface SimState {
    tftp: Record<string, unknown>;
    shares: Record<string, SimShare>;
    sharePermissions: Record<string, Record<string, SimPermission>>;
    files: Map<string, SimFile>;
    reservations: Record<string, SimReservation[]>;
    dhcpServers: Record<string, Record<string, unknown>>;
    pxe: Record<string, unknown>;
    leases: Record<string, SimLease[]>;
    groups: Record<string, string[]>;
    volumes: Record<string, SimVolume>;
}

export interface SimVolume {
    total: number;
    used: number;
    writable: boolean;
}

export interface DsmSimulatorOptions {
    https?: boolean;
    users?: Record<string, string>;
    twoFactor?: { code?: string; enforcedNotSetUp?: boolean };
    dhcp?: "network" | "core" | "both" | "none";
    boolStyle?: "bool" | "number" | "string";
    interfaces?: string[];
    volumes?: string[];
    volumeSpace?: Record<string, { total: number; used: number }>;
    volumeWritable?: Record<string, boolean>;
    administrators?: string[];
    keepBytesUpTo?: number;
    keepPartialUploads?: boolean;
    requireSynoToken?: boolean;
    apiOverrides?: Record<string, { minVersion: number; maxVersion: number } | null>;
    state?: Partial<SimState>;
}

export interface SimCounters {
    calls: Record<string, number>;
    logins: number;
    loginAttempts: number;
    logouts: number;
    writes: number;
    uploadBytes: number;
    sessionErrors: number;
}

export type BusyAnswer = number | "http503" | "reset";

export interface SimFaults {
    expireSessions(code?: number): void;
    expireSessionsAfter(key: string, code?: number): void;
    busy(key: string, times: number, answer?: BusyAnswer): void;
    resetUploadAfterBytes(n: number, times?: number): void;
    ignoreWrites(key: string, times: number): void;
    rewrite(key: string, fn?: (data: unknown) => unknown): void;
    corruptDownloads(times: number): void;
    delayMs: number;
}

export interface DsmSimulator {
    url: string;
    port: number;
    /** PEM of the self-signed certificate (https only). */
    certPem?: string;
    /** SHA-256 fingerprint of that certificate, lower-case hex with colons (https only). */
    fingerprintSha256?: string;
    state: SimState;
    counters: SimCounters;
    faults: SimFaults;
    resetCounters(): void;
    putFile(path: string, content: Buffer | { size: number; md5: string }): void;
    getFile(path: string): SimFile | undefined;
    /** Sessions currently valid (for logout tests). */
    activeSessions(): number;
    /** https only: a new self-signed certificate from the next connection on; returns its SHA-256 fingerprint. */
    rotateCertificate(): Promise<string>;
    /** Every request's raw parameters (after decoding the form), newest last; for wire-format assertions. */
    requests: Array<{ api: string; method: string; params: Record<string, string>; headers: http.IncomingHttpHeaders }>;
    /**
     * The values of {@link requests} sent raw to a requestFormat JSON API (`API.method name=value`): DSM takes such a
     * value as the raw string, which is right for other clients' strings but not what this program's encoding means
     * to send. Its own encoding is checked with this, on the requests it made. Left out: the parameters DSM's clients
     * send raw by protocol (SYNO.API.Info's query, the Upload fields, the Download path).
     */
    notJsonEncoded(): string[];
    close(): Promise<void>;
}

// ---------------------------------------------------------------- API table (from the DSM 7 listings)

interface ApiDef {
    minVersion: number;
    maxVersion: number;
    requestFormat?: "JSON";
    methods: Record<number, string[]>;
}

function range(
    min: number,
    max: number,
    methods: string[],
    extra: Record<number, string[]> = {},
): Record<number, string[]> {
    const out: Record<number, string[]> = {};
    for (let v = min; v <= max; v++) out[v] = extra[v] ?? methods;
    return out;
}

function apiTable(dhcp: string): Record<string, ApiDef> {
    const t: Record<string, ApiDef> = {
        "SYNO.API.Info": { minVersion: 1, maxVersion: 1, requestFormat: "JSON", methods: { 1: ["query"] } },
        "SYNO.API.Auth": {
            minVersion: 1,
            maxVersion: 7,
            methods: {
                1: ["logout"],
                2: ["logout"],
                3: ["logout", "login"],
                4: ["logout", "login"],
                5: ["logout", "login"],
                6: ["logout", "login"],
                7: ["logout", "login"],
            },
        },
        "SYNO.Core.TFTP": { minVersion: 1, maxVersion: 1, requestFormat: "JSON", methods: { 1: ["get", "set"] } },
        "SYNO.Core.Share": {
            minVersion: 1,
            maxVersion: 1,
            requestFormat: "JSON",
            methods: { 1: ["create", "set", "list", "get", "delete"] },
        },
        "SYNO.Core.Share.Permission": {
            minVersion: 1,
            maxVersion: 1,
            requestFormat: "JSON",
            methods: { 1: ["list", "set"] },
        },
        "SYNO.Core.Network.Ethernet": {
            minVersion: 1,
            maxVersion: 2,
            requestFormat: "JSON",
            methods: range(1, 2, ["get", "list", "set"]),
        },
        "SYNO.Core.Group": {
            minVersion: 1,
            maxVersion: 1,
            requestFormat: "JSON",
            methods: { 1: ["list", "get", "create", "set", "delete"] },
        },
        "SYNO.Core.Group.Member": {
            minVersion: 1,
            maxVersion: 1,
            requestFormat: "JSON",
            methods: { 1: ["list", "add", "remove"] },
        },
        "SYNO.Storage.CGI.Storage": { minVersion: 1, maxVersion: 1, methods: { 1: ["load_info"] } },
        // On every DSM 7 (Info Center's "General"): info; reboot and shutdown are not simulated.
        "SYNO.Core.System": {
            minVersion: 1,
            maxVersion: 3,
            requestFormat: "JSON",
            methods: range(1, 3, ["info", "reboot", "shutdown"]),
        },
        "SYNO.FileStation.CreateFolder": {
            minVersion: 1,
            maxVersion: 2,
            requestFormat: "JSON",
            methods: range(1, 2, ["create"]),
        },
        "SYNO.FileStation.List": {
            minVersion: 1,
            maxVersion: 2,
            requestFormat: "JSON",
            methods: range(1, 2, ["list", "list_share", "getinfo"]),
        },
        "SYNO.FileStation.Upload": {
            minVersion: 2,
            maxVersion: 3,
            requestFormat: "JSON",
            methods: range(2, 3, ["upload"]),
        },
        "SYNO.FileStation.Rename": {
            minVersion: 1,
            maxVersion: 2,
            requestFormat: "JSON",
            methods: range(1, 2, ["rename"]),
        },
        "SYNO.FileStation.Delete": {
            minVersion: 1,
            maxVersion: 2,
            requestFormat: "JSON",
            methods: range(1, 2, ["start", "stop", "status", "delete"]),
        },
        "SYNO.FileStation.MD5": {
            minVersion: 1,
            maxVersion: 2,
            requestFormat: "JSON",
            methods: range(1, 2, ["start", "status", "stop"]),
        },
        "SYNO.FileStation.Download": {
            minVersion: 1,
            maxVersion: 2,
            requestFormat: "JSON",
            methods: range(1, 2, ["download"]),
        },
    };
    const network = (p: string): void => {
        t[`${p}`] = {
            minVersion: 1,
            maxVersion: 4,
            requestFormat: "JSON",
            methods: range(1, 4, ["get", "set"], { 4: ["get"] }),
        };
        t[`${p}.ClientList`] = {
            minVersion: 1,
            maxVersion: 2,
            requestFormat: "JSON",
            methods: { 1: ["list", "delete_devices"], 2: ["list"] },
        };
        t[`${p}.PXE`] = {
            minVersion: 1,
            maxVersion: p.includes("Core") ? 2 : 1,
            requestFormat: "JSON",
            methods: range(1, p.includes("Core") ? 2 : 1, ["get", "set"]),
        };
        t[`${p}.Reservation`] = {
            minVersion: 1,
            maxVersion: 3,
            requestFormat: "JSON",
            methods: range(1, 3, ["get", "set"], { 3: ["get"] }),
        };
        t[`${p}.Vendor`] = { minVersion: 1, maxVersion: 1, requestFormat: "JSON", methods: { 1: ["get", "set"] } };
    };
    if (dhcp === "network" || dhcp === "both") network("SYNO.Network.DHCPServer");
    if (dhcp === "core" || dhcp === "both") network("SYNO.Core.Network.DHCPServer");
    return t;
}

const WRITE_METHODS = new Set(["set", "create", "delete", "upload", "rename", "start_delete"]);

// ---------------------------------------------------------------- helpers

class ApiError extends Error {
    constructor(
        public code: number,
        public errors?: unknown,
    ) {
        super(`DSM error ${code}`);
    }
}

function md5Hex(b: Buffer): string {
    return crypto.createHash("md5").update(b).digest("hex");
}

function randomId(n: number): string {
    // Letters first: a sid starting with a digit is a known DSM quirk we do not want by accident.
    return "S" + crypto.randomBytes(n).toString("base64url").replace(/[-_]/g, "x");
}

function parentOf(p: string): string {
    const i = p.lastIndexOf("/");
    return i <= 0 ? "/" : p.slice(0, i);
}

function baseName(p: string): string {
    return p.slice(p.lastIndexOf("/") + 1);
}

function defaultState(interfaces: string[]): SimState {
    const dhcpServers: Record<string, Record<string, unknown>> = {};
    const reservations: Record<string, SimReservation[]> = {};
    const leases: Record<string, SimLease[]> = {};
    for (const ifname of interfaces) {
        // Plausible only: the real shape is not publicly known (dsm-api.md section 3.2 / 9).
        dhcpServers[ifname] = {
            enable: false,
            enable_v6: false,
            startip: "192.168.0.100",
            endip: "192.168.0.200",
            netmask: "255.255.255.0",
            gateway: "192.168.0.1",
            dns: "192.168.0.1",
            desc: "",
            bootloader: "",
        };
        reservations[ifname] = [];
        leases[ifname] = [];
    }
    return {
        tftp: {
            enable: false,
            root_path: "",
            permission: "r",
            enable_log: false,
            startip: "0.0.0.0",
            endip: "255.255.255.255",
            timeout: 3,
        },
        shares: {},
        sharePermissions: {},
        files: new Map(),
        reservations,
        dhcpServers,
        pxe: {
            enable: false,
            is_remote_tftp: "false",
            local_bootloader: "",
            remote_bootloader: "",
            remote_tftp_server_ip: "",
        },
        leases,
        groups: {},
        volumes: {},
    };
}

const TIB = 1024 ** 4;

const MAC_RE = /^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

// ---------------------------------------------------------------- streaming multipart parser

interface PartHeaders {
    name: string;
    filename?: string;
}

/**
 * Incremental multipart/form-data parser: text parts are collected (small), the file part is handed out
 * chunk by chunk and never buffered whole.
 */
class MultipartParser {
    private buf: Buffer = Buffer.alloc(0);
    private state: "preamble" | "headers" | "body" | "done" = "preamble";
    private current?: PartHeaders;
    private text: Buffer[] = [];
    private readonly delim: Buffer;
    private readonly first: Buffer;

    constructor(
        boundary: string,
        private readonly on: {
            field(name: string, value: string): void;
            fileStart(h: PartHeaders): void;
            fileData(chunk: Buffer): void;
            fileEnd(): void;
        },
    ) {
        this.first = Buffer.from(`--${boundary}`);
        this.delim = Buffer.from(`\r\n--${boundary}`);
    }

    get done(): boolean {
        return this.state === "done";
    }

    write(chunk: Buffer): void {
        this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
        for (;;) {
            if (this.state === "preamble") {
                const i = this.buf.indexOf(this.first);
                if (i < 0) return;
                this.buf = this.buf.subarray(i + this.first.length);
                this.state = "headers";
            } else if (this.state === "headers") {
                if (this.buf.length < 2) return;
                if (this.buf.subarray(0, 2).toString() === "--") {
                    this.state = "done";
                    return;
                }
                const end = this.buf.indexOf("\r\n\r\n");
                if (end < 0) return;
                const raw = this.buf.subarray(0, end).toString("utf8");
                this.buf = this.buf.subarray(end + 4);
                const disp = /content-disposition:[^\r\n]*/i.exec(raw)?.[0] ?? "";
                const name = /\bname="([^"]*)"/i.exec(disp)?.[1] ?? "";
                const fn = /\bfilename="([^"]*)"/i.exec(disp)?.[1];
                this.current = { name, filename: fn };
                this.text = [];
                if (fn !== undefined) this.on.fileStart(this.current);
                this.state = "body";
            } else if (this.state === "body") {
                const i = this.buf.indexOf(this.delim);
                const isFile = this.current?.filename !== undefined;
                if (i < 0) {
                    // Keep a tail that might be the start of the delimiter.
                    const keep = Math.min(this.buf.length, this.delim.length - 1);
                    const out = this.buf.subarray(0, this.buf.length - keep);
                    if (out.length) {
                        if (isFile) this.on.fileData(out);
                        else this.text.push(Buffer.from(out));
                    }
                    this.buf = Buffer.from(this.buf.subarray(this.buf.length - keep));
                    return;
                }
                const out = this.buf.subarray(0, i);
                if (isFile) {
                    if (out.length) this.on.fileData(out);
                    this.on.fileEnd();
                } else {
                    this.text.push(Buffer.from(out));
                    this.on.field(this.current!.name, Buffer.concat(this.text).toString("utf8"));
                }
                this.buf = this.buf.subarray(i + this.delim.length);
                this.state = "headers";
                // skip the CRLF after a boundary (handled in headers state by looking for "--" or CRLF)
                if (this.buf.length >= 2 && this.buf.subarray(0, 2).toString() === "\r\n")
                    this.buf = this.buf.subarray(2);
                else if (this.buf.length < 2) {
                    // wait for more; headers state handles "--" and a leading CRLF
                }
            } else {
                return;
            }
        }
    }
}

// ---------------------------------------------------------------- the simulator

export async function startDsmSimulator(options: DsmSimulatorOptions = {}): Promise<DsmSimulator> {
    const users = options.users ?? { admin: "admin-password" };
    const interfaces = options.interfaces ?? ["eth0"];
    const volumes = options.volumes ?? ["/volume1"];
    const boolStyle = options.boolStyle ?? "bool";
    const keepBytesUpTo = options.keepBytesUpTo ?? 1024 * 1024;
    const requireToken = options.requireSynoToken ?? true;
    const apis = apiTable(options.dhcp ?? "network");
    for (const [name, o] of Object.entries(options.apiOverrides ?? {})) {
        if (o === null) delete apis[name];
        else if (apis[name]) {
            const methods: Record<number, string[]> = {};
            for (let v = o.minVersion; v <= o.maxVersion; v++)
                methods[v] = apis[name].methods[v] ?? apis[name].methods[apis[name].maxVersion];
            apis[name] = { ...apis[name], ...o, methods };
        }
    }

    const base = defaultState(interfaces);
    base.groups = { administrators: options.administrators ?? Object.keys(users), users: Object.keys(users) };
    for (const v of volumes) {
        base.volumes[v] = {
            total: 4 * TIB,
            used: TIB,
            writable: options.volumeWritable?.[v] ?? true,
            ...(options.volumeSpace?.[v] ?? {}),
        };
    }
    const state: SimState = { ...base, ...(options.state ?? {}) };
    if (options.state?.tftp) state.tftp = { ...base.tftp, ...options.state.tftp };
    if (options.state?.pxe) state.pxe = { ...base.pxe, ...options.state.pxe };
    for (const s of Object.values(state.shares))
        if (!state.files.has(`/${s.name}`))
            state.files.set(`/${s.name}`, { isdir: true, size: 0, md5: "", mtime: nowSec() });

    const counters: SimCounters = {
        calls: {},
        logins: 0,
        loginAttempts: 0,
        logouts: 0,
        writes: 0,
        uploadBytes: 0,
        sessionErrors: 0,
    };
    const sessions = new Map<string, { sid: string; token: string; user: string; expiredCode?: number }>();
    const devices = new Set<string>();
    const busyQueue = new Map<string, { times: number; answer: BusyAnswer }>();
    const uploadResets: Array<{ bytes: number }> = [];
    const ignoreQueue = new Map<string, number>();
    const rewrites = new Map<string, (data: unknown) => unknown>();
    const expireAfter = new Map<string, number>();
    let corruptDownloads = 0;
    const md5Tasks = new Map<string, { path: string; polls: number }>();
    const deleteTasks = new Map<string, { paths: string[]; recursive: unknown; polls: number; error?: ApiError }>();
    const requests: DsmSimulator["requests"] = [];

    const faults: SimFaults = {
        delayMs: 0,
        expireSessions(code = 119) {
            for (const s of sessions.values()) s.expiredCode = code;
        },
        expireSessionsAfter(key, code = 119) {
            expireAfter.set(key, code);
        },
        busy(key, times, answer = 117) {
            busyQueue.set(key, { times, answer });
        },
        resetUploadAfterBytes(n, times = 1) {
            for (let i = 0; i < times; i++) uploadResets.push({ bytes: n });
        },
        ignoreWrites(key, times) {
            ignoreQueue.set(key, times);
        },
        rewrite(key, fn) {
            if (fn) rewrites.set(key, fn);
            else rewrites.delete(key);
        },
        corruptDownloads(times) {
            corruptDownloads = times;
        },
    };

    function nowSec(): number {
        return Math.floor(Date.now() / 1000);
    }

    function outBool(b: unknown): unknown {
        const v = b === true || b === 1 || b === "1" || b === "true";
        if (boolStyle === "number") return v ? 1 : 0;
        if (boolStyle === "string") return v ? "1" : "0";
        return v;
    }

    // ---- parameter decoding
    /** As DSM does: a requestFormat JSON API's value is JSON when it parses, else taken as the raw string. */
    function decode(def: ApiDef, raw: string | undefined): unknown {
        if (raw === undefined) return undefined;
        if (def.requestFormat !== "JSON") return raw;
        try {
            return JSON.parse(raw);
        } catch {
            return raw;
        }
    }

    function takeBusy(api: string, method: string): BusyAnswer | undefined {
        for (const key of [`${api}.${method}`, api]) {
            const b = busyQueue.get(key);
            if (b && b.times > 0) {
                b.times--;
                if (b.times === 0) busyQueue.delete(key);
                return b.answer;
            }
        }
        return undefined;
    }

    function cookieSid(h: http.IncomingHttpHeaders): string | undefined {
        const c = h.cookie ?? "";
        const m = /(?:^|;\s*)id=([^;]+)/.exec(c);
        return m?.[1];
    }

    function checkSession(params: Record<string, string>, headers: http.IncomingHttpHeaders): { user: string } {
        const fail = (code: number): never => {
            counters.sessionErrors++;
            throw new ApiError(code);
        };
        const sid = params._sid ?? cookieSid(headers);
        if (!sid) return fail(119);
        const s = sessions.get(sid);
        if (!s) return fail(119);
        if (s.expiredCode) return fail(s.expiredCode);
        if (requireToken) {
            const tok = params.SynoToken ?? (headers["x-syno-token"] as string | undefined);
            if (tok !== s.token) return fail(119);
        }
        return s;
    }

    /** After a successful answer to `api.method`: a session end armed with expireSessionsAfter happens now. */
    function afterAnswer(api: string, method: string): void {
        for (const key of [`${api}.${method}`, api]) {
            const code = expireAfter.get(key);
            if (code === undefined) continue;
            expireAfter.delete(key);
            faults.expireSessions(code);
        }
    }

    /** DSM's system settings are for administrators only: a plain user gets 105 there (File Station works). */
    function checkPrivilege(api: string, user: string): void {
        if (/^SYNO\.(Core|Network|Storage)\./.test(api) && !(state.groups.administrators ?? []).includes(user))
            throw new ApiError(105);
    }

    /** The volume a File Station path lives on (its share's), if any. */
    function volumeOf(path: string): SimVolume | undefined {
        const share = state.shares[path.split("/")[1]];
        return share ? state.volumes[share.vol_path] : undefined;
    }

    function requireWritable(path: string): void {
        const v = volumeOf(path);
        if (v && !v.writable) throw new ApiError(411);
    }

    function resolveApi(api: string, version: string | undefined, method: string): ApiDef {
        const def = apis[api];
        if (!def) throw new ApiError(102);
        const v = Number(version);
        if (!Number.isInteger(v) || v < def.minVersion || v > def.maxVersion) throw new ApiError(104);
        if (!(def.methods[v] ?? []).includes(method)) throw new ApiError(103);
        return def;
    }

    // ---- file helpers
    function requireShareOf(path: string): void {
        const share = path.split("/")[1];
        if (!share || !state.shares[share]) throw new ApiError(408);
    }

    function storeFile(path: string, size: number, md5: string, bytes?: Buffer): void {
        const v = volumeOf(path);
        if (v) v.used += size - (state.files.get(path)?.size ?? 0);
        state.files.set(path, {
            isdir: false,
            size,
            md5,
            bytes: bytes && bytes.length <= keepBytesUpTo ? bytes : undefined,
            mtime: nowSec(),
        });
    }

    function removeFile(path: string): void {
        const v = volumeOf(path);
        if (v) v.used -= state.files.get(path)?.size ?? 0;
        state.files.delete(path);
    }

    /** File Station's delete of `paths`: all of them exist, none is a share, a non-empty folder only recursively. */
    function deletePaths(paths: string[], recursive: unknown): void {
        for (const path of paths) if (!state.files.has(path)) throw new ApiError(408, [{ code: 408, path }]);
        for (const path of paths) {
            if (/^\/[^/]*$/.test(path)) throw new ApiError(407);
            const f = state.files.get(path)!;
            const children = [...state.files.keys()].filter((k) => k.startsWith(`${path}/`));
            if (f.isdir && children.length && recursive === false) throw new ApiError(900);
            requireWritable(path);
            for (const k of [path, ...children]) removeFile(k);
        }
    }

    function ensureDir(path: string, parents: boolean): void {
        requireShareOf(path);
        const existing = state.files.get(path);
        if (existing) {
            if (!existing.isdir) throw new ApiError(414);
            return;
        }
        const parent = parentOf(path);
        if (!state.files.get(parent)?.isdir) {
            if (!parents) throw new ApiError(408);
            ensureDir(parent, true);
        }
        state.files.set(path, { isdir: true, size: 0, md5: "", mtime: nowSec() });
    }

    /** `additional` as DSM reads it: a JSON array, or one comma-separated list (raw or a JSON string). */
    function additionalList(v: unknown): string[] {
        if (Array.isArray(v)) return v.map(String);
        if (typeof v === "string" && v !== "") return v.split(",").map((x) => x.trim());
        return [];
    }

    function fileEntry(path: string, additionalParam: unknown): Record<string, unknown> {
        const f = state.files.get(path)!;
        const share = state.shares[path.split("/")[1]];
        const entry: Record<string, unknown> = { isdir: f.isdir, name: baseName(path), path };
        const additional = additionalList(additionalParam);
        if (additional.length) {
            const add: Record<string, unknown> = {};
            if (additional.includes("real_path")) add.real_path = `${share?.vol_path ?? "/volume1"}${path}`;
            if (additional.includes("size")) add.size = f.size;
            if (additional.includes("time"))
                add.time = { atime: f.mtime, crtime: f.mtime, ctime: f.mtime, mtime: f.mtime };
            if (additional.includes("owner")) add.owner = { gid: 100, group: "users", uid: 1024, user: "admin" };
            if (additional.includes("perm"))
                add.perm = {
                    acl: { append: true, del: true, exec: true, read: true, write: true },
                    is_acl_mode: true,
                    posix: 777,
                };
            if (additional.includes("type"))
                add.type = f.isdir ? "" : (baseName(path).split(".").pop() ?? "").toUpperCase();
            entry.additional = add;
        }
        return entry;
    }

    function asList(v: unknown): string[] {
        if (Array.isArray(v)) return v.map(String);
        if (typeof v === "string") return v.includes(",") && !v.startsWith("/") ? v.split(",") : [v];
        return [];
    }

    function dhcpFamilyIfname(params: Record<string, unknown>): string {
        const ifname = params.ifname;
        if (ifname === undefined || ifname === "") throw new ApiError(4302, { desc: "no ifname parameter" });
        if (typeof ifname !== "string" || !interfaces.includes(ifname))
            throw new ApiError(4302, { desc: "bad interface name" });
        return ifname;
    }

    /** The NAS's local users: the accounts of `users`, and DSM's built-in guest. */
    function localUsers(): Set<string> {
        return new Set([...Object.keys(users), "guest"]);
    }

    function asBool(v: unknown, field: string): boolean {
        if (v === true || v === false) return v;
        throw new ApiError(101, { desc: `${field} must be a boolean` });
    }

    // ---- the APIs (params already decoded)
    function dispatch(
        api: string,
        method: string,
        version: number,
        p: Record<string, unknown>,
        user: string | undefined,
    ): unknown {
        const dhcpBase = api.replace(/^SYNO\.(Core\.)?Network\.DHCPServer/, "DHCP");
        switch (
            `${api.startsWith("SYNO.Network.DHCPServer") || api.startsWith("SYNO.Core.Network.DHCPServer") ? dhcpBase : api}.${method}`
        ) {
            case "SYNO.Core.TFTP.get": {
                const t = state.tftp;
                return { ...t, enable: outBool(t.enable), enable_log: outBool(t.enable_log) };
            }
            case "SYNO.Core.TFTP.set": {
                const next = { ...state.tftp };
                for (const [k, v] of Object.entries(p)) {
                    if (!(k in base.tftp)) throw new ApiError(101, { desc: `unknown field ${k}` });
                    if (k === "enable" || k === "enable_log") next[k] = asBool(v, k);
                    else if (k === "timeout") {
                        if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 3600)
                            throw new ApiError(101, { desc: "timeout" });
                        next[k] = v;
                    } else if (k === "permission") {
                        if (v !== "r" && v !== "rw") throw new ApiError(101, { desc: "permission" });
                        next[k] = v;
                    } else if (k === "startip" || k === "endip") {
                        if (typeof v !== "string" || !IPV4_RE.test(v)) throw new ApiError(101, { desc: k });
                        next[k] = v;
                    } else {
                        if (typeof v !== "string") throw new ApiError(101, { desc: k });
                        next[k] = v;
                    }
                }
                if (next.enable) {
                    const root = paramText(next.root_path);
                    const ok = Object.values(state.shares).some(
                        (s) => root === `${s.vol_path}/${s.name}` || root.startsWith(`${s.vol_path}/${s.name}/`),
                    );
                    if (!ok)
                        throw new ApiError(101, {
                            desc: "root_path must be a folder inside an existing shared folder",
                        });
                }
                state.tftp = next;
                return undefined;
            }
            case "SYNO.Core.Share.list": {
                const shares = Object.values(state.shares).map((s) => ({
                    desc: s.desc,
                    is_usb_share: false,
                    name: s.name,
                    uuid: s.uuid,
                    vol_path: s.vol_path,
                }));
                return { shares, total: shares.length };
            }
            case "SYNO.Core.Share.get": {
                const s = state.shares[String(p.name)];
                if (!s) throw new ApiError(3300, { desc: "no such share" });
                return { ...s };
            }
            case "SYNO.Core.Share.create": {
                const info = p.shareinfo as Record<string, unknown> | undefined;
                const name = paramText(p.name);
                if (!info || typeof info !== "object") throw new ApiError(403);
                if (!name || info.name !== name) throw new ApiError(101, { desc: "name" });
                if (state.shares[name]) throw new ApiError(3301);
                if (typeof info.vol_path !== "string" || !state.volumes[info.vol_path])
                    throw new ApiError(3300, { desc: "no such volume" });
                if (!state.volumes[info.vol_path].writable) throw new ApiError(3300, { desc: "read-only volume" });
                if (typeof info.desc === "string" && info.desc.length > 64)
                    throw new ApiError(3300, { desc: "description too long" });
                state.shares[name] = {
                    name,
                    vol_path: info.vol_path,
                    desc: typeof info.desc === "string" ? info.desc : "",
                    uuid: crypto.randomUUID(),
                    hidden: info.hidden === true,
                    enable_recycle_bin: info.enable_recycle_bin === true,
                };
                state.files.set(`/${name}`, { isdir: true, size: 0, md5: "", mtime: nowSec() });
                state.sharePermissions[name] = {};
                return { name };
            }
            case "SYNO.Core.Share.delete": {
                const names = asList(p.name);
                for (const n of names) if (!state.shares[n]) throw new ApiError(3300, { desc: `no such share ${n}` });
                for (const n of names) {
                    delete state.shares[n];
                    delete state.sharePermissions[n];
                    for (const k of [...state.files.keys()])
                        if (k === `/${n}` || k.startsWith(`/${n}/`)) state.files.delete(k);
                }
                return undefined;
            }
            case "SYNO.Core.Share.Permission.list": {
                const share = paramText(p.name);
                if (!state.shares[share]) throw new ApiError(3300, { desc: "no such share" });
                if (p.action !== "enum") throw new ApiError(101, { desc: "action" });
                const own = state.sharePermissions[share] ?? {};
                const none: SimPermission = {
                    is_readonly: false,
                    is_writable: false,
                    is_deny: false,
                    is_custom: false,
                };
                const items =
                    p.user_group_type === "local_user"
                        ? [...localUsers()].sort().map((name) => ({
                              name,
                              ...(own[name] ?? none),
                              is_admin: (state.groups.administrators ?? []).includes(name),
                              inherit: (state.groups.administrators ?? []).includes(name) ? "rw" : "-",
                          }))
                        : [];
                const offset = typeof p.offset === "number" ? p.offset : 0;
                const limit = typeof p.limit === "number" && p.limit >= 0 ? p.limit : items.length;
                return { items: items.slice(offset, offset + limit), total: items.length };
            }
            case "SYNO.Core.Share.Permission.set": {
                const share = paramText(p.name);
                if (!state.shares[share]) throw new ApiError(3300, { desc: "no such share" });
                if (p.user_group_type !== "local_user") throw new ApiError(101, { desc: "user_group_type" });
                if (!Array.isArray(p.permissions)) throw new ApiError(101, { desc: "permissions must be a list" });
                const next = { ...(state.sharePermissions[share] ?? {}) };
                for (const e of p.permissions as Array<Record<string, unknown>>) {
                    const name = e?.name;
                    if (typeof name !== "string" || !localUsers().has(name))
                        throw new ApiError(101, { desc: `no such user ${String(name)}` });
                    const perm: SimPermission = {
                        is_readonly: asBool(e.is_readonly, "is_readonly"),
                        is_writable: asBool(e.is_writable, "is_writable"),
                        is_deny: asBool(e.is_deny, "is_deny"),
                        is_custom: e.is_custom === undefined ? false : asBool(e.is_custom, "is_custom"),
                    };
                    if ([perm.is_readonly, perm.is_writable, perm.is_deny].filter(Boolean).length > 1)
                        throw new ApiError(101, { desc: `${name}: at most one of is_readonly, is_writable, is_deny` });
                    if (perm.is_readonly || perm.is_writable || perm.is_deny || perm.is_custom) next[name] = perm;
                    else delete next[name];
                }
                state.sharePermissions[share] = next;
                return undefined;
            }
            case "SYNO.Core.Group.Member.list": {
                const group = p.group;
                if (typeof group !== "string" || group === "") throw new ApiError(114);
                const members = state.groups[group];
                if (!members) throw new ApiError(3205, { desc: "no such group" });
                const names = Object.keys(users).filter((u) => members.includes(u));
                const rows = names.map((name, i) => ({
                    description: name === "admin" ? "System default user" : "",
                    name,
                    uid: 1024 + i,
                }));
                const offset = typeof p.offset === "number" ? p.offset : 0;
                const limit = typeof p.limit === "number" && p.limit >= 0 ? p.limit : rows.length;
                return { offset, total: rows.length, users: rows.slice(offset, offset + limit) };
            }
            case "SYNO.Storage.CGI.Storage.load_info": {
                const vols = Object.entries(state.volumes).map(([volPath, v], i) => ({
                    id: `volume_${volPath.replace(/^\/volume/, "") || i + 1}`,
                    vol_path: volPath,
                    desc: "",
                    status: "normal",
                    fs_type: "btrfs",
                    is_writable: v.writable,
                    pool_path: `reuse_${i + 1}`,
                    size: {
                        free_inode: "0",
                        total: String(v.total),
                        total_device: String(v.total + 1024 ** 3),
                        total_inode: "0",
                        used: String(v.used),
                    },
                }));
                return {
                    disks: [],
                    env: { bay_number: "2", model_name: "DS-SIM" },
                    hotSpares: [],
                    ssdCaches: [],
                    storagePools: [],
                    volumes: vols,
                };
            }
            case "SYNO.Core.Network.Ethernet.list":
                return interfaces.map((ifname) => ({
                    ifname,
                    ip: "192.168.0.6",
                    mask: "255.255.255.0",
                    status: "connected",
                    use_dhcp: false,
                    type: "lan",
                }));
            case "SYNO.FileStation.CreateFolder.create": {
                const parents = asList(p.folder_path);
                const names = asList(p.name);
                if (!parents.length || parents.length !== names.length) throw new ApiError(401);
                const folders = [];
                for (let i = 0; i < parents.length; i++) {
                    const parent = parents[i];
                    if (!state.files.get(parent)?.isdir) {
                        if (p.force_parent !== true) throw new ApiError(1100, [{ code: 408, path: parent }]);
                        ensureDir(parent, true);
                    }
                    const path = `${parent === "/" ? "" : parent}/${names[i]}`;
                    ensureDir(path, false);
                    folders.push({ isdir: true, name: names[i], path });
                }
                return { folders };
            }
            case "SYNO.FileStation.List.getinfo": {
                const paths = asList(p.path);
                return {
                    files: paths.map(
                        (path) =>
                            state.files.has(path) ? fileEntry(path, p.additional) : { code: 408, name: "", path }, // DSM names no missing file
                    ),
                };
            }
            case "SYNO.FileStation.List.list": {
                const dir = paramText(p.folder_path);
                if (!state.files.get(dir)?.isdir) throw new ApiError(408);
                const all = [...state.files.keys()].filter((k) => parentOf(k) === dir).sort();
                const offset = typeof p.offset === "number" ? p.offset : Number(p.offset ?? 0) || 0;
                const limit = Number(p.limit ?? 0) || all.length;
                const files = all.slice(offset, offset + limit).map((k) => fileEntry(k, p.additional));
                return { files, offset, total: all.length };
            }
            case "SYNO.FileStation.List.list_share": {
                const shares = Object.values(state.shares).map((s) => fileEntry(`/${s.name}`, p.additional));
                return { shares, offset: 0, total: shares.length };
            }
            case "SYNO.FileStation.Rename.rename": {
                const paths = asList(p.path);
                const names = asList(p.name);
                const files = [];
                for (let i = 0; i < paths.length; i++) {
                    const from = paths[i];
                    const f = state.files.get(from);
                    if (!f) throw new ApiError(408, [{ code: 408, path: from }]);
                    requireWritable(from);
                    const to = `${parentOf(from)}/${names[i]}`;
                    if (state.files.has(to)) throw new ApiError(414, [{ code: 414, path: to }]);
                    for (const k of [...state.files.keys()]) {
                        if (k === from || k.startsWith(`${from}/`)) {
                            state.files.set(to + k.slice(from.length), state.files.get(k)!);
                            state.files.delete(k);
                        }
                    }
                    files.push({ isdir: f.isdir, name: names[i], path: to });
                }
                return { files };
            }
            case "SYNO.FileStation.Delete.delete":
                deletePaths(asList(p.path), p.recursive);
                return undefined;
            case "SYNO.FileStation.Delete.start": {
                // Non-blocking: the task runs while the client polls status (here: on the first poll).
                const taskid = `FileStation_${crypto.randomBytes(6).toString("hex")}`;
                deleteTasks.set(taskid, { paths: asList(p.path), recursive: p.recursive, polls: 0 });
                return { taskid };
            }
            case "SYNO.FileStation.Delete.status": {
                const t = deleteTasks.get(paramText(p.taskid));
                if (!t) throw new ApiError(599);
                t.polls++;
                if (t.polls === 1) {
                    try {
                        deletePaths(t.paths, t.recursive);
                    } catch (e) {
                        t.error = e instanceof ApiError ? e : new ApiError(900);
                    }
                    return {
                        finished: false,
                        progress: 0.5,
                        processed_num: 0,
                        total: t.paths.length,
                        path: t.paths[0],
                    };
                }
                if (t.error) throw t.error;
                return { finished: true, progress: 1, processed_num: t.paths.length, total: t.paths.length };
            }
            case "SYNO.FileStation.Delete.stop":
                deleteTasks.delete(paramText(p.taskid));
                return undefined;
            case "SYNO.Core.System.info":
                return {
                    cpu_clock_speed: 2200,
                    cpu_cores: "4",
                    cpu_family: "Ryzen",
                    cpu_series: "R1600",
                    cpu_vendor: "AMD",
                    enabled_ntp: true,
                    firmware_date: "2024/11/11",
                    firmware_ver: "DSM 7.2.2-72806 Update 2",
                    model: "DS-SIM",
                    ntp_server: "time.google.com",
                    ram_size: 8192,
                    serial: "SIM0000000001",
                    support_esata: "no",
                    sys_temp: 42,
                    sys_tempwarn: false,
                    systempwarn: false,
                    temperature_warning: false,
                    time: new Date().toISOString().replace("T", " ").slice(0, 19),
                    time_zone: "UTC",
                    time_zone_desc: "(GMT) Coordinated Universal Time",
                    up_time: "289:31:54",
                    usb_dev: [],
                };
            case "SYNO.FileStation.MD5.start": {
                const path = paramText(p.file_path);
                const f = state.files.get(path);
                if (!f) throw new ApiError(408);
                if (f.isdir) throw new ApiError(400);
                const taskid = `MD5_${crypto.randomBytes(6).toString("hex")}`;
                md5Tasks.set(taskid, { path, polls: 0 });
                return { taskid };
            }
            case "SYNO.FileStation.MD5.status": {
                const t = md5Tasks.get(String(p.taskid));
                if (!t) throw new ApiError(599);
                t.polls++;
                if (t.polls < 2) return { finished: false };
                const f = state.files.get(t.path);
                if (!f) throw new ApiError(408);
                return { finished: true, md5: f.md5 };
            }
            case "SYNO.FileStation.MD5.stop": {
                md5Tasks.delete(String(p.taskid));
                return undefined;
            }
            case "DHCP.get": {
                const ifname = dhcpFamilyIfname(p);
                const o = state.dhcpServers[ifname];
                return "enable" in o ? { ...o, enable: outBool(o.enable) } : { ...o };
            }
            case "DHCP.set": {
                const ifname = dhcpFamilyIfname(p);
                const cur = state.dhcpServers[ifname];
                const next: Record<string, unknown> = {};
                for (const [k, v] of Object.entries(p)) {
                    if (k === "ifname") continue;
                    if (!(k in cur)) throw new ApiError(4300, { desc: `unknown field ${k}` });
                    if (k === "enable") {
                        // Accept the encoding get uses (boolStyle), store a boolean.
                        if (typeof v !== typeof outBool(cur[k]) && typeof v !== "boolean")
                            throw new ApiError(4300, { desc: `field ${k} has the wrong type` });
                        next[k] = v === true || v === 1 || v === "1";
                        continue;
                    }
                    if (typeof v !== typeof cur[k]) throw new ApiError(4300, { desc: `field ${k} has the wrong type` });
                    next[k] = v;
                }
                const missing = Object.keys(cur).filter((k) => !(k in next));
                if (missing.length) throw new ApiError(4300, { desc: `missing fields ${missing.join(",")}` });
                state.dhcpServers[ifname] = next;
                return undefined;
            }
            case "DHCP.Reservation.get": {
                const ifname = dhcpFamilyIfname(p);
                const list = state.reservations[ifname] ?? [];
                if (version === 1)
                    return { reservationList: list.map((r) => ({ mac: r.clid, ip: r.ip, hostname: r.hostname })) };
                return { reservationList: { ipv4: list.map((r) => ({ ...r })), ipv6: [] } };
            }
            case "DHCP.Reservation.set": {
                const ifname = dhcpFamilyIfname(p);
                const data = p.reservationData;
                if (!Array.isArray(data)) throw new ApiError(101, { desc: "reservationData must be a JSON array" });
                const seenMac = new Set<string>();
                const seenIp = new Set<string>();
                const next: SimReservation[] = [];
                for (const r of data) {
                    if (!r || typeof r !== "object") throw new ApiError(4300, { desc: "bad entry" });
                    const keys = Object.keys(r).sort().join(",");
                    if (keys !== "hostname,ip,mac")
                        throw new ApiError(4300, { desc: `entry keys must be mac, ip, hostname; got ${keys}` });
                    const { mac, ip, hostname } = r as Record<string, unknown>;
                    if (typeof mac !== "string" || !MAC_RE.test(mac)) throw new ApiError(4300, { desc: "bad mac" });
                    if (typeof ip !== "string" || !IPV4_RE.test(ip)) throw new ApiError(4300, { desc: "bad ip" });
                    if (typeof hostname !== "string") throw new ApiError(4300, { desc: "bad hostname" });
                    if (seenMac.has(mac.toUpperCase()) || seenIp.has(ip))
                        throw new ApiError(4300, { desc: "duplicate" });
                    seenMac.add(mac.toUpperCase());
                    seenIp.add(ip);
                    next.push({ clid: mac.toUpperCase(), ip, hostname });
                }
                state.reservations[ifname] = next;
                return undefined;
            }
            case "DHCP.ClientList.list": {
                const ifname = dhcpFamilyIfname(p);
                return { clientList: { ipv4: (state.leases[ifname] ?? []).map((l) => ({ ...l })), ipv6: [] } };
            }
            case "DHCP.PXE.get": {
                const o = state.pxe;
                return "enable" in o ? { ...o, enable: outBool(o.enable) } : { ...o };
            }
            case "DHCP.PXE.set": {
                const keys = [
                    "enable",
                    "is_remote_tftp",
                    "local_bootloader",
                    "remote_bootloader",
                    "remote_tftp_server_ip",
                ];
                for (const k of keys) if (!(k in p)) throw new ApiError(101, { desc: `missing ${k}` });
                for (const k of Object.keys(p))
                    if (!keys.includes(k)) throw new ApiError(101, { desc: `unknown field ${k}` });
                const remote = p.is_remote_tftp;
                const remoteBool = remote === true || remote === "true" || remote === 1 || remote === "1";
                if (![true, false, "true", "false", 0, 1, "0", "1"].includes(remote as never))
                    throw new ApiError(101, { desc: "is_remote_tftp" });
                for (const k of ["local_bootloader", "remote_bootloader", "remote_tftp_server_ip"])
                    if (typeof p[k] !== "string") throw new ApiError(101, { desc: k });
                if (remoteBool && !IPV4_RE.test(String(p.remote_tftp_server_ip)))
                    throw new ApiError(101, { desc: "remote_tftp_server_ip" });
                state.pxe = {
                    enable: asBool(p.enable, "enable"),
                    is_remote_tftp: remoteBool ? "true" : "false",
                    local_bootloader: p.local_bootloader,
                    remote_bootloader: p.remote_bootloader,
                    remote_tftp_server_ip: p.remote_tftp_server_ip,
                };
                return undefined;
            }
            case "DHCP.Vendor.get":
                return { vendorList: [] };
            default:
                void user;
                throw new ApiError(103);
        }
    }

    // ---- auth
    function login(p: Record<string, string>): unknown {
        counters.loginAttempts++;
        const account = p.account ?? "";
        if (!(account in users) || users[account] !== p.passwd) throw new ApiError(400);
        if (options.twoFactor?.enforcedNotSetUp) throw new ApiError(406);
        let did = "";
        if (options.twoFactor) {
            const remembered = p.device_id && devices.has(p.device_id);
            if (!remembered) {
                if (!p.otp_code) throw new ApiError(403);
                if (p.otp_code !== options.twoFactor.code) throw new ApiError(404);
                if (p.enable_device_token === "yes") {
                    did = randomId(12);
                    devices.add(did);
                }
            } else did = p.device_id;
        }
        const sid = randomId(24);
        const token = randomId(9);
        sessions.set(sid, { sid, token, user: account });
        counters.logins++;
        const data: Record<string, unknown> = { sid, did, is_portal_port: false, account };
        if (did) data.device_id = did;
        if (p.enable_syno_token === "yes") data.synotoken = token;
        return data;
    }

    // ---- HTTP
    function send(res: http.ServerResponse, body: unknown, extraHeaders: Record<string, string> = {}): void {
        const text = JSON.stringify(body);
        const go = (): void => {
            if (res.destroyed) return;
            res.writeHead(200, {
                "content-type": "application/json; charset=utf-8",
                "content-length": Buffer.byteLength(text),
                ...extraHeaders,
            });
            res.end(text);
        };
        if (faults.delayMs > 0) setTimeout(go, faults.delayMs);
        else go();
    }

    function sendError(res: http.ServerResponse, e: unknown): void {
        if (e instanceof ApiError) {
            const error: Record<string, unknown> = { code: e.code };
            if (e.errors !== undefined) error.errors = e.errors;
            send(res, { error, success: false });
        } else {
            res.writeHead(500, { "content-type": "text/plain" });
            res.end(`simulator bug: ${e instanceof Error ? (e.stack ?? e.message) : JSON.stringify(e)}`);
        }
    }

    function applyBusy(res: http.ServerResponse, answer: BusyAnswer): void {
        if (answer === "reset") {
            res.socket?.destroy();
        } else if (answer === "http503") {
            res.writeHead(503, { "content-type": "text/html" });
            res.end("<html><body>503 Service Unavailable</body></html>");
        } else {
            sendError(res, new ApiError(answer));
        }
    }

    function count(api: string, method: string): void {
        const k = `${api}.${method}`;
        counters.calls[k] = (counters.calls[k] ?? 0) + 1;
    }

    async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://sim");
        if (!url.pathname.startsWith("/webapi/")) {
            res.writeHead(404);
            res.end();
            return;
        }
        const params: Record<string, string> = Object.fromEntries(url.searchParams);
        const pathApi = /^\/webapi\/entry\.cgi\/(SYNO\.[\w.]+)$/.exec(url.pathname)?.[1];
        const ctype = String(req.headers["content-type"] ?? "");
        if (/^multipart\/form-data/i.test(ctype)) {
            handleUpload(req, res, params, ctype);
            return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        for await (const c of req) {
            total += (c as Buffer).length;
            if (total > 16 * 1024 * 1024) {
                res.writeHead(413);
                res.end();
                return;
            }
            chunks.push(c as Buffer);
        }
        if (chunks.length)
            for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) params[k] = v;
        const api = params.api ?? pathApi ?? "";
        const method = params.method ?? "";
        count(api, method);
        requests.push({ api, method, params: { ...params }, headers: req.headers });
        try {
            const def = resolveApi(api, params.version, method);
            if (api === "SYNO.API.Info") {
                // requestFormat JSON: a JSON-quoted value is accepted as well as the raw one.
                const rawQ = params.query ?? "all";
                let q = rawQ;
                try {
                    const parsed = JSON.parse(rawQ);
                    if (typeof parsed === "string") q = parsed;
                } catch {
                    q = rawQ;
                }
                const want = q === "all" ? Object.keys(apis) : q.split(",").map((s) => s.trim());
                const data: Record<string, unknown> = {};
                for (const name of want) {
                    const d = apis[name];
                    if (!d) continue;
                    data[name] = {
                        maxVersion: d.maxVersion,
                        minVersion: d.minVersion,
                        path: name === "SYNO.API.Info" ? "query.cgi" : "entry.cgi",
                        ...(d.requestFormat ? { requestFormat: d.requestFormat } : {}),
                    };
                }
                send(res, { data, success: true });
                return;
            }
            if (api === "SYNO.API.Auth") {
                if (method === "login") {
                    const data = login(params) as { sid: string };
                    send(res, { data, success: true }, { "set-cookie": `id=${data.sid}; path=/; HttpOnly` });
                } else {
                    const sid = params._sid ?? cookieSid(req.headers);
                    if (sid && sessions.delete(sid)) counters.logouts++;
                    send(res, { success: true });
                }
                return;
            }
            const { user } = checkSession(params, req.headers);
            checkPrivilege(api, user);
            const busy = takeBusy(api, method);
            if (busy !== undefined) {
                applyBusy(res, busy);
                return;
            }
            const decoded: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(params)) {
                if (["api", "method", "version", "_sid", "SynoToken"].includes(k)) continue;
                decoded[k] = decode(def, v);
            }
            if (api === "SYNO.FileStation.Download") {
                sendFile(res, decoded.path);
                return;
            }
            const writing = WRITE_METHODS.has(method) || (api === "SYNO.FileStation.Delete" && method === "start");
            if (writing) counters.writes++;
            for (const key of [`${api}.${method}`, api]) {
                const n = ignoreQueue.get(key) ?? 0;
                if (n > 0 && writing) {
                    ignoreQueue.set(key, n - 1);
                    send(res, { success: true });
                    return;
                }
            }
            const raw = dispatch(api, method, Number(params.version), decoded, undefined);
            const rewrite = rewrites.get(`${api}.${method}`);
            const data = rewrite ? rewrite(raw) : raw;
            afterAnswer(api, method);
            send(res, data === undefined ? { success: true } : { data, success: true });
        } catch (e) {
            sendError(res, e);
        }
    }

    /** File Station Download of one file: the bytes, or DSM's 408 envelope. */
    function sendFile(res: http.ServerResponse, rawPath: unknown): void {
        const path = paramText(Array.isArray(rawPath) ? rawPath[0] : rawPath);
        const f = state.files.get(path);
        if (!f || f.isdir) throw new ApiError(408);
        if (!f.bytes) {
            res.writeHead(500, { "content-type": "text/plain" });
            res.end(
                `simulator: ${path} was stored without its bytes (${f.size} > keepBytesUpTo); raise keepBytesUpTo to download it`,
            );
            return;
        }
        let body = f.bytes;
        if (corruptDownloads > 0 && body.length > 0) {
            corruptDownloads--;
            body = Buffer.from(body);
            body[body.length >> 1] ^= 0xff;
        }
        res.writeHead(200, {
            "content-type": "application/octet-stream",
            "content-length": body.length,
            "content-disposition": `attachment; filename="${baseName(path)}"`,
        });
        res.end(body);
    }

    function handleUpload(
        req: http.IncomingMessage,
        res: http.ServerResponse,
        query: Record<string, string>,
        ctype: string,
    ): void {
        const api = query.api ?? "SYNO.FileStation.Upload";
        const method = query.method ?? "upload";
        count(api, method);
        const fields: Record<string, string> = { ...query };
        requests.push({ api, method, params: fields, headers: req.headers });
        let answered = false;
        const fail = (e: unknown): void => {
            if (answered) return;
            answered = true;
            req.resume();
            sendError(res, e);
        };
        if (!req.headers["content-length"] || /chunked/i.test(String(req.headers["transfer-encoding"] ?? ""))) {
            fail(new ApiError(1800));
            return;
        }
        const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(ctype);
        if (!boundary) {
            fail(new ApiError(101));
            return;
        }
        const reset = uploadResets.shift();
        let fileBytes = 0;
        let target = "";
        let hash: crypto.Hash | undefined;
        let small: Buffer[] | undefined;
        let ended = false;
        let reject = false;
        const parser = new MultipartParser(boundary[1] ?? boundary[2], {
            field(name, value) {
                fields[name] = value;
            },
            fileStart(h) {
                try {
                    resolveApi(fields.api ?? api, fields.version, fields.method ?? method);
                    checkSession(fields, req.headers);
                    const busy = takeBusy(api, method);
                    if (busy !== undefined) {
                        answered = true;
                        reject = true;
                        req.resume();
                        applyBusy(res, busy);
                        return;
                    }
                    counters.writes++;
                    const dir = fields.path ?? "";
                    if (!dir.startsWith("/")) throw new ApiError(408);
                    requireShareOf(dir);
                    requireWritable(dir);
                    if (!state.files.get(dir)?.isdir) {
                        if (fields.create_parents !== "true") throw new ApiError(408);
                        ensureDir(dir, true);
                    }
                    target = `${dir}/${h.filename}`;
                    const existing = state.files.get(target);
                    if (existing) {
                        if (existing.isdir) throw new ApiError(414);
                        if (fields.overwrite === undefined) throw new ApiError(414);
                        if (fields.overwrite !== "true") {
                            answered = true;
                            reject = true;
                            req.resume();
                            send(res, {
                                data: { blSkip: true, file: h.filename, pid: process.pid, progress: 1 },
                                success: true,
                            });
                            return;
                        }
                    }
                    hash = crypto.createHash("md5");
                    small = [];
                } catch (e) {
                    reject = true;
                    fail(e);
                }
            },
            fileData(chunk) {
                if (reject || !hash) return;
                fileBytes += chunk.length;
                counters.uploadBytes += chunk.length;
                const vol = volumeOf(target);
                if (vol && fileBytes > vol.total - vol.used + (state.files.get(target)?.size ?? 0)) {
                    reject = true;
                    fail(new ApiError(416, { desc: "no space left on the volume" }));
                    return;
                }
                if (reset && fileBytes >= reset.bytes) {
                    reject = true;
                    answered = true;
                    req.socket.destroy();
                    return;
                }
                hash.update(chunk);
                if (small && fileBytes <= keepBytesUpTo) small.push(Buffer.from(chunk));
                else small = undefined;
            },
            fileEnd() {
                if (reject || !hash) return;
                ended = true;
                storeFile(target, fileBytes, hash.digest("hex"), small ? Buffer.concat(small) : undefined);
            },
        });
        req.on("data", (c: Buffer) => {
            if (!reject) parser.write(c);
        });
        req.on("end", () => {
            if (answered) return;
            if (!ended) {
                fail(new ApiError(hash ? 108 : 101, { desc: hash ? "upload ended early" : "no file part" }));
                return;
            }
            answered = true;
            afterAnswer(api, method);
            send(res, {
                data: { blSkip: false, file: baseName(target), pid: process.pid, progress: 1 },
                success: true,
            });
        });
        req.on("error", () => undefined);
        req.on("close", () => {
            // A NAS that writes uploads straight to their file keeps what arrived when the client goes away.
            if (options.keepPartialUploads && hash && !ended && !reject) {
                ended = true;
                storeFile(target, fileBytes, hash.digest("hex"));
            }
        });
    }

    // ---- server
    let certPem: string | undefined;
    let fingerprintSha256: string | undefined;
    let server: http.Server;
    /** A fresh self-signed certificate, CN "synology", like a fresh NAS's. */
    async function selfSigned(): Promise<{ cert: string; key: string; fingerprint: string }> {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a test asks for https
        const selfsigned = require("selfsigned");
        const pems = await selfsigned.generate([{ name: "commonName", value: "synology" }], {
            keyType: "ec",
            algorithm: "sha256",
            extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "synology" }] }],
        });
        const cert = pems.cert as string;
        return {
            cert,
            key: pems.private as string,
            fingerprint: new crypto.X509Certificate(cert).fingerprint256.toLowerCase(),
        };
    }
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
        handle(req, res).catch((e) => sendError(res, e));
    };
    if (options.https) {
        const first = await selfSigned();
        certPem = first.cert;
        fingerprintSha256 = first.fingerprint;
        server = https.createServer({ key: first.key, cert: first.cert }, listener);
    } else {
        server = http.createServer(listener);
    }
    const sockets = new Set<Socket>();
    server.on("connection", (s: Socket) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    server.on("secureConnection", (s: Socket) => {
        s.on("error", () => undefined);
    });
    server.on("clientError", (_e, s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;

    const sim: DsmSimulator = {
        url: `${options.https ? "https" : "http"}://127.0.0.1:${port}`,
        port,
        certPem,
        fingerprintSha256,
        state,
        counters,
        faults,
        requests,
        resetCounters() {
            counters.calls = {};
            counters.logins = counters.loginAttempts = counters.logouts = counters.writes = counters.uploadBytes = 0;
            counters.sessionErrors = 0;
            requests.length = 0;
        },
        putFile(path, content) {
            if (Buffer.isBuffer(content)) storeFile(path, content.length, md5Hex(content), content);
            else storeFile(path, content.size, content.md5);
        },
        getFile(path) {
            return state.files.get(path);
        },
        activeSessions() {
            return [...sessions.values()].filter((s) => !s.expiredCode).length;
        },
        notJsonEncoded() {
            const rawByProtocol = ["SYNO.API.Info", "SYNO.FileStation.Upload", "SYNO.FileStation.Download"];
            return requests.flatMap((r) => {
                if (apis[r.api]?.requestFormat !== "JSON" || rawByProtocol.includes(r.api)) return [];
                return Object.entries(r.params)
                    .filter(([k]) => !["api", "method", "version", "_sid", "SynoToken"].includes(k))
                    .filter(([, v]) => {
                        try {
                            JSON.parse(v);
                            return false;
                        } catch {
                            return true;
                        }
                    })
                    .map(([k, v]) => `${r.api}.${r.method} ${k}=${v.slice(0, 60)}`);
            });
        },
        async rotateCertificate() {
            if (!(server instanceof https.Server))
                throw new Error("rotateCertificate: the simulator serves plain http");
            const next = await selfSigned();
            server.setSecureContext({ key: next.key, cert: next.cert });
            // Connections kept alive keep the old certificate: a new one is what a next run opens.
            for (const s of sockets) s.destroy();
            sim.certPem = next.cert;
            sim.fingerprintSha256 = next.fingerprint;
            return next.fingerprint;
        },
        close() {
            for (const s of sockets) s.destroy();
            return new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
    return sim;
}
