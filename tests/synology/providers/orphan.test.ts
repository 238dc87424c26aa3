/**
 * `pulumi up` killed during the boot-file upload (issue 13 item 9): the dynamic-provider host the engine
 * started must not stream on into the NAS as an orphan. Run the way the engine runs it: a stand-in engine
 * process starts Pulumi's own `pulumi-resource-pulumi-nodejs` (the shell script around
 * `@pulumi/pulumi/cmd/dynamic-provider`) in its own process group with stdin/stdout/stderr pipes, as
 * plugin.go does, and calls `Create` over gRPC with the boot file's stored provider text (the shim, which loads
 * the provider from the project). Then the stand-in engine gets SIGKILL mid-upload.
 */
import { SynologyBootFile } from "../../../components/synology/providers/bootfile";
import { SynologyShare } from "../../../components/synology/providers/share";
import { synologyResourceInputs } from "../../../components/synology/pxe";
import { ProviderHost, startProviderHost } from "../../support/provider-host";
import { Env, PASSWORD, spec, startEnv } from "./harness";

jest.setTimeout(90_000);

let env: Env;
let host: ProviderHost | undefined;

afterEach(async () => {
    await host?.close();
    await env?.close();
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

test("SIGKILL of the engine mid-upload: the provider host stops uploading, removes its temporary file and exits within seconds", async () => {
    env = await startEnv({ keepPartialUploads: true });
    await SynologyShare.provider.create({ ...synologyResourceInputs(spec(env)).share, password: PASSWORD });
    const size = 64 * 1024 * 1024;
    env.factory.setAssetSize("metal-amd64-uki.efi", size);
    env.factory.faults.chunkDelayMs = 10; // ~10 s for the whole image: long enough to be killed mid-way

    host = await startProviderHost();
    const hostGroup = host.hostPid;
    void host
        .call("create", {
            properties: {
                ...synologyResourceInputs(spec(env)).bootFile,
                password: PASSWORD,
                __provider: SynologyBootFile.providerText,
            },
        })
        .catch(() => undefined); // never answered: the engine dies first

    await until("the upload to be under way", () => env.sim.counters.uploadBytes >= 4 * 1024 * 1024, 30_000);
    const tmp = [...env.sim.state.files.keys()];
    expect(groupAlive(hostGroup)).toBe(true);

    process.kill(host.enginePid, "SIGKILL");
    const exitedAfterMs = await until("the orphaned provider host to exit", () => !groupAlive(hostGroup), 10_000);
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
