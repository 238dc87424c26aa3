/**
 * Reference data of the tests: public upstream files (schemas), pinned by source and sha256, never copied
 * into the repository.
 *
 * Where a file comes from, first match wins, each copy checked against its pinned sha256:
 * 1. `$SHARED_DIR/reference/<name>`, else `../shared/reference/<name>` beside the checkout (this repository's
 *    CI lays it there; then nothing is downloaded);
 * 2. the cache, `.cache/reference/<name>` in the checkout (git-ignored);
 * 3. a download from `<base>/<owner>/<repo>/<ref>/<path>`, where `<base>` is `$HOMELAB_REFERENCE_BASE_URL`
 *    or https://raw.githubusercontent.com (so a mirror is a static server over a folder laid out like
 *    raw.githubusercontent.com). A download is checked, then written into the cache atomically.
 *
 * `ensureReferenceFiles` does 1-3 for every pinned file; jest runs it once before any test
 * (tests/support/reference-setup.ts, package.json `globalSetup`). Tests then read synchronously with
 * `readReferenceText` / `readReferenceJson`, which look at 1 and 2 only and never reach the network.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { withoutCredentials } from "../../components/talos/schema";
import { repoRoot } from "./shared";

export const UPSTREAM_BASE_URL = "https://raw.githubusercontent.com";
export const BASE_URL_ENV = "HOMELAB_REFERENCE_BASE_URL";
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

export interface ReferenceFile {
    /** File name under reference/ and in the cache. */
    name: string;
    /** GitHub repository, `owner/name`. */
    repo: string;
    /** Release tag or full commit id the file is pinned at. */
    ref: string;
    /** Path of the file inside the repository at `ref`. */
    path: string;
    /** sha256 (hex) of the upstream bytes. */
    sha256: string;
    /**
     * Other sums accepted for a local copy (shared folder or cache) but never for a download, each with why
     * that copy holds the same data.
     */
    localVariants?: readonly { sha256: string; why: string }[];
}

/** Every reference file the tests read. A test that reads a name not listed here fails with a pointer to this list. */
export const REFERENCE_FILES: readonly ReferenceFile[] = [
    {
        name: "talos-config-schema-v1.12.1.json",
        repo: "siderolabs/talos",
        ref: "v1.12.1", // commit 7ea2ef7cf4d0d48ac9b30eca9b7ec17aa83fde50
        path: "pkg/machinery/config/schemas/config.schema.json",
        sha256: "e37cdc389741c6bf474b5539cc10c518e82c1c9f6388c63510b311cce625a052",
    },
    {
        name: "pulumi-talos-schema-v0.8.1.json",
        repo: "pulumiverse/pulumi-talos",
        ref: "v0.8.1", // commit 1b5d2525bc890eb0eaf2cbf7e61fa7f9cbe2313f
        path: "provider/cmd/pulumi-resource-talos/schema.json",
        sha256: "353f9289300c548ce41fb36033bbae45abde70812f8f7470e3ee0179692105f6",
    },
    {
        // No release tag holds this version of the file: it lived on master between v3.43.1 and v3.44.0.
        name: "pulumi-project-schema.json",
        repo: "pulumi/pulumi",
        ref: "0498be116be896fa28b5af4746ad197666167d85",
        path: "sdk/go/common/workspace/project.json",
        sha256: "2002d197ef67648db8f92982012421d285459b3c14d135a5743abab0429eca93",
        localVariants: [
            {
                sha256: "71023c893397649a5d9dbae1320c11c4b182c16c333018595a7398e28159a0f2",
                why: "the copy in ../shared/reference: the same JSON value as upstream, re-indented",
            },
        ],
    },
];

export interface ReferenceSettings {
    /** Folder holding `reference/<name>` ($SHARED_DIR, or ../shared beside the checkout). */
    sharedDir: string;
    /** The cache folder. */
    cacheDir: string;
    /** Base URL of the download (no trailing slash needed). */
    baseUrl: string;
}

/** Settings from the environment: SHARED_DIR, HOMELAB_REFERENCE_BASE_URL; the cache is `.cache/reference`. */
export function referenceSettings(env: NodeJS.ProcessEnv = process.env): ReferenceSettings {
    return {
        sharedDir: env.SHARED_DIR || path.resolve(repoRoot, "..", "shared"),
        cacheDir: path.join(repoRoot, ".cache", "reference"),
        baseUrl: env[BASE_URL_ENV] || UPSTREAM_BASE_URL,
    };
}

/** The manifest entry of `name`; throws naming the manifest when the tests read a file nobody pinned. */
export function referenceFile(name: string): ReferenceFile {
    const file = REFERENCE_FILES.find((f) => f.name === name);
    if (!file) {
        throw new Error(
            `reference file ${name} is not pinned: add it to REFERENCE_FILES in tests/support/reference.ts ` +
                "with its upstream repository, tag or commit, path and sha256",
        );
    }
    return file;
}

/**
 * The download URL of a file: `<base>/<owner>/<repo>/<ref>/<path>`, the layout of raw.githubusercontent.com.
 * Trailing slashes of the base are dropped; a base may carry a path (`https://mirror.lan/github-raw`).
 */
export function referenceUrl(file: ReferenceFile, baseUrl: string = UPSTREAM_BASE_URL): string {
    let base: URL;
    try {
        base = new URL(baseUrl);
    } catch {
        throw new Error(
            `${BASE_URL_ENV}=${withoutCredentials(baseUrl)} is not a URL: set it to an http(s) base such as ${UPSTREAM_BASE_URL}, or unset it`,
        );
    }
    if (base.protocol !== "https:" && base.protocol !== "http:") {
        throw new Error(
            `${BASE_URL_ENV} must be an http(s) URL, not ${base.protocol}: set it to a base such as ${UPSTREAM_BASE_URL}, or unset it`,
        );
    }
    if (base.search || base.hash) {
        throw new Error(
            `${BASE_URL_ENV} must not carry a query or fragment (files are found at <base>/<owner>/<repo>/<ref>/<path>)`,
        );
    }
    return `${baseUrl.replace(/\/+$/, "")}/${file.repo}/${file.ref}/${file.path}`;
}

export function sha256Hex(bytes: Buffer): string {
    return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** Whether a copy with sha256 `sum` is accepted for `file`: the upstream sum, or (local copies only) a listed variant. */
function accepted(file: ReferenceFile, sum: string, local: boolean): boolean {
    return sum === file.sha256 || (local && (file.localVariants ?? []).some((v) => v.sha256 === sum));
}

export type ReferenceSource = "shared" | "cache" | "downloaded";

interface LocalLookup {
    found?: { source: "shared" | "cache"; file: string; bytes: Buffer };
    /** Local copies that were there but did not match, for the message when nothing else works. */
    rejected: string[];
}

/** Looks for an accepted copy in the shared folder, then the cache (no network). */
function findLocal(file: ReferenceFile, settings: ReferenceSettings): LocalLookup {
    const rejected: string[] = [];
    const candidates: ["shared" | "cache", string][] = [
        ["shared", path.join(settings.sharedDir, "reference", file.name)],
        ["cache", path.join(settings.cacheDir, file.name)],
    ];
    for (const [source, candidate] of candidates) {
        let bytes: Buffer;
        try {
            bytes = fs.readFileSync(candidate);
        } catch {
            continue;
        }
        const sum = sha256Hex(bytes);
        if (accepted(file, sum, true)) return { found: { source, file: candidate, bytes }, rejected };
        rejected.push(`${candidate} has sha256 ${sum}, not the pinned ${file.sha256}: ignored`);
    }
    return { rejected };
}

const readCache = new Map<string, string>();

/**
 * The text of a pinned reference file from the shared folder or the cache (see the top of this file).
 * Synchronous and offline: `npm test` fetched what was missing before the tests started.
 */
export function readReferenceText(name: string): string {
    const known = readCache.get(name);
    if (known !== undefined) return known;
    const file = referenceFile(name);
    const settings = referenceSettings();
    const { found, rejected } = findLocal(file, settings);
    if (!found) {
        throw new Error(
            `reference file ${name} is in neither ${path.join(settings.sharedDir, "reference")} nor ${settings.cacheDir}` +
                `${rejected.length ? ` (${rejected.join("; ")})` : ""}. \`npm test\` fetches it before the tests run (jest globalSetup); ` +
                "see the README, section Tests",
        );
    }
    const text = found.bytes.toString("utf8");
    readCache.set(name, text);
    return text;
}

/** A pinned reference file parsed as JSON. */
export function readReferenceJson<T = unknown>(name: string): T {
    return JSON.parse(readReferenceText(name)) as T;
}

/** Downloads one file, whole, into memory; rejects on a non-200 answer, a cut connection or the timeout. */
async function download(url: string, timeoutMs: number): Promise<Buffer> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    // fetch refuses a URL with credentials: a mirror's `user:password@` becomes a Basic Authorization header.
    const target = new URL(url);
    const headers: Record<string, string> = {};
    if (target.username || target.password) {
        const user = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
        headers.authorization = `Basic ${Buffer.from(user).toString("base64")}`;
        target.username = "";
        target.password = "";
    }
    try {
        const res = await fetch(target, { signal: controller.signal, redirect: "follow", headers });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200) throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`);
        return body;
    } catch (e) {
        if (controller.signal.aborted) throw new Error(`no complete answer within ${timeoutMs} ms`);
        const err = e as Error & { cause?: { code?: string; message?: string } };
        const cause = err.cause?.code ?? err.cause?.message;
        throw new Error(cause ? `${err.message}: ${cause}` : err.message);
    } finally {
        clearTimeout(timer);
    }
}

/** Writes `bytes` to `target` through a temporary file in the same folder, flushed, then renamed. */
function writeAtomically(target: string, bytes: Buffer): void {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = path.join(
        path.dirname(target),
        `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.part`,
    );
    try {
        const fd = fs.openSync(tmp, "wx", 0o644);
        try {
            fs.writeSync(fd, bytes);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(tmp, target);
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
    }
}

export interface EnsuredReference {
    name: string;
    source: ReferenceSource;
    /** Where it is now. */
    file: string;
}

export interface EnsureOptions {
    settings?: ReferenceSettings;
    /** The files to make available; default every pinned file. */
    files?: readonly ReferenceFile[];
    timeoutMs?: number;
    /** One line per file downloaded. */
    log?: (message: string) => void;
}

/** Thrown when some file could not be had: one message for all of them, saying how to get them. */
export class ReferenceDataError extends Error {
    constructor(
        message: string,
        readonly missing: readonly string[],
    ) {
        super(message);
        this.name = "ReferenceDataError";
    }
}

/** The one message for files that could not be had (`problems`: file → what went wrong). */
export function missingReferenceMessage(
    problems: ReadonlyMap<ReferenceFile, string[]>,
    settings: ReferenceSettings,
): string {
    const lines = [...problems].map(
        ([file, why]) => `  - ${file.name} (sha256 ${file.sha256})\n      ${why.join("\n      ")}`,
    );
    const upstreamHost = new URL(UPSTREAM_BASE_URL).host;
    const mirrorNote =
        settings.baseUrl === UPSTREAM_BASE_URL ? "" : ` (now ${BASE_URL_ENV}=${withoutCredentials(settings.baseUrl)})`;
    return [
        `The tests need ${problems.size} pinned reference file(s) that are in neither ${path.join(settings.sharedDir, "reference")} ` +
            `nor ${settings.cacheDir}, and downloading them failed:`,
        ...lines,
        "Get them in one of these ways, then run the tests again:",
        `  - allow outbound HTTPS to ${upstreamHost} once (the files are then cached in ${settings.cacheDir});`,
        `  - or set ${BASE_URL_ENV} to a mirror laid out like ${upstreamHost}, <base>/<owner>/<repo>/<ref>/<path>${mirrorNote};`,
        "  - or set SHARED_DIR to a folder holding reference/<name>;",
        `  - or put the files into ${path.join(settings.cacheDir, "<name>")} yourself (from the URLs above; the sha256 is checked).`,
    ].join("\n");
}

/**
 * Makes every pinned file available: nothing to do for a file in the shared folder or the cache; the others
 * are downloaded (in parallel), checked against their sha256 and cached. Throws one ReferenceDataError
 * naming every file that could not be had; a download with the wrong sum is never cached.
 */
export async function ensureReferenceFiles(options: EnsureOptions = {}): Promise<EnsuredReference[]> {
    const settings = options.settings ?? referenceSettings();
    const timeoutMs = options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
    const files = options.files ?? REFERENCE_FILES;
    const problems = new Map<ReferenceFile, string[]>();
    const results = await Promise.all(
        files.map(async (file): Promise<EnsuredReference | undefined> => {
            const { found, rejected } = findLocal(file, settings);
            if (found) return { name: file.name, source: found.source, file: found.file };
            let url: string;
            try {
                url = referenceUrl(file, settings.baseUrl);
            } catch (e) {
                problems.set(file, [...rejected, (e as Error).message]);
                return undefined;
            }
            const shownUrl = withoutCredentials(url);
            try {
                const bytes = await download(url, timeoutMs);
                const sum = sha256Hex(bytes);
                if (!accepted(file, sum, false)) {
                    throw new Error(
                        `sha256 mismatch: expected ${file.sha256}, got ${sum} (${bytes.length} bytes); not cached`,
                    );
                }
                const target = path.join(settings.cacheDir, file.name);
                writeAtomically(target, bytes);
                for (const r of rejected) options.log?.(`reference data: ${r}`);
                options.log?.(
                    `reference data: downloaded ${file.name} (${bytes.length} bytes) from ${shownUrl} into ${target}`,
                );
                return { name: file.name, source: "downloaded", file: target };
            } catch (e) {
                problems.set(file, [...rejected, `${shownUrl}: ${withoutCredentials((e as Error).message)}`]);
                return undefined;
            }
        }),
    );
    if (problems.size > 0) {
        const ordered = new Map(files.filter((f) => problems.has(f)).map((f) => [f, problems.get(f) ?? []]));
        throw new ReferenceDataError(
            missingReferenceMessage(ordered, settings),
            [...ordered.keys()].map((f) => f.name),
        );
    }
    return results.filter((r): r is EnsuredReference => r !== undefined);
}
