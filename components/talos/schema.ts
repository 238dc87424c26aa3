/**
 * Fetches the Talos machine-config JSON schema for one Talos release and caches it on disk per version.
 *
 * The schema is only an early check: when it cannot be fetched (offline, GitHub down, a proxy page instead
 * of JSON) the caller gets one warning and `undefined`, and the patches get the schema-free checks only
 * (validate.ts: YAML syntax, JSON-patch rules, the hostname conflict, ...).
 * A download is cached only after it proved to be a usable Talos config schema (parsed, right layout,
 * compiled by ajv), so a bad response is never pinned for later runs; a cache file that fails the same
 * check is ignored and fetched again.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { releaseTag } from "../version";
import { DEFAULT_TALOS_SCHEMA_URL_TEMPLATE } from "./config";
import { checkerFingerprint, passedCheckFile } from "./passed-checks";
import { LabelledPatch, validatePatches } from "./validate";
import { prepareTalosSchema, TalosConfigSchema, talosSchemaProblem } from "./validate-schema";

const DEFAULT_FETCH_TIMEOUT_MS = 15_000;

export interface LoadTalosConfigSchemaArgs {
    /** Talos release, with or without the leading `v` (`v1.12.1`, `1.12.1`). */
    talosVersion: string;
    /** URL with `{version}` where the release tag goes. Default {@link DEFAULT_TALOS_SCHEMA_URL_TEMPLATE}. */
    urlTemplate?: string;
    /** Cache directory. Default `$HOMELAB_CACHE_DIR`, else `$XDG_CACHE_HOME/homelab`, else `~/.cache/homelab`. */
    cacheDir?: string;
    /** Called at most once per call, when the schema cannot be had and checks are skipped. */
    warn: (message: string) => void;
    /** Give up on the download after this long. Default 15 s. */
    fetchTimeoutMs?: number;
}

/** The cache directory used when none is given. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    if (env.HOMELAB_CACHE_DIR) return env.HOMELAB_CACHE_DIR;
    if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, "homelab");
    return path.join(os.homedir(), ".cache", "homelab");
}

/** Cache file of one version, e.g. `<dir>/talos-config-schema-v1.12.1.json`. */
export function schemaCacheFile(cacheDir: string, talosVersion: string): string {
    const safe = releaseTag(talosVersion).replace(/[^A-Za-z0-9._+-]/g, "_");
    return path.join(cacheDir, `talos-config-schema-${safe}.json`);
}

/** The schema URL of one version. */
export function schemaUrl(urlTemplate: string, talosVersion: string): string {
    return urlTemplate.split("{version}").join(encodeURIComponent(releaseTag(talosVersion)));
}

/** Text for messages with URL credentials (`//user:pass@`) blanked, so a credential never reaches a log. */
export function withoutCredentials(text: string): string {
    return text.replace(/\/\/[^/@\s]*@/g, "//…@");
}

/** Parses text and checks it is a Talos config schema ajv can compile; returns it or why not. */
function usableSchema(text: string): { schema: TalosConfigSchema } | { problem: string } {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        return { problem: "it is not JSON" };
    }
    const problem = talosSchemaProblem(parsed);
    if (problem) return { problem };
    const schema = parsed as TalosConfigSchema;
    try {
        prepareTalosSchema(schema);
    } catch (e) {
        return { problem: `it does not compile as a JSON schema (${(e as Error).message.split("\n")[0]})` };
    }
    return { schema };
}

function readText(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

function readCache(file: string): { schema: TalosConfigSchema; text: string } | undefined {
    const text = readText(file);
    if (text === undefined) return undefined;
    const r = usableSchema(text);
    return "schema" in r ? { schema: r.schema, text } : undefined;
}

/** Writes via a temporary file and a rename, so a reader never sees half a file. */
function writeCacheAtomically(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
        fs.writeFileSync(tmp, text, { mode: 0o644 });
        fs.renameSync(tmp, file);
    } catch (e) {
        try {
            fs.unlinkSync(tmp);
        } catch {
            /* already gone */
        }
        throw e;
    }
}

async function download(url: string, timeoutMs: number): Promise<string> {
    const u = new URL(url);
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error(`unsupported URL scheme ${u.protocol}`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
        const res = await fetch(url, {
            signal: controller.signal,
            redirect: "follow",
            headers: { accept: "application/json" },
        });
        const body = await res.text();
        if (!res.ok) throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`);
        return body;
    } catch (e) {
        if (controller.signal.aborted) throw new Error(`no answer within ${timeoutMs} ms`);
        const err = e as Error & { cause?: { code?: string; message?: string } };
        throw new Error(err.cause?.code ?? err.cause?.message ?? err.message);
    } finally {
        clearTimeout(timer);
    }
}

/**
 * The Talos config schema of `talosVersion`: from the cache when a usable copy is there, else downloaded,
 * checked and cached. `undefined` (after exactly one `warn`) when it cannot be had; never throws for that.
 */
export async function loadTalosConfigSchema(args: LoadTalosConfigSchemaArgs): Promise<TalosConfigSchema | undefined> {
    return (await loadSchema(args))?.schema;
}

/** {@link loadTalosConfigSchema}, with the text the schema was parsed from. */
async function loadSchema(
    args: LoadTalosConfigSchemaArgs,
): Promise<{ schema: TalosConfigSchema; text: string } | undefined> {
    const tag = releaseTag(args.talosVersion);
    const cacheDir = args.cacheDir ?? defaultCacheDir();
    const file = schemaCacheFile(cacheDir, tag);
    const cached = readCache(file);
    if (cached) return cached;

    const url = schemaUrl(args.urlTemplate ?? DEFAULT_TALOS_SCHEMA_URL_TEMPLATE, tag);
    let text: string;
    try {
        text = await download(url, args.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS);
    } catch (e) {
        args.warn(
            `Talos config schema for ${tag} could not be fetched from ${withoutCredentials(url)} (${withoutCredentials((e as Error).message)}); ` +
                "skipping the schema check of machine-config patches (the checks that need no schema still run). " +
                "Set cluster.configSchemaUrl if the default location is unreachable.",
        );
        return undefined;
    }
    const r = usableSchema(text);
    if ("problem" in r) {
        args.warn(
            `What ${withoutCredentials(url)} returned is not a Talos config schema (${r.problem}); skipping the schema check of ` +
                "machine-config patches (the checks that need no schema still run).",
        );
        return undefined;
    }
    try {
        writeCacheAtomically(file, text);
    } catch (e) {
        args.warn(
            `Talos config schema for ${tag} could not be cached in ${cacheDir} (${(e as Error).message}); it will be fetched again next run.`,
        );
    }
    return { schema: r.schema, text };
}

export interface CheckPatchesArgs {
    /** Talos release of the cluster, e.g. `v1.12.1`. */
    talosVersion: string;
    /** Schema URL template (`cluster.configSchemaUrl`); default {@link DEFAULT_TALOS_SCHEMA_URL_TEMPLATE}. */
    urlTemplate?: string;
    /** Schema cache directory; default {@link defaultCacheDir}. */
    cacheDir?: string;
    /**
     * Every patch the program will send, one list per node in apply order, each patch labelled by where it
     * comes from (e.g. `nodes[0].patches[1]`). Each list is checked on its own: what an earlier patch of a
     * node added (a document, a HostnameConfig) matters for that node's later patches only.
     */
    patchSets: readonly (readonly LabelledPatch[])[];
    /** Receives the one warning when the schema cannot be fetched. */
    warn: (message: string) => void;
    /** Download timeout; default 15 s. */
    fetchTimeoutMs?: number;
}

/**
 * Checks all patches: the schema-free rules always, the schema rules against the cluster's Talos config
 * schema when it can be had (else after one warning). Returns the problems; empty = every patch is fine.
 *
 * A check that passed is recorded (./passed-checks.ts): when the cached schema's text, the patches and the
 * checker's code are all what they were at a recorded pass, the answer is that pass, without compiling the
 * schema again. Problems are never recorded: they are found afresh every run.
 */
export async function checkPatchesAgainstSchema(args: CheckPatchesArgs): Promise<string[]> {
    const cacheDir = args.cacheDir ?? defaultCacheDir();
    const record = (text: string) => passedCheckFile(cacheDir, text, args.patchSets, checkerFingerprint());
    const cachedText = readText(schemaCacheFile(cacheDir, args.talosVersion));
    if (cachedText !== undefined && fs.existsSync(record(cachedText))) return [];
    const loaded = await loadSchema({
        talosVersion: args.talosVersion,
        urlTemplate: args.urlTemplate,
        cacheDir,
        warn: args.warn,
        fetchTimeoutMs: args.fetchTimeoutMs,
    });
    // A patch shared by several nodes (the UPS one) is reported once.
    const problems = [...new Set(args.patchSets.flatMap((patches) => validatePatches(patches, loaded?.schema)))];
    if (loaded && problems.length === 0) {
        try {
            writeCacheAtomically(record(loaded.text), "");
        } catch {
            // Not recorded: the check runs again next time.
        }
    }
    return problems;
}
