/**
 * Fresh process: one etcd snapshot of `size` bytes taken and stored the way `pulumi up` does it before the upgrades
 * (components/backups/store.ts: talosctl into a private temporary file, streamed through an MD5 counter into File
 * Station under a temporary name, verified with the NAS's MD5, renamed), into the simulator in the servers child.
 * `talosctl` is a stand-in script that writes `size` bytes as talosctl does (`<file>.part`, then renamed): its own
 * memory is its own process's. Samples `process.memoryUsage()` every 20 ms; reports peak RSS minus the RSS just
 * before (modules loaded). No warm-up: login, discovery and the first sockets count.
 *
 * argv: simUrl size
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { takeEtcdSnapshot } from "../../components/backups/store";
import { talosctlApi } from "../../components/backups/talosctl";
import { DsmClient } from "../../components/synology/dsm/client";
import { BENCH_DSM_PASSWORD, emitResult, MiB, sampleMemory } from "./lib";

async function main(): Promise<void> {
    const [simUrl, sizeText] = process.argv.slice(2);
    const size = Number(sizeText);
    if (!Number.isSafeInteger(size) || size % 512 !== 32)
        throw new Error(`size ${sizeText}: a snapshot is whole 512-byte pages plus etcd's 32-byte trailer`);
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "bench-talosctl-"));
    const talosctl = path.join(bin, "talosctl");
    fs.writeFileSync(
        talosctl,
        `#!/bin/sh
for a in "$@"; do last="$a"; done
case "$*" in
  *" version") printf 'Client:\\n\\tTag:         v1.13.0\\nServer:\\n\\tNODE:        127.0.0.1\\n\\tTag:         v1.12.1\\n';;
  *" etcd snapshot "*) umask 077; head -c ${size} /dev/zero > "$last.part" && mv "$last.part" "$last" && echo "etcd snapshot saved to \\"$last\\" (${size} bytes)";;
  *) echo "unexpected: $*" >&2; exit 1;;
esac
`,
        { mode: 0o755 },
    );
    const dsm = new DsmClient(
        { url: simUrl, username: "admin", password: BENCH_DSM_PASSWORD, allowHttp: true },
        { md5PollMs: 5, retryBaseDelayMs: 5, retryMaxDelayMs: 20, log: () => undefined },
    );
    const talos = talosctlApi("context: bench\n", { talosctl });

    const memory = await sampleMemory();
    const t0 = process.hrtime.bigint();
    try {
        const r = await takeEtcdSnapshot(
            { dsm, talos },
            { clusterName: "bench", share: "pxe", keep: 1, controlPlanes: [{ hostname: "cp-1", ip: "127.0.0.1" }] },
        );
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const m = memory.stop();
        if (r.size !== size) throw new Error(`stored ${r.size} bytes, expected ${size}`);
        emitResult({
            size,
            path: r.path,
            md5: r.md5,
            baselineMiB: m.baseline / MiB,
            peakMiB: m.peak / MiB,
            growthMiB: (m.peak - m.baseline) / MiB,
            heapPeakMiB: m.heapPeak / MiB,
            samples: m.samples,
            seconds,
        });
    } finally {
        talos.close();
        fs.rmSync(bin, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
