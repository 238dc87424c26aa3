/**
 * What every scenario file sets up: the toolchain's bin folder, the stand-in servers, a Talos node stand-in for
 * the stack's nodes, and an engine with the stack's config moved onto loopback. One `Harness` is one stack.
 */
import { execFile } from "child_process";
import * as path from "path";
import { Engine } from "./engine";
import { loopbackStackValues } from "./loopback";
import { stackValues } from "../../tests/support/shared";
import { startServers, Servers, ServerOptions } from "./servers";
import { StandInConfig, TalosNodeStandIn } from "./talos-node";
import { ensureToolchain } from "../toolchain/build";
import type { ToolRole } from "../toolchain/plan";

/**
 * What the toolchain must hold for a run: everything, or with a user's own `pulumi` (HOMELAB_E2E_PULUMI) all but the
 * engine, which that CLI brings (it downloads the provider plugins itself).
 */
export function neededRoles(env: NodeJS.ProcessEnv = process.env): ToolRole[] | undefined {
    return env.HOMELAB_E2E_PULUMI ? ["stand-in", "tool"] : undefined;
}

/** The toolchain's bin folder: from e2e/run.ts (HOMELAB_TOOLCHAIN_BIN), else built/reused now. */
export async function toolchainBin(): Promise<string> {
    if (process.env.HOMELAB_TOOLCHAIN_BIN) return process.env.HOMELAB_TOOLCHAIN_BIN;
    const { binDir } = await ensureToolchain(() => undefined, undefined, neededRoles());
    process.env.HOMELAB_TOOLCHAIN_BIN = binDir;
    return binDir;
}

export interface HarnessOptions {
    /** The stack's `homelab:*` values before the move to loopback (LAN addresses, as a user writes them). */
    values: Record<string, unknown>;
    secrets: Record<string, string>;
    servers?: ServerOptions;
    /**
     * Stand-in nodes; default: one per stack node on its loopback twin, running the stack's Talos version, with
     * Kubernetes' control plane from the toolchain's folder.
     */
    standIn?: (values: Record<string, unknown>, binDir: string) => StandInConfig | undefined;
    stack?: string;
    pathPrefix?: string[];
}

export class Harness {
    private constructor(
        readonly binDir: string,
        readonly servers: Servers,
        readonly engine: Engine,
        readonly nodes: TalosNodeStandIn | undefined,
        public values: Record<string, unknown>,
    ) {}

    /** Starts the servers, the stand-in and the stack; a start that fails half way stops what it had started. */
    static async start(o: HarnessOptions): Promise<Harness> {
        const binDir = await toolchainBin();
        const servers = await startServers(o.servers);
        let nodes: TalosNodeStandIn | undefined;
        let engine: Engine | undefined;
        try {
            const values = loopbackStackValues(o.values, servers.standIns);
            const standInConfig = (o.standIn ?? defaultStandIn)(values, binDir);
            nodes = standInConfig ? await TalosNodeStandIn.start(binDir, standInConfig) : undefined;
            engine = new Engine({ binDir, stack: o.stack, pathPrefix: o.pathPrefix });
            await engine.init(values, o.secrets);
            return new Harness(binDir, servers, engine, nodes, values);
        } catch (e) {
            await engine?.dispose();
            await nodes?.stop();
            await servers.close();
            throw e;
        }
    }

    /** Changes the stack's config (as a user edits Pulumi.<stack>.yaml). */
    setValues(values: Record<string, unknown>): void {
        this.values = values;
        this.engine.writeConfig(values);
    }

    /** Stops everything this stack started (engine leftovers, the stand-in and its children, the servers). */
    async close(): Promise<void> {
        await this.engine.dispose();
        await this.nodes?.stop();
        await this.servers.close();
    }
}

/**
 * The dev stack as its owner has it after putting the machine's MAC in, with the e2e's timeouts, for the scenarios
 * about the NAS: the health check Talos' half only and Synology CSI off (cluster.e2e.ts runs the Kubernetes side).
 */
export function seedNasStackValues(mac: string): Record<string, unknown> {
    const v = stackValues("dev") as Record<string, any>;
    v.nodes[0].mac = mac;
    v.cluster = {
        ...v.cluster,
        applyTimeout: "2m",
        bootstrapTimeout: "2m",
        healthTimeout: "1m",
        healthChecks: { kubernetes: false },
    };
    v.workloads = { synologyCsi: { enabled: false } };
    return v;
}

/**
 * The seed's NAS and LAN as a stack file has them (`homelab:synology`, `homelab:dhcp`); the harness moves the
 * addresses onto loopback.
 */
export const SEED_NAS_VALUES = {
    synology: { url: "https://192.168.0.6:5001", username: "admin", interface: "eth0" },
    dhcp: {
        subnet: "192.168.0.0/24",
        rangeStart: "192.168.0.100",
        rangeEnd: "192.168.0.199",
        gateway: "192.168.0.1",
        dns: ["192.168.0.1"],
    },
};

/**
 * Whether a stack needs the Kubernetes API: its health check has the Kubernetes half, or it deploys workloads.
 * Without either (the NAS-focused scenarios) the stand-in runs no Kubernetes: it would only cost CPU.
 */
export function needsKubernetes(values: Record<string, unknown>): boolean {
    const v = values as {
        cluster?: { healthChecks?: { kubernetes?: boolean } };
        workloads?: { synologyCsi?: { enabled?: boolean } };
    };
    return v.cluster?.healthChecks?.kubernetes !== false || v.workloads?.synologyCsi?.enabled === true;
}

/**
 * One stand-in node per stack node, on its loopback address, with its install disk, at the stack's Talos version;
 * on bootstrap Kubernetes' own control plane runs from `binDir` (the toolchain's folder) when the stack needs it.
 */
export function defaultStandIn(values: Record<string, unknown>, binDir: string): StandInConfig {
    const cluster = values.cluster as { talosVersion: string };
    const nodes = values.nodes as { ip: string; installDisk?: string }[];
    return {
        installDelayMs: 300,
        rebootDelayMs: 300,
        ...(needsKubernetes(values) ? { kubernetes: { binDir } } : {}),
        nodes: nodes.map((n) => ({
            address: n.ip,
            talosVersion: cluster.talosVersion.startsWith("v") ? cluster.talosVersion : `v${cluster.talosVersion}`,
            memoryMiB: 8192,
            disks: [
                {
                    deviceName: n.installDisk ?? "/dev/nvme0n1",
                    size: 512_110_190_592,
                    model: "Samsung SSD 980",
                    type: "nvme",
                },
            ],
        })),
    };
}

/** The graph index.ts builds under Pulumi's mocks for these values (e2e/support/mock-graph.ts, in a child process). */
export function mockGraph(
    values: Record<string, unknown>,
): Promise<{ type: string; name: string; parentType?: string; parentName?: string }[]> {
    const repoRoot = path.resolve(__dirname, "..", "..");
    return new Promise((resolve, reject) => {
        const child = execFile(
            process.execPath,
            [
                path.join(repoRoot, "node_modules", "ts-node", "dist", "bin.js"),
                "--transpile-only",
                path.join(__dirname, "mock-graph.ts"),
            ],
            { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
            (err, stdout, stderr) => {
                if (err) reject(new Error(`mock graph failed: ${stderr || err.message}`));
                else resolve(JSON.parse(stdout.trim().split("\n").pop() as string));
            },
        );
        child.stdin!.end(JSON.stringify(values));
    });
}
