/**
 * Where a preview's time goes: the `.cpuprofile` files written for one `pulumi preview` (one per
 * Node.js process: the program under the language host, and the dynamic-provider host the engine starts for the
 * program's dynamic resources), each sample charged to one category by its stack (the innermost frame that
 * names one), summed per process.
 */
import * as fs from "fs";
import * as path from "path";

interface CallFrame {
    functionName: string;
    url: string;
}
interface ProfileNode {
    id: number;
    callFrame: CallFrame;
    children?: number[];
}
interface CpuProfile {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
    samples: number[];
    timeDeltas: number[];
}

/**
 * A preload (\`node --require\`) that profiles the process it runs in with V8's sampling profiler (inspector
 * protocol, in process) and writes \`<pid>.cpuprofile\` into $HOMELAB_PROFILE_DIR when the process exits: what
 * \`node --cpu-prof\` does, which NODE_OPTIONS may not carry. The engine's Node.js processes all inherit it.
 */
export const PROFILER_PRELOAD = `"use strict";
const inspector = require("inspector");
const fs = require("fs");
const path = require("path");
const dir = process.env.HOMELAB_PROFILE_DIR;
if (dir) {
    const session = new inspector.Session();
    session.connect();
    session.post("Profiler.enable");
    session.post("Profiler.setSamplingInterval", { interval: 500 });
    session.post("Profiler.start");
    let written = false;
    const write = () => {
        if (written) return;
        written = true;
        // The in-process session answers synchronously, so this works in an exit handler.
        session.post("Profiler.stop", (err, r) => {
            if (!err) fs.writeFileSync(path.join(dir, process.pid + ".cpuprofile"), JSON.stringify(r.profile));
        });
    };
    process.once("exit", write);
    // The engine stops plugins (the dynamic-provider host) with a signal: write first, then die of it.
    for (const sig of ["SIGINT", "SIGTERM"]) {
        process.once(sig, () => {
            write();
            process.kill(process.pid, sig);
        });
    }
}
`;

/** The environment that profiles every Node.js process of one command into `dir` (the preload written there). */
export function profilerEnv(dir: string): Record<string, string> {
    const preload = path.join(dir, "profiler-preload.js");
    fs.writeFileSync(preload, PROFILER_PRELOAD);
    return { NODE_OPTIONS: `--require ${preload}`, HOMELAB_PROFILE_DIR: dir };
}

export interface ProcessProfile {
    /** `program` (cmd/run: the language host running index.ts) or `dynamic-provider` (cmd/dynamic-provider). */
    process: string;
    /** Wall time the profile covers, from the process's start to its exit. */
    wallMs: number;
    /**
     * The program's process only: its time split at the first sample inside index.ts, the first inside `main()`,
     * and the last inside `main()` (start-up; loading the program's modules; main() until its last step; after).
     */
    phases?: Array<{ phase: string; ms: number }>;
    /** Milliseconds per category, largest first (idle included: time the process waited on the engine). */
    categories: Array<{ category: string; ms: number }>;
}

export interface ProfileSummary {
    processes: ProcessProfile[];
}

/** What ts-node asks of TypeScript when it type-checks (the first TypeScript frame under ts-node's). */
const TYPE_CHECKING = new Set([
    "getProgram",
    "getPreEmitDiagnostics",
    "getSemanticDiagnostics",
    "getSyntacticDiagnostics",
    "createEmitAndSemanticDiagnosticsBuilderProgram",
]);

/** The category of one frame, or undefined when it names none (then its caller's counts). */
function frameCategory(f: CallFrame): string | undefined {
    const u = f.url;
    if (u.includes("/node_modules/ts-node/")) return "ts-node";
    if (u.includes("/node_modules/@pulumi/kubernetes/")) return "@pulumi/kubernetes";
    if (u.includes("/node_modules/@pulumi/pulumi/")) return "@pulumi/pulumi";
    if (u.includes("/node_modules/@pulumi/")) return u.replace(/.*\/node_modules\/(@pulumi\/[^/]+).*/, "$1");
    if (/\/node_modules\/(ajv|ajv-formats|fast-uri|fast-deep-equal|json-schema-traverse)\//.test(u)) return "ajv";
    if (/\/node_modules\/(@grpc|google-protobuf|protobufjs)\//.test(u)) return "grpc, protobuf";
    if (u.includes("/node_modules/")) return "other packages";
    if (/\/(components\/.*|index)\.ts$/.test(u)) return "the program's own code";
    return undefined;
}

const isTs = (n: ProfileNode) => n.callFrame.url.includes("/node_modules/typescript/");
const isTsNode = (n: ProfileNode) => n.callFrame.url.includes("/node_modules/ts-node/");

/** The category of a sample (`stack`: innermost frame first). */
function sampleCategory(stack: ProfileNode[]): string {
    const leaf = stack[0].callFrame;
    if (leaf.functionName === "(idle)") return "idle (waiting on the engine)";
    if (leaf.functionName === "(garbage collector)") return "garbage collection";
    if (leaf.functionName === "(program)") return "node/V8 (compiling, native)";
    const t = stack.findIndex(isTs);
    if (t >= 0) {
        // The outermost TypeScript frame: what was asked of the compiler, and by whom.
        let outer = t;
        while (outer + 1 < stack.length && isTs(stack[outer + 1])) outer++;
        for (let i = outer; i < stack.length; i++) if (isTs(stack[i])) outer = i;
        if (outer + 1 < stack.length && isTsNode(stack[outer + 1])) {
            return TYPE_CHECKING.has(stack[outer].callFrame.functionName)
                ? "typescript: type-checking (ts-node)"
                : "typescript: emitting JavaScript (ts-node)";
        }
        return "typescript: loading the compiler, reading tsconfig";
    }
    for (const n of stack) {
        const c = frameCategory(n.callFrame);
        if (c) return c;
    }
    return stack.some((n) => /^node:internal\/modules\//.test(n.callFrame.url))
        ? "node: module loading"
        : "node internals";
}

/** The project's index.ts (not a module of components/). */
const isIndex = (n: ProfileNode) => /\/index\.ts$/.test(n.callFrame.url) && !n.callFrame.url.includes("/components/");

export function summariseProfileFile(file: string): ProcessProfile {
    const p = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const stackOf = new Map<number, ProfileNode[]>();
    const stack = (id: number): ProfileNode[] => {
        let s = stackOf.get(id);
        if (!s) {
            s = [];
            for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) s.push(byId.get(cur)!);
            stackOf.set(id, s);
        }
        return s;
    };
    const ms = new Map<string, number>();
    let t = 0;
    let indexStart: number | undefined;
    let mainStart: number | undefined;
    let mainEnd: number | undefined;
    for (let i = 0; i < p.samples.length; i++) {
        const dt = (p.timeDeltas[i] ?? 0) / 1000;
        t += dt;
        const s = stack(p.samples[i]);
        const c = sampleCategory(s);
        ms.set(c, (ms.get(c) ?? 0) + dt);
        if (indexStart === undefined && s.some(isIndex)) indexStart = t;
        if (s.some((n) => isIndex(n) && n.callFrame.functionName === "main")) {
            mainStart ??= t;
            mainEnd = t;
        }
    }
    const urls = p.nodes.map((n) => n.callFrame.url);
    const kind = urls.some((u) => u.endsWith("/cmd/run/run.js"))
        ? "program"
        : urls.some((u) => u.includes("/cmd/dynamic-provider/"))
          ? "dynamic-provider"
          : path.basename(file);
    const wallMs = (p.endTime - p.startTime) / 1000;
    let phases: ProcessProfile["phases"];
    if (kind === "program" && indexStart !== undefined && mainStart !== undefined && mainEnd !== undefined) {
        phases = [
            { phase: "start-up: node, the language host's cmd/run, TypeScript and ts-node", ms: indexStart },
            { phase: "loading the program's modules (require of index.ts)", ms: mainStart - indexStart },
            { phase: "main(): config, patch checks, pre-flight, the graph", ms: mainEnd - mainStart },
            { phase: "after main(): the engine finishing the registrations, exit", ms: wallMs - mainEnd },
        ].map((x) => ({ ...x, ms: Math.round(x.ms) }));
    }
    return {
        process: kind,
        wallMs: Math.round(wallMs),
        phases,
        categories: [...ms].map(([category, v]) => ({ category, ms: Math.round(v) })).sort((a, b) => b.ms - a.ms),
    };
}

/** Every profile in `dir`, the program's first. */
export function summariseProfile(dir: string): ProfileSummary {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
    const processes = files.map((f) => summariseProfileFile(path.join(dir, f)));
    processes.sort((a, b) => (a.process === "program" ? -1 : b.process === "program" ? 1 : b.wallMs - a.wallMs));
    return { processes };
}

export function formatProfileSummary(s: ProfileSummary): string[] {
    const out: string[] = [];
    for (const p of s.processes) {
        if (p.wallMs < 200) continue; // the language host's own short `node`/`npm` probes
        out.push(`profile of the ${p.process} process: ${(p.wallMs / 1000).toFixed(2)} s from start to exit`);
        for (const ph of p.phases ?? []) out.push(`  ${String(ph.ms).padStart(6)} ms  ${ph.phase}`);
        if (p.phases) out.push("  where its time went (CPU by category, and idle):");
        for (const c of p.categories) {
            if (c.ms < 20) continue;
            out.push(
                `  ${String(c.ms).padStart(6)} ms  ${((100 * c.ms) / p.wallMs).toFixed(0).padStart(3)}%  ${c.category}`,
            );
        }
    }
    return out;
}

if (require.main === module) {
    for (const line of formatProfileSummary(summariseProfile(process.argv[2]))) console.log(line);
}
