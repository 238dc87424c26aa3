/**
 * The figures of an end-to-end run: scenarios record numbers under named keys into one JSON file
 * ($HOMELAB_E2E_FIGURES, set by e2e/run.ts), which run.ts prints as the suite's last line.
 */
import * as fs from "fs";

export type Figures = Record<string, number | boolean | string>;

/** Records (or overwrites) figures; a no-op when no figures file is set (a scenario run on its own). */
export function recordFigures(values: Figures, file = process.env.HOMELAB_E2E_FIGURES): void {
    if (!file) return;
    const current = readFigures(file);
    fs.writeFileSync(file, JSON.stringify({ ...current, ...values }));
}

export function readFigures(file: string): Figures {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as Figures;
    } catch {
        return {};
    }
}
