/**
 * The cost of a `pulumi preview` against the engine's own floor (issue 27), on the real engine (the toolchain's
 * CLI and Node.js language host, this repository's node_modules): an EMPTY TypeScript program (the floor: what
 * any program pays for the CLI, the language host, ts-node and @pulumi/pulumi) and this program with one node and
 * with twenty, each previewed in both modes a user can meet: as `pulumi preview` runs by default (the project's
 * Pulumi.yaml and tsconfig.json decide whether ts-node type-checks), and with PULUMI_NODEJS_TRANSPILE_ONLY=true.
 * Alternating, best of `rounds`; fresh stacks (nothing to diff), the NAS pre-flight against the DSM simulator.
 *
 * With `profile` set, one more preview each of the empty program and of the one-node stack runs under V8's sampling
 * profiler and the profiles of their Node.js processes are summarised (preview-profile.ts): where the time went.
 * The goals of issue 27 are checked as ratios ({@link PREVIEW_GOALS}): previewVsFloor and previewVsFloorTypeChecked
 * at most 2, twentyVsOneNode at most 1.5.
 *
 * Alone: `npx ts-node --transpile-only tests/bench/preview.ts` (BENCH_PREVIEW_ROUNDS, default 3;
 * BENCH_PREVIEW_PROFILE=0 leaves the profile out, BENCH_PREVIEW_PROFILE_MODE=transpileOnly profiles that mode,
 * BENCH_PREVIEW_PROFILE_DIR=<dir> keeps the .cpuprofile files). Needs the toolchain of `npm run toolchain`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "../../e2e/support/engine";
import { loopbackStackValues } from "../../e2e/support/loopback";
import { startServers } from "../../e2e/support/servers";
import { ensureToolchain } from "../../e2e/toolchain/build";
import { devStackWithNodes } from "../support/shared";
import { formatProfileSummary, profilerEnv, ProfileSummary, summariseProfile } from "./preview-profile";
import { goal, REPO_ROOT, round } from "./lib";

/**
 * The floor: a TypeScript program that declares nothing (what \`pulumi new typescript\` gives, minus its resource),
 * in a project of Pulumi's defaults: runtime nodejs with typescript, the repository's compiler options and
 * node_modules, and no "ts-node" section in its tsconfig.json, so ts-node type-checks it unless
 * PULUMI_NODEJS_TRANSPILE_ONLY says otherwise, as it does for any TypeScript project \`pulumi new\` makes.
 */
export function emptyProject(root = REPO_ROOT): Record<string, string> {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(root, "tsconfig.json"), "utf8")) as Record<string, unknown>;
    delete tsconfig["ts-node"];
    return {
        "index.ts": `import * as pulumi from "@pulumi/pulumi";

export const stack = pulumi.getStack();
`,
        "Pulumi.yaml": `name: floor
runtime:
  name: nodejs
  options:
    typescript: true
description: The empty program the bench measures the engine's floor with.
`,
        "tsconfig.json": JSON.stringify(tsconfig, null, 2),
    };
}

const DSM_PASSWORD = "dsm-preview-bench-Pa55";

/** The two ways a user's `pulumi preview` can run the program. */
export const MODES = {
    /** As the project is set up (Pulumi.yaml, tsconfig.json), PULUMI_NODEJS_TRANSPILE_ONLY unset. */
    default: { PULUMI_NODEJS_TRANSPILE_ONLY: undefined },
    transpileOnly: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
} as const;
export type Mode = keyof typeof MODES;

export interface PreviewRun {
    program: "empty" | "nodes1" | "nodes20";
    mode: Mode;
    seconds: number;
    /** CPU seconds of the whole command (CLI, language host, program, plugins), when /usr/bin/time is there. */
    cpuSeconds?: number;
}

export interface PreviewBenchResult {
    floorSeconds: number;
    floorSecondsTypeChecked: number;
    previewSeconds1: number;
    previewSeconds20: number;
    previewSeconds1TypeChecked: number;
    previewSeconds20TypeChecked: number;
    /** One node, transpile-only, over the empty program, transpile-only. */
    previewVsFloor: number;
    /** One node over the empty program, both as a user's `pulumi preview` runs by default. */
    previewVsFloorTypeChecked: number;
    preview20Vs1: number;
    preview20Vs1TypeChecked: number;
    /** Twenty nodes over one, the larger of the two modes' ratios. */
    twentyVsOneNode: number;
    /** The same ratios of CPU time (best of each): what other work on the machine disturbs least. */
    previewCpuVsFloor: number;
    previewCpuVsFloorTypeChecked: number;
    previewRuns: PreviewRun[];
    previewProfile?: ProfileSummary;
    /** The same profile of the empty program's preview. */
    floorProfile?: ProfileSummary;
}

/** Issue 27's goals, as ratios measured side by side (never as timed tests). */
export const PREVIEW_GOALS = { previewVsFloor: 2, previewVsFloorTypeChecked: 2, twentyVsOneNode: 1.5 } as const;

/** One line per goal of issue 27: met or missed, with the figures behind the ratio. */
export function previewGoalLines(r: PreviewBenchResult): string[] {
    return [
        goal(
            `previewVsFloorTypeChecked ≤ ${PREVIEW_GOALS.previewVsFloorTypeChecked} (each program as \`pulumi preview\` runs it by default)`,
            r.previewVsFloorTypeChecked <= PREVIEW_GOALS.previewVsFloorTypeChecked,
            `${r.floorSecondsTypeChecked} s → ${r.previewSeconds1TypeChecked} s, ${r.previewVsFloorTypeChecked}×`,
        ),
        goal(
            `previewVsFloor ≤ ${PREVIEW_GOALS.previewVsFloor} (both transpile-only)`,
            r.previewVsFloor <= PREVIEW_GOALS.previewVsFloor,
            `${r.floorSeconds} s → ${r.previewSeconds1} s, ${r.previewVsFloor}×`,
        ),
        goal(
            `twentyVsOneNode ≤ ${PREVIEW_GOALS.twentyVsOneNode} (the larger of both modes)`,
            r.twentyVsOneNode <= PREVIEW_GOALS.twentyVsOneNode,
            `${r.preview20Vs1TypeChecked}× by default, ${r.preview20Vs1}× transpile-only`,
        ),
    ];
}

export async function runPreviewBench(
    log: (m: string) => void,
    opts: { rounds?: number; profile?: boolean } = {},
): Promise<PreviewBenchResult> {
    const rounds = opts.rounds ?? 3;
    const { binDir } = await ensureToolchain(() => undefined);
    const servers = await startServers({ dsm: { users: { admin: DSM_PASSWORD } } });
    const engines: Partial<Record<PreviewRun["program"], Engine>> = {};
    try {
        // DHCP already on, as on the seed's NAS: the pre-flight has nothing to warn about.
        servers.dsm.state.dhcpServers.eth0 = { ...servers.dsm.state.dhcpServers.eth0, enable: true };
        engines.empty = new Engine({ binDir, stack: "floor", files: emptyProject(), cpuTime: true });
        await engines.empty.init({}, {});
        for (const n of [1, 20] as const) {
            const e = new Engine({ binDir, stack: `nodes${n}`, cpuTime: true });
            engines[`nodes${n}`] = e;
            await e.init(loopbackStackValues(devStackWithNodes(n), servers.standIns), {
                synologyPassword: DSM_PASSWORD,
                upsPassword: "ups-preview-bench",
            });
        }
        const preview = async (program: PreviewRun["program"], mode: Mode, env: Record<string, string> = {}) => {
            const e = engines[program]!;
            const r = await e.run(["preview", ...e.stackArgs()], { env: { ...MODES[mode], ...env } });
            if (r.code !== 0) {
                throw new Error(
                    `preview of ${program} (${mode}) exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr}`,
                );
            }
            return r;
        };
        // One untimed preview each: the OS's file cache and the engine's plugin cache warm for everyone.
        for (const p of ["empty", "nodes1", "nodes20"] as const) await preview(p, "transpileOnly");

        const runs: PreviewRun[] = [];
        const order: Array<[PreviewRun["program"], Mode]> = [];
        for (const mode of Object.keys(MODES) as Mode[]) {
            for (const p of ["empty", "nodes1", "nodes20"] as const) order.push([p, mode]);
        }
        for (let i = 0; i < rounds; i++) {
            for (const [program, mode] of i % 2 === 0 ? order : [...order].reverse()) {
                const r = await preview(program, mode);
                const cpu = r.cpuSeconds === undefined ? undefined : round(r.cpuSeconds, 2);
                runs.push({ program, mode, seconds: round(r.seconds, 2), cpuSeconds: cpu });
                log(
                    `  round ${i + 1}: ${program.padEnd(7)} ${mode.padEnd(13)} ${r.seconds.toFixed(2)} s` +
                        (cpu === undefined ? "" : ` (CPU ${cpu.toFixed(2)} s)`) +
                        `, load ${os.loadavg()[0].toFixed(1)}`,
                );
            }
        }
        const best = (program: PreviewRun["program"], mode: Mode, k: "seconds" | "cpuSeconds" = "seconds") =>
            Math.min(...runs.filter((r) => r.program === program && r.mode === mode).map((r) => r[k] ?? NaN));

        let previewProfile: ProfileSummary | undefined;
        let floorProfile: ProfileSummary | undefined;
        if (opts.profile ?? true) {
            // BENCH_PREVIEW_PROFILE_DIR keeps the .cpuprofile files there (open them in Chrome's DevTools).
            const keep = process.env.BENCH_PREVIEW_PROFILE_DIR;
            if (keep) fs.mkdirSync(keep, { recursive: true });
            const mode = (process.env.BENCH_PREVIEW_PROFILE_MODE as Mode | undefined) ?? "default";
            // The empty program's profile too: what of the program's is the floor's as well.
            const profileOf = async (program: "empty" | "nodes1"): Promise<ProfileSummary> => {
                const dir = keep
                    ? fs.mkdtempSync(path.join(path.resolve(keep), `${program}-`))
                    : fs.mkdtempSync(path.join(os.tmpdir(), "homelab-preview-prof-"));
                try {
                    await preview(program, mode, profilerEnv(dir));
                    return summariseProfile(dir);
                } finally {
                    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
                }
            };
            floorProfile = await profileOf("empty");
            previewProfile = await profileOf("nodes1");
            log(`  profile of one preview (${mode}) of the empty program:`);
            for (const line of formatProfileSummary(floorProfile)) log(`    ${line}`);
            log(`  profile of one preview (${mode}) of this program, one node:`);
            for (const line of formatProfileSummary(previewProfile)) log(`    ${line}`);
        }

        const r: PreviewBenchResult = {
            floorSeconds: best("empty", "transpileOnly"),
            floorSecondsTypeChecked: best("empty", "default"),
            previewSeconds1: best("nodes1", "transpileOnly"),
            previewSeconds20: best("nodes20", "transpileOnly"),
            previewSeconds1TypeChecked: best("nodes1", "default"),
            previewSeconds20TypeChecked: best("nodes20", "default"),
            previewVsFloor: round(best("nodes1", "transpileOnly") / best("empty", "transpileOnly"), 2),
            previewVsFloorTypeChecked: round(best("nodes1", "default") / best("empty", "default"), 2),
            preview20Vs1: round(best("nodes20", "transpileOnly") / best("nodes1", "transpileOnly"), 2),
            preview20Vs1TypeChecked: round(best("nodes20", "default") / best("nodes1", "default"), 2),
            twentyVsOneNode: round(
                Math.max(
                    best("nodes20", "transpileOnly") / best("nodes1", "transpileOnly"),
                    best("nodes20", "default") / best("nodes1", "default"),
                ),
                2,
            ),
            previewCpuVsFloor: round(
                best("nodes1", "transpileOnly", "cpuSeconds") / best("empty", "transpileOnly", "cpuSeconds"),
                2,
            ),
            previewCpuVsFloorTypeChecked: round(
                best("nodes1", "default", "cpuSeconds") / best("empty", "default", "cpuSeconds"),
                2,
            ),
            previewRuns: runs,
            previewProfile,
            floorProfile,
        };
        for (const [mode, label, vsFloor, vsCpu, ratio20] of [
            [
                "default",
                "default (as `pulumi preview` runs)",
                r.previewVsFloorTypeChecked,
                r.previewCpuVsFloorTypeChecked,
                r.preview20Vs1TypeChecked,
            ],
            [
                "transpileOnly",
                "PULUMI_NODEJS_TRANSPILE_ONLY=true",
                r.previewVsFloor,
                r.previewCpuVsFloor,
                r.preview20Vs1,
            ],
        ] as const) {
            log(
                `  ${label}: empty ${best("empty", mode)} s, 1 node ${best("nodes1", mode)} s, 20 nodes ${best("nodes20", mode)} s: ` +
                    `${vsFloor}× the floor (CPU ${best("empty", mode, "cpuSeconds")} s vs ${best("nodes1", mode, "cpuSeconds")} s: ${vsCpu}×), ` +
                    `20 vs 1 node ${ratio20}×`,
            );
        }
        return r;
    } finally {
        for (const e of Object.values(engines)) await e?.dispose();
        await servers.close();
    }
}

if (require.main === module) {
    const log = (m: string): void => console.log(m);
    log(
        `preview vs floor: node ${process.version}, load average ${os
            .loadavg()
            .map((x) => x.toFixed(1))
            .join(" ")}`,
    );
    runPreviewBench(log, {
        rounds: Number(process.env.BENCH_PREVIEW_ROUNDS ?? 3),
        profile: process.env.BENCH_PREVIEW_PROFILE !== "0",
    }).then(
        (r) => {
            for (const line of previewGoalLines(r)) log(line);
            log(
                `  load average after: ${os
                    .loadavg()
                    .map((x) => x.toFixed(1))
                    .join(" ")}`,
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
