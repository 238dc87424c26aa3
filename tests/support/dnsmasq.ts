/**
 * Runs a real dnsmasq (Debian's dnsmasq-base, the server Synology's DHCP Server package runs) for the
 * doctor tests, in the foreground, logging to stderr, optionally inside a network namespace.
 * `start` resolves once dnsmasq has logged that the requested services are up; `stop` kills it.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { netnsSupport } from "./netns";

export function dnsmasqPath(): string | undefined {
    for (const p of ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"]) if (fs.existsSync(p)) return p;
    const r = spawnSync("sh", ["-c", "command -v dnsmasq"], { encoding: "utf8" });
    return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * `describe` for the tests that need a real dnsmasq in network namespaces, or `describe.skip` when this machine has
 * no dnsmasq or cannot make namespaces; then the test output says so, and why (`file` and `what` name the tests).
 */
export function describeWithDnsmasq(file: string, what: string): jest.Describe {
    const support = netnsSupport();
    const skipReason = !dnsmasqPath()
        ? "dnsmasq is not installed (apt-get install dnsmasq-base)"
        : !support.ok
          ? support.reason
          : undefined;
    if (skipReason === undefined) return describe;
    console.warn(`${file}: SKIPPING the dnsmasq ${what} tests: ${skipReason}`);
    return describe.skip;
}

export interface DnsmasqOptions {
    /** Run inside this network namespace (`ip netns exec`). */
    netns?: string;
    /** Extra dnsmasq arguments (services, interfaces, ...). */
    args: string[];
    /** Log lines to wait for before `start` resolves (regexps). */
    readyWhen: RegExp[];
    /** Give up waiting after this long. Default 10 s. */
    startTimeoutMs?: number;
}

export class Dnsmasq {
    private proc?: ChildProcess;
    private log = "";
    private readonly dir: string;

    constructor(private readonly opts: DnsmasqOptions) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-dnsmasq-"));
    }

    /** Everything dnsmasq logged so far. */
    get output(): string {
        return this.log;
    }

    get pid(): number | undefined {
        return this.proc?.pid;
    }

    start(): Promise<void> {
        const bin = dnsmasqPath();
        if (!bin) return Promise.reject(new Error("dnsmasq is not installed (apt-get install dnsmasq-base)"));
        const base = [
            "--keep-in-foreground",
            "--no-daemon",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--log-facility=-",
            `--pid-file=${path.join(this.dir, "pid")}`,
            `--dhcp-leasefile=${path.join(this.dir, "leases")}`,
            "--user=root",
            "--group=root",
        ];
        const argv = this.opts.netns
            ? ["ip", "netns", "exec", this.opts.netns, bin, ...base, ...this.opts.args]
            : [bin, ...base, ...this.opts.args];
        const proc = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        this.proc = proc;
        const timeout = this.opts.startTimeoutMs ?? 10_000;
        return new Promise((resolve, reject) => {
            const timer = setTimeout(
                () => fail(new Error(`dnsmasq did not come up in ${timeout} ms:\n${this.log}`)),
                timeout,
            );
            const check = () => {
                if (this.opts.readyWhen.every((re) => re.test(this.log))) {
                    clearTimeout(timer);
                    resolve();
                }
            };
            const fail = (e: Error) => {
                clearTimeout(timer);
                reject(e);
            };
            const onData = (d: Buffer) => {
                this.log += d.toString();
                check();
            };
            proc.stdout.on("data", onData);
            proc.stderr.on("data", onData);
            proc.on("error", fail);
            proc.on("exit", (code) => fail(new Error(`dnsmasq exited with ${code}:\n${this.log}`)));
        });
    }

    /** Kills dnsmasq (SIGTERM, then SIGKILL) and removes its temp dir. Never throws. */
    async stop(): Promise<void> {
        const p = this.proc;
        this.proc = undefined;
        if (p && p.exitCode === null && p.signalCode === null) {
            await new Promise<void>((resolve) => {
                const t = setTimeout(() => {
                    try {
                        p.kill("SIGKILL");
                    } catch {
                        /* gone */
                    }
                }, 2000);
                p.once("exit", () => {
                    clearTimeout(t);
                    resolve();
                });
                try {
                    p.kill("SIGTERM");
                } catch {
                    clearTimeout(t);
                    resolve();
                }
            });
        }
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
