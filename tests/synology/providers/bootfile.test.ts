/**
 * The boot file provider's failure paths: whatever fails, the previous boot file is intact, no temporary
 * file is left on the NAS, and the error says what failed.
 */
import { createHash } from "crypto";
import type { DsmApi } from "../../../components/synology/dsm/types";
import {
    BootFileInputs,
    BootFileOutputs,
    streamBootFile,
    SynologyBootFile,
} from "../../../components/synology/providers/bootfile";
import { SynologyShare } from "../../../components/synology/providers/share";
import { synologyResourceInputs } from "../../../components/synology/pxe";
import { expectedAssetDigest } from "../../support/factory-server";
import { Env, PASSWORD, spec, startEnv } from "./harness";

let env: Env;
const shareProvider = () => SynologyShare.providerWith(env.runtime);
const bootFileProvider = () => SynologyBootFile.providerWith(env.runtime);

afterEach(async () => {
    await env?.close();
});

const PATH = "/pxe/metal-amd64-uki.efi";

function inputsFor(e: Env, version: string): BootFileInputs {
    return { ...synologyResourceInputs(spec(e, {}, version)).bootFile, password: PASSWORD };
}

/** A NAS with the share and a v1.12.0 boot file already in place. */
async function withOldBootFile(
    factoryOpts = {},
): Promise<{ old: { size: number; md5: string }; next: BootFileInputs; oldOuts: BootFileOutputs }> {
    env = await startEnv({}, factoryOpts);
    await shareProvider().create({ ...synologyResourceInputs(spec(env)).share, password: PASSWORD });
    const created = await bootFileProvider().create(inputsFor(env, "v1.12.0"));
    const f = env.sim.getFile(PATH)!;
    env.factory.setAssetSize("metal-amd64-uki.efi", 3 * 1024 * 1024 + 17);
    return {
        old: { size: f.size, md5: f.md5 },
        next: inputsFor(env, "v1.12.1"),
        oldOuts: created.outs as BootFileOutputs,
    };
}

/** After a successful create over the old file: it is kept as `.before-homelab` (a create cannot tell it from a user's). */
function expectOldKeptAside(old: { size: number; md5: string }): void {
    expect([...env.sim.state.files.keys()].sort()).toEqual(["/pxe", PATH, `${PATH}.before-homelab`]);
    const kept = env.sim.getFile(`${PATH}.before-homelab`)!;
    expect({ size: kept.size, md5: kept.md5 }).toEqual(old);
}

function expectOldIntact(old: { size: number; md5: string }): void {
    const f = env.sim.getFile(PATH)!;
    expect({ size: f.size, md5: f.md5 }).toEqual(old);
    expect([...env.sim.state.files.keys()].sort()).toEqual(["/pxe", PATH]);
}

describe("boot file: failures leave the previous file intact and no temp file", () => {
    test("upload connection reset mid-way (NAS side), every retry too", async () => {
        const { old, next } = await withOldBootFile();
        env.sim.faults.resetUploadAfterBytes(1024 * 1024, 100);
        const gets = env.factory.calls.imageGet;
        const err = await bootFileProvider()
            .create(next)
            .then(
                () => undefined,
                (e: Error) => e,
            );
        expect(err).toBeInstanceOf(Error);
        expect(err!.message).toMatch(
            /^boot file \/pxe\/metal-amd64-uki\.efi: upload of \/pxe\/metal-amd64-uki\.efi\.part-[0-9a-f]{8} failed after \d+ of 3145745 bytes \(6 attempts\): /,
        );
        expect(env.factory.calls.imageGet - gets).toBe(6); // each retry streamed a fresh download
        expect(err!.message).not.toContain(PASSWORD);
        expectOldIntact(old);
    });

    test("one upload reset is retried with a fresh download and succeeds", async () => {
        const { old, next } = await withOldBootFile();
        env.sim.faults.resetUploadAfterBytes(1024 * 1024, 1);
        const r = await bootFileProvider().create(next);
        const f = env.sim.getFile(PATH)!;
        expect(f.md5).not.toBe(old.md5);
        expect((r.outs as BootFileOutputs).md5).toBe(
            expectedAssetDigest(env.schematicId, "v1.12.1", "metal-amd64-uki.efi", 3145745),
        );
        expect(f.md5).toBe((r.outs as BootFileOutputs).md5);
        expect(env.sim.counters.calls["SYNO.FileStation.Upload.upload"]).toBe(3); // old file, cut attempt, retry
        expectOldKeptAside(old);
        expect(env.logs.some((l) => /the NAS cut the upload; downloading again \(attempt 2\)/.test(l))).toBe(true);
    });

    test("factory answering 503", async () => {
        const { old, next } = await withOldBootFile();
        env.factory.faults.failNext("imageGet", 1, 503);
        await expect(bootFileProvider().create(next)).rejects.toThrow(
            /downloading http:\/\/127\.0\.0\.1:\d+\/image\/.* failed: the factory answered HTTP 503/,
        );
        expectOldIntact(old);
        expect(env.sim.counters.calls["SYNO.FileStation.Upload.upload"]).toBe(1); // only the old file's upload
    });

    test("factory cutting the body mid-stream (behind a redirect)", async () => {
        const { old, next } = await withOldBootFile({ redirect: true });
        env.factory.faults.cutAfter(1024 * 1024 + 5);
        const err = await bootFileProvider()
            .create(next)
            .then(
                () => undefined,
                (e: Error) => e,
            );
        expect(err!.message).toMatch(
            /download of http:\/\/127\.0\.0\.1:\d+\/image\/\S+ interrupted after \d+ of 3145745 bytes/,
        );
        expectOldIntact(old);
        expect(env.factory.calls.cdnGet).toBe(2); // the redirect was followed (old + new)
    });

    test("MD5 mismatch between the stream and File Station", async () => {
        const { old, next } = await withOldBootFile();
        const real = env.runtime.client({ ...next.connection, password: next.password });
        // Flip the stored MD5 of the uploaded temp file just before File Station is asked for it.
        const corrupting: DsmApi = Object.create(real, {
            md5: {
                value: async (path: string) => {
                    const f = env.sim.getFile(path);
                    if (f && /\.part-/.test(path)) f.md5 = "0".repeat(32);
                    return real.md5(path);
                },
            },
        });
        await expect(streamBootFile({ client: corrupting, log: env.runtime.log }, next)).rejects.toThrow(
            /verification failed: MD5 mismatch for \/pxe\/metal-amd64-uki\.efi\.part-[0-9a-f]{8}: the NAS computed 0{32}, the download hashed to [0-9a-f]{32}/,
        );
        expectOldIntact(old);
    });

    test("succeeds after the failures: new bytes in place, via the redirect, with progress messages", async () => {
        const { old, next, oldOuts } = await withOldBootFile({ redirect: true });
        env.logs.length = 0;
        const r = await bootFileProvider().create(next);
        const outs = r.outs as BootFileOutputs;
        const f = env.sim.getFile(PATH)!;
        expect(f.md5).not.toBe(old.md5);
        expect(outs).toMatchObject({
            size: 3145745,
            md5: expectedAssetDigest(env.schematicId, "v1.12.1", "metal-amd64-uki.efi", 3145745),
        });
        expect(f.md5).toBe(outs.md5);
        expectOldKeptAside(old);
        expect(outs.keptPrevious).toBe(true);
        // The old resource's delete (as after a replacement) leaves the new file and removes its own kept bytes.
        await bootFileProvider().delete!(oldOuts.path, oldOuts);
        expect([...env.sim.state.files.keys()].sort()).toEqual(["/pxe", PATH]);
        expect(env.sim.getFile(PATH)!.md5).toBe(outs.md5);
        const progress = env.logs.filter((l) => l.startsWith("uploading metal-amd64-uki.efi: "));
        const pcts = progress.map((l) => Number(/ (\d+) of 3145745 bytes \((\d+)%\)$/.exec(l)![2]));
        expect(pcts.length).toBe(10); // rate-limited: one message per 10 %
        expect(pcts.map((p) => Math.floor(p / 10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });
});

describe("boot file: what an interrupted earlier run left on the NAS", () => {
    const md5Of = (b: Buffer) => createHash("md5").update(b).digest("hex");

    test("stray temporary uploads and swap backups are removed by the next create; other files are left alone", async () => {
        env = await startEnv();
        await shareProvider().create({ ...synologyResourceInputs(spec(env)).share, password: PASSWORD });
        env.sim.putFile(`${PATH}.part-0badc0de`, Buffer.from("half an image from a killed run"));
        env.sim.putFile(`${PATH}.old-1234abcd`, Buffer.from("the image before a swap that was cut"));
        env.sim.putFile(`${PATH}.part-notours`, Buffer.from("not a name this program gives"));
        env.sim.putFile("/pxe/notes.txt", Buffer.from("the user's"));
        const r = await bootFileProvider().create(inputsFor(env, "v1.12.1"));
        expect([...env.sim.state.files.keys()].sort()).toEqual([
            "/pxe",
            PATH,
            `${PATH}.part-notours`,
            "/pxe/notes.txt",
        ]);
        expect(env.sim.getFile(PATH)!.md5).toBe((r.outs as BootFileOutputs).md5);
        expect(env.logs).toContain(
            `boot file: removing 2 file(s) an interrupted earlier run left in /pxe: ${PATH}.old-1234abcd, ${PATH}.part-0badc0de`,
        );
    });

    test("an upload cut on the way leaves no partial file, even on a NAS that keeps what arrived", async () => {
        env = await startEnv({ keepPartialUploads: true });
        await shareProvider().create({ ...synologyResourceInputs(spec(env)).share, password: PASSWORD });
        env.factory.setAssetSize("metal-amd64-uki.efi", 3 * 1024 * 1024);
        env.factory.faults.cutAfter(1024 * 1024 + 5);
        await expect(bootFileProvider().create(inputsFor(env, "v1.12.1"))).rejects.toThrow(
            /interrupted after \d+ of 3145728 bytes/,
        );
        // The partial temporary file existed (the NAS kept it) and was removed; the final name never held anything.
        const deleted = env.sim.requests.filter((q) => q.api === "SYNO.FileStation.Delete").map((q) => q.params.path);
        expect(deleted).toEqual([expect.stringMatching(/^\["\/pxe\/metal-amd64-uki\.efi\.part-[0-9a-f]{8}"\]$/)]);
        expect([...env.sim.state.files.keys()].sort()).toEqual(["/pxe"]);
    });

    test("the very bytes already under the final name (a create the engine never recorded) are not kept as the user's file", async () => {
        env = await startEnv();
        await shareProvider().create({ ...synologyResourceInputs(spec(env)).share, password: PASSWORD });
        const first = await bootFileProvider().create(inputsFor(env, "v1.12.1"));
        expect((first.outs as BootFileOutputs).keptPrevious).toBe(false);
        // The state forgot it (e.g. `pulumi refresh --clear-pending-creates`): the next create meets the same bytes.
        const again = await bootFileProvider().create(inputsFor(env, "v1.12.1"));
        expect((again.outs as BootFileOutputs).keptPrevious).toBe(false);
        expect([...env.sim.state.files.keys()].sort()).toEqual(["/pxe", PATH]);
        // A file of the user's under that name is still kept aside.
        const users = Buffer.from("a user's own boot loader");
        env.sim.putFile(PATH, users);
        const third = await bootFileProvider().create(inputsFor(env, "v1.12.1"));
        expect((third.outs as BootFileOutputs).keptPrevious).toBe(true);
        expect(env.sim.getFile(`${PATH}.before-homelab`)!.md5).toBe(md5Of(users));
    });
});
