/**
 * Fresh process: one boot-file provider create of `size` bytes from the factory into the simulator (both in
 * the servers child), sampling `process.memoryUsage()` every 20 ms. Reports peak RSS minus the RSS just
 * before the create (after the modules are loaded). No warm-up: login, discovery and the first sockets count.
 *
 * With a fifth argument `raw`, the same for the raw pipeline copy (the floor to compare with).
 *
 * argv: simUrl factoryUrl schematicId size [raw]
 */
import { emitResult, MiB, sampleMemory } from "./lib";
import { bootInputs, providerCopy, rawCopy, rawLogin } from "./stream";

async function main(): Promise<void> {
    const [simUrl, factoryUrl, schematicId, sizeText, mode] = process.argv.slice(2);
    const size = Number(sizeText);
    const inputs = bootInputs({ simUrl, factoryUrl }, schematicId);

    const memory = await sampleMemory();
    const r =
        mode === "raw"
            ? { ...(await rawCopy(simUrl, inputs.ukiUrl, await rawLogin(simUrl), "raw-rss.bin")), md5: "" }
            : await providerCopy(inputs);
    const m = memory.stop();
    if (r.size !== size) throw new Error(`uploaded ${r.size} bytes, expected ${size}`);
    emitResult({
        size,
        baselineMiB: m.baseline / MiB,
        peakMiB: m.peak / MiB,
        growthMiB: (m.peak - m.baseline) / MiB,
        samples: m.samples,
        seconds: r.seconds,
        md5: r.md5,
        heapPeakMiB: m.heapPeak / MiB,
        externalPeakMiB: m.externalPeak / MiB,
        arrayBuffersPeakMiB: m.arrayBuffersPeak / MiB,
    });
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
