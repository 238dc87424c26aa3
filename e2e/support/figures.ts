/**
 * The figures of an end-to-end run: scenarios record numbers under named keys into a JSON file
 * ($HOMELAB_E2E_FIGURES, set by e2e/run.ts), which run.ts prints as the suite's last line. Each jest worker
 * writes a file of its own beside it (`<file>.<worker>`: two workers never read and write one file at once);
 * {@link readRunFigures} merges them.
 */
import * as fs from "fs";
import * as path from "path";

export type Figures = Record<string, number | boolean | string>;

/** Records (or overwrites) figures; a no-op when no figures file is set (a scenario run on its own). */
export function recordFigures(
    values: Figures,
    file = process.env.HOMELAB_E2E_FIGURES,
    worker: string | null = process.env.JEST_WORKER_ID ?? null,
): void {
    if (!file) return;
    const own = worker ? `${file}.${worker}` : file;
    fs.writeFileSync(own, JSON.stringify({ ...readFigures(own), ...values }));
}

/** The run's figures: `file` and every worker's file beside it, merged (a worker's in the order of its number). */
export function readRunFigures(file: string): Figures {
    const prefix = `${path.basename(file)}.`;
    const workers = fs
        .readdirSync(path.dirname(file))
        .filter((f) => f.startsWith(prefix) && /^\d+$/.test(f.slice(prefix.length)))
        .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
    return Object.assign(readFigures(file), ...workers.map((f) => readFigures(path.join(path.dirname(file), f))));
}

export function readFigures(file: string): Figures {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as Figures;
    } catch {
        return {};
    }
}
