/**
 * The real-engine figures (issue 14), from the end-to-end suite: `npm run e2e` of the seed stack's lifecycle
 * (nas.e2e.ts) and the 1-vs-20-node previews (scale.e2e.ts), on the toolchain built by `npm run toolchain`.
 * Its JSON figures line is taken over as is. BENCH_ENGINE=0 leaves this part out (it takes a few minutes and
 * builds the toolchain from Go the first time).
 */
import { spawn } from "child_process";
import * as path from "path";

export type EngineFigures = Record<string, number | boolean | string>;

export async function runEngineBench(log: (m: string) => void): Promise<EngineFigures | undefined> {
    if (process.env.BENCH_ENGINE === "0") {
        log("  skipped (BENCH_ENGINE=0)");
        return undefined;
    }
    const repoRoot = path.resolve(__dirname, "..", "..");
    const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(
            process.execPath,
            [
                path.join(repoRoot, "node_modules", "ts-node", "dist", "bin.js"),
                "--transpile-only",
                path.join(repoRoot, "e2e", "run.ts"),
                "e2e/scenarios/nas.e2e.ts",
                "e2e/scenarios/scale.e2e.ts",
            ],
            { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] },
        );
        let text = "";
        child.stdout.on("data", (d: Buffer) => {
            text += d.toString();
        });
        child.on("error", reject);
        child.on("close", () => resolve(text));
    });
    const line = out
        .trim()
        .split("\n")
        .reverse()
        .find((l) => l.startsWith('{"scenariosPassed"'));
    if (!line) {
        log("  the end-to-end run printed no figures line");
        return undefined;
    }
    const figures = JSON.parse(line) as EngineFigures;
    log(
        `  ${figures.scenariosPassed} scenarios passed, ${figures.scenariosFailed} failed; preview ${figures.previewSeconds1} s (1 node) vs ` +
            `${figures.previewSeconds20} s (20 nodes); no-op up: ${figures.noopDsmWrites} DSM writes, ${figures.noopImageBytes} image bytes; ` +
            `state ${figures.stateBytes} bytes, largest provider code ${figures.providerCodeBytesPerResource} bytes; ${figures.secretsInState} secrets in clear`,
    );
    return figures;
}
