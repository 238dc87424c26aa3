/**
 * Network namespaces for tests: the test's own little hosts, wired with veth pairs, removed again in
 * afterAll. Every name carries a per-run random tag, so concurrent runs never collide, and `cleanup()`
 * removes everything created, even after a failure half-way.
 *
 * Addresses given to interfaces live only inside these namespaces; nothing is configured in the
 * host's own namespace except the transient veth ends that are moved away at once.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";

export interface NetnsSupport {
    ok: boolean;
    /** Why namespaces cannot be used here (for a visible skip). */
    reason?: string;
}

let cached: NetnsSupport | undefined;

/** Can this process create namespaces and veth pairs? Tries once, for real, and cleans up. */
export function netnsSupport(): NetnsSupport {
    if (cached) return cached;
    const which = spawnSync("ip", ["-V"], { encoding: "utf8" });
    if (which.error || which.status !== 0)
        return (cached = { ok: false, reason: "the `ip` command (iproute2) is not installed" });
    const tag = `hlchk${crypto.randomBytes(3).toString("hex")}`;
    const add = spawnSync("ip", ["netns", "add", tag], { encoding: "utf8" });
    if (add.status !== 0)
        return (cached = {
            ok: false,
            reason: `cannot create a network namespace (${(add.stderr || "").trim() || "ip netns add failed"}); run the tests as root`,
        });
    const veth = spawnSync(
        "ip",
        ["link", "add", `${tag}a`, "netns", tag, "type", "veth", "peer", "name", `${tag}b`, "netns", tag],
        { encoding: "utf8" },
    );
    spawnSync("ip", ["netns", "del", tag]);
    if (veth.status !== 0)
        return (cached = { ok: false, reason: `cannot create veth pairs (${(veth.stderr || "").trim()})` });
    return (cached = { ok: true });
}

function ip(args: string[]): void {
    try {
        execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { stderr?: Buffer };
        throw new Error(`ip ${args.join(" ")}: ${err.stderr?.toString().trim() ?? String(e)}`);
    }
}

/** A set of namespaces and links for one test file. */
export class NetLab {
    /** Short random tag, part of every name (interface names are limited to 15 characters). */
    readonly tag: string;
    private readonly namespaces: string[] = [];

    constructor(prefix = "hl") {
        this.tag = `${prefix}${crypto.randomBytes(3).toString("hex")}`;
    }

    /** Creates namespace `<tag><suffix>` with loopback up; returns its name. */
    namespace(suffix: string): string {
        const name = `${this.tag}${suffix}`;
        ip(["netns", "add", name]);
        this.namespaces.push(name);
        ip(["-n", name, "link", "set", "lo", "up"]);
        return name;
    }

    /**
     * A veth pair with one end in each namespace, both up. Names `<tag><suffix>a` / `<tag><suffix>b`.
     * `addrA`/`addrB` are CIDR addresses put on each end (optional).
     */
    veth(suffix: string, nsA: string, nsB: string, addrA?: string, addrB?: string): { a: string; b: string } {
        const a = `${this.tag}${suffix}a`;
        const b = `${this.tag}${suffix}b`;
        ip(["link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB]);
        if (addrA) ip(["-n", nsA, "addr", "add", addrA, "dev", a]);
        if (addrB) ip(["-n", nsB, "addr", "add", addrB, "dev", b]);
        ip(["-n", nsA, "link", "set", a, "up"]);
        ip(["-n", nsB, "link", "set", b, "up"]);
        return { a, b };
    }

    /** A bridge `<tag><suffix>` in `ns` enslaving `ports`, with an optional address, up. */
    bridge(suffix: string, ns: string, ports: string[], addr?: string): string {
        const br = `${this.tag}${suffix}`;
        ip(["-n", ns, "link", "add", br, "type", "bridge"]);
        for (const p of ports) ip(["-n", ns, "link", "set", p, "master", br]);
        if (addr) ip(["-n", ns, "addr", "add", addr, "dev", br]);
        ip(["-n", ns, "link", "set", br, "up"]);
        return br;
    }

    /** Runs `ip <args>` inside `ns`. */
    ip(ns: string, args: string[]): void {
        ip(["-n", ns, ...args]);
    }

    /** Deletes every namespace created (their veths and bridges go with them). Never throws. */
    cleanup(): string[] {
        const problems: string[] = [];
        for (const ns of this.namespaces.splice(0).reverse()) {
            const r = spawnSync("ip", ["netns", "del", ns], { encoding: "utf8" });
            if (r.status !== 0) problems.push(`ip netns del ${ns}: ${(r.stderr || "").trim()}`);
        }
        return problems;
    }

    /** Namespaces of this lab still present on the host (for the cleanup test). */
    leftovers(): string[] {
        const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
        return (r.stdout || "")
            .split("\n")
            .map((l) => l.split(" ")[0])
            .filter((n) => n.startsWith(this.tag));
    }
}

/**
 * Runs TypeScript `code` (transpiled by ts-node) in a fresh `node` inside namespace `ns`, with the
 * repository root as working directory, and parses the JSON the code prints as its last stdout line.
 */
export function runNodeInNetns<T = unknown>(ns: string, code: string, cwd: string, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
        const p = spawn(
            "ip",
            ["netns", "exec", ns, process.execPath, "-r", "ts-node/register/transpile-only", "-e", code],
            {
                cwd,
                env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let out = "";
        let err = "";
        const timer = setTimeout(() => {
            p.kill("SIGKILL");
            reject(new Error(`child in ${ns} timed out after ${timeoutMs} ms\n${err}`));
        }, timeoutMs);
        p.stdout.on("data", (d: Buffer) => {
            out += d.toString();
        });
        p.stderr.on("data", (d: Buffer) => {
            err += d.toString();
        });
        p.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        p.on("exit", (code) => {
            clearTimeout(timer);
            const last = out.trim().split("\n").pop() ?? "";
            if (code !== 0) return reject(new Error(`child in ${ns} exited ${code}\n${err}\n${out}`));
            try {
                resolve(JSON.parse(last) as T);
            } catch {
                reject(new Error(`child in ${ns} printed no JSON:\n${out}\n${err}`));
            }
        });
    });
}
