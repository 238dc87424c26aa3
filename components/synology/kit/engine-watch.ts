/**
 * Stop this dynamic-provider host when the Pulumi engine that started it is gone (e.g. `pulumi up` killed
 * with SIGKILL), instead of streaming on into the NAS as an orphan.
 *
 * How the engine runs the host (pulumi sdk v3.274.1, go/common/resource/plugin/plugin.go `execPlugin`): the
 * plugin `pulumi-resource-pulumi-nodejs` is a shell script that runs `node …/cmd/dynamic-provider <engine
 * address>`; the engine starts it in its own process group with stdin a pipe (`cmd.StdinPipe()`) that it
 * never writes to or closes. What that means for detection:
 * - the parent pid is no signal: node's parent is the shell, which stays alive (re-parented) when the engine
 *   dies; only the shell's parent changes;
 * - stdin reaching end-of-file is: the engine holds the only write end of that pipe, and the kernel closes it
 *   when the engine exits, however it exits;
 * - the engine address stops accepting connections then too: probed every few seconds as a second signal
 *   (for a host started some other way).
 * On either, every tracked operation is aborted (the boot-file upload stops and removes its temporary file on
 * the NAS), then the process exits, after at most `graceMs`.
 *
 * State lives on `globalThis`: every provider in the host shares this process (an older state's serialised copy too).
 */
import * as fs from "fs";
import * as net from "net";

/** Work in flight that can be stopped: `abort` starts stopping it, `settled` resolves once it is cleaned up. */
export interface TrackedOperation {
    abort(reason: Error): void;
    settled: Promise<unknown>;
}

interface WatchState {
    armed: boolean;
    /** Why the engine is considered gone, once it is. */
    gone?: string;
    ops: Set<TrackedOperation>;
}

export interface EngineWatchOptions {
    /** Default `process.stdin`; watched only when `stdinIsPipe`. */
    stdin?: NodeJS.ReadableStream;
    /** Default: whether fd 0 is a FIFO (the engine's pipe). */
    stdinIsPipe?: boolean;
    /** `host:port` of the engine; default `process.argv[2]` (what the engine passes to the host). */
    engineAddress?: string;
    /** Probe interval, ms. Default 3000. */
    probeEveryMs?: number;
    /** Longest wait for tracked operations to clean up, ms. Default 5000. */
    graceMs?: number;
    /** Default `process.exit`. */
    exit?: (code: number) => void;
    /** Where the reason goes. Default: stderr, errors ignored (the engine reading it may be gone). */
    log?: (message: string) => void;
}

/**
 * Where the watch's state lives on `globalThis`: shared by every provider of the host (an older state's serialised
 * copy of this module too).
 */
export const ENGINE_WATCH_KEY = "__homelabEngineWatch";

function watchState(): WatchState {
    const g = globalThis as unknown as Record<string, WatchState | undefined>;
    let s = g[ENGINE_WATCH_KEY];
    if (!s) {
        s = { armed: false, ops: new Set() };
        g[ENGINE_WATCH_KEY] = s;
    }
    return s;
}

/** Running as Pulumi's dynamic-provider host (`node …/@pulumi/pulumi/cmd/dynamic-provider <engine>`)? */
export function inDynamicProviderHost(argv: string[] = process.argv): boolean {
    return /[\\/]cmd[\\/]dynamic-provider([\\/]|$)/.test(argv[1] ?? "");
}

/** `host:port` (or `[v6]:port`) → connect options; undefined when it is not one. */
export function parseEngineAddress(addr: string | undefined): { host: string; port: number } | undefined {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(addr ?? "");
    if (!m) return undefined;
    const port = Number(m[2]);
    return port > 0 && port < 65536 ? { host: m[1], port } : undefined;
}

function stderrLog(message: string): void {
    try {
        process.stderr.write(`${message}\n`);
    } catch {
        // The engine reading stderr is gone.
    }
}

/**
 * Declare the engine gone: abort every tracked operation, wait for them to clean up (at most `graceMs`),
 * exit. Only the first call acts.
 */
export async function engineGone(
    why: string,
    opts: Pick<EngineWatchOptions, "graceMs" | "exit" | "log"> = {},
): Promise<void> {
    const s = watchState();
    if (s.gone) return;
    s.gone = why;
    (opts.log ?? stderrLog)(
        `homelab: the Pulumi engine that started this provider is gone (${why}); stopping its work and exiting`,
    );
    const reason = new Error(`the Pulumi engine that started this provider is gone (${why}); stopped`);
    const ops = [...s.ops];
    for (const op of ops) {
        try {
            op.abort(reason);
        } catch {
            // Keep aborting the others.
        }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
        Promise.allSettled(ops.map((o) => o.settled)),
        new Promise((resolve) => (timer = setTimeout(resolve, opts.graceMs ?? 5000))),
    ]);
    if (timer) clearTimeout(timer);
    (opts.exit ?? ((code: number) => process.exit(code)))(1);
}

/**
 * Start watching (once per process). Does nothing outside the dynamic-provider host unless options are given
 * (tests): there, nothing started this process that could vanish. Returns whether a watch is armed.
 */
export function armEngineWatch(opts?: EngineWatchOptions): boolean {
    const s = watchState();
    if (s.armed) return true;
    if (!opts && !inDynamicProviderHost()) return false;
    const o = opts ?? {};
    s.armed = true;
    const gone = (why: string) => void engineGone(why, o);
    if (!opts) {
        // Once the engine is gone its ends of stdout/stderr are closed: a write must not crash the cleanup.
        process.stdout.on("error", () => undefined);
        process.stderr.on("error", () => undefined);
    }

    let isPipe = o.stdinIsPipe;
    if (isPipe === undefined) {
        try {
            isPipe = fs.fstatSync(0).isFIFO();
        } catch {
            isPipe = false;
        }
    }
    if (isPipe) {
        const stdin = o.stdin ?? process.stdin;
        stdin.on("end", () => gone("its pipe to this process closed"));
        stdin.on("close", () => gone("its pipe to this process closed"));
        stdin.on("error", () => gone("its pipe to this process failed"));
        stdin.on("data", () => undefined); // the engine never writes; read so that end-of-file is seen
        stdin.resume();
    }

    const target = parseEngineAddress(o.engineAddress ?? process.argv[2]);
    if (target) {
        let refused = 0;
        const probe = setInterval(() => {
            const sock = net.connect(target);
            sock.setTimeout(2000);
            const done = (up: boolean) => {
                sock.removeAllListeners();
                sock.on("error", () => undefined);
                sock.destroy();
                refused = up ? 0 : refused + 1;
                if (refused >= 2) {
                    clearInterval(probe);
                    gone(`its address ${target.host}:${target.port} refuses connections`);
                }
            };
            sock.once("connect", () => done(true));
            sock.once("timeout", () => done(true)); // slow, not gone
            sock.once("error", (e: NodeJS.ErrnoException) => done(e.code !== "ECONNREFUSED"));
        }, o.probeEveryMs ?? 3000);
        probe.unref();
    }
    return true;
}

/**
 * Track `run` while it runs: if the engine goes away meanwhile, `abort` is called and the process waits
 * (briefly) for `run` to settle before exiting. Aborts at once when the engine is already gone.
 */
export async function whileEngineAlive<T>(abort: (reason: Error) => void, run: () => Promise<T>): Promise<T> {
    const s = watchState();
    const settled = run();
    const op: TrackedOperation = { abort, settled: settled.catch(() => undefined) };
    s.ops.add(op);
    if (s.gone) abort(new Error(`the Pulumi engine that started this provider is gone (${s.gone}); stopped`));
    try {
        return await settled;
    } finally {
        s.ops.delete(op);
    }
}
