/**
 * `pulumi up` killed during the boot-file upload (issue 13 item 9): the dynamic-provider host the engine
 * started must not stream on into the NAS as an orphan. Run the way the engine runs it: a stand-in engine
 * process starts Pulumi's own `pulumi-resource-pulumi-nodejs` (the shell script around
 * `@pulumi/pulumi/cmd/dynamic-provider`) in its own process group with stdin/stdout/stderr pipes, as
 * plugin.go does, reads the port it prints, and calls `Create` over gRPC with the serialised boot-file
 * provider. Then the stand-in engine gets SIGKILL mid-upload.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bootFileProvider } from "../../../components/synology/providers/bootfile";
import { synologyResourceInputs } from "../../../components/synology/providers/plan";
import { shareProvider } from "../../../components/synology/providers/share";
import { repoRoot } from "../../support/shared";
import { serializeProvider } from "./engine-runner";
import { Env, PASSWORD, spec, startEnv } from "./harness";

jest.setTimeout(90_000);

/** The stand-in engine: its own address (a TCP listener), the provider host as plugin.go starts it, one Create. */
const ENGINE = `
const { spawn } = require("child_process");
const fs = require("fs");
const net = require("net");
const grpc = require("@grpc/grpc-js");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const engine = net.createServer((s) => s.on("error", () => undefined)).listen(0, "127.0.0.1", () => {
  const addr = "127.0.0.1:" + engine.address().port;
  // plugin.go: exec.Command(bin, engineAddress), Setpgid, StdinPipe (never written), stdout/stderr pipes.
  const host = spawn(job.plugin, [addr], { cwd: job.root, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let started = false;
  host.stderr.on("data", (d) => process.stderr.write(d));
  host.stdout.on("data", (d) => {
    out += d;
    const m = /^(\\d+)\\n/.exec(out);
    if (!m || started) return;
    started = true;
    const client = new grpc.Client("127.0.0.1:" + m[1], grpc.credentials.createInsecure());
    const provider = new provrpc.ResourceProviderClient("127.0.0.1:" + m[1], grpc.credentials.createInsecure());
    const req = new provproto.CreateRequest();
    req.setUrn("urn:pulumi:test::homelab::pulumi-nodejs:dynamic:Resource::nas-bootfile");
    req.setProperties(structproto.Struct.fromJavaScript({ __provider: job.providerText, ...job.inputs }));
    provider.create(req, (err) => process.stdout.write(JSON.stringify({ created: !err, error: err ? err.message : undefined }) + "\\n"));
    process.stdout.write(JSON.stringify({ engine: process.pid, host: host.pid, addr }) + "\\n");
    void client;
  });
});
`;

let env: Env;
let dir: string;
let engineProc: ChildProcess | undefined;
let hostGroup: number | undefined;

afterEach(async () => {
    if (engineProc && engineProc.exitCode === null) engineProc.kill("SIGKILL");
    if (hostGroup) {
        try {
            process.kill(-hostGroup, "SIGKILL");
        } catch {
            // already gone
        }
    }
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

/** Whether any process of the group is alive. */
function groupAlive(pgid: number): boolean {
    try {
        process.kill(-pgid, 0);
        return true;
    } catch {
        return false;
    }
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    while (!cond()) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - t0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("SIGKILL of the engine mid-upload: the provider host stops uploading, removes its temporary file and exits within seconds", async () => {
    env = await startEnv({ keepPartialUploads: true });
    await shareProvider.create({ ...synologyResourceInputs(spec(env)).share, password: PASSWORD });
    const size = 64 * 1024 * 1024;
    env.factory.setAssetSize("metal-amd64-uki.efi", size);
    env.factory.faults.chunkDelayMs = 10; // ~10 s for the whole image: long enough to be killed mid-way

    dir = fs.mkdtempSync(path.join(os.tmpdir(), "orphan-"));
    const engineFile = path.join(dir, "engine.js");
    fs.writeFileSync(engineFile, ENGINE);
    const jobFile = path.join(dir, "job.json");
    fs.writeFileSync(jobFile, JSON.stringify({
        plugin: path.join(repoRoot, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs"),
        root: repoRoot,
        providerText: await serializeProvider(bootFileProvider),
        inputs: { ...synologyResourceInputs(spec(env)).bootFile, password: PASSWORD },
    }));
    engineProc = spawn(process.execPath, [engineFile, jobFile], {
        cwd: repoRoot, env: { ...process.env, NODE_PATH: path.join(repoRoot, "node_modules") }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    engineProc.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    engineProc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    await until("the provider host to start", () => /"host":\d+/.test(stdout), 30_000).catch((e) => {
        throw new Error(`${(e as Error).message}; engine stderr: ${stderr}`);
    });
    const started = JSON.parse(stdout.split("\n").find((l) => l.includes('"host"'))!) as { engine: number; host: number };
    hostGroup = started.host;

    await until("the upload to be under way", () => env.sim.counters.uploadBytes >= 4 * 1024 * 1024, 30_000);
    const tmp = [...env.sim.state.files.keys()];
    expect(groupAlive(hostGroup)).toBe(true);

    process.kill(started.engine, "SIGKILL");
    const exitedAfterMs = await until("the orphaned provider host to exit", () => !groupAlive(hostGroup!), 10_000);
    expect(exitedAfterMs).toBeLessThan(8_000);

    // The upload stopped: no byte more reaches the NAS, and it is far from complete.
    const bytes = env.sim.counters.uploadBytes;
    await sleep(1500);
    expect(env.sim.counters.uploadBytes).toBe(bytes);
    expect(bytes).toBeLessThan(size);
    // The cut upload left a partial temporary file on the NAS, and the host removed it before exiting. Nothing
    // ever was under the final name: only a verified upload is renamed there.
    const deleted = env.sim.requests.filter((r) => r.api === "SYNO.FileStation.Delete").map((r) => r.params.path);
    expect(deleted).toEqual([expect.stringMatching(/^\["\/pxe\/metal-amd64-uki\.efi\.part-[0-9a-f]{8}"\]$/)]);
    expect([...env.sim.state.files.keys()].sort()).toEqual(["/pxe"]);
    expect(tmp).toEqual(["/pxe"]);
    expect(env.sim.requests.some((r) => r.api === "SYNO.FileStation.Rename")).toBe(false);
});
