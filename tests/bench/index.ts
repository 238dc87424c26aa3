/**
 * `npm run bench`: the figures of issue 8, each measured side by side in one run (the machine is noisy: read
 * the ratios). Only 127.0.0.1 is contacted. The last line printed is one JSON object with every figure.
 *
 * 1. Image stream: boot-file provider create vs raw `pipeline()` copy, 256 MiB, same servers (stream.ts);
 *    peak RSS growth of the provider for 256 MiB and 1 GiB in fresh processes (rss-child.ts).
 * 2. No-op apply: read + diff of every Synology resource for the seed's stack after a first create (noop.ts).
 * 3. Graph evaluation: index.ts under mocks with 3 and 50 nodes, fresh processes (graph.ts, graph-child.ts).
 * 4. Pure work: schematicId and parseStackConfig per second (pure.ts).
 * 5. etcd snapshot: peak RSS growth of taking and storing a 1 GiB snapshot in a fresh process (etcd-snapshot.ts).
 * 6. Preview vs the engine's floor (issue 27): an empty TypeScript program and this one (1 and 20 nodes) previewed on
 *    the real engine, alternating, in both modes a user meets, with a profile of one preview (preview.ts).
 * 7. The real engine: the end-to-end suite's NAS lifecycle and 1-vs-20-node previews, its figures line as is
 *    (engine.ts; needs the toolchain of `npm run toolchain`, built on first use).
 *
 * Environment: BENCH_STREAM_MIB (default 256), BENCH_STREAM_ROUNDS (default 5), BENCH_GRAPH_ROUNDS (default 2),
 * BENCH_PREVIEW_ROUNDS (default 3), BENCH_ENGINE=0 (leave the real engine out: parts 6 and 7).
 */
import * as os from "os";
import { runGraphBench } from "./graph";
import { runNoopBench } from "./noop";
import { runPureBench } from "./pure";
import { runStreamBench } from "./stream";
import { runEtcdSnapshotBench } from "./etcd-snapshot";
import { runEngineBench } from "./engine";
import { previewGoalLines, PreviewBenchResult, runPreviewBench } from "./preview";
import { goal, MiB } from "./lib";

const log = (m: string): void => console.log(m);

async function main(): Promise<void> {
    const started = Date.now();
    const streamMiB = Number(process.env.BENCH_STREAM_MIB ?? 256);
    const streamRounds = Number(process.env.BENCH_STREAM_ROUNDS ?? 5);
    const graphRounds = Number(process.env.BENCH_GRAPH_ROUNDS ?? 2);
    log(
        `homelab benchmark: node ${process.version}, ${os.cpus().length} CPU(s), load average ${os
            .loadavg()
            .map((x) => x.toFixed(1))
            .join(" ")}`,
    );

    log("\nPure work");
    const pure = runPureBench(log);

    log("\nNo-op apply (seed stack, local DSM simulator over HTTPS with a pinned certificate, local factory)");
    const noop = await runNoopBench(log);

    log(
        `\nImage stream (${streamMiB} MiB; servers in their own process; ${streamRounds} alternating rounds after a warm-up; medians)`,
    );
    const stream = await runStreamBench(log, streamMiB * MiB, streamRounds);

    log("\netcd snapshot to the NAS (talosctl stand-in, DSM simulator in its own process)");
    const etcd = await runEtcdSnapshotBench(log);

    log(`\nGraph evaluation under mocks (index.ts, fresh process per run, ${graphRounds} round(s), best of each)`);
    const graph = await runGraphBench(log, graphRounds);

    log("\nPreview vs the engine's floor (real engine: an empty TypeScript program vs this one, best of each)");
    let preview: PreviewBenchResult | undefined;
    if (process.env.BENCH_ENGINE === "0") log("  skipped (BENCH_ENGINE=0)");
    else preview = await runPreviewBench(log, { rounds: Number(process.env.BENCH_PREVIEW_ROUNDS ?? 3) });

    log("\nThe real Pulumi engine (npm run e2e: the NAS lifecycle and the 1-vs-20-node previews)");
    const engine = await runEngineBench(log);

    log("\nSummary");
    log(
        `  image stream: provider ${stream.streamMiBps} MiB/s vs raw pipeline ${stream.rawMiBps} MiB/s, ratio ${stream.streamRatio}`,
    );
    log(goal("stream ratio ≥ 0.8", stream.streamRatio >= 0.8, `${stream.streamRatio}`));
    log(
        goal(
            "RSS growth < 64 MiB",
            stream.rssGrowthMiB256 < 64 && stream.rssGrowthMiB1024 < 64,
            `${stream.rssGrowthMiB256} MiB (256 MiB body), ${stream.rssGrowthMiB1024} MiB (1 GiB body)`,
        ),
    );
    log(
        goal(
            "etcd snapshot RSS growth < 64 MiB",
            etcd.etcdSnapshotRssGrowthMiB < 64,
            `${etcd.etcdSnapshotRssGrowthMiB} MiB (1 GiB snapshot)`,
        ),
    );
    log(goal("no-op writes = 0", noop.noopWrites === 0, `${noop.noopWrites}`));
    log(goal("no-op logins = 1", noop.noopLogins === 1, `${noop.noopLogins}`));
    log(goal("no-op image bytes = 0", noop.noopImageBytes === 0, `${noop.noopImageBytes}`));
    log(goal("no-op diffs show no change", noop.noopChanged.length === 0, noop.noopChanged.join("; ") || "none"));
    log(
        goal(
            "graph 50 vs 3 nodes ≤ 5×",
            graph.graphRatio50v3 <= 5,
            `${graph.graphMs3} ms → ${graph.graphMs50} ms, ${graph.graphRatio50v3}× (${graph.graphMsPerExtraNode} ms per extra node)`,
        ),
    );
    if (preview) for (const line of previewGoalLines(preview)) log(line);
    if (engine) {
        const previewRatio = Number(engine.previewSeconds20) / Number(engine.previewSeconds1);
        log(
            goal(
                "engine: preview of 20 nodes ≤ 1.5× one node",
                previewRatio <= 1.5,
                `${engine.previewSeconds1} s → ${engine.previewSeconds20} s, ${previewRatio.toFixed(2)}×`,
            ),
        );
        log(
            goal(
                "engine: no-op up writes = 0",
                engine.noopDsmWrites === 0,
                `${engine.noopDsmWrites} DSM writes, ${engine.noopImageBytes} image bytes`,
            ),
        );
        log(goal("engine: secrets in clear in state = 0", engine.secretsInState === 0, `${engine.secretsInState}`));
        log(
            goal(
                "engine: every scenario passed",
                engine.scenariosFailed === 0,
                `${engine.scenariosPassed} passed, ${engine.scenariosFailed} failed`,
            ),
        );
    }
    log(`  total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);

    const figures = {
        streamRatio: stream.streamRatio,
        streamMiBps: stream.streamMiBps,
        rawMiBps: stream.rawMiBps,
        rssGrowthMiB256: stream.rssGrowthMiB256,
        rssGrowthMiB1024: stream.rssGrowthMiB1024,
        noopCalls: noop.noopCalls,
        noopWrites: noop.noopWrites,
        noopLogins: noop.noopLogins,
        noopImageBytes: noop.noopImageBytes,
        graphMs3: graph.graphMs3,
        graphMs50: graph.graphMs50,
        graphRatio50v3: graph.graphRatio50v3,
        etcdSnapshotRssGrowthMiB: etcd.etcdSnapshotRssGrowthMiB,
        // Preview vs the engine's floor (issue 27), or null when left out.
        previewVsFloor: preview?.previewVsFloor ?? null,
        previewVsFloorTypeChecked: preview?.previewVsFloorTypeChecked ?? null,
        twentyVsOneNode: preview?.twentyVsOneNode ?? null,
        preview: preview ?? null,
        // The real engine's figures (issue 14), or null when left out or when the run printed none.
        engine: engine ?? null,
        // Extras.
        noopCallsTotal: noop.noopCallsTotal,
        noopChanged: noop.noopChanged,
        streamRuns: stream.runs,
        streamProviderCpuMs: stream.providerCpuMs,
        streamRawCpuMs: stream.rawCpuMs,
        streamMd5CpuMs: stream.md5CpuMs,
        streamMiB,
        rss: stream.rss,
        rawRssGrowthMiB256: stream.rawRssGrowthMiB256,
        graphMsPerExtraNode: graph.graphMsPerExtraNode,
        graphLoadMs3: graph.graphLoadMs3,
        graphLoadMs50: graph.graphLoadMs50,
        graphResources3: graph.graphResources3,
        graphResources50: graph.graphResources50,
        schematicIdPerSec: pure.schematicIdPerSec,
        parseStackConfigPerSec: pure.parseStackConfigPerSec,
        etcdSnapshotMiBps: etcd.etcdSnapshotMiBps,
        etcdSnapshotHeapPeakMiB: etcd.etcdSnapshotHeapPeakMiB,
        loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
        seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(JSON.stringify(figures));
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
