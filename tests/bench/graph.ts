/**
 * Graph evaluation under mocks: index.ts with 3 and with 50 nodes, each run in a fresh child process
 * (graph-child.ts), alternating, the config derived from the seed's stack with generated nodes. The Talos
 * config schema comes from a local schema server through a warmed cache directory (no network).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadTalosConfigSchema } from "../../components/talos/schema";
import { referenceSchemaText, startSchemaServer } from "../support/schema-server";
import { assertOnlyLoopbackUrls, localisedSeedValues, round, runChildForResult } from "./lib";

interface GraphChildResult {
    loadMs: number;
    graphMs: number;
    returnedMs: number;
    registrations: number;
    types: Record<string, number>;
}

/** `n` nodes: 3 control planes (1 when n < 3) and workers, addresses outside the seed's DHCP range. */
export function generatedNodes(n: number): Array<Record<string, unknown>> {
    const cps = n >= 3 ? 3 : 1;
    return Array.from({ length: n }, (_, i) => ({
        hostname: i < cps ? `talos-cp-${i + 1}` : `talos-w-${i - cps + 1}`,
        mac: `02:00:00:01:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`,
        ip: `192.168.0.${10 + i}`,
        role: i < cps ? "controlplane" : "worker",
        installDisk: "/dev/nvme0n1",
    }));
}

export interface GraphResult {
    graphMs3: number;
    graphMs50: number;
    graphRatio50v3: number;
    /** (graphMs50 - graphMs3) / 47: the marginal cost of one more node. */
    graphMsPerExtraNode: number;
    graphLoadMs3: number;
    graphLoadMs50: number;
    graphResources3: number;
    graphResources50: number;
    graphRuns: Array<{ nodes: number; graphMs: number; loadMs: number }>;
}

export async function runGraphBench(log: (m: string) => void, rounds = 2): Promise<GraphResult> {
    const schemaServer = await startSchemaServer({ "v1.12.1": referenceSchemaText() });
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-bench-cache-"));
    try {
        // Warm the schema cache once, so each child reads it from disk the way a second `pulumi up` does.
        const warm = await loadTalosConfigSchema({
            talosVersion: "v1.12.1",
            urlTemplate: schemaServer.urlTemplate,
            cacheDir,
            warn: (m) => log(`  schema: ${m}`),
        });
        if (!warm) throw new Error("could not load the Talos config schema from the local schema server");

        const valuesFor = (n: number): Record<string, unknown> => {
            // The DSM and factory URLs are never dialled under mocks; they still point at loopback.
            const v = localisedSeedValues({
                dsmUrl: "https://127.0.0.1:5001",
                factoryUrl: "http://127.0.0.1:9",
                schemaUrlTemplate: schemaServer.urlTemplate,
            });
            const nodes = generatedNodes(n);
            (v.cluster as Record<string, unknown>).endpoint = `https://${String(nodes[0].ip)}:6443`;
            v.nodes = nodes;
            assertOnlyLoopbackUrls(
                [v.synology, v.image, (v.cluster as Record<string, unknown>).configSchemaUrl],
                "graph config",
            );
            return v;
        };
        const runs: Array<{ nodes: number; graphMs: number; loadMs: number; registrations: number }> = [];
        for (let i = 0; i < rounds; i++) {
            for (const n of i % 2 === 0 ? [3, 50] : [50, 3]) {
                const r = await runChildForResult<GraphChildResult>("graph-child.ts", [], {
                    BENCH_GRAPH_VALUES: JSON.stringify(valuesFor(n)),
                    HOMELAB_CACHE_DIR: cacheDir,
                });
                log(
                    `  ${n} nodes: ${r.registrations} resources registered in ${r.graphMs.toFixed(0)} ms after the program was called ` +
                        `(module load ${r.loadMs.toFixed(0)} ms)`,
                );
                runs.push({ nodes: n, graphMs: r.graphMs, loadMs: r.loadMs, registrations: r.registrations });
            }
        }
        const best = (n: number, k: "graphMs" | "loadMs") =>
            Math.min(...runs.filter((r) => r.nodes === n).map((r) => r[k]));
        const graphMs3 = best(3, "graphMs");
        const graphMs50 = best(50, "graphMs");
        const schemaFetches = schemaServer.countFor("v1.12.1");
        log(`  schema server: ${schemaFetches} fetch(es) in all (the warm-up); children read the cache`);
        return {
            graphMs3: round(graphMs3, 0),
            graphMs50: round(graphMs50, 0),
            graphRatio50v3: round(graphMs50 / graphMs3, 2),
            graphMsPerExtraNode: round((graphMs50 - graphMs3) / 47, 1),
            graphLoadMs3: round(best(3, "loadMs"), 0),
            graphLoadMs50: round(best(50, "loadMs"), 0),
            graphResources3: runs.find((r) => r.nodes === 3)!.registrations,
            graphResources50: runs.find((r) => r.nodes === 50)!.registrations,
            graphRuns: runs.map((r) => ({ nodes: r.nodes, graphMs: round(r.graphMs, 0), loadMs: round(r.loadMs, 0) })),
        };
    } finally {
        await schemaServer.close();
        fs.rmSync(cacheDir, { recursive: true, force: true });
    }
}
