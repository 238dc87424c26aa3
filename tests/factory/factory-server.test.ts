import * as http from "http";
import { createHash } from "crypto";
import {
    startFactoryServer,
    FactoryServer,
    expectedAssetDigest,
    expectedAssetBytes,
    DEFAULT_EXTENSIONS,
} from "../support/factory-server";
import { installerImage, schematicId } from "../../components/factory/schematic";
import { SEED_SCHEMATIC_ID as SEED_ID } from "../support/fixtures";

const SEED_EXTENSIONS = DEFAULT_EXTENSIONS.slice(0, 5);
const SEED_YAML = `customization:\n  systemExtensions:\n    officialExtensions:\n${SEED_EXTENSIONS.map((e) => `      - ${e}\n`).join("")}`;

interface Res {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

function request(url: string, method = "GET", body?: string): Promise<Res> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method }, (res) => {
            const parts: Buffer[] = [];
            res.on("data", (c: Buffer) => parts.push(c));
            res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
            res.on("error", reject);
        });
        req.on("error", reject);
        if (body !== undefined) req.write(body);
        req.end();
    });
}

/** Streams a body and hashes it without keeping it. Resolves with md5 + length, rejects on a cut. */
function download(url: string): Promise<{ md5: string; length: number; status: number }> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            const h = createHash("md5");
            let length = 0;
            res.on("data", (c: Buffer) => {
                h.update(c);
                length += c.length;
            });
            res.on("end", () => resolve({ md5: h.digest("hex"), length, status: res.statusCode! }));
            res.on("error", reject);
            res.on("aborted", () => reject(new Error(`aborted after ${length}`)));
        }).on("error", reject);
    });
}

describe("local Image Factory", () => {
    let f: FactoryServer;
    beforeEach(async () => {
        f = await startFactoryServer({ redirect: true });
    });
    afterEach(async () => {
        await f.close();
    });

    test("POST /schematics returns 201 with the real schematic ID and is idempotent", async () => {
        const r = await request(`${f.url}/schematics`, "POST", SEED_YAML);
        expect(r.status).toBe(201);
        const j = JSON.parse(r.body.toString());
        expect(j.id).toBe(SEED_ID);
        expect(j.schematic).toContain("            - siderolabs/i915\n");
        const again = JSON.parse((await request(`${f.url}/schematics`, "POST", SEED_YAML)).body.toString());
        expect(again.id).toBe(SEED_ID);
        expect(f.schematics.size).toBe(1);
        const get = await request(`${f.url}/schematics/${SEED_ID}`);
        expect(get.status).toBe(200);
        expect(get.headers["content-type"]).toBe("application/yaml");
        expect(get.body.toString()).toBe(j.schematic);
        expect(f.calls.postSchematic).toBe(2);
    });

    test("unknown fields and bad YAML are 400; unknown schematic is 404", async () => {
        const r = await request(
            `${f.url}/schematics`,
            "POST",
            "customization:\n  systemExtension:\n    officialExtensions: [a/b]\n",
        );
        expect(r.status).toBe(400);
        expect(r.body.toString()).toMatch(/field systemExtension not found/);
        expect((await request(`${f.url}/schematics`, "POST", "customization: [\n")).status).toBe(400);
        const g = await request(`${f.url}/schematics/${"0".repeat(64)}`);
        expect(g.status).toBe(404);
        expect(g.body.toString()).toBe("schematic not found\n");
    });

    test("versions and extensions, with 404 for unknown and 500 for malformed versions", async () => {
        const v = JSON.parse((await request(`${f.url}/versions`)).body.toString());
        expect(v).toContain("v1.12.1");
        const e = JSON.parse((await request(`${f.url}/version/1.12.1/extensions/official`)).body.toString());
        expect(e.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(SEED_EXTENSIONS));
        expect(Object.keys(e[0]).sort()).toEqual(["author", "description", "digest", "name", "ref"]);
        expect(e[0].digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const unknown = await request(`${f.url}/version/v9.9.9/extensions/official`);
        expect(unknown.status).toBe(404);
        expect(unknown.body.toString()).toMatch(/v9\.9\.9 is not available/);
        expect((await request(`${f.url}/version/banana/extensions/official`)).status).toBe(500);
    });

    test("HEAD is direct, GET redirects to the CDN which serves the deterministic bytes", async () => {
        await request(`${f.url}/schematics`, "POST", SEED_YAML);
        const asset = "metal-amd64-uki.efi";
        f.setAssetSize(asset, 300_000);
        const head = await request(`${f.url}/image/${SEED_ID}/v1.12.1/${asset}`, "HEAD");
        expect(head.status).toBe(200);
        expect(head.headers["content-length"]).toBe("300000");
        expect(head.headers["content-type"]).toBe("application/octet-stream");
        expect(head.headers["content-disposition"]).toBe(`attachment; filename="${asset}"`);
        const get = await request(`${f.url}/image/${SEED_ID}/v1.12.1/${asset}`);
        expect(get.status).toBe(302);
        expect(get.headers.location).toBe(`${f.cdnUrl}/blob/${SEED_ID}/v1.12.1/${asset}`);
        const body = await request(get.headers.location!);
        expect(body.body.equals(expectedAssetBytes(SEED_ID, "v1.12.1", asset, 300_000))).toBe(true);
        expect(f.bytesServed).toBe(300_000);
        expect(f.calls.cdnGet).toBe(1);
    });

    test("image errors: 404 schematic, 400 asset, 400 extension not offered, 402 checksum", async () => {
        const asset = "metal-amd64-uki.efi";
        expect((await request(`${f.url}/image/${SEED_ID}/v1.12.1/${asset}`, "HEAD")).status).toBe(404);
        await request(`${f.url}/schematics`, "POST", SEED_YAML);
        expect((await request(`${f.url}/image/${SEED_ID}/v1.12.1/metal-sparc-uki.efi`, "HEAD")).status).toBe(400);
        expect((await request(`${f.url}/image/${SEED_ID}/v1.12.1/${asset}.sha256`, "HEAD")).status).toBe(402);
        expect((await request(`${f.url}/image/${SEED_ID}/v1.99.0/${asset}`, "HEAD")).status).toBe(404);
        const odd = { customization: { systemExtensions: { officialExtensions: ["acme/nope"] } } };
        await request(`${f.url}/schematics`, "POST", JSON.stringify(odd));
        const r = await request(`${f.url}/image/${schematicId(odd)}/v1.12.1/${asset}`);
        expect(r.status).toBe(400);
        expect(r.body.toString()).toBe(`official extension "acme/nope" is not available for Talos version v1.12.1\n`);
    });

    test("faults: injected 5xx, then a cut body, then a full one", async () => {
        await request(`${f.url}/schematics`, "POST", SEED_YAML);
        f.setRedirect(false);
        const asset = "metal-amd64-uki.efi";
        f.setAssetSize(asset, 500_000);
        f.faults.failNext("imageGet", 2, 502);
        expect((await request(`${f.url}/image/${SEED_ID}/v1.12.1/${asset}`)).status).toBe(502);
        expect((await request(`${f.url}/image/${SEED_ID}/v1.12.1/${asset}`)).status).toBe(502);
        f.faults.cutAfter(100_000);
        await expect(download(`${f.url}/image/${SEED_ID}/v1.12.1/${asset}`)).rejects.toThrow();
        const ok = await download(`${f.url}/image/${SEED_ID}/v1.12.1/${asset}`);
        expect(ok.length).toBe(500_000);
        expect(ok.md5).toBe(expectedAssetDigest(SEED_ID, "v1.12.1", asset, 500_000));
        expect(f.calls.imageGet).toBe(4);
        expect(f.bytesServed).toBe(600_000);
    });

    test("streams a 256 MiB asset that matches the expected digest", async () => {
        await request(`${f.url}/schematics`, "POST", SEED_YAML);
        const size = 256 * 1024 * 1024;
        f.setAssetSize("*", size);
        const r = await download(`${f.cdnUrl}/blob/${SEED_ID}/v1.12.1/metal-amd64-uki.efi`);
        expect(r.length).toBe(size);
        expect(r.md5).toBe(expectedAssetDigest(SEED_ID, "v1.12.1", "metal-amd64-uki.efi", size));
    }, 120_000);

    test("register() pre-registers without a request", async () => {
        const id = f.register({ customization: { systemExtensions: { officialExtensions: SEED_EXTENSIONS } } });
        expect(id).toBe(SEED_ID);
        expect(f.calls.postSchematic).toBe(0);
        expect((await request(`${f.url}/schematics/${id}`)).status).toBe(200);
    });

    test("the PXE script points at the image's kernel and initramfs", async () => {
        await request(`${f.url}/schematics`, "POST", SEED_YAML);
        const r = await request(`${f.url}/pxe/${SEED_ID}/v1.12.1/metal-amd64`);
        expect(r.status).toBe(200);
        expect(r.body.toString()).toContain(
            `kernel ${f.url}/image/${SEED_ID}/v1.12.1/kernel-amd64 talos.platform=metal`,
        );
        expect(r.body.toString()).toContain(`initrd ${f.url}/image/${SEED_ID}/v1.12.1/initramfs-amd64.xz`);
    });

    test("the registry frontend serves the installer reference the program gives each Talos release, as the factory's does", async () => {
        const id = f.register({ customization: { systemExtensions: { officialExtensions: SEED_EXTENSIONS } } });
        const versions = ["v1.12.1", "v1.13.9", "v1.14.0"];
        const g = await startFactoryServer({ versions });
        try {
            g.register({ customization: { systemExtensions: { officialExtensions: SEED_EXTENSIONS } } });
            for (const v of versions) {
                // `<host>/metal-installer/<id>:<v>` → GET /v2/metal-installer/<id>/manifests/<v>
                const ref = installerImage(g.url, id, v);
                expect(ref).toBe(`${new URL(g.url).host}/metal-installer/${id}:${v}`);
                const path = ref.slice(ref.indexOf("/")).replace(/:(v[^:]+)$/, "/manifests/$1");
                const r = await request(`${g.url}/v2${path}`, "HEAD");
                expect({ v, status: r.status }).toEqual({ v, status: 200 });
                expect(r.headers["docker-content-digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
            }
            // The older form is still served (the metal installer), and so is the Secure Boot one.
            for (const image of ["installer", "installer-secureboot", "metal-installer-secureboot"])
                expect((await request(`${g.url}/v2/${image}/${id}/manifests/v1.12.1`)).status).toBe(200);
            const index = JSON.parse(
                (await request(`${g.url}/v2/metal-installer/${id}/manifests/latest`)).body.toString(),
            );
            expect(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual(
                ["amd64", "arm64"],
            );
            // What the factory refuses.
            const refused = await request(`${g.url}/v2/metal-imager/${id}/manifests/v1.12.1`);
            expect([refused.status, refused.body.toString()]).toEqual([400, "invalid image: metal-imager\n"]);
            expect((await request(`${g.url}/v2/metal-installer/${"0".repeat(64)}/manifests/v1.12.1`)).status).toBe(404);
            expect((await request(`${g.url}/v2/metal-installer/${id}/manifests/v1.11.0`)).status).toBe(404);
            expect((await request(`${g.url}/v2/metal-installer/${id}/tags/list`)).status).toBe(404);
            expect((await request(`${g.url}/v2/`)).status).toBe(200);
            expect(g.installerPulls.filter((p) => p.status === 200)).toHaveLength(7);
        } finally {
            await g.close();
        }
    });
});
