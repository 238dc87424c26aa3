/**
 * `npm run toolchain`: builds the real-engine toolchain of the end-to-end suite from Go — the Pulumi CLI, the
 * Node.js language host, the command and Talos provider plugins, talosctl (and whatever else versions.json
 * pins) — caches each piece by its pins, and prints as its LAST line the absolute path of a folder holding
 * every binary. Needs Go (1.26; `go` on PATH) and the Go module proxy; the pieces the proxy does not serve are
 * built from their upstream source committed in third_party/ (see each folder's ORIGIN), in place, without
 * writing into the checkout.
 *
 * Cache: $HOMELAB_TOOLCHAIN_DIR, else $XDG_CACHE_HOME/homelab/toolchain, else ~/.cache/homelab/toolchain.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    binDirFor,
    BuildStep,
    cacheKey,
    keyFiles,
    Layout,
    planBuild,
    sourceDir,
    ToolPin,
    Versions,
    versionsProblems,
} from "./plan";

const repoRoot = path.resolve(__dirname, "..", "..");

/** Where the toolchain is cached. */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
    if (env.HOMELAB_TOOLCHAIN_DIR) return path.resolve(env.HOMELAB_TOOLCHAIN_DIR);
    const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
    return path.join(base, "homelab", "toolchain");
}

export function defaultLayout(env: NodeJS.ProcessEnv = process.env): Layout {
    return {
        repoRoot,
        cacheRoot: defaultCacheRoot(env),
    };
}

export function readVersions(file = path.join(__dirname, "versions.json")): Versions {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    const problems = versionsProblems(parsed);
    if (problems.length > 0) throw new Error(`toolchain: ${file} is not usable:\n  - ${problems.join("\n  - ")}`);
    return parsed as Versions;
}

function goVersion(): string {
    try {
        return execFileSync("go", ["env", "GOVERSION"], {
            encoding: "utf8",
            env: { ...process.env, GOTOOLCHAIN: "local" },
        }).trim();
    } catch {
        throw new Error(
            "toolchain: `go` was not found on PATH. The end-to-end toolchain is built from Go source: install Go 1.26 " +
                "(https://go.dev/dl/) and make sure the Go module proxy (proxy.golang.org or $GOPROXY) is reachable.",
        );
    }
}

/** Files under `dir` (relative paths) that `keep` accepts, skipping testdata and dot folders. */
function walkFiles(dir: string, keep: (name: string) => boolean, rel = ""): string[] {
    const out: string[] = [];
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const r = path.join(rel, entry.name);
        if (entry.isDirectory()) {
            if (entry.name !== "testdata" && !entry.name.startsWith(".")) out.push(...walkFiles(dir, keep, r));
        } else if (keep(entry.name)) {
            out.push(r);
        }
    }
    return out;
}

const isGoSource = (name: string) => /\.go$|^go\.(mod|sum)$/.test(name) && !/_test\.go$/.test(name);

/** The cache keys of every piece (reads the files each key covers). */
export function computeKeys(versions: Versions, layout: Layout, go: string): Record<string, string> {
    const keys: Record<string, string> = {};
    for (const [name, pin] of Object.entries(versions)) {
        if (name.startsWith("$")) continue;
        const dir = sourceDir(pin as ToolPin, layout);
        if (!fs.existsSync(dir)) {
            throw new Error(
                `toolchain: ${name} ${pin.version} builds from ${dir}, which does not exist` +
                    (pin.from === "third_party" ? " (it is committed: restore it with git checkout)" : ""),
            );
        }
        const wanted = keyFiles(pin);
        // A third_party folder's module may replace into its siblings (talos-provider-0.8.1/bridge, …): the key
        // covers the whole upstream folder, third_party/<first segment of dir>.
        const root = wanted === "all-files" ? sourceDir({ ...pin, dir: pin.dir.split("/")[0] }, layout) : dir;
        const listed =
            wanted === "all-files"
                ? walkFiles(root, () => true)
                : wanted === "all-go-sources"
                  ? walkFiles(root, isGoSource)
                  : wanted;
        const files = listed.map((f) => ({ path: f, bytes: fs.readFileSync(path.join(root, f)) }));
        keys[name] = cacheKey(name, pin, go, files);
    }
    return keys;
}

function isBuilt(step: BuildStep): boolean {
    return (
        fs.existsSync(path.join(step.outDir, ".complete")) &&
        step.binaries.every((b) => fs.existsSync(path.join(step.outDir, b)))
    );
}

function runGoBuild(step: BuildStep, outDir: string): Promise<void> {
    const args = step.args.map((a) => (a === step.outDir + path.sep ? outDir + path.sep : a));
    return new Promise((resolve, reject) => {
        const child = spawn("go", args, {
            cwd: step.cwd,
            env: { ...process.env, ...step.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        const keep = (d: Buffer) => {
            output = (output + d.toString()).slice(-8000);
        };
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        child.on("error", (e) =>
            reject(new Error(`toolchain: building ${step.describe} failed to start: ${e.message}`)),
        );
        child.on("close", (code) => {
            if (code === 0) resolve();
            else
                reject(
                    new Error(
                        `toolchain: building ${step.describe} failed (go build exited ${code}):\n${output.trim()}`,
                    ),
                );
        });
    });
}

/** Builds one piece unless cached; returns the seconds it took, or undefined when it came from the cache. */
export async function buildStep(step: BuildStep): Promise<number | undefined> {
    if (isBuilt(step)) return undefined;
    const started = Date.now();
    const tmp = `${step.outDir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    try {
        await runGoBuild(step, tmp);
        for (const b of step.binaries) {
            if (!fs.existsSync(path.join(tmp, b)))
                throw new Error(`toolchain: building ${step.describe} wrote no ${b}`);
        }
        fs.writeFileSync(
            path.join(tmp, ".complete"),
            `${JSON.stringify({ name: step.name, version: step.version, key: step.key, builtAt: new Date().toISOString() })}\n`,
        );
        fs.rmSync(step.outDir, { recursive: true, force: true });
        fs.renameSync(tmp, step.outDir);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    return (Date.now() - started) / 1000;
}

/** Gathers every piece's binaries in one folder (symbolic links); returns it. */
export function linkBinDir(layout: Layout, steps: readonly BuildStep[]): string {
    const dir = binDirFor(layout, steps);
    const tmp = `${dir}.tmp-${process.pid}`;
    if (fs.existsSync(path.join(dir, ".complete"))) return dir;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    for (const s of steps) for (const b of s.binaries) fs.symlinkSync(path.join(s.outDir, b), path.join(tmp, b));
    fs.writeFileSync(
        path.join(tmp, "toolchain.json"),
        `${JSON.stringify(
            steps.map((s) => ({
                name: s.name,
                version: s.version,
                key: s.key,
                plugin: s.plugin,
                binaries: s.binaries,
            })),
            null,
            2,
        )}\n`,
    );
    fs.writeFileSync(path.join(tmp, ".complete"), "");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    return dir;
}

/** What the toolchain folder holds (written by {@link linkBinDir}). */
export interface ToolchainEntry {
    name: string;
    version: string;
    key: string;
    plugin?: ToolPin["plugin"];
    binaries: string[];
}

export function readToolchain(binDir: string): ToolchainEntry[] {
    return JSON.parse(fs.readFileSync(path.join(binDir, "toolchain.json"), "utf8")) as ToolchainEntry[];
}

/** Builds (or reuses) everything; logs a line per piece; returns the bin folder and the seconds spent building. */
export async function ensureToolchain(
    log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
    layout: Layout = defaultLayout(),
): Promise<{ binDir: string; seconds: number }> {
    const started = Date.now();
    const versions = readVersions();
    const go = goVersion();
    const steps = planBuild(versions, layout, computeKeys(versions, layout, go));
    fs.mkdirSync(layout.cacheRoot, { recursive: true });
    for (const step of steps) {
        if (!isBuilt(step)) log(`toolchain: ${step.name} ${step.version}: building with ${go} …`);
        const seconds = await buildStep(step);
        log(
            seconds === undefined
                ? `toolchain: ${step.name} ${step.version}: cached (${step.outDir})`
                : `toolchain: built ${step.describe} in ${seconds.toFixed(1)} s`,
        );
    }
    const binDir = linkBinDir(layout, steps);
    return { binDir, seconds: (Date.now() - started) / 1000 };
}

if (require.main === module) {
    ensureToolchain((l) => console.log(l)).then(
        ({ binDir, seconds }) => {
            console.log(`toolchain: ready in ${seconds.toFixed(1)} s`);
            console.log(binDir);
        },
        (e: Error) => {
            console.error(e.message);
            process.exit(1);
        },
    );
}
