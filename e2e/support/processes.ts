/**
 * Every process an end-to-end run or a rehearsal starts, and how it is stopped whatever way the run ends.
 *
 * Each process is started with two environment variables that every descendant inherits (the engine's language
 * host and plugins, the dynamic-provider hosts, the Talos node stand-in's etcd, kube-apiserver, kwok …):
 * `HOMELAB_E2E_RUN` (one value per run) and `HOMELAB_E2E_OWNER` (one value per owner: an engine, a stand-in).
 * An owner stops what it started by process group (each child leads its own) and then by that variable, read
 * from /proc/<pid>/environ, so a plugin that outlived a killed `pulumi` is found too. `survivors()` is the check
 * the run ends with: no process of this run may be alive after it.
 */
import { ChildProcess, spawn, SpawnOptions } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";

export const RUN_ENV = "HOMELAB_E2E_RUN";
export const OWNER_ENV = "HOMELAB_E2E_OWNER";

/** A process of this machine (Linux /proc). */
export interface ProcessInfo {
    pid: number;
    cmd: string;
    cwd: string;
}

/** The marker of this run: inherited from the parent (e2e/run.ts sets it for jest), else made now. */
export function runMarker(env: NodeJS.ProcessEnv = process.env): string {
    if (!env[RUN_ENV]) env[RUN_ENV] = `run-${process.pid}-${randomBytes(6).toString("hex")}`;
    return env[RUN_ENV] as string;
}

/** Processes of this machine with their command line and working folder (Linux /proc; empty elsewhere). */
export function listProcesses(): ProcessInfo[] {
    if (!fs.existsSync("/proc/self/environ")) return [];
    const out: ProcessInfo[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
            let cwd = "";
            try {
                cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
            } catch {
                /* gone or not ours */
            }
            out.push({ pid: Number(entry), cmd, cwd });
        } catch {
            /* the process ended meanwhile */
        }
    }
    return out;
}

/** The processes whose environment holds `name=value` (not this process), from /proc/<pid>/environ. */
export function processesWithEnv(name: string, value: string): ProcessInfo[] {
    const needle = `${name}=${value}`;
    return listProcesses().filter((p) => {
        if (p.pid === process.pid) return false;
        try {
            return fs.readFileSync(`/proc/${p.pid}/environ`, "utf8").split("\0").includes(needle);
        } catch {
            return false;
        }
    });
}

/** Processes of this run still alive (zombies already reaped by their parents are gone from /proc). */
export function survivors(marker: string = runMarker()): ProcessInfo[] {
    return processesWithEnv(RUN_ENV, marker).filter((p) => !isZombie(p.pid));
}

function isZombie(pid: number): boolean {
    try {
        return /^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return true;
    }
}

function signal(pid: number, sig: NodeJS.Signals): void {
    try {
        process.kill(pid, sig);
    } catch {
        /* already gone */
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Who started some processes: starts them marked, and stops all of them. */
export class ProcessOwner {
    readonly id: string;
    private readonly children = new Set<ChildProcess>();

    constructor(readonly label: string) {
        this.id = `${label}-${randomBytes(6).toString("hex")}`;
        owners.add(this);
        installHandlers();
    }

    /** The variables every process of this owner carries. */
    env(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
        return { ...base, [RUN_ENV]: runMarker(), [OWNER_ENV]: this.id };
    }

    /** `spawn`, in a process group of its own (so the group can be stopped), marked. */
    spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
        const child = spawn(command, args, { ...options, detached: true, env: this.env(options.env ?? process.env) });
        this.children.add(child);
        child.once("exit", () => this.children.delete(child));
        return child;
    }

    /** This owner's processes still alive: its children's groups and anything carrying its marker. */
    alive(): ProcessInfo[] {
        return processesWithEnv(OWNER_ENV, this.id).filter((p) => !isZombie(p.pid));
    }

    /** SIGTERM to every group and marked process, up to `graceMs` to exit, then SIGKILL. */
    async stop(graceMs = 5000): Promise<void> {
        this.signalAll("SIGTERM");
        const deadline = Date.now() + graceMs;
        while (Date.now() < deadline && (this.children.size > 0 || this.alive().length > 0)) await sleep(100);
        this.signalAll("SIGKILL");
        const until = Date.now() + 2000;
        while (Date.now() < until && this.alive().length > 0) await sleep(50);
        owners.delete(this);
    }

    /** Synchronous last resort (process exit): SIGKILL to everything of this owner. */
    killNow(): void {
        this.signalAll("SIGKILL");
    }

    private signalAll(sig: NodeJS.Signals): void {
        for (const c of this.children) if (c.pid !== undefined) signal(-c.pid, sig);
        for (const p of this.alive()) signal(p.pid, sig);
    }
}

const owners = new Set<ProcessOwner>();
let handlersInstalled = false;

/**
 * On SIGINT/SIGTERM: stop every owner's processes, then exit 130/143; on exit: SIGKILL whatever is left. A Ctrl-C
 * reaches the terminal's process group only, and each child leads its own group: without this they would live on.
 */
function installHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    const onSignal = (sig: NodeJS.Signals, code: number) => {
        process.stderr.write(`\n${sig}: stopping every process this run started …\n`);
        void Promise.all([...owners].map((o) => o.stop(3000))).finally(() => process.exit(code));
    };
    process.once("SIGINT", () => onSignal("SIGINT", 130));
    process.once("SIGTERM", () => onSignal("SIGTERM", 143));
    process.once("exit", () => {
        for (const o of owners) o.killNow();
    });
}
