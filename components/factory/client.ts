/**
 * A small client for the Talos Image Factory HTTP API (axios).
 *
 * Every failure becomes a `FactoryError` whose message says what went wrong in the user's terms and
 * which setting to look at. Idempotent calls (GET, HEAD, and POST /schematics, which is idempotent by
 * content) are retried a bounded number of times with exponential backoff on 429/5xx answers and on
 * connection resets/timeouts; a 500 that is the factory's "cannot parse this version" answer is not
 * retried, as it cannot succeed.
 */
import type { AxiosError, AxiosInstance, AxiosRequestConfig, AxiosResponse, Method } from "axios";
import type { Readable } from "stream";
import { fixErrorFields } from "../errors";
import { releaseTag } from "../version";
import { canonicalSchematicYaml, Schematic } from "./schematic";

/** One entry of `GET /version/:v/extensions/official`. */
export interface OfficialExtension {
    name: string;
    ref: string;
    digest: string;
    author: string;
    description: string;
}

export interface FactoryClientOptions {
    /** Per-request timeout (ms) for API calls, and for the first byte of a download. Default 30000. */
    timeoutMs?: number;
    /** Extra attempts for retryable failures. Default 3. */
    retries?: number;
    /** First backoff delay (ms), doubled per attempt, capped at 10 s. Default 500. */
    retryBaseDelayMs?: number;
    /** Redirects followed by downloads. Default 5. */
    maxRedirects?: number;
    /** User-Agent header. */
    userAgent?: string;
}

/** A failure talking to the Image Factory, with a message meant for the user. */
export class FactoryError extends Error {
    /** HTTP status, when the factory answered. */
    readonly status?: number;
    /** Node/axios error code (ECONNREFUSED, ...), when it did not. */
    readonly code?: string;
    constructor(message: string, status?: number, code?: string) {
        super(message);
        this.status = status;
        this.code = code;
        fixErrorFields(this, "FactoryError", message);
    }
}

// Arrays, not Sets: this module is serialised with the dynamic provider, and Sets do not survive that.
const RETRY_CODES = [
    "ECONNRESET",
    "ECONNREFUSED",
    "ETIMEDOUT",
    "ECONNABORTED",
    "EPIPE",
    "EAI_AGAIN",
    "ERR_SOCKET_CONNECTION_TIMEOUT",
];
const RETRY_STATUS = [429, 500, 502, 503, 504];

async function bodyText(data: unknown): Promise<string> {
    if (data === undefined || data === null) return "";
    if (typeof data === "string") return data.trim();
    if (Buffer.isBuffer(data)) return data.toString("utf8").trim();
    if (typeof (data as Readable).on === "function" && typeof (data as Readable).read === "function") {
        const s = data as Readable;
        const parts: Buffer[] = [];
        let n = 0;
        try {
            for await (const c of s) {
                const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
                parts.push(b);
                n += b.length;
                if (n > 4096) break;
            }
        } catch {
            /* best effort */
        }
        s.destroy();
        return Buffer.concat(parts).toString("utf8").slice(0, 4096).trim();
    }
    try {
        return JSON.stringify(data);
    } catch {
        return Object.prototype.toString.call(data); // not serialisable (a cycle): its kind, `[object Object]`
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a request is for, so errors can be phrased for it. */
interface Purpose {
    /** e.g. "list Talos versions" */
    what: string;
    version?: string;
    schematicId?: string;
}

export class FactoryClient {
    /** Base URL without trailing slash. */
    readonly baseUrl: string;
    /** Made on the first request (see {@link http}). */
    private httpInstance?: AxiosInstance;
    private readonly httpConfig: AxiosRequestConfig;
    private readonly retries: number;
    private readonly baseDelay: number;
    private readonly maxRedirects: number;
    private readonly timeoutMs: number;

    constructor(baseUrl: string, opts: FactoryClientOptions = {}) {
        let u: URL;
        try {
            u = new URL(baseUrl);
        } catch {
            throw new FactoryError(
                `FactoryClient: "${baseUrl}" is not a URL (parseStackConfig checks image.factoryUrl)`,
            );
        }
        if (u.protocol !== "https:" && u.protocol !== "http:") {
            throw new FactoryError(
                `FactoryClient: "${baseUrl}" is not an http(s) URL (parseStackConfig checks image.factoryUrl)`,
            );
        }
        this.baseUrl = baseUrl.replace(/\/+$/, "");
        this.retries = opts.retries ?? 3;
        this.baseDelay = opts.retryBaseDelayMs ?? 500;
        this.maxRedirects = opts.maxRedirects ?? 5;
        this.timeoutMs = opts.timeoutMs ?? 30000;
        this.httpConfig = {
            baseURL: this.baseUrl,
            timeout: this.timeoutMs,
            validateStatus: () => true,
            maxRedirects: 0,
            proxy: false,
            headers: { "User-Agent": opts.userAgent ?? "homelab-pulumi (talos image factory client)" },
            transitional: { silentJSONParsing: true, forcedJSONParsing: false, clarifyTimeoutError: true },
            responseType: "text",
        };
    }

    /**
     * The HTTP client, made (and axios loaded) on the first request: a provider host that only checks inputs (every
     * preview) never loads axios and what it pulls in (about a tenth of a second).
     */
    private get http(): AxiosInstance {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, not with this module
        this.httpInstance ??= (require("axios") as typeof import("axios")).default.create(this.httpConfig);
        return this.httpInstance;
    }

    /** GET /versions: the Talos versions the factory offers. */
    async versions(): Promise<string[]> {
        const r = await this.call("GET", "/versions", { what: "list the Talos versions it offers" });
        return this.json<string[]>(r, "the version list");
    }

    /** GET /version/:v/extensions/official. Unknown version → FactoryError naming it. */
    async officialExtensions(version: string): Promise<OfficialExtension[]> {
        const v = releaseTag(version);
        const r = await this.call("GET", `/version/${encodeURIComponent(v)}/extensions/official`, {
            what: `list official extensions for Talos ${v}`,
            version: v,
        });
        return this.json<OfficialExtension[]>(r, "the extension list");
    }

    /** POST /schematics with the canonical YAML; returns the factory's schematic ID. */
    async createSchematic(schematic: Schematic | string): Promise<string> {
        const body = typeof schematic === "string" ? schematic : canonicalSchematicYaml(schematic);
        const r = await this.call(
            "POST",
            "/schematics",
            { what: "register the schematic" },
            { data: body, headers: { "Content-Type": "application/yaml" } },
        );
        const j = this.json<{ id?: unknown }>(r, "the schematic answer");
        if (typeof j.id !== "string" || !/^[0-9a-f]{64}$/.test(j.id)) {
            throw new FactoryError(
                `The Image Factory at ${this.baseUrl} answered POST /schematics without a schematic ID (got ${JSON.stringify(j).slice(0, 200)})`,
                r.status,
            );
        }
        return j.id;
    }

    /** GET /schematics/:id: the canonical YAML the factory stored. */
    async getSchematic(id: string): Promise<string> {
        const r = await this.call("GET", `/schematics/${encodeURIComponent(id)}`, {
            what: `read schematic ${id}`,
            schematicId: id,
        });
        return typeof r.data === "string" ? r.data : String(r.data);
    }

    /** HEAD on an asset URL (absolute, or a path under the factory): its Content-Length. */
    async assetSize(url: string): Promise<number> {
        const r = await this.call("HEAD", url, this.assetPurpose(url)).catch((e) => this.explainHead404(e, url));
        const len = Number(r.headers["content-length"]);
        if (!Number.isFinite(len) || len < 0) {
            throw new FactoryError(
                `The Image Factory at ${this.baseUrl} did not report a size (Content-Length) for ${url}`,
                r.status,
            );
        }
        return len;
    }

    /**
     * Open a download (following redirects, e.g. the factory's 302 to its CDN). Retries before the
     * body starts; a failure mid-body surfaces as an 'error' event on the stream (the caller decides
     * whether to start over). `size` is the Content-Length of the final response, when sent.
     */
    async openAssetStream(url: string): Promise<{ stream: Readable; size: number | undefined; finalUrl: string }> {
        const r = await this.call("GET", url, this.assetPurpose(url), {
            responseType: "stream",
            maxRedirects: this.maxRedirects,
            decompress: false,
        });
        const len = Number(r.headers["content-length"]);
        const req = r.request as { res?: { responseUrl?: string } } | undefined;
        return {
            stream: r.data as Readable,
            size: Number.isFinite(len) && r.headers["content-length"] !== undefined ? len : undefined,
            finalUrl: req?.res?.responseUrl ?? url,
        };
    }

    /** A HEAD 404/500 has no body: find out whether the schematic or the version is missing. */
    private async explainHead404(e: unknown, url: string): Promise<never> {
        const p = this.assetPurpose(url);
        if (!(e instanceof FactoryError) || (e.status !== 404 && e.status !== 500) || !p.schematicId || !p.version)
            throw e;
        await this.getSchematic(p.schematicId); // throws "not registered" when that is the cause
        await this.officialExtensions(p.version); // throws "version not offered" when that is the cause
        throw e;
    }

    private assetPurpose(url: string): Purpose {
        const m = /\/image\/([0-9a-f]{64})\/([^/]+)\/([^/?]+)/.exec(url);
        return m ? { what: `fetch ${m[3]}`, schematicId: m[1], version: m[2] } : { what: `fetch ${url}` };
    }

    private json<T>(r: AxiosResponse, what: string): T {
        if (typeof r.data !== "string") return r.data as T;
        try {
            return JSON.parse(r.data) as T;
        } catch {
            throw new FactoryError(
                `The Image Factory at ${this.baseUrl} sent ${what} that is not JSON: ${r.data.slice(0, 200)}`,
                r.status,
            );
        }
    }

    private async call(
        method: Method,
        url: string,
        purpose: Purpose,
        extra: Record<string, unknown> = {},
    ): Promise<AxiosResponse> {
        let last: FactoryError | undefined;
        for (let attempt = 0; attempt <= this.retries; attempt++) {
            if (attempt > 0) await sleep(Math.min(10000, this.baseDelay * 2 ** (attempt - 1)));
            let r: AxiosResponse;
            try {
                r = await this.http.request({ method, url, ...extra });
            } catch (e) {
                const err = e as AxiosError;
                const code = err.code ?? "";
                const tries = attempt > 0 ? `, ${attempt + 1} attempts` : "";
                last =
                    code === "ETIMEDOUT" || code === "ECONNABORTED"
                        ? new FactoryError(
                              `The Image Factory at ${this.baseUrl} did not answer within ${this.timeoutMs / 1000} s when asked to ${purpose.what} (${code}${tries}). It may be overloaded; try again later.`,
                              undefined,
                              code,
                          )
                        : new FactoryError(
                              `Cannot reach the Image Factory at ${this.baseUrl} to ${purpose.what} (${code || err.message}${tries}). Check image.factoryUrl and that this machine can reach it.`,
                              undefined,
                              code,
                          );
                if (RETRY_CODES.includes(code) || /socket hang up|aborted/i.test(err.message)) continue;
                throw last;
            }
            if (r.status >= 200 && r.status < 300) return r;
            const body = await bodyText(r.data);
            last = this.mapError(method, url, r.status, body, purpose, attempt + 1);
            const parseError = r.status === 500 && /pars|semantic version/i.test(body);
            if (RETRY_STATUS.includes(r.status) && !parseError) continue;
            throw last;
        }
        throw last!;
    }

    private mapError(
        method: Method,
        url: string,
        status: number,
        body: string,
        p: Purpose,
        attempts: number,
    ): FactoryError {
        const at = `the Image Factory at ${this.baseUrl}`;
        const said = body ? `: ${body}` : "";
        if (status === 404 && p.version && /version .* is not available|not available/i.test(body)) {
            return new FactoryError(
                `Talos version ${p.version} is not offered by ${at}. Set cluster.talosVersion to a released version (see ${this.baseUrl}/versions).`,
                status,
            );
        }
        if (status === 404 && p.schematicId && /schematic not found/i.test(body)) {
            return new FactoryError(
                `Schematic ${p.schematicId} is not registered at ${at}; it is registered by the image's schematic resource (pulumi up registers it again).`,
                status,
            );
        }
        if (status === 500 && p.version && /pars|semantic version/i.test(body)) {
            return new FactoryError(
                `Talos version "${p.version}" is not a valid version for ${at}${said}. Use the form v1.12.1 in cluster.talosVersion.`,
                status,
            );
        }
        if (status === 400 && method === "POST") {
            return new FactoryError(
                `${capital(at)} refused the schematic${said}. Check image.extensions and image.extraKernelArgs.`,
                status,
            );
        }
        if (status === 400 && /official extension/i.test(body)) {
            return new FactoryError(
                `${capital(at)} cannot build this image${said}. Remove or replace that extension in image.extensions.`,
                status,
            );
        }
        if (status === 400) return new FactoryError(`${capital(at)} rejected ${method} ${url}${said}.`, status);
        if (status === 402)
            return new FactoryError(`${capital(at)} serves ${url} only to Enterprise customers (402)${said}.`, status);
        if (status === 401 || status === 403) {
            return new FactoryError(
                `${capital(at)} refused access (${status})${said}. This factory needs authentication; use the public https://factory.talos.dev or configure access.`,
                status,
            );
        }
        if (status === 404)
            return new FactoryError(`${capital(at)} has no ${url} (404)${said}. Check image.factoryUrl.`, status);
        if (status >= 500 || status === 429) {
            return new FactoryError(
                `${capital(at)} failed to ${p.what} (HTTP ${status}${said}) after ${attempts} attempt${attempts > 1 ? "s" : ""}. It may be busy or down; try again later.`,
                status,
            );
        }
        return new FactoryError(`${capital(at)} answered ${status} to ${method} ${url}${said}.`, status);
    }
}

function capital(s: string): string {
    return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Check, before registering anything, that the factory offers `version` and every one of
 * `extensions` for it. Throws one FactoryError naming all unknown extensions (with suggestions).
 * Returns the matching official extensions, in the order asked.
 */
export async function validateImageRequest(
    client: FactoryClient,
    version: string,
    extensions: string[],
): Promise<OfficialExtension[]> {
    const v = releaseTag(version);
    const versions = await client.versions();
    if (!versions.includes(v)) {
        const sameMinor = versions.filter((x) => x.startsWith(v.split(".").slice(0, 2).join(".") + "."));
        const hint =
            sameMinor.length > 0
                ? ` Offered in that line: ${sameMinor.slice(-5).join(", ")}.`
                : ` Newest offered: ${versions.slice(-3).join(", ")}.`;
        throw new FactoryError(
            `Talos version ${v} is not offered by the Image Factory at ${client.baseUrl}.${hint} Fix cluster.talosVersion.`,
            404,
        );
    }
    const offered = await client.officialExtensions(v);
    const byName = new Map(offered.map((e) => [e.name, e]));
    const unknown = extensions.filter((e) => !byName.has(e));
    if (unknown.length > 0) {
        const described = unknown.map((u) => {
            const short = u.split("/").pop() ?? u;
            const near = offered
                .filter((o) => o.name.endsWith(`/${short}`) || o.name.includes(short))
                .map((o) => o.name);
            return near.length > 0 ? `${u} (did you mean ${near.slice(0, 3).join(" or ")}?)` : u;
        });
        throw new FactoryError(
            `The Image Factory at ${client.baseUrl} does not offer ${unknown.length === 1 ? "this extension" : "these extensions"} for Talos ${v}: ` +
                `${described.join(", ")}. Fix image.extensions (see ${client.baseUrl}/version/${v}/extensions/official).`,
            404,
        );
    }
    return extensions.map((e) => byName.get(e)!);
}
