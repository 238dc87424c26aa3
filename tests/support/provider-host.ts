/**
 * Running a dynamic resource's provider the way the engine does, outside the test process:
 *
 * - `runStoredText`: what Pulumi's provider host (`@pulumi/pulumi/cmd/dynamic-provider`) does with the text a
 *   resource stores as `__provider`: `requireFromString(text).handler()` (no file name, as the host does), in a
 *   fresh `node` process whose working folder is the project (where the engine starts the host), then provider
 *   calls with `__provider` in the properties as the host passes them, create/diff/update after a check as the
 *   engine makes them. The calls run against local servers.
 * - `startProviderHost`: the host itself, Pulumi's `pulumi-resource-pulumi-nodejs` plugin started as the engine's
 *   plugin.go starts it (own process group, stdin a pipe it never writes, the engine address as argument), driven
 *   over gRPC by a stand-in engine process: `call("diff", …)` returns what the engine would get.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "./shared";

/** Pulumi's provider host plugin for dynamic resources. */
export const HOST_PLUGIN = path.join(repoRoot, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs");

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
const fs = require("fs");
const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const requireFromString = require(job.requireFromString);
const text = fs.readFileSync(job.textFile, "utf8");
const withText = (props) => ({ ...props, __provider: text });
// As the engine does: every create, diff and update gets inputs that went through check.
const checked = async (provider, olds, news) => {
  const r = await provider.check(olds || {}, withText(news));
  if (r.failures && r.failures.length) throw new Error(r.failures.map((f) => f.property + ": " + f.reason).join("; "));
  return r.inputs;
};
// As the host's getProvider does, once per text; a failure is every step's answer.
let provider, loadError;
try {
  provider = requireFromString(text).handler();
} catch (e) {
  loadError = e;
}
(async () => {
  if (global.gc) global.gc();
  const base = process.memoryUsage().rss;
  let max = 0;
  const timer = setInterval(() => { max = Math.max(max, process.memoryUsage().rss - base); }, 20);
  const results = [];
  let id, outs;
  for (const step of job.steps) {
    try {
      if (loadError) throw loadError;
      let r;
      switch (step.op) {
        case "check": r = await provider.check(outs || {}, withText(job.inputs[step.news])); break;
        case "create": r = await provider.create(await checked(provider, {}, job.inputs[step.inputs])); id = r.id; outs = withText(r.outs); break;
        case "read": r = await provider.read(id, outs); outs = withText(r.props); break;
        case "diff": r = await provider.diff(id, outs, await checked(provider, outs, job.inputs[step.news])); break;
        case "update": r = await provider.update(id, outs, await checked(provider, outs, job.inputs[step.news])); outs = withText(r.outs); break;
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

/** Runs `steps` against the provider that `text` (a resource's stored `__provider`) loads, in a fresh node process. */
export async function runStoredText(
    text: string,
    inputs: Record<string, unknown>,
    steps: Step[],
    opts: { cwd?: string; nodeArgs?: string[] } = {},
): Promise<ChildRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynprov-"));
    try {
        const textFile = path.join(dir, "provider.js");
        fs.writeFileSync(textFile, text);
        const childFile = path.join(dir, "child.js");
        fs.writeFileSync(childFile, CHILD);
        const jobFile = path.join(dir, "job.json");
        fs.writeFileSync(
            jobFile,
            JSON.stringify({ textFile, inputs, steps, requireFromString: require.resolve("require-from-string") }),
        );
        // No NODE_PATH: what the text loads, it finds from the working folder, as in the host.
        const env = { ...process.env };
        delete env.NODE_PATH;
        const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), childFile, jobFile], {
            cwd: opts.cwd ?? repoRoot,
            env,
            stdio: ["ignore", "pipe", "pipe"],
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
    const steps: Step[] = [
        { op: "check", news: "A" },
        { op: "create", inputs: "A" },
        { op: "read" },
        { op: "diff", news: "A" },
    ];
    if (hasUpdate) {
        steps.push({ op: "diff", news: "B" }, { op: "update", news: "B" }, { op: "read" }, { op: "diff", news: "B" });
    }
    steps.push({ op: "delete" });
    return steps;
}

/**
 * The stand-in engine: its own address (a TCP listener), the host started as plugin.go starts it, then one gRPC
 * call per request line on stdin, one answer line on stdout. Its first line names its pid, the host's and address.
 */
const ENGINE = `
const { spawn } = require("child_process");
const net = require("net");
const readline = require("readline");
const grpc = require("@grpc/grpc-js");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const [plugin, cwd] = process.argv.slice(2);
const struct = (o) => structproto.Struct.fromJavaScript(o || {});
const js = (s) => (s ? s.toJavaScript() : undefined);
const CHANGES = ["unknown", "none", "some"];
const rpc = {
  check: [provproto.CheckRequest, (q, c) => { q.setOlds(struct(c.olds)); q.setNews(struct(c.news)); },
    (r) => ({ inputs: js(r.getInputs()), failures: r.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })) })],
  diff: [provproto.DiffRequest, (q, c) => { q.setId(c.id); q.setOlds(struct(c.olds)); q.setNews(struct(c.news)); },
    (r) => ({ changes: CHANGES[r.getChanges()], replaces: r.getReplacesList(), deleteBeforeReplace: r.getDeletebeforereplace() })],
  create: [provproto.CreateRequest, (q, c) => q.setProperties(struct(c.properties)), (r) => ({ id: r.getId(), properties: js(r.getProperties()) })],
  read: [provproto.ReadRequest, (q, c) => { q.setId(c.id); q.setProperties(struct(c.properties)); }, (r) => ({ id: r.getId(), properties: js(r.getProperties()) })],
  update: [provproto.UpdateRequest, (q, c) => { q.setId(c.id); q.setOlds(struct(c.olds)); q.setNews(struct(c.news)); }, (r) => ({ properties: js(r.getProperties()) })],
  delete: [provproto.DeleteRequest, (q, c) => { q.setId(c.id); q.setProperties(struct(c.properties)); }, () => ({})],
};
const engine = net.createServer((s) => s.on("error", () => undefined)).listen(0, "127.0.0.1", () => {
  const addr = "127.0.0.1:" + engine.address().port;
  // plugin.go: exec.Command(bin, engineAddress), Setpgid, StdinPipe (never written), stdout/stderr pipes.
  // NODE_PATH is this stand-in's own (to find grpc): the host finds what it loads from its working folder.
  const env = { ...process.env };
  delete env.NODE_PATH;
  const host = spawn(plugin, [addr], { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  host.stderr.on("data", (d) => process.stderr.write(d));
  let out = "";
  let client;
  host.stdout.on("data", (d) => {
    out += d;
    const m = /^(\\d+)\\n/.exec(out);
    if (!m || client) return;
    client = new provrpc.ResourceProviderClient("127.0.0.1:" + m[1], grpc.credentials.createInsecure());
    process.stdout.write(JSON.stringify({ engine: process.pid, host: host.pid, addr }) + "\\n");
  });
  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    const c = JSON.parse(line);
    const [Req, fill, answer] = rpc[c.method];
    const q = new Req();
    q.setUrn(c.urn);
    fill(q, c);
    client[c.method](q, (err, r) => process.stdout.write(JSON.stringify(err ? { seq: c.seq, error: err.details || err.message } : { seq: c.seq, ...answer(r) }) + "\\n"));
  });
});
`;

export type HostMethod = "check" | "diff" | "create" | "read" | "update" | "delete";

export interface ProviderHost {
    /** The stand-in engine's pid (kill it to play an engine that died). */
    enginePid: number;
    /** The host's pid, also its process group. */
    hostPid: number;
    /** One gRPC call; rejects with the error the engine would get. */
    call(
        method: HostMethod,
        request: { urn?: string; id?: string; olds?: object; news?: object; properties?: object },
    ): Promise<Record<string, unknown>>;
    stderr(): string;
    close(): Promise<void>;
}

/** Starts the stand-in engine and, through it, the provider host in `cwd` (default: the project folder). */
export async function startProviderHost(opts: { cwd?: string } = {}): Promise<ProviderHost> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-host-"));
    const engineFile = path.join(dir, "engine.js");
    fs.writeFileSync(engineFile, ENGINE);
    const child: ChildProcess = spawn(process.execPath, [engineFile, HOST_PLUGIN, opts.cwd ?? repoRoot], {
        cwd: repoRoot,
        env: { ...process.env, NODE_PATH: path.join(repoRoot, "node_modules") },
        stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const waiting = new Map<number, (answer: Record<string, unknown>) => void>();
    let started: (pids: { engine: number; host: number }) => void = () => undefined;
    const ready = new Promise<{ engine: number; host: number }>((resolve, reject) => {
        started = resolve;
        child.on("exit", (code) =>
            reject(new Error(`the stand-in engine exited (${code}) before the host started: ${stderr}`)),
        );
    });
    let buffer = "";
    child.stdout!.on("data", (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
            const msg = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
            buffer = buffer.slice(nl + 1);
            if (typeof msg.seq === "number") waiting.get(msg.seq)?.(msg);
            else started(msg as { engine: number; host: number });
        }
    });
    let timer: NodeJS.Timeout | undefined;
    const pids = await Promise.race([
        ready,
        new Promise<never>(
            (_, reject) =>
                (timer = setTimeout(() => reject(new Error(`the provider host did not start: ${stderr}`)), 60_000)),
        ),
    ])
        .finally(() => clearTimeout(timer))
        .catch((e: Error) => {
            child.kill("SIGKILL");
            throw e;
        });
    const exited = new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : child.on("exit", () => resolve()),
    );
    let seq = 0;
    return {
        enginePid: pids.engine,
        hostPid: pids.host,
        call(method, request) {
            const n = ++seq;
            return new Promise((resolve, reject) => {
                waiting.set(n, (a) => {
                    waiting.delete(n);
                    if (typeof a.error === "string") reject(new Error(a.error));
                    else resolve(a);
                });
                child.stdin!.write(
                    `${JSON.stringify({ seq: n, method, urn: "urn:pulumi:test::homelab::pulumi-nodejs:dynamic:Resource::r", ...request })}\n`,
                );
            });
        },
        stderr: () => stderr,
        async close() {
            for (const pid of [-pids.host, pids.engine]) {
                try {
                    process.kill(pid, "SIGKILL");
                } catch {
                    // already gone
                }
            }
            await exited;
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
