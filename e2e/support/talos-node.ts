/**
 * The Talos node stand-in (e2e/talos-node, Go) as a child process: one process serving several nodes, each on
 * its own loopback address at port 50000, plus an HTTP control API for state, faults and the call log.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ProcessOwner } from "./processes";

export interface StandInDisk {
    deviceName: string;
    size: number;
    model?: string;
    type?: string;
}

export interface StandInNodeSpec {
    address: string;
    talosVersion: string;
    memoryMiB?: number;
    disks?: StandInDisk[];
    etcdSnapshotBytes?: number;
}

/**
 * Kubernetes' real control plane on bootstrap (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok as
 * the kubelets), from `binDir` (the toolchain's folder). Without it the stand-in runs no Kubernetes.
 */
export interface StandInKubernetes {
    binDir: string;
    workDir?: string;
    logDir?: string;
    startTimeoutMs?: number;
}

export interface StandInConfig {
    port?: number;
    installDelayMs?: number;
    rebootDelayMs?: number;
    kubernetes?: StandInKubernetes;
    nodes: StandInNodeSpec[];
}

/** A node's Kubernetes side as the control API reports it (no secrets). */
export interface StandInKubeState {
    controlPlane?: boolean;
    apiServer?: boolean;
    apiServerRunning?: boolean;
    nodeName?: string;
    nodeRegistered?: boolean;
    nodeReady?: boolean;
    kubeletVersion?: string;
    lastError?: string;
}

/** Pods the stand-in's kwok never makes Ready (a fault). */
export interface NeverReadyRule {
    namespace: string;
    labelSelector?: string;
}

/** A node as the control API reports it (no secrets). */
export interface StandInNodeState {
    address: string;
    mode: "maintenance" | "installing" | "configured" | "rebooting" | "off";
    talosVersion: string;
    image?: string;
    schematic?: string;
    bootID?: string;
    bootstrapped?: boolean;
    etcdRunning?: boolean;
    clusterId?: string;
    machineType?: string;
    hostname?: string;
    installDisk?: string;
    installError?: string;
    counters?: Record<string, number>;
    kubernetes?: StandInKubeState;
    /** Documents of the running config its Talos version knows and the stand-in's machinery (1.13.0) does not. */
    recordedDocuments?: { apiVersion: string; kind: string; name?: string; content: Record<string, unknown> }[];
    [more: string]: unknown;
}

/** One line of the stand-in's call log. */
export interface StandInCall {
    time?: string;
    node: string;
    listener?: string;
    method: string;
    mode?: string;
    tls?: string;
    code?: string;
    message?: string;
    /** `kinds`: the config's document kinds in order (`v1alpha1` for the v1alpha1 config). */
    apply?: { mode?: string; dryRun?: boolean; configSha256?: string; configBytes?: number; kinds?: string[] };
    [more: string]: unknown;
}

export interface FaultSpec {
    method?: string;
    kind: "refuse" | "delay" | "drop" | "poweroff" | "poweron" | "clear" | "apiserver-stop" | "apiserver-start";
    code?: string;
    times?: number;
    delayMs?: number;
}

export class TalosNodeStandIn {
    private constructor(
        private readonly processes: ProcessOwner,
        readonly control: string,
        readonly addresses: string[],
        readonly logFile: string,
        private readonly dir: string,
    ) {}

    /** Starts `<binDir>/talos-node` and waits for its ready line. */
    static async start(binDir: string, config: StandInConfig, timeoutMs = 30_000): Promise<TalosNodeStandIn> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "talos-node-"));
        const configFile = path.join(dir, "config.json");
        const logFile = path.join(dir, "calls.jsonl");
        fs.writeFileSync(configFile, JSON.stringify({ port: 50000, ...config }));
        const processes = new ProcessOwner("talos-node");
        const child = processes.spawn(
            path.join(binDir, "talos-node"),
            ["--config", configFile, "--log", logFile, "--control", "127.0.0.1:0"],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => {
            stderr = (stderr + d.toString()).slice(-4000);
        });
        const ready = new Promise<{ control: string; nodes: string[] }>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(
                () => reject(new Error(`talos-node did not get ready within ${timeoutMs} ms:\n${stderr}`)),
                timeoutMs,
            );
            child.stdout!.on("data", (d: Buffer) => {
                out += d.toString();
                const line = out.split("\n").find((l) => l.startsWith("{") && l.includes('"ready"'));
                if (line) {
                    clearTimeout(timer);
                    resolve(JSON.parse(line) as { control: string; nodes: string[] });
                }
            });
            child.once("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`talos-node exited ${code} before it was ready:\n${stderr}`));
            });
        });
        try {
            const r = await ready;
            return new TalosNodeStandIn(processes, r.control, r.nodes, logFile, dir);
        } catch (e) {
            // A start that failed half way leaves nothing running.
            await processes.stop();
            if (!process.env.HOMELAB_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
            throw e;
        }
    }

    private async call<T>(method: string, route: string, body?: unknown): Promise<T> {
        const res = await fetch(`${this.control}${route}`, {
            method,
            headers: body === undefined ? {} : { "content-type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`talos-node control ${method} ${route}: HTTP ${res.status} ${text}`);
        return (text ? JSON.parse(text) : undefined) as T;
    }

    nodes(): Promise<StandInNodeState[]> {
        return this.call("GET", "/nodes");
    }

    async node(address: string): Promise<StandInNodeState> {
        const n = (await this.nodes()).find((x) => x.address === address);
        if (!n) throw new Error(`talos-node has no node ${address}`);
        return n;
    }

    /**
     * Waits until a node is in `mode` (a reset or shutdown returns at once and runs its sequence after, as on
     * Talos), failing after `timeoutMs` with the mode it stayed in.
     */
    async waitForMode(address: string, mode: StandInNodeState["mode"], timeoutMs = 30_000): Promise<StandInNodeState> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const n = await this.node(address);
            if (n.mode === mode) return n;
            if (Date.now() > deadline)
                throw new Error(`talos-node: ${address} stayed "${n.mode}" for ${timeoutMs} ms, not "${mode}"`);
            await new Promise((r) => setTimeout(r, 200));
        }
    }

    /** The last machine config applied to a node, verbatim. */
    async config(address: string): Promise<string> {
        const res = await fetch(`${this.control}/nodes/${address}/config`);
        if (!res.ok) throw new Error(`talos-node: no config for ${address} (HTTP ${res.status})`);
        return res.text();
    }

    fault(address: string, spec: FaultSpec): Promise<unknown> {
        return this.call("POST", `/nodes/${address}/faults`, spec);
    }

    /** Pods matching the rule stay unready (kwok never marks them Ready) until {@link clearNeverReady}. */
    neverReady(rule: NeverReadyRule): Promise<unknown> {
        return this.call("PUT", "/kubernetes/never-ready", rule);
    }

    clearNeverReady(): Promise<unknown> {
        return this.call("DELETE", "/kubernetes/never-ready");
    }

    /** The cluster's Kubernetes side: phase, listeners, program PIDs, errors (`{enabled: false}` without it). */
    kubernetes(): Promise<Record<string, unknown>> {
        return this.call("GET", "/kubernetes");
    }

    snapshotDigest(address: string): Promise<{ bytes: number; sha256: string }> {
        return this.call("GET", `/nodes/${address}/etcd-snapshot/sha256`);
    }

    setSnapshotBytes(address: string, bytes: number): Promise<unknown> {
        return this.call("PUT", `/nodes/${address}/etcd-snapshot-bytes`, { bytes });
    }

    /** Every call so far, from the JSON-lines log. */
    calls(): StandInCall[] {
        if (!fs.existsSync(this.logFile)) return [];
        return fs
            .readFileSync(this.logFile, "utf8")
            .split("\n")
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as StandInCall);
    }

    /** Calls of one gRPC method (full name or its last part), optionally to one node, that succeeded. */
    okCalls(method: string, node?: string): StandInCall[] {
        return this.calls().filter(
            (c) =>
                (c.method === method || c.method.endsWith(`/${method}`)) &&
                (node === undefined || c.node === node) &&
                (c.code === undefined || c.code === "OK"),
        );
    }

    /** SIGTERM (the stand-in stops its nodes' processes and exits 0), SIGKILL after 5 s, and anything of it left. */
    async stop(): Promise<void> {
        await this.processes.stop(5000);
        if (!process.env.HOMELAB_E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
