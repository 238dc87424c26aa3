/**
 * Runs a dynamic provider the way Pulumi's provider host does: `serializeFunction(() => provider)`, the text
 * loaded with require-from-string in a fresh `node` child process, `.handler()` called, then a list of
 * provider calls made against the local simulator. Used by engine.test.ts and the memory test.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { repoRoot } from "../../support/shared";

/** One provider call. Inputs are referred to by name from the `inputs` table. */
export type Step =
    | { op: "check"; news: string }
    | { op: "create"; inputs: string }
    | { op: "read" }
    | { op: "diff"; news: string }
    | { op: "update"; news: string }
    | { op: "delete" };

export interface StepResult {
    op: string;
    ok: boolean;
    error?: string;
    result?: unknown;
}

export interface ChildRun {
    results: StepResult[];
    /** Highest RSS growth over the RSS before the first step, bytes (sampled every 20 ms). */
    maxRssGrowth: number;
    stderr: string;
}

const CHILD = `
const path = require("path");
const fs = require("fs");
const requireFromString = require("require-from-string");
const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const text = fs.readFileSync(job.providerFile, "utf8");
const provider = requireFromString(text, path.join(job.root, "__dynamic_provider.js")).handler();
globalThis.__homelabDsmClientOptions = { md5PollMs: 5, retryBaseDelayMs: 5, retryMaxDelayMs: 20, log: () => {} };
globalThis.__homelabDsmLog = () => {};
(async () => {
  if (global.gc) global.gc();
  const base = process.memoryUsage().rss;
  let max = 0;
  const timer = setInterval(() => { max = Math.max(max, process.memoryUsage().rss - base); }, 20);
  const results = [];
  let id, outs;
  for (const step of job.steps) {
    try {
      let r;
      switch (step.op) {
        case "check": r = await provider.check(outs || {}, job.inputs[step.news]); break;
        case "create": r = await provider.create(job.inputs[step.inputs]); id = r.id; outs = r.outs; break;
        case "read": r = await provider.read(id, outs); outs = r.props; break;
        case "diff": r = await provider.diff(id, outs, job.inputs[step.news]); break;
        case "update": r = await provider.update(id, outs, job.inputs[step.news]); outs = r.outs; break;
        case "delete": r = await provider.delete(id, outs); break;
      }
      results.push({ op: step.op, ok: true, result: r === undefined ? null : r });
    } catch (e) {
      results.push({ op: step.op, ok: false, error: String(e && e.message || e) });
    }
  }
  max = Math.max(max, process.memoryUsage().rss - base);
  clearInterval(timer);
  process.stdout.write(JSON.stringify({ results, maxRssGrowth: max }));
})();
`;

/** Serialise `provider` like the engine does and return the text. */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    return sf.text;
}

/** Serialise the provider, then run `steps` in a fresh node process. */
export async function runInChild(provider: pulumi.dynamic.ResourceProvider, inputs: Record<string, unknown>, steps: Step[], nodeArgs: string[] = []): Promise<ChildRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynprov-"));
    try {
        const providerFile = path.join(dir, "provider.js");
        fs.writeFileSync(providerFile, await serializeProvider(provider));
        const childFile = path.join(dir, "child.js");
        fs.writeFileSync(childFile, CHILD);
        const jobFile = path.join(dir, "job.json");
        fs.writeFileSync(jobFile, JSON.stringify({ providerFile, root: repoRoot, inputs, steps }));
        const child = spawn(process.execPath, [...nodeArgs, childFile, jobFile], {
            cwd: repoRoot, env: { ...process.env, NODE_PATH: path.join(repoRoot, "node_modules") }, stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        if (code !== 0 || !stdout) {
            throw new Error(`child exited with ${code}: ${stderr}`);
        }
        return { ...(JSON.parse(stdout) as Omit<ChildRun, "stderr">), stderr };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The usual lifecycle: check, create, read, diff (no change), diff/update to B, read, diff (no change), delete. */
export function lifecycle(hasUpdate: boolean): Step[] {
    const steps: Step[] = [{ op: "check", news: "A" }, { op: "create", inputs: "A" }, { op: "read" }, { op: "diff", news: "A" }];
    if (hasUpdate) {
        steps.push({ op: "diff", news: "B" }, { op: "update", news: "B" }, { op: "read" }, { op: "diff", news: "B" });
    }
    steps.push({ op: "delete" });
    return steps;
}
