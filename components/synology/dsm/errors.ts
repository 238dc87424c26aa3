/**
 * Errors of the DSM client, the meaning tables (from docs/dsm-api.md sections 1.4, 1.5,
 * 3, 5.1 and 5.6), and redaction of secrets.
 *
 * Every error this client throws is one of the classes below; none carries an axios config, request or
 * response, so no password, OTP, sid or SynoToken can leak through `message`, `JSON.stringify` or
 * `util.inspect`. Errors may come from another copy of this module (an older state's serialised provider),
 * so test them by `name` (see `isDsmError`) rather than `instanceof`.
 */

import { fixErrorFields } from "../../errors";

/** Common codes (all APIs). */
export const COMMON_MEANINGS: Record<number, string> = {
    100: "unknown error on the NAS",
    101: "a parameter is missing or has a bad value (the NAS may answer in a shape this client does not know; try `npm run dsm` to see what it expects)",
    102: "the API does not exist on this NAS (package not installed or DSM too old)",
    103: "the method does not exist in this API",
    104: "this version of the API is not supported by the NAS",
    105: "the user lacks permission: log in as a member of the administrators group",
    106: "the session timed out",
    107: "the session was ended by a duplicate login",
    108: "the upload failed",
    109: "the network is unstable or the NAS is busy; try again",
    110: "the network is unstable or the NAS is busy; try again",
    111: "the network is unstable or the NAS is busy; try again",
    114: "required parameters are missing",
    115: "uploading files is not allowed for this user",
    116: "not allowed on a demo site",
    117: "the network is unstable or the NAS is busy; try again",
    118: "the network is unstable or the NAS is busy; try again",
    119: "the session id is missing or invalid (or the SynoToken was missing or wrong)",
    150: "the request came from a different IP than the login",
    160: "the user lacks an application privilege: allow the user to use this application in DSM Control Panel > Privileges",
};

/** SYNO.API.Auth codes. */
export const AUTH_MEANINGS: Record<number, string> = {
    400: "no such account or wrong password: check synology.username and the homelab:synologyPassword secret",
    401: "the account is disabled: enable it in DSM Control Panel > User",
    402: "permission denied: this user may not log in to DSM; use an administrator account",
    403: "2-factor authentication code required: pass a current one-time code (--otp / otpCode), then keep the device id it returns (synology.deviceId)",
    404: "the 2-factor authentication code is wrong or expired: pass a fresh one-time code",
    406: "2-factor authentication is enforced for this account but not set up: set it up by logging in to DSM once in a browser",
    407: "this client's IP address is blocked by DSM's auto-block: unblock it in Control Panel > Security > Protection",
    408: "the password has expired and cannot be changed: ask an administrator",
    409: "the password has expired: change it by logging in to DSM in a browser",
    410: "the password must be changed: log in to DSM in a browser and change it",
    411: "the account is locked after too many failed attempts: wait or unlock it in DSM",
};

/** SYNO.FileStation.* codes (400-421 mean different things here than in Auth). */
export const FILESTATION_MEANINGS: Record<number, string> = {
    400: "invalid parameter",
    401: "unknown File Station error",
    402: "the system is too busy",
    403: "invalid user for this file operation",
    404: "invalid group for this file operation",
    405: "invalid user and group for this file operation",
    406: "cannot get user/group information from the account server",
    407: "operation not permitted: check the user's permissions on the shared folder",
    408: "no such file or directory",
    409: "file system not supported",
    410: "failed to connect to a network file system",
    411: "read-only file system",
    412: "file name too long",
    413: "file name too long (non-encrypted share)",
    414: "file already exists",
    415: "disk quota exceeded",
    416: "no space left on the volume",
    417: "input/output error",
    418: "illegal name or path",
    419: "illegal file name",
    420: "illegal file name on a FAT file system",
    421: "device or resource busy",
    599: "no such task (the File Station task finished or was stopped)",
    900: "failed to delete the file or folder (a folder that is not empty needs recursive delete)",
    1100: "failed to create the folder: check that the parent folder exists and the user may write to it",
    1101: "too many folders in the request",
    1800: "the upload had no Content-Length or was sent in chunks",
    1801: "the upload was cut short, or the NAS is out of space",
    1802: "the upload exceeds the user's quota",
    1803: "the file is too large for the file system",
};

/** SYNO.Core.Share codes. */
export const SHARE_MEANINGS: Record<number, string> = {
    402: "no such shared folder",
    403: "the share request was rejected (shareinfo missing or malformed)",
    3300: "the shared folder operation was refused (a description over 64 characters, a bad volume, or a previous change still settling)",
    3301: "a shared folder with this name already exists",
    3328: "another shared folder operation is running; try again",
};

/** DHCP Server package codes (SYNO.Network.DHCPServer* and SYNO.Core.Network.DHCPServer*). */
export const DHCP_MEANINGS: Record<number, string> = {
    4300: "the DHCP server rejected the settings (a bad value, a duplicate MAC or IP, or a field it does not know)",
    4302: "no such network interface (or no ifname given): use the interface DSM shows, e.g. eth0, ovs_eth0 (with Virtual Machine Manager) or bond0",
};

/** What a DSM error code means for the API that returned it, in words a user can act on. */
export function meaningOf(api: string, code: number): string {
    let table: Record<number, string> | undefined;
    if (api === "SYNO.API.Auth") table = AUTH_MEANINGS;
    else if (api.startsWith("SYNO.FileStation.")) table = FILESTATION_MEANINGS;
    else if (api.startsWith("SYNO.Core.Share")) table = SHARE_MEANINGS;
    else if (/^SYNO\.(Core\.)?Network\.DHCPServer/.test(api)) table = DHCP_MEANINGS;
    return table?.[code] ?? COMMON_MEANINGS[code] ?? `DSM error code ${code} (not in this client's tables)`;
}

/** Codes after which the client logs in again (once) and retries. */
export const SESSION_CODES = [106, 107, 119];

/** DSM codes after which the client retries with backoff. */
export function isBusyCode(api: string, code: number): boolean {
    if ([109, 110, 111, 117, 118].includes(code)) return true;
    if (api.startsWith("SYNO.Core.Share") && (code === 3300 || code === 3328)) return true;
    if (api.startsWith("SYNO.FileStation.") && (code === 402 || code === 421)) return true;
    return false;
}

/** A DSM answer with `success: false`. */
export class DsmError extends Error {
    readonly api: string;
    readonly method: string;
    readonly code: number;
    readonly meaning: string;
    /** The envelope's `errors` detail, redacted. */
    readonly details?: unknown;

    constructor(
        api: string,
        method: string,
        code: number,
        details?: unknown,
        secrets: string[] = [],
        meaning?: string,
        attempts?: number,
    ) {
        meaning = meaning ?? meaningOf(api, code);
        const detailText = details === undefined ? "" : ` (details: ${redact(safeJson(details), secrets)})`;
        const attemptText = attempts ? ` (after ${attempts} attempts)` : "";
        const message = redact(
            `${api} ${method} failed with DSM error ${code}: ${meaning}${detailText}${attemptText}`,
            secrets,
        );
        super(message);
        fixErrorFields(this, "DsmError", message);
        this.api = api;
        this.method = method;
        this.code = code;
        this.meaning = meaning;
        if (details !== undefined) this.details = JSON.parse(redact(safeJson(details), secrets));
    }
}

/** The NAS could not be reached or answered something that is not a DSM envelope. */
export class DsmTransportError extends Error {
    readonly api: string;
    readonly method: string;
    /** Node/axios error code, e.g. ECONNRESET, ECONNABORTED, or `HTTP_503`. */
    readonly code: string;

    constructor(api: string, method: string, code: string, message: string, secrets: string[] = []) {
        const text = redact(`${api} ${method}: ${message}`, secrets);
        super(text);
        fixErrorFields(this, "DsmTransportError", text);
        this.api = api;
        this.method = method;
        this.code = code;
    }
}

/** An object DSM returned does not have the fields this client expects (shape differs from what we know). */
export class DsmShapeError extends Error {
    readonly api: string;
    readonly expected: string[];
    readonly seen: string[];

    constructor(api: string, what: string, expected: string[], seen: string[], hint = "") {
        const missing = expected.filter((k) => !seen.includes(k));
        const message =
            `${api}: ${what} does not have the fields this client expects. ` +
            `Expected: ${expected.join(", ")}. Seen: ${seen.length ? seen.join(", ") : "(none)"}. Missing: ${missing.join(", ")}. ` +
            `Nothing was written. ${hint || "Capture the real object with `npm run dsm -- --url <url> --user <name> " + api + " get` and report it."}`;
        super(message);
        fixErrorFields(this, "DsmShapeError", message);
        this.api = api;
        this.expected = expected;
        this.seen = seen;
    }
}

/** A write was accepted but reading back shows different values. */
export class DsmVerifyError extends Error {
    readonly api: string;
    readonly fields: string[];

    constructor(api: string, fields: Array<{ field: string; wanted: unknown; got: unknown }>) {
        const what = fields.map((f) => `${f.field} (wanted ${safeJson(f.wanted)}, got ${safeJson(f.got)})`).join("; ");
        const message =
            `${api}: after set, get returned different values for ${what}. The NAS may have ignored or changed these ` +
            `fields (README, "Writes no public client has confirmed"); please report what your NAS answers to ` +
            `\`npm run dsm -- … ${api} get\``;
        super(message);
        fixErrorFields(this, "DsmVerifyError", message);
        this.api = api;
        this.fields = fields.map((f) => f.field);
    }
}

/** Bad client configuration, found before any remote call. */
export class DsmConfigError extends Error {
    constructor(message: string) {
        super(message);
        fixErrorFields(this, "DsmConfigError", message);
    }
}

/** Duck-typed check that works across copies of this module. */
export function isDsmError(e: unknown, code?: number): e is DsmError {
    return (
        !!e &&
        typeof e === "object" &&
        (e as { name?: unknown }).name === "DsmError" &&
        (code === undefined || (e as DsmError).code === code)
    );
}

/** Duck-typed: a DsmTransportError (works across copies of this module). */
export function isDsmTransportError(e: unknown): e is DsmTransportError {
    return !!e && typeof e === "object" && (e as { name?: unknown }).name === "DsmTransportError";
}

function safeJson(v: unknown): string {
    try {
        return JSON.stringify(v) ?? String(v);
    } catch {
        return String(v);
    }
}

/** Parameter names whose values are never shown. */
export const SECRET_PARAMS = [
    "passwd",
    "password",
    "otp_code",
    "_sid",
    "sid",
    "SynoToken",
    "synotoken",
    "device_id",
    "did",
    "enc_passwd",
];

/**
 * Replace every occurrence of each secret (and its URL-encoded and JSON-escaped forms) with `***`, and
 * blank the values of secret-named parameters in `k=v` and `"k":"v"` text.
 */
export function redact(text: string, secrets: string[] = []): string {
    let out = text;
    for (const s of secrets) {
        if (!s || s.length < 3) continue;
        for (const form of new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]))
            out = out.split(form).join("***");
    }
    for (const k of SECRET_PARAMS) {
        out = out.replace(new RegExp(`(^|[^\\w])(${k}=)[^&;\\s"',}]*`, "g"), "$1$2***");
        out = out.replace(new RegExp(`("${k}"\\s*:\\s*)"[^"]*"`, "g"), '$1"***"');
    }
    out = out.replace(/(X-SYNO-TOKEN["']?\s*[:=]\s*["']?)[^"',\s}]+/gi, "$1***");
    out = out.replace(/(\bid=)[A-Za-z0-9_\-.]{8,}/g, "$1***");
    return out;
}
