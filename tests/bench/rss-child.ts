/**
 * Fresh process: one boot-file provider create of `size` bytes from the factory into the simulator (both in
 * the servers child), sampling `process.memoryUsage()` every 20 ms. Reports peak RSS minus the RSS just
 * before the create (after the modules are loaded). No warm-up: login, discovery and the first sockets count.
 *
 * With a fifth argument `raw`, the same for the raw pipeline copy (the floor to compare with).
 *
 * argv: simUrl factoryUrl schematicId size [raw]
 */
import { emitResult, MiB } from "./lib";
import { bootInputs, providerCopy, rawCopy, rawLogin } from "./stream";

async function main(): Promise<void> {
    const [simUrl, factoryUrl, schematicId, sizeText, mode] = process.argv.slice(2);
    const size = Number(sizeText);
    const inputs = bootInputs({ simUrl, factoryUrl }, schematicId);

    await new Promise((r) => setTimeout(r, 50));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let heapPeak = 0;
    let externalPeak = 0;
    let abPeak = 0;
    let samples = 0;
    const sample = (): void => {
        const m = process.memoryUsage();
        samples++;
        peak = Math.max(peak, m.rss);
        heapPeak = Math.max(heapPeak, m.heapUsed);
        externalPeak = Math.max(externalPeak, m.external);
        abPeak = Math.max(abPeak, m.arrayBuffers);
    };
    const timer = setInterval(sample, 20);
    const r =
        mode === "raw"
            ? { ...(await rawCopy(simUrl, inputs.ukiUrl, await rawLogin(simUrl), "raw-rss.bin")), md5: "" }
            : await providerCopy(inputs);
    clearInterval(timer);
    sample();
    if (r.size !== size) throw new Error(`uploaded ${r.size} bytes, expected ${size}`);
    emitResult({
        size,
        baselineMiB: baseline / MiB,
        peakMiB: peak / MiB,
        growthMiB: (peak - baseline) / MiB,
        samples,
        seconds: r.seconds,
        md5: r.md5,
        heapPeakMiB: heapPeak / MiB,
        externalPeakMiB: externalPeak / MiB,
        arrayBuffersPeakMiB: abPeak / MiB,
    });
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
