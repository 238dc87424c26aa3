/**
 * `npm run e2e`: the end-to-end suite on the real Pulumi engine. Builds (or reuses) the toolchain, runs the
 * scenarios with jest (e2e/jest.config.js), and prints as its last line one JSON object: the scenario counts
 * and every figure the scenarios recorded. Extra arguments go to jest (e.g. `npm run e2e -- -t preview`).
 *
 * HOMELAB_E2E_PULUMI=<path to pulumi>: use that CLI (e.g. a user's own, with internet) and let the engine fetch
 * the provider plugins itself; the stand-ins (talos-node) are still built from Go.
 */
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureToolchain } from "./toolchain/build";
import { readRunFigures } from "./support/figures";
import { neededRoles } from "./support/scenario";
import { RUN_ENV, survivors } from "./support/processes";

interface JestJson {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    success: boolean;
}

async function main(): Promise<number> {
    const repoRoot = path.resolve(__dirname, "..");
    const { binDir, seconds } = await ensureToolchain((l) => console.log(l), undefined, neededRoles());
    console.log(`e2e: toolchain in ${binDir} (${seconds.toFixed(1)} s)`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-e2e-run-"));
    const figuresFile = path.join(work, "figures.json");
    const resultsFile = path.join(work, "jest.json");
    fs.writeFileSync(figuresFile, JSON.stringify({ toolchainSeconds: Number(seconds.toFixed(1)) }));

    const jestBin = path.join(repoRoot, "node_modules", "jest", "bin", "jest.js");
    // Every process of the run carries this marker (e2e/support/processes.ts): none may be alive after it.
    const marker = `e2e-${process.pid}-${randomBytes(6).toString("hex")}`;
    let interrupted: NodeJS.Signals | undefined;
    const code = await new Promise<number>((resolve) => {
        const child = spawn(
            process.execPath,
            [
                jestBin,
                "--config",
                path.join(__dirname, "jest.config.js"),
                "--json",
                "--outputFile",
                resultsFile,
                ...process.argv.slice(2),
            ],
            {
                cwd: repoRoot,
                stdio: "inherit",
                env: {
                    ...process.env,
                    HOMELAB_TOOLCHAIN_BIN: binDir,
                    HOMELAB_E2E_FIGURES: figuresFile,
                    [RUN_ENV]: marker,
                },
            },
        );
        // Ctrl-C reaches jest too (same process group); a signal sent to this process alone is passed on.
        for (const sig of ["SIGINT", "SIGTERM"] as const) {
            process.on(sig, () => {
                interrupted = sig;
                child.kill(sig);
            });
        }
        child.on("close", (c) => resolve(c ?? 1));
    });
    const left = await stopSurvivors(marker);

    let results: JestJson | undefined;
    try {
        results = JSON.parse(fs.readFileSync(resultsFile, "utf8")) as JestJson;
    } catch {
        results = undefined;
    }
    const figures = readRunFigures(figuresFile);
    // The 1-node stack (nas.e2e.ts) and the 5-node one (cluster.e2e.ts): how the state grows per node.
    if (typeof figures.stateBytes === "number" && typeof figures.stateBytes5 === "number") {
        figures.stateBytesPerNode = Math.round((figures.stateBytes5 - figures.stateBytes) / 4);
    }
    // The run's own check: no process it started is alive after it (counted as one failed scenario when any was).
    const line = {
        scenariosPassed: results?.numPassedTests ?? 0,
        scenariosFailed: (results ? results.numFailedTests : 1) + (left.length > 0 ? 1 : 0),
        processesLeft: left.length,
        ...figures,
    };
    fs.rmSync(work, { recursive: true, force: true });
    console.log(JSON.stringify(line));
    if (interrupted) return interrupted === "SIGINT" ? 130 : 143;
    if (left.length > 0) return code === 0 ? 1 : code;
    return results?.success ? code : code === 0 ? 1 : code;
}

/** Processes of the run still alive once jest is gone: named, then killed. */
async function stopSurvivors(marker: string): Promise<{ pid: number; cmd: string }[]> {
    const left = survivors(marker);
    for (const p of left) {
        console.error(`e2e: still running after the run, stopped now: pid ${p.pid} ${p.cmd.slice(0, 200)}`);
        try {
            process.kill(p.pid, "SIGKILL");
        } catch {
            /* gone meanwhile */
        }
    }
    return left;
}

main().then(
    (code) => process.exit(code),
    (e: Error) => {
        console.error(e.message);
        console.log(JSON.stringify({ scenariosPassed: 0, scenariosFailed: 1, error: e.message.split("\n")[0] }));
        process.exit(1);
    },
);
