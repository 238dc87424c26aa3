/**
 * Shared setup for the Synology provider tests: a DSM simulator and a local Image Factory on 127.0.0.1,
 * a registered schematic, and a SynologySpec pointing at both.
 */
import axios from "axios";
import { dhcpConfig, synologyConfig } from "../../support/fixtures";
import type { SynologySpec } from "../../../components/synology/pxe";
import type { DsmRuntime } from "../../../components/synology/kit/resource";
import { quickRuntime, resetDsmClients, useDsmRuntime } from "../../support/synology-engine";
import { DsmSimulator, DsmSimulatorOptions, startDsmSimulator } from "../../support/dsm-simulator";
import { FactoryServer, FactoryServerOptions, startFactoryServer } from "../../support/factory-server";

export const PASSWORD = "pw-S3cr3t!%&=+";
export const VERSION = "v1.12.1";

export interface Env {
    sim: DsmSimulator;
    factory: FactoryServer;
    schematicId: string;
    logs: string[];
    /** The providers' runtime: a quick client, messages into `logs` (the drivers of synology-engine use it). */
    runtime: DsmRuntime;
    close(): Promise<void>;
}

export async function startEnv(
    simOpts: DsmSimulatorOptions = {},
    factoryOpts: FactoryServerOptions = {},
): Promise<Env> {
    const sim = await startDsmSimulator({ users: { admin: PASSWORD }, ...simOpts });
    const factory = await startFactoryServer(factoryOpts);
    const res = await axios.post(
        `${factory.url}/schematics`,
        JSON.stringify({ customization: { extraKernelArgs: ["console=ttyS0"] } }),
        { headers: { "Content-Type": "application/json" }, proxy: false },
    );
    const schematicId = (res.data as { id: string }).id;
    const logs: string[] = [];
    const runtime = quickRuntime((m) => logs.push(m));
    useDsmRuntime(runtime);
    resetDsmClients();
    return {
        sim,
        factory,
        schematicId,
        logs,
        runtime,
        async close() {
            resetDsmClients();
            useDsmRuntime(undefined);
            await sim.close();
            await factory.close();
        },
    };
}

export { dhcpConfig } from "../../support/fixtures";

export const NODES = [
    { hostname: "cp1", mac: "aa:bb:cc:00:00:01", ip: "192.168.0.11" },
    { hostname: "cp2", mac: "aa:bb:cc:00:00:02", ip: "192.168.0.12" },
    { hostname: "w1", mac: "aa:bb:cc:00:00:03", ip: "192.168.0.21" },
];

export function spec(env: Env, over: Partial<SynologySpec> = {}, version = VERSION): SynologySpec {
    const fileName = "metal-amd64-uki.efi";
    return {
        synology: synologyConfig({ url: env.sim.url, allowHttp: true }),
        dhcp: dhcpConfig(),
        nodes: NODES,
        image: {
            ukiUrl: `${env.factory.url}/image/${env.schematicId}/${version}/${fileName}`,
            ukiFileName: fileName,
            schematicId: env.schematicId,
            talosVersion: version,
            arch: "amd64",
        },
        backupShare: "talos-backups",
        ...over,
    };
}

/** The simulator state as a plain deep-comparable value (files Map → object, without the byte buffers). */
export function snapshot(sim: DsmSimulator): unknown {
    const files: Record<string, unknown> = {};
    for (const [p, f] of sim.state.files) {
        files[p] = {
            isdir: f.isdir,
            size: f.size,
            md5: f.md5,
            mtime: f.mtime,
            bytes: f.bytes ? f.bytes.toString("base64") : undefined,
        };
    }
    return JSON.parse(JSON.stringify({ ...sim.state, files }));
}

/** Write calls per "API.method" since the last reset (from the simulator's per-call counters). */
export function writeCalls(sim: DsmSimulator): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(sim.counters.calls)) {
        const method = k.slice(k.lastIndexOf(".") + 1);
        if (["set", "create", "delete", "upload", "rename", "start_delete"].includes(method) && n > 0) {
            out[k] = n;
        }
    }
    return out;
}
