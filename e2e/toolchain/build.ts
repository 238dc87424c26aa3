/**
 * `npm run toolchain`: builds the real-engine toolchain of the end-to-end suite from Go — the Pulumi CLI, the
 * Node.js language host, the command, Talos and Kubernetes provider plugins, talosctl, Kubernetes' control
 * plane (kube-apiserver, kube-controller-manager, kube-scheduler), etcd and kwok (and whatever else
 * versions.json pins) — caches each piece by its pins, and prints as its LAST line the absolute path of a
 * folder holding every binary. Needs Go (1.26; `go` on PATH) and the Go module proxy; the pieces the proxy does
 * not serve are built from their upstream source committed in third_party/ (see each folder's ORIGIN), in
 * place or, when files must be generated first, from a copy in the cache: never writing into the checkout.
 * On failure or SIGINT/SIGTERM every `go` process group it started is killed and its temporary folders removed.
 *
 * Cache: $HOMELAB_TOOLCHAIN_DIR, else $XDG_CACHE_HOME/homelab/toolchain, else ~/.cache/homelab/toolchain.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    binDirFor,
    BuildStep,
    cacheKey,
    GoCommand,
    inTempDir,
    keySources,
    Layout,
    piecesFor,
    planBuild,
    sourceDir,
    ToolPin,
    ToolRole,
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
        const files = keySources(pin, layout).flatMap((source) => {
            if (!fs.existsSync(source.dir))
                throw new Error(`toolchain: ${name} needs ${source.dir}, which does not exist`);
            return walkFiles(source.dir, source.files === "all-files" ? () => true : isGoSource).map((f) => ({
                path: source.label + f,
                bytes: fs.readFileSync(path.join(source.dir, f)),
            }));
        });
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

/** The `go` process groups running now and the temporary folders in use, for the interrupt handler. */
const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
/** Set once SIGINT/SIGTERM arrived: no further `go` command starts. */
let interrupted: NodeJS.Signals | undefined;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
        if (child.pid) process.kill(-child.pid, signal);
    } catch {
        // the group is gone
    }
}

/**
 * Stops every running `go` process group: SIGINT first, as a terminal's Ctrl-C would (the compilers stop, go
 * removes its own work folder and exits), then SIGKILL for whatever is left after `graceMs`.
 */
async function stopRunning(graceMs = 5000): Promise<void> {
    const children = [...running];
    if (children.length === 0) return;
    for (const child of children) killGroup(child, "SIGINT");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
        Promise.all(
            children.map(
                (c) =>
                    new Promise<void>((resolve) => {
                        if (c.exitCode !== null || c.signalCode !== null) resolve();
                        else c.once("exit", () => resolve());
                    }),
            ),
        ),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    for (const child of children) killGroup(child, "SIGKILL");
}

function removeTempDirs(): void {
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 5 });
    tempDirs.clear();
}

function runGo(what: string, command: GoCommand, tmp: string): Promise<void> {
    return new Promise((resolve, reject) => {
        if (interrupted) return reject(new Error(`toolchain: ${what}: not started, interrupted by ${interrupted}`));
        // Its own process group (detached), so that an interrupt can stop go with every compiler it started.
        const child = spawn("go", command.args, {
            cwd: command.cwd,
            // go's work folder (and a generator's temporary files) inside the piece's temporary folder, so that
            // removing that folder after an interrupt leaves nothing behind (go does not clean up when signalled).
            env: { ...process.env, ...command.env, GOTMPDIR: tmp, TMPDIR: tmp },
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
        });
        running.add(child);
        let output = "";
        const keep = (d: Buffer) => {
            output = (output + d.toString()).slice(-8000);
        };
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        child.on("error", (e) => {
            running.delete(child);
            reject(new Error(`toolchain: ${what} failed to start: ${e.message}`));
        });
        child.on("close", (code, signal) => {
            running.delete(child);
            // A failed go may leave children of its own (a compiler it had started): stop the whole group.
            if (code !== 0) killGroup(child, "SIGKILL");
            if (code === 0) resolve();
            else
                reject(
                    new Error(
                        `toolchain: ${what} failed (go ${command.args[0]} exited ${code ?? signal}):\n${output.trim()}`,
                    ),
                );
        });
    });
}

/** Copies a source folder into the build copy, writable (the checkout may be read-only). */
function copySource(from: string, to: string): void {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(from, to, { recursive: true });
    const makeWritable = (p: string) => {
        const st = fs.statSync(p);
        fs.chmodSync(p, st.mode | 0o200);
        if (st.isDirectory()) for (const e of fs.readdirSync(p)) makeWritable(path.join(p, e));
    };
    makeWritable(to);
}

/** Builds one piece unless cached; returns the seconds it took, or undefined when it came from the cache. */
export async function buildStep(step: BuildStep, log: (line: string) => void = () => {}): Promise<number | undefined> {
    if (isBuilt(step)) return undefined;
    const started = Date.now();
    const run = inTempDir(step, `.tmp-${process.pid}`);
    fs.rmSync(run.outDir, { recursive: true, force: true });
    const goTmp = path.join(run.outDir, ".tmp");
    fs.mkdirSync(goTmp, { recursive: true });
    tempDirs.add(run.outDir);
    try {
        if (run.copy) copySource(run.copy.from, run.copy.to);
        for (const [i, command] of run.generate.entries()) {
            const t = Date.now();
            await runGo(
                `${step.name} ${step.version}: generate step ${i + 1} (go ${command.args.join(" ")})`,
                command,
                goTmp,
            );
            log(
                `toolchain: ${step.name} ${step.version}: generate step ${i + 1} done in ${((Date.now() - t) / 1000).toFixed(1)} s`,
            );
        }
        await runGo(`building ${step.describe}`, run, goTmp);
        for (const b of step.binaries) {
            if (!fs.existsSync(path.join(run.outDir, b)))
                throw new Error(`toolchain: building ${step.describe} wrote no ${b}`);
        }
        // The build copy (sources and generated files) and go's temporary folder are not part of the cached piece.
        if (run.copy) fs.rmSync(path.dirname(run.copy.to), { recursive: true, force: true });
        fs.rmSync(goTmp, { recursive: true, force: true });
        fs.writeFileSync(
            path.join(run.outDir, ".complete"),
            `${JSON.stringify({ name: step.name, version: step.version, key: step.key, builtAt: new Date().toISOString() })}\n`,
        );
        fs.rmSync(step.outDir, { recursive: true, force: true });
        fs.renameSync(run.outDir, step.outDir);
    } finally {
        // Retries: a compiler go had started may still be writing while it dies.
        fs.rmSync(run.outDir, { recursive: true, force: true, maxRetries: 5 });
        tempDirs.delete(run.outDir);
    }
    return (Date.now() - started) / 1000;
}

/**
 * While `body` runs, SIGINT/SIGTERM stop every `go` process group this process started (no new one starts); once
 * `body` has failed because of that, the temporary folders are removed and the signal is raised again, so the
 * process ends as it would have without the handler (or the caller's own handler runs).
 */
async function stoppingChildrenOnSignal<T>(body: () => Promise<T>): Promise<T> {
    const onSignal = (signal: NodeJS.Signals) => {
        if (interrupted) return;
        interrupted = signal;
        void stopRunning();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        return await body();
    } finally {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
        await stopRunning();
        removeTempDirs();
        if (interrupted) process.kill(process.pid, interrupted);
    }
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
    roles?: readonly ToolRole[],
): Promise<{ binDir: string; seconds: number }> {
    const started = Date.now();
    const versions = piecesFor(readVersions(), roles);
    const go = goVersion();
    const steps = planBuild(versions, layout, computeKeys(versions, layout, go));
    fs.mkdirSync(layout.cacheRoot, { recursive: true });
    await stoppingChildrenOnSignal(async () => {
        for (const step of steps) {
            if (!isBuilt(step)) log(`toolchain: ${step.name} ${step.version}: building with ${go} …`);
            const seconds = await buildStep(step, log);
            log(
                seconds === undefined
                    ? `toolchain: ${step.name} ${step.version}: cached (${step.outDir})`
                    : `toolchain: built ${step.describe} in ${seconds.toFixed(1)} s`,
            );
        }
    });
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
