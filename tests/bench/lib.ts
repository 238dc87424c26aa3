/**
 * Helpers shared by the benchmark's parts: child processes (ts-node, IPC, one JSON result line), the seed's
 * stack values pointed at local servers, and small statistics.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const MiB = 1024 * 1024;

/** Marker of the one result line a child prints on stdout. */
export const RESULT_PREFIX = "BENCH-RESULT ";

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function round(x: number, digits = 2): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}

/** Node arguments that run a TypeScript entry the way `npm run bench` does (ts-node, transpile only). */
export function tsNodeArgs(entry: string, args: string[] = []): string[] {
    return ["-r", require.resolve("ts-node/register/transpile-only"), path.join(__dirname, entry), ...args];
}

/** Start a TypeScript child with an IPC channel; its stderr goes to ours. */
export function spawnTs(entry: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn(process.execPath, tsNodeArgs(entry, args), {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "inherit", "ipc"],
    });
}

/** Run a child to completion and return the JSON of its `BENCH-RESULT` line. */
export function runChildForResult<T>(entry: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<T> {
    return new Promise((resolve, reject) => {
        const child = spawnTs(entry, args, env);
        let out = "";
        child.stdout!.on("data", (c: Buffer) => (out += c.toString("utf8")));
        child.on("error", reject);
        child.on("exit", (code, signal) => {
            const line = out.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
            if (code !== 0 || !line) {
                reject(
                    new Error(`${entry} ${args.join(" ")} exited with ${code ?? signal}; output:\n${out.slice(-2000)}`),
                );
                return;
            }
            resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
        });
    });
}

/** In a child: print the result line and exit. */
export function emitResult(value: unknown): void {
    process.stdout.write(RESULT_PREFIX + JSON.stringify(value) + "\n", () => process.exit(0));
}

/** The seed's stack file's `homelab:*` values, without the prefix (Pulumi.dev.yaml at the repo root). */
export function seedStackValues(): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, unknown>;
    };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc.config)) {
        if (k.startsWith("homelab:")) out[k.slice("homelab:".length)] = v;
    }
    return out;
}

/** Deep copy of JSON-like values. */
export function clone<T>(v: T): T {
    return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * The seed's values with every remote address replaced by a local one: the NAS by `dsmUrl` (with `tls`), the
 * Image Factory by `factoryUrl`, the schema URL by `schemaUrlTemplate`. The secrets are the bench's own.
 * Addresses inside the LAN config (DHCP range, node IPs, endpoint) stay as data: nothing here contacts them.
 */
export function localisedSeedValues(opts: {
    dsmUrl: string;
    tls?: Record<string, unknown>;
    allowHttp?: boolean;
    factoryUrl: string;
    schemaUrlTemplate?: string;
}): Record<string, unknown> {
    const v = clone(seedStackValues());
    const synology = v.synology as Record<string, unknown>;
    synology.url = opts.dsmUrl;
    if (opts.tls) synology.tls = opts.tls;
    if (opts.allowHttp) synology.allowHttp = true;
    (v.image as Record<string, unknown>).factoryUrl = opts.factoryUrl;
    if (opts.schemaUrlTemplate) (v.cluster as Record<string, unknown>).configSchemaUrl = opts.schemaUrlTemplate;
    (v.nodes as Array<Record<string, unknown>>)[0].mac = "d8:3a:dd:5e:a0:01"; // a real card's, in place of the file's placeholder
    v.synologyPassword = BENCH_DSM_PASSWORD;
    v.upsPassword = "bench-ups-password";
    return v;
}

export const BENCH_DSM_PASSWORD = "bench-S3cret!%&";

/** Every URL-ish string in a value must point at loopback (guard against contacting the seed's real hosts). */
export function assertOnlyLoopbackUrls(values: unknown, what: string): void {
    const urls: string[] = [];
    const walk = (x: unknown): void => {
        if (typeof x === "string" && /^[a-z]+:\/\//i.test(x)) urls.push(x);
        else if (Array.isArray(x)) x.forEach(walk);
        else if (x && typeof x === "object") Object.values(x).forEach(walk);
    };
    walk(values);
    for (const u of urls) {
        const host = new URL(u.replace("{version}", "v0.0.0")).hostname;
        // The cluster endpoint is data for the Talos provider (mocked here), never dialled by the bench.
        if (host !== "127.0.0.1" && host !== "[::1]" && !/:6443\/?$/.test(u)) {
            throw new Error(`${what}: ${u} is not a loopback URL; the benchmark only talks to 127.0.0.1`);
        }
    }
}

/** Peaks of `process.memoryUsage()` while some work ran, against the RSS just before it. */
export interface MemoryPeaks {
    baseline: number;
    peak: number;
    heapPeak: number;
    externalPeak: number;
    arrayBuffersPeak: number;
    samples: number;
}

/**
 * Samples `process.memoryUsage()` every 20 ms from now (after 50 ms for the loaded modules to settle) until
 * `stop()`, which samples once more and returns the peaks.
 */
export async function sampleMemory(): Promise<{ stop(): MemoryPeaks }> {
    await new Promise((r) => setTimeout(r, 50));
    const baseline = process.memoryUsage().rss;
    const p: MemoryPeaks = { baseline, peak: baseline, heapPeak: 0, externalPeak: 0, arrayBuffersPeak: 0, samples: 0 };
    const sample = (): void => {
        const m = process.memoryUsage();
        p.samples++;
        p.peak = Math.max(p.peak, m.rss);
        p.heapPeak = Math.max(p.heapPeak, m.heapUsed);
        p.externalPeak = Math.max(p.externalPeak, m.external);
        p.arrayBuffersPeak = Math.max(p.arrayBuffersPeak, m.arrayBuffers);
    };
    const timer = setInterval(sample, 20);
    return {
        stop() {
            clearInterval(timer);
            sample();
            return p;
        },
    };
}

/** One line of the summary: a goal met or missed, with the figures behind it. */
export function goal(name: string, ok: boolean, detail: string): string {
    return `  ${ok ? "goal met   " : "GOAL MISSED"} ${name}: ${detail}`;
}
