/**
 * Pure work, for the record: schematic ID (canonical YAML + SHA-256, as the factory computes it) and stack
 * config validation (parseStackConfig of the seed's values), operations per second.
 */
import { parseStackConfig } from "../../components/config";
import { schematicFromImage, schematicId } from "../../components/factory/schematic";
import type { ImageConfig } from "../../components/factory/config";
import { localisedSeedValues, round } from "./lib";

/** Calls `fn` in batches for at least `ms` milliseconds; returns calls per second. */
function perSecond(fn: (i: number) => unknown, ms = 1000): number {
    for (let i = 0; i < 200; i++) fn(i); // warm-up
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < ms) {
        for (let i = 0; i < 100; i++) fn(n + i);
        n += 100;
        elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    return (n * 1000) / elapsed;
}

export interface PureResult {
    schematicIdPerSec: number;
    parseStackConfigPerSec: number;
}

export function runPureBench(log: (m: string) => void): PureResult {
    const values = localisedSeedValues({ dsmUrl: "https://127.0.0.1:5001", factoryUrl: "http://127.0.0.1:9" });
    const image = parseStackConfig(values).image;
    // Vary the input a little so nothing can be answered from a cache of the previous call.
    const images: ImageConfig[] = Array.from({ length: 16 }, (_, i) => ({
        ...image,
        extraKernelArgs: [`bench.arg=${i}`],
    }));
    const ids = new Set<string>();
    const schematicIdPerSec = perSecond((i) => ids.add(schematicId(schematicFromImage(images[i % images.length]))));
    if (ids.size !== images.length)
        throw new Error(`expected ${images.length} distinct schematic IDs, got ${ids.size}`);
    const parseStackConfigPerSec = perSecond(() => parseStackConfig(values));
    log(
        `  schematicId: ${schematicIdPerSec.toFixed(0)}/s; parseStackConfig (seed stack): ${parseStackConfigPerSec.toFixed(0)}/s`,
    );
    return { schematicIdPerSec: round(schematicIdPerSec, 0), parseStackConfigPerSec: round(parseStackConfigPerSec, 0) };
}
