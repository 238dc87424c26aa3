/**
 * etcd snapshot to the NAS: peak RSS growth of taking and storing a 1 GiB snapshot (issue 16: under 64 MiB), in a
 * fresh process (etcd-snapshot-child.ts) against the DSM simulator in the servers child, whose stored size and MD5
 * must match what the snapshot code verified. Part of `npm run bench`; alone: `npx ts-node --transpile-only
 * tests/bench/etcd-snapshot.ts` (BENCH_ETCD_MIB, default 1024).
 */
import { MiB, round, runChildForResult } from "./lib";
import { startServers } from "./stream";

export interface EtcdSnapshotBenchResult {
    etcdSnapshotRssGrowthMiB: number;
    etcdSnapshotMiB: number;
    etcdSnapshotMiBps: number;
    etcdSnapshotHeapPeakMiB: number;
}

interface ChildResult {
    size: number;
    path: string;
    md5: string;
    baselineMiB: number;
    peakMiB: number;
    growthMiB: number;
    heapPeakMiB: number;
    samples: number;
    seconds: number;
}

export async function runEtcdSnapshotBench(log: (m: string) => void, mib = 1024): Promise<EtcdSnapshotBenchResult> {
    const servers = await startServers();
    try {
        const size = mib * MiB + 32; // whole pages plus etcd's SHA-256 trailer, as talosctl requires
        const r = await runChildForResult<ChildResult>("etcd-snapshot-child.ts", [servers.simUrl, String(size)]);
        const onNas = await servers.call<{ size: number; md5: string } | null>("getFile", r.path);
        if (!onNas || onNas.size !== size || onNas.md5 !== r.md5) {
            throw new Error(
                `the NAS holds ${JSON.stringify(onNas)} at ${r.path}, the snapshot code verified ${size} bytes with md5 ${r.md5}`,
            );
        }
        log(
            `  etcd snapshot of ${mib} MiB taken and stored in a fresh process: RSS ${r.baselineMiB.toFixed(1)} → peak ${r.peakMiB.toFixed(1)} MiB ` +
                `(+${r.growthMiB.toFixed(1)} MiB; heap peak ${r.heapPeakMiB.toFixed(1)}), ${(mib / r.seconds).toFixed(0)} MiB/s end to end ` +
                `(talosctl writing the file included), ${r.samples} samples`,
        );
        return {
            etcdSnapshotRssGrowthMiB: round(r.growthMiB, 1),
            etcdSnapshotMiB: mib,
            etcdSnapshotMiBps: round(mib / r.seconds, 1),
            etcdSnapshotHeapPeakMiB: round(r.heapPeakMiB, 1),
        };
    } finally {
        await servers.call("close").catch(() => undefined);
    }
}

if (require.main === module) {
    runEtcdSnapshotBench((m) => console.log(m), Number(process.env.BENCH_ETCD_MIB ?? 1024)).then(
        (r) => {
            console.log(
                `  ${r.etcdSnapshotRssGrowthMiB < 64 ? "goal met   " : "GOAL MISSED"} etcd snapshot RSS growth < 64 MiB: ${r.etcdSnapshotRssGrowthMiB} MiB`,
            );
            console.log(JSON.stringify(r));
            process.exit(0);
        },
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
}
