import * as http from "http";
import { createHash } from "crypto";
import { AddressInfo } from "net";
import { FactoryClient, FactoryError, validateImageRequest } from "../../components/factory/client";
import { schematicId, ukiUrl, Schematic } from "../../components/factory/schematic";
import { startFactoryServer, FactoryServer, expectedAssetDigest, DEFAULT_EXTENSIONS } from "../support/factory-server";
import { SEED_SCHEMATIC_ID as SEED_ID } from "../support/fixtures";

const SEED: Schematic = { customization: { systemExtensions: { officialExtensions: DEFAULT_EXTENSIONS.slice(0, 5) } } };
const V = "v1.12.1";

async function hashStream(stream: NodeJS.ReadableStream): Promise<{ md5: string; length: number }> {
    const h = createHash("md5");
    let length = 0;
    for await (const c of stream as AsyncIterable<Buffer>) {
        h.update(c);
        length += c.length;
    }
    return { md5: h.digest("hex"), length };
}

describe("FactoryClient against the local factory", () => {
    let f: FactoryServer;
    let c: FactoryClient;
    beforeEach(async () => {
        f = await startFactoryServer({ redirect: true });
        c = new FactoryClient(f.url, { retries: 2, retryBaseDelayMs: 1 });
    });
    afterEach(async () => f.close());

    test("versions, extensions, schematic round trip", async () => {
        expect(await c.versions()).toContain(V);
        const exts = await c.officialExtensions("1.12.1");
        expect(exts.map((e) => e.name)).toEqual(expect.arrayContaining(DEFAULT_EXTENSIONS.slice(0, 5)));
        expect(await c.createSchematic(SEED)).toBe(SEED_ID);
        expect(await c.getSchematic(SEED_ID)).toContain("            - siderolabs/util-linux-tools\n");
        expect(f.calls.postSchematic).toBe(1);
    });

    test("unknown version → a message naming it; malformed → not retried", async () => {
        await expect(c.officialExtensions("v9.9.9")).rejects.toThrow(
            `Talos version v9.9.9 is not offered by the Image Factory at ${f.url}`,
        );
        const err = await c.officialExtensions("banana").catch((e) => e);
        expect(err).toBeInstanceOf(FactoryError);
        expect(err.status).toBe(500);
        expect(err.message).toMatch(/"vbanana" is not a valid version.*cluster\.talosVersion/);
        expect(f.calls.extensions).toBe(2);
    });

    test("400 on POST names what to fix; 404 schematic names the ID", async () => {
        await expect(c.createSchematic("customization:\n  systemExtension: {}\n")).rejects.toThrow(
            /refused the schematic: .*field systemExtension not found.*image\.extensions/,
        );
        await expect(c.getSchematic("f".repeat(64))).rejects.toThrow(`Schematic ${"f".repeat(64)} is not registered`);
    });

    test("retries 5xx with backoff up to the bound, then succeeds or reports the attempts", async () => {
        f.faults.failNext("versions", 2, 503);
        expect(await c.versions()).toContain(V);
        expect(f.calls.versions).toBe(3);
        f.faults.failNext("versions", 5, 502);
        const err = await c.versions().catch((e) => e);
        expect(err.message).toMatch(
            /failed to list the Talos versions it offers \(HTTP 502: injected failure 502\) after 3 attempts/,
        );
        expect(f.calls.versions).toBe(6);
        f.faults.reset();
    });

    test("POST /schematics is retried too (idempotent by content)", async () => {
        f.faults.failNext("postSchematic", 1, 503);
        expect(await c.createSchematic(SEED)).toBe(SEED_ID);
        expect(f.calls.postSchematic).toBe(2);
    });

    test("an owner-stamping factory returns a different ID than the local one", async () => {
        const g = await startFactoryServer({ owner: "alice" });
        try {
            const id = await new FactoryClient(g.url).createSchematic(SEED);
            expect(id).not.toBe(schematicId(SEED));
            expect(id).toMatch(/^[0-9a-f]{64}$/);
        } finally {
            await g.close();
        }
    });

    test("assetSize (HEAD) and openAssetStream following the 302 to the CDN", async () => {
        await c.createSchematic(SEED);
        f.setAssetSize("metal-amd64-uki.efi", 3_000_000);
        const url = ukiUrl(f.url, SEED_ID, V, "amd64");
        expect(await c.assetSize(url)).toBe(3_000_000);
        const { stream, size, finalUrl } = await c.openAssetStream(url);
        expect(size).toBe(3_000_000);
        expect(finalUrl.startsWith(f.cdnUrl!)).toBe(true);
        const got = await hashStream(stream);
        expect(got.length).toBe(3_000_000);
        expect(got.md5).toBe(expectedAssetDigest(SEED_ID, V, "metal-amd64-uki.efi", 3_000_000));
        expect(f.calls.imageGet).toBe(1);
        expect(f.calls.cdnGet).toBe(1);
    });

    test("asset errors are mapped: unregistered schematic, extension not offered, 5xx retried", async () => {
        await expect(c.assetSize(ukiUrl(f.url, SEED_ID, V, "amd64"))).rejects.toThrow(
            `Schematic ${SEED_ID} is not registered`,
        );
        const odd: Schematic = { customization: { systemExtensions: { officialExtensions: ["acme/nope"] } } };
        await c.createSchematic(odd);
        await expect(c.openAssetStream(ukiUrl(f.url, schematicId(odd), V, "amd64"))).rejects.toThrow(
            /official extension "acme\/nope" is not available for Talos version v1\.12\.1.*image\.extensions/,
        );
        await c.createSchematic(SEED);
        await expect(c.assetSize(ukiUrl(f.url, SEED_ID, "v1.99.0", "amd64"))).rejects.toThrow(
            `Talos version v1.99.0 is not offered by the Image Factory at ${f.url}`,
        );
        f.faults.failNext("imageGet", 1, 504);
        const { stream } = await c.openAssetStream(ukiUrl(f.url, SEED_ID, V, "amd64"));
        expect((await hashStream(stream)).length).toBe(f.assetSize(SEED_ID, V, "metal-amd64-uki.efi"));
        expect(f.calls.imageGet).toBe(3);
    });

    test("a body cut mid-stream surfaces as a stream error", async () => {
        await c.createSchematic(SEED);
        f.setAssetSize("metal-amd64-uki.efi", 2_000_000);
        f.faults.cutAfter(500_000);
        const { stream } = await c.openAssetStream(ukiUrl(f.url, SEED_ID, V, "amd64"));
        await expect(hashStream(stream)).rejects.toThrow();
    });

    test("connection refused is retried, then reported with the URL and what to check", async () => {
        const dead = http.createServer();
        await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
        const port = (dead.address() as AddressInfo).port;
        await new Promise<void>((r) => dead.close(() => r()));
        const err = await new FactoryClient(`http://127.0.0.1:${port}`, { retries: 1, retryBaseDelayMs: 1 })
            .versions()
            .catch((e) => e);
        expect(err).toBeInstanceOf(FactoryError);
        expect(err.code).toBe("ECONNREFUSED");
        expect(err.message).toMatch(
            new RegExp(`Cannot reach the Image Factory at http://127.0.0.1:${port}.*image\\.factoryUrl`),
        );
    });

    test("a factory that does not answer in time is reported as such", async () => {
        f.faults.delayMs = 3000;
        const slow = new FactoryClient(f.url, { retries: 0, timeoutMs: 100 });
        const err = await slow.versions().catch((e) => e);
        f.faults.reset();
        expect(err).toBeInstanceOf(FactoryError);
        expect(err.code).toBe("ETIMEDOUT");
        expect(err.message).toMatch(/did not answer within 0\.1 s when asked to list the Talos versions/);
    });

    test("a HEAD on a malformed version explains the version", async () => {
        await c.createSchematic(SEED);
        await expect(c.assetSize(ukiUrl(f.url, SEED_ID, "v1.x", "amd64"))).rejects.toThrow(
            /"v1\.x" is not a valid version.*cluster\.talosVersion/,
        );
    });

    test("a bad base URL fails before any request", () => {
        expect(() => new FactoryClient("factory.talos.dev")).toThrow(/"factory\.talos\.dev" is not a URL/);
        expect(() => new FactoryClient("ftp://factory.talos.dev")).toThrow(
            /"ftp:\/\/factory\.talos\.dev" is not an http\(s\) URL/,
        );
    });
});

describe("validateImageRequest", () => {
    let f: FactoryServer;
    let c: FactoryClient;
    beforeAll(async () => {
        f = await startFactoryServer({ extensionsByVersion: { "v1.11.0": ["siderolabs/i915"] } });
        c = new FactoryClient(f.url, { retries: 0 });
    });
    afterAll(async () => f.close());

    test("accepts the seed's request and returns the matching extensions in order", async () => {
        const got = await validateImageRequest(c, "1.12.1", DEFAULT_EXTENSIONS.slice(0, 5));
        expect(got.map((e) => e.name)).toEqual(DEFAULT_EXTENSIONS.slice(0, 5));
    });

    test("names an unknown version with the offered ones of its line", async () => {
        await expect(validateImageRequest(c, "v1.12.7", [])).rejects.toThrow(
            /Talos version v1\.12\.7 is not offered .* Offered in that line: v1\.12\.0, v1\.12\.1\. Fix cluster\.talosVersion/,
        );
    });

    test("names every unknown extension, with suggestions", async () => {
        const err = await validateImageRequest(c, V, ["siderolabs/i915", "acme/btrfs", "siderolabs/nope"]).catch(
            (e) => e,
        );
        expect(err.message).toContain("acme/btrfs (did you mean siderolabs/btrfs?)");
        expect(err.message).toContain("siderolabs/nope");
        expect(err.message).not.toMatch(/siderolabs\/i915[,.]/);
        expect(err.message).toContain("image.extensions");
    });

    test("extensions are checked for the requested version", async () => {
        await expect(validateImageRequest(c, "v1.11.0", ["siderolabs/nut-client"])).rejects.toThrow(
            /for Talos v1\.11\.0: siderolabs\/nut-client/,
        );
    });
});
