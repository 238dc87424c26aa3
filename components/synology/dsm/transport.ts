/**
 * The DSM Web API transport (see ./types.ts for the contract and docs/dsm-api.md for the protocol): discovery
 * (`SYNO.API.Info`), login and the session (re-login once when DSM ends it), the retry loop (busy codes, HTTP 5xx,
 * reset connections) and DSM's envelope and errors. ./client.ts adds File Station on top of it.
 *
 * Transport rules: every call is a POST of form fields to the API's path (entry.cgi) with `_sid` and
 * `SynoToken` in the body, the `X-SYNO-TOKEN` header and the `id` cookie; uploads put `_sid`/`SynoToken`
 * in the URL. Values are JSON-encoded for APIs whose requestFormat is JSON, raw otherwise (and raw for the
 * Upload `path`). No module-level mutable state: one client per NAS and user lives in ./registry.ts.
 */
import axios, { AxiosInstance, AxiosResponse } from "axios";
import * as http from "http";
import { DsmConfigError, DsmError, DsmTransportError, isBusyCode, isDsmTransportError, SESSION_CODES } from "./errors";
import { asObject } from "./shapes";
import { apiName, CLIENT_APIS, dhcpPrefixOf, pickVersion, useNamed, versionsFor } from "./apis";
import { buildAgent, checkTlsConfig, fetchPeerCertificate, UNTRUSTED_CERT_CODES } from "./tls";
import type { DiscoveredApis, DsmApiUse, DsmConnection } from "./types";

/** Tuning knobs (defaults suit a real NAS; tests make the delays tiny). */
export interface DsmClientOptions {
    /** Per-request timeout, ms. Default 60 000. */
    timeoutMs?: number;
    /** Upload timeout, ms (0 = none). Default 0. */
    uploadTimeoutMs?: number;
    /** Retries after a busy answer or a reset connection. Default 5. */
    retries?: number;
    /** First backoff delay, ms; doubles each retry. Default 500. */
    retryBaseDelayMs?: number;
    /** Longest backoff delay, ms. Default 8 000. */
    retryMaxDelayMs?: number;
    /** MD5 status poll interval, ms. Default 1 000. */
    md5PollMs?: number;
    /** Give up waiting for an MD5 after this long, ms. Default 30 minutes. */
    md5TimeoutMs?: number;
    /** Where warnings go (e.g. insecureSkipVerify). Default console.warn. Never receives secrets. */
    log?: (message: string) => void;
    /** `session` label for login/logout. Default "homelab". */
    sessionName?: string;
}

const WRITE_METHODS = ["set", "create", "delete", "rename", "upload", "start"];

export interface ApiInfo {
    path: string;
    minVersion: number;
    maxVersion: number;
    requestFormat?: string;
}

export interface Session {
    sid: string;
    token: string;
}

/** One request: where it goes, the API's own parameters, and the API's info (none for SYNO.API.Info itself). */
interface Call {
    path: string;
    api: string;
    method: string;
    params: Record<string, unknown>;
    ro: RequestOptions;
    info?: ApiInfo;
}

/** What one attempt got: DSM's data, or DSM's error code (transport failures are thrown). */
export type Outcome<T> = { kind: "ok"; data: T } | { kind: "dsm"; code: number; details: unknown };

/** Parameters for one request beyond the API's own. */
export interface RequestOptions {
    version?: number;
    /** Parameter names sent raw even for requestFormat JSON. */
    raw?: string[];
    /** No session needed (API.Info, Auth login). */
    noAuth?: boolean;
    /** Retries allowed (default: options.retries). */
    retries?: number;
    timeoutMs?: number;
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

function isWrite(method: string): boolean {
    return WRITE_METHODS.includes(method);
}

/** JSON-encode a value for a requestFormat=JSON API (strings quoted, booleans and numbers bare). */
function jsonValue(v: unknown): string {
    return JSON.stringify(v);
}

/** Raw form value (older-style APIs): strings as they are, booleans/numbers as text, objects as JSON. */
function rawValue(v: unknown): string {
    if (typeof v === "string") return v;
    if (typeof v === "boolean" || typeof v === "number") return String(v);
    return JSON.stringify(v);
}

export class DsmTransport {
    readonly url: string;
    protected readonly conn: DsmConnection;
    protected readonly opts: Required<Omit<DsmClientOptions, "log">> & { log: (m: string) => void };
    private http?: AxiosInstance;
    private agentPromise?: Promise<http.Agent>;
    private discovered?: Promise<Record<string, ApiInfo>>;
    protected session?: Session;
    private loginPromise?: Promise<Session>;
    private deviceId?: string;

    constructor(conn: DsmConnection, options: DsmClientOptions = {}) {
        let u: URL;
        try {
            u = new URL(conn.url);
        } catch {
            throw new DsmConfigError(`DSM url "${conn.url}" is not a URL; use https://<nas>:5001`);
        }
        if (u.protocol !== "https:" && u.protocol !== "http:")
            throw new DsmConfigError(`DSM url "${conn.url}" must start with https:// (or http:// with allowHttp)`);
        if (u.protocol === "http:" && !conn.allowHttp) {
            throw new DsmConfigError(
                `DSM url "${conn.url}" is plain http: the password would cross the network in clear. Use https://<nas>:5001, or set allowHttp to accept that.`,
            );
        }
        if (u.pathname !== "/" && u.pathname !== "")
            throw new DsmConfigError(`DSM url "${conn.url}" must not have a path (the client adds /webapi/...)`);
        if (!conn.username) throw new DsmConfigError("DSM username is empty");
        if (!conn.password)
            throw new DsmConfigError(
                "DSM password is empty: set the homelab:synologyPassword secret (or DSM_PASSWORD for the probe)",
            );
        checkTlsConfig(conn);
        this.url = u.origin;
        this.conn = conn;
        this.deviceId = conn.deviceId;
        this.opts = {
            timeoutMs: options.timeoutMs ?? 60_000,
            uploadTimeoutMs: options.uploadTimeoutMs ?? 0,
            retries: options.retries ?? 5,
            retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
            retryMaxDelayMs: options.retryMaxDelayMs ?? 8_000,
            md5PollMs: options.md5PollMs ?? 1_000,
            md5TimeoutMs: options.md5TimeoutMs ?? 30 * 60_000,
            sessionName: options.sessionName ?? "homelab",
            log: options.log ?? ((m: string) => console.warn(m)),
        };
    }

    /** The device id DSM returned after an OTP login (store it as `deviceId` to skip the OTP next time). */
    get rememberedDeviceId(): string | undefined {
        return this.deviceId;
    }

    /** Values never to show anywhere. */
    protected secrets(): string[] {
        return [
            this.conn.password,
            this.conn.otpCode ?? "",
            this.deviceId ?? "",
            this.conn.deviceId ?? "",
            this.session?.sid ?? "",
            this.session?.token ?? "",
        ];
    }

    protected async axiosInstance(): Promise<AxiosInstance> {
        if (this.http) return this.http;
        this.agentPromise ??= buildAgent(this.conn, this.opts.log, this.opts.timeoutMs);
        let agent: http.Agent;
        try {
            agent = await this.agentPromise;
        } catch (e) {
            this.agentPromise = undefined;
            throw e;
        }
        this.http ??= axios.create({
            baseURL: this.url,
            httpAgent: agent,
            httpsAgent: agent,
            // No redirects: follow-redirects would buffer whole upload bodies in memory to replay them.
            maxRedirects: 0,
            maxBodyLength: Infinity,
            maxContentLength: 64 * 1024 * 1024,
            validateStatus: () => true,
            responseType: "text",
            transformResponse: [(d: unknown) => d],
            proxy: false,
        });
        return this.http;
    }

    // ------------------------------------------------------------ discovery

    async discover(uses: readonly DsmApiUse[]): Promise<DiscoveredApis> {
        return versionsFor(await this.offered(), uses);
    }

    /** `SYNO.API.Info query=all`, once per client (again after a failure). */
    private offered(): Promise<Record<string, ApiInfo>> {
        if (!this.discovered) {
            this.discovered = this.send<Record<string, ApiInfo>>({
                path: "/webapi/query.cgi",
                api: "SYNO.API.Info",
                method: "query",
                params: { query: "all" },
                ro: { version: 1, noAuth: true, raw: ["query"] },
            }).then((data) => asObject(data, "SYNO.API.Info", "query") as Record<string, ApiInfo>);
            this.discovered.catch(() => (this.discovered = undefined));
        }
        return this.discovered;
    }

    async resolve(use: DsmApiUse, method: string): Promise<string> {
        return (await this.apiInfo(use, method)).name;
    }

    /**
     * Where a call goes and with which version: `use`'s (the client's own when named by a string it declares);
     * an API no use declares (the `npm run dsm` probe) with the highest version the NAS offers.
     */
    protected async apiInfo(
        api: string | DsmApiUse,
        method: string,
    ): Promise<{ name: string; info: ApiInfo; version: number }> {
        const offered = await this.offered();
        const use = typeof api === "string" ? useNamed(api, CLIENT_APIS) : api;
        const name = use ? apiName(use, dhcpPrefixOf(offered)) : (api as string);
        if (name === undefined) {
            throw new DsmError(
                `SYNO.Network.DHCPServer${(api as DsmApiUse).api}`,
                method,
                102,
                undefined,
                [],
                'the DHCP Server package is not installed on the NAS (neither SYNO.Network.DHCPServer nor SYNO.Core.Network.DHCPServer exists): install "DHCP Server" from Package Center',
            );
        }
        const info = offered[name];
        if (!info) throw new DsmError(name, method, 102, undefined, []);
        const version = use ? pickVersion(info, use, isWrite(method)) : info.maxVersion;
        if (version === undefined) {
            throw new DsmError(
                name,
                method,
                104,
                undefined,
                [],
                `the NAS offers ${name} versions ${info.minVersion}-${info.maxVersion}, none of which this client supports; update DSM or report it`,
            );
        }
        return { name, info, version };
    }

    // ------------------------------------------------------------ auth

    async login(): Promise<void> {
        await this.ensureSession();
    }

    protected ensureSession(): Promise<Session> {
        if (this.session) return Promise.resolve(this.session);
        if (!this.loginPromise) {
            this.loginPromise = this.doLogin().finally(() => (this.loginPromise = undefined));
        }
        return this.loginPromise;
    }

    private async doLogin(): Promise<Session> {
        const { info, version } = await this.apiInfo("SYNO.API.Auth", "login");
        const params: Record<string, unknown> = {
            account: this.conn.username,
            passwd: this.conn.password,
            session: this.opts.sessionName,
            format: "sid",
            enable_syno_token: "yes",
        };
        const deviceName = this.conn.deviceName ?? "homelab-pulumi";
        if (this.deviceId) {
            params.device_id = this.deviceId;
            params.device_name = deviceName;
        } else if (this.conn.otpCode) {
            // Re-logins reuse the code only if DSM gave no device id; DSM answers 404 if it refuses a spent code.
            params.otp_code = this.conn.otpCode;
            params.enable_device_token = "yes";
            params.device_name = deviceName;
        }
        const data = await this.send<Record<string, unknown>>({
            path: `/webapi/${info.path}`,
            api: "SYNO.API.Auth",
            method: "login",
            params,
            ro: { version, noAuth: true },
            info,
        });
        const sid = typeof data?.sid === "string" ? data.sid : "";
        if (!sid)
            throw new DsmTransportError(
                "SYNO.API.Auth",
                "login",
                "NO_SID",
                "the login answer has no sid; is this a DSM 7 NAS?",
                this.secrets(),
            );
        const token = typeof data.synotoken === "string" ? data.synotoken : "";
        const did =
            (typeof data.device_id === "string" && data.device_id) || (typeof data.did === "string" && data.did) || "";
        if (did) this.deviceId = did;
        this.session = { sid, token };
        return this.session;
    }

    async logout(): Promise<void> {
        const s = this.session;
        if (!s) return;
        this.session = undefined;
        try {
            const { info, version } = await this.apiInfo("SYNO.API.Auth", "logout");
            await this.send(
                {
                    path: `/webapi/${info.path}`,
                    api: "SYNO.API.Auth",
                    method: "logout",
                    params: { session: this.opts.sessionName },
                    ro: { version, noAuth: true, retries: 0 },
                    info,
                },
                s,
            );
        } catch (e) {
            // The session is gone either way; a failed logout only means DSM times it out itself.
            if (!(e as { code?: unknown }).code || !SESSION_CODES.includes((e as DsmError).code)) throw e;
        }
    }

    // ------------------------------------------------------------ generic call with retries

    async call<T = unknown>(
        api: string | DsmApiUse,
        method: string,
        params: Record<string, unknown> = {},
        version?: number,
    ): Promise<T> {
        return this.request<T>(api, method, params, { version });
    }

    protected async request<T>(
        api: string | DsmApiUse,
        method: string,
        params: Record<string, unknown>,
        ro: RequestOptions = {},
    ): Promise<T> {
        const { name, info, version } = await this.apiInfo(api, method);
        return this.send<T>({
            path: `/webapi/${info.path}`,
            api: name,
            method,
            params,
            ro: { ...ro, version: ro.version ?? version },
            info,
        });
    }

    /** Backoff before retry `attempt` (0-based). */
    private backoff(attempt: number): Promise<void> {
        const d = Math.min(this.opts.retryBaseDelayMs * 2 ** attempt, this.opts.retryMaxDelayMs);
        return sleep(Math.round(d * (0.5 + Math.random() * 0.5)));
    }

    /** One logical call: {@link withRetries} around {@link sendOnce}. */
    private send<T>(c: Call, fixedSession?: Session): Promise<T> {
        return this.withRetries<T>(c.api, c.method, (session) => this.sendOnce<T>(c, session), {
            retries: c.ro.retries ?? this.opts.retries,
            auth: !c.ro.noAuth,
            fixedSession,
        });
    }

    /**
     * The one retry loop, for calls and uploads. Each attempt gets the session (logged in when `auth`, else
     * `fixedSession`); then: 106/107/119 → log in again once and retry; busy codes, HTTP 5xx and reset connections →
     * at most `retries` more attempts with backoff. `cannotRetry` says why no attempt can be repeated (an upload whose
     * stream is consumed): then the first answer is final.
     */
    protected async withRetries<T>(
        api: string,
        method: string,
        once: (session: Session | undefined) => Promise<Outcome<T>>,
        o: { retries: number; auth: boolean; fixedSession?: Session; cannotRetry?: string },
    ): Promise<T> {
        const canRetry = o.cannotRetry === undefined;
        let relogged = false;
        let attempt = 0;
        for (;;) {
            const session = o.auth ? await this.ensureSession() : o.fixedSession;
            let outcome: Outcome<T> | { kind: "retry"; err: DsmTransportError };
            try {
                outcome = await once(session);
            } catch (e) {
                if (isDsmTransportError(e) && isRetryableTransport(e.code)) outcome = { kind: "retry", err: e };
                else throw e;
            }
            if (outcome.kind === "ok") return outcome.data;
            if (outcome.kind === "dsm") {
                const { code, details } = outcome;
                if (o.auth && SESSION_CODES.includes(code) && !relogged && canRetry) {
                    relogged = true;
                    if (this.session === session) this.session = undefined;
                    continue;
                }
                if (!isBusyCode(api, code) || attempt >= o.retries || !canRetry) {
                    throw new DsmError(
                        api,
                        method,
                        code,
                        details,
                        this.secrets(),
                        undefined,
                        attempt > 0 ? attempt + 1 : undefined,
                    );
                }
            } else if (attempt >= o.retries || !canRetry) {
                const why = o.cannotRetry ?? `gave up after ${attempt + 1} attempts`;
                throw new DsmTransportError(
                    api,
                    method,
                    outcome.err.code,
                    `${outcome.err.message.replace(`${api} ${method}: `, "")} (${why})`,
                    this.secrets(),
                );
            }
            await this.backoff(attempt);
            attempt++;
        }
    }

    private async sendOnce<T>(
        { path, api, method, params, ro, info }: Call,
        session: Session | undefined,
    ): Promise<Outcome<T>> {
        const http = await this.axiosInstance();
        const json = info?.requestFormat === "JSON";
        const form = new URLSearchParams();
        form.set("api", api);
        form.set("version", String(ro.version ?? 1));
        form.set("method", method);
        for (const [k, v] of Object.entries(params)) {
            if (v === undefined) continue;
            form.set(k, json && !(ro.raw ?? []).includes(k) ? jsonValue(v) : rawValue(v));
        }
        const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" };
        if (session) {
            form.set("_sid", session.sid);
            if (session.token) {
                form.set("SynoToken", session.token);
                headers["X-SYNO-TOKEN"] = session.token;
            }
            headers.Cookie = `id=${session.sid}`;
        }
        let res: AxiosResponse<string>;
        try {
            res = await http.post<string>(path, form.toString(), {
                headers,
                timeout: ro.timeoutMs ?? this.opts.timeoutMs,
            });
        } catch (e) {
            throw await this.withCertificateHint(this.transportError(api, method, e));
        }
        return this.parseEnvelope<T>(api, method, res);
    }

    protected parseEnvelope<T>(api: string, method: string, res: AxiosResponse<string>): Outcome<T> {
        if (res.status >= 500)
            throw new DsmTransportError(
                api,
                method,
                `HTTP_${res.status}`,
                `the NAS answered HTTP ${res.status} (busy or restarting)`,
                this.secrets(),
            );
        if (res.status !== 200) {
            throw new DsmTransportError(
                api,
                method,
                `HTTP_${res.status}`,
                `the NAS answered HTTP ${res.status}; is ${this.url} the DSM address (port 5001 for https, 5000 for http)?`,
                this.secrets(),
            );
        }
        let body: { success?: unknown; data?: unknown; error?: { code?: unknown; errors?: unknown } };
        try {
            body = JSON.parse(res.data) as typeof body;
        } catch {
            throw new DsmTransportError(
                api,
                method,
                "NOT_JSON",
                `the answer is not JSON (starts with ${JSON.stringify(String(res.data).slice(0, 60))}); is ${this.url} a DSM web API?`,
                this.secrets(),
            );
        }
        if (body && body.success === true) return { kind: "ok", data: body.data as T };
        const code = Number(body?.error?.code);
        if (!body || typeof body !== "object" || !Number.isFinite(code)) {
            throw new DsmTransportError(
                api,
                method,
                "NOT_DSM",
                "the answer is not a DSM envelope ({success, data|error})",
                this.secrets(),
            );
        }
        return { kind: "dsm", code, details: body.error?.errors };
    }

    /** Turn an axios/Node error into a DsmTransportError that carries no config, request or secret. */
    protected transportError(api: string, method: string, e: unknown): DsmTransportError {
        const err = e as { code?: string; message?: string; cause?: { code?: string } };
        const code = err?.code ?? err?.cause?.code ?? "EUNKNOWN";
        let message = err?.message ?? String(e);
        if (UNTRUSTED_CERT_CODES.includes(code)) {
            message = `the NAS's TLS certificate is not trusted (${code}). DSM uses a self-signed certificate by default: pin it with tls.fingerprintSha256 (or tls.caCertPem), or install a trusted certificate on the NAS`;
        } else if (code === "ECONNABORTED" || code === "ETIMEDOUT") {
            message = `no answer from ${this.url} within the timeout (${message})`;
        } else if (code === "ECONNREFUSED") {
            message = `connection refused by ${this.url}: is DSM running and the port right (5001 https, 5000 http)?`;
        } else if (code === "CERT_FINGERPRINT_MISMATCH") {
            message = err.message ?? message;
        }
        return new DsmTransportError(api, method, code, message, this.secrets());
    }

    /**
     * For an untrusted certificate, add the fingerprint the NAS presented (read with a connection that sends
     * nothing), so that the user can compare it with the one DSM shows and pin it.
     */
    protected async withCertificateHint(err: DsmTransportError): Promise<DsmTransportError> {
        if (!UNTRUSTED_CERT_CODES.includes(err.code) || !this.url.startsWith("https:")) return err;
        try {
            const u = new URL(this.url);
            const cert = await fetchPeerCertificate(u.hostname.replace(/^\[|\]$/g, ""), Number(u.port || 443), 5_000);
            const fp = (cert.fingerprint256 ?? "").toLowerCase();
            // Node 22 types a repeated CN as a list: written as a template writes one, comma-separated.
            const subject = cert.subject?.CN ? ` for "${[cert.subject.CN].flat().join(",")}"` : "";
            const text = `${err.message.replace(`${err.api} ${err.method}: `, "")}. The NAS presented a certificate${subject} with SHA-256 fingerprint ${fp}: if DSM (Control Panel > Security > Certificate) shows the same, set tls.fingerprintSha256 to it`;
            return new DsmTransportError(err.api, err.method, err.code, text, this.secrets());
        } catch {
            return err;
        }
    }
}

/** Transport failures worth retrying: the connection was reset or the NAS answered 5xx. Not timeouts. */
function isRetryableTransport(code: string): boolean {
    return (
        ["ECONNRESET", "EPIPE", "ECONNREFUSED_RETRY", "ERR_STREAM_PREMATURE_CLOSE", "socket hang up"].includes(code) ||
        /^HTTP_5\d\d$/.test(code)
    );
}
