/**
 * A 1 GiB boot file streamed factory → provider → NAS keeps the provider process's memory flat: the
 * provider runs (loaded from its stored text, the engine's way) in a child process that samples its own RSS; the DSM
 * simulator keeps only size and MD5 of large uploads, and the factory generates the body chunk by chunk.
 */
import { SynologyBootFile } from "../../../components/synology/providers/bootfile";
import { synologyResourceInputs } from "../../../components/synology/pxe";
import { expectedAssetDigest } from "../../support/factory-server";
import { runStoredText } from "../../support/provider-host";
import { Env, PASSWORD, spec, startEnv } from "./harness";
import { simShare } from "../../support/dsm-simulator";

const GIB = 1024 * 1024 * 1024;

let env: Env;
afterAll(async () => {
    await env?.close();
});

test("streams 1 GiB with less than 64 MiB of RSS growth, and the NAS gets exactly the factory's bytes", async () => {
    env = await startEnv();
    env.sim.state.shares.pxe = simShare("pxe");
    env.sim.putFile("/pxe", { size: 0, md5: "" });
    env.sim.state.files.get("/pxe")!.isdir = true;
    env.factory.setAssetSize("metal-amd64-uki.efi", GIB);
    const inputs = { ...synologyResourceInputs(spec(env)).bootFile, password: PASSWORD };

    const run = await runStoredText(SynologyBootFile.providerText, { A: inputs }, [{ op: "create", inputs: "A" }]);

    expect(run.results[0]).toMatchObject({ op: "create", ok: true });
    const file = env.sim.getFile("/pxe/metal-amd64-uki.efi")!;
    expect(file.size).toBe(GIB);
    expect(env.sim.counters.uploadBytes).toBe(GIB);
    expect(file.md5).toBe(expectedAssetDigest(env.schematicId, "v1.12.1", "metal-amd64-uki.efi", GIB));
    expect((run.results[0].result as { outs: { md5: string } }).outs.md5).toBe(file.md5);
    expect(run.maxRssGrowth).toBeGreaterThan(0);
    expect(run.maxRssGrowth).toBeLessThan(64 * 1024 * 1024);
}, 300_000);
