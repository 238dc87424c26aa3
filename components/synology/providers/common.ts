/**
 * What every DSM dynamic provider shares: the connection inputs, the client, error redaction, progress
 * logging. Providers are serialised by the engine and run in a separate process, so nothing here keeps
 * module-level state: the DSM session lives in the client's cache on `globalThis` (see `getDsmClient`).
 */
import * as pulumi from "@pulumi/pulumi";
import { getDsmClient } from "../dsm";
import type { DsmClientOptions } from "../dsm";
import type { DsmApi, DsmConnection } from "../dsm/types";
import { armEngineWatch } from "./engine-watch";

/** How to reach the NAS, without the password (which is its own, secret, property). */
export interface DsmConnectionArgs {
    /** DSM base URL without trailing slash, e.g. `https://192.168.0.6:5001`. */
    url: string;
    username: string;
    tls?: { caCertPem?: string; fingerprintSha256?: string; insecureSkipVerify?: boolean };
    /** Allow an http:// URL. */
    allowHttp?: boolean;
    /** A remembered 2FA device id. */
    deviceId?: string;
}

/** The inputs (and outputs) every DSM resource carries. */
export interface DsmResourceProps {
    connection: DsmConnectionArgs;
    /** The DSM password. Marked secret on the resource (`additionalSecretOutputs`). */
    password: string;
}

/** Output properties that hold secrets, for `additionalSecretOutputs`. */
export const SECRET_OUTPUTS = ["password"];

/** Resource options of every DSM resource: `opts` plus {@link SECRET_OUTPUTS} as additional secret outputs. */
export function secretOutputOptions(opts?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    return { ...opts, additionalSecretOutputs: [...SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])] };
}

/** Plain DsmConnection for the client. */
export function toDsmConnection(props: DsmResourceProps): DsmConnection {
    const c = props.connection;
    const conn: DsmConnection = { url: c.url, username: c.username, password: props.password };
    if (c.tls) {
        conn.tls = { ...c.tls };
    }
    if (c.allowHttp !== undefined) {
        conn.allowHttp = c.allowHttp;
    }
    if (c.deviceId) {
        conn.deviceId = c.deviceId;
    }
    return conn;
}

/**
 * The shared DSM client for these props (one login per NAS and user per process). Client tuning (poll and
 * retry delays) can be set for the whole process on `globalThis.__homelabDsmClientOptions` (tests, benchmark).
 */
export function dsmClientFor(props: DsmResourceProps): DsmApi {
    // In the dynamic-provider host: stop (and clean up) when the engine that started it goes away.
    armEngineWatch();
    const g = globalThis as { __homelabDsmClientOptions?: DsmClientOptions };
    return getDsmClient(toDsmConnection(props), g.__homelabDsmClientOptions);
}

/** Check failures of the connection part, before any remote call. */
export function checkConnection(news: Partial<DsmResourceProps>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const c = news.connection;
    if (!c || typeof c !== "object") {
        return [{ property: "connection", reason: "connection (synology.url, synology.username) is required" }];
    }
    if (typeof c.url !== "string" || !/^https?:\/\/[^/]+$/.test(c.url)) {
        failures.push({ property: "connection", reason: `synology.url "${String(c.url)}" must be http(s)://host[:port] without a path or trailing slash` });
    } else if (c.url.startsWith("http://") && !c.allowHttp) {
        failures.push({ property: "connection", reason: `synology.url uses http://; use https:// or set synology.allowHttp: true` });
    }
    if (typeof c.username !== "string" || c.username === "") {
        failures.push({ property: "connection", reason: "synology.username is required" });
    }
    if (typeof news.password !== "string" || news.password === "") {
        failures.push({ property: "password", reason: "the DSM password (homelab:synologyPassword, a secret) is required" });
    }
    return failures;
}

/** The value Pulumi puts in place of inputs not known yet (during preview). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `v` is, or contains, a value not known yet. */
export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN_VALUE) {
        return true;
    }
    if (Array.isArray(v)) {
        return v.some(containsUnknown);
    }
    if (v && typeof v === "object") {
        return Object.values(v as Record<string, unknown>).some(containsUnknown);
    }
    return false;
}

/** Drop failures about properties whose value is not known yet (preview): they are checked once known. */
export function knownFailures(news: object, failures: pulumi.dynamic.CheckFailure[]): pulumi.dynamic.CheckFailure[] {
    return failures.filter((f) => !containsUnknown((news as Record<string, unknown>)[f.property]));
}

/** True when connection or password differ (an update is needed to store the new ones). */
export function connectionChanged(olds: Partial<DsmResourceProps>, news: Partial<DsmResourceProps>): boolean {
    return olds.password !== news.password || JSON.stringify(olds.connection ?? null) !== JSON.stringify(news.connection ?? null);
}

/** Replace every occurrence of each secret in `text` with `[redacted]`. */
export function redactText(text: string, secrets: Array<string | undefined>): string {
    let out = text;
    for (const s of secrets) {
        if (s && s.length >= 1) {
            out = out.split(s).join("[redacted]");
            const enc = encodeURIComponent(s);
            if (enc !== s) {
                out = out.split(enc).join("[redacted]");
            }
        }
    }
    return out;
}

/**
 * A fresh Error with `what: <message>`, secrets redacted, and nothing else of the original attached
 * (axios errors carry the request, which carries the password or session).
 */
export function wrapError(what: string, err: unknown, secrets: Array<string | undefined>): Error {
    // Not `instanceof Error`: errors from serialised code may come from another realm or a serialised subclass.
    const m = (err as { message?: unknown } | undefined)?.message;
    const message = typeof m === "string" ? m : String(err);
    const e = new Error(redactText(`${what}: ${message}`, secrets));
    e.name = "DsmResourceError";
    return e;
}

/** Run `fn`; on failure rethrow as `wrapError(what, ...)` with the props' password redacted. */
export async function guard<T>(props: Partial<DsmResourceProps>, what: string, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (err) {
        throw wrapError(what, err, [props.password]);
    }
}

/** Strip the connection/password and any Pulumi bookkeeping (`__provider`) from a property bag. */
export function withoutBookkeeping<T extends Record<string, unknown>>(props: T): T {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) {
        if (!k.startsWith("__")) {
            out[k] = v;
        }
    }
    return out as T;
}

/**
 * Progress and info messages. Tests (and the benchmark) install `globalThis.__homelabDsmLog`; with an engine
 * connection they go to `pulumi.log.info`; in Pulumi's dynamic provider host (which has no engine
 * connection, and whose stderr the engine shows as the provider's messages) to stderr; otherwise nowhere.
 */
export function logInfo(message: string): void {
    const g = globalThis as { __homelabDsmLog?: (m: string) => void };
    if (typeof g.__homelabDsmLog === "function") {
        g.__homelabDsmLog(message);
        return;
    }
    if (pulumi.runtime.hasEngine()) {
        void pulumi.log.info(message);
    } else if (/dynamic-provider/.test(process.argv[1] ?? "")) {
        process.stderr.write(`${message}\n`);
    }
}

/** Order-insensitive deep equality for JSON-like values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
    return stableJson(a) === stableJson(b);
}

/** JSON with object keys sorted. */
export function stableJson(v: unknown): string {
    return JSON.stringify(v, (_k, val) => {
        if (val && typeof val === "object" && !Array.isArray(val)) {
            const sorted: Record<string, unknown> = {};
            for (const k of Object.keys(val).sort()) {
                sorted[k] = (val as Record<string, unknown>)[k];
            }
            return sorted;
        }
        return val;
    }) ?? "undefined";
}
