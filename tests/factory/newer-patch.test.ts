/**
 * A newer Talos patch, announced: the newest patch of the stack's minor among the factory's versions, the words,
 * and the check against the factory stand-in (what it asks, and that a pinned stack asks nothing).
 */
import { announceNewerPatch, newerPatchNote, newestPatch } from "../../components/factory/newer-patch";
import { DEFAULT_VERSIONS, FactoryServer, startFactoryServer } from "../support/factory-server";

describe("newestPatch", () => {
    const offered = ["v1.11.5", "v1.12.0", "v1.12.1", "v1.12.3", "v1.12.2", "v1.13.0", "v1.12.4-beta.0", "latest"];

    test("is the newest release of the same minor above the current one, whatever the list's order", () => {
        expect(newestPatch("v1.12.1", offered)).toBe("v1.12.3");
        expect(newestPatch("1.12.0", offered)).toBe("v1.12.3");
    });

    test("is none when the current release is the newest of its minor (another minor's does not count)", () => {
        expect(newestPatch("v1.12.3", offered)).toBeUndefined();
        expect(newestPatch("v1.13.0", offered)).toBeUndefined();
        expect(newestPatch("v1.11.5", ["v1.12.9", "v2.11.6"])).toBeUndefined();
    });

    test("ignores pre-releases and what is not a version", () => {
        expect(newestPatch("v1.12.3", ["v1.12.4-beta.0", "v1.12.4-rc.1", "1.12.x", 7, null])).toBeUndefined();
    });

    test("is none for an empty list", () => {
        expect(newestPatch("v1.12.1", [])).toBeUndefined();
    });
});

describe("newerPatchNote", () => {
    test("names both releases, the minor, the factory, the setting to change and the one that silences it", () => {
        const note = newerPatchNote("v1.12.1", "v1.12.3", "https://factory.talos.dev");
        expect(note).toContain("Talos v1.12.3 is out");
        expect(note).toContain("https://factory.talos.dev");
        expect(note).toContain("newer patch of Talos 1.12 than v1.12.1 (cluster.talosVersion)");
        expect(note).toContain("Nothing changes until you set cluster.talosVersion to v1.12.3");
        expect(note).toContain("cluster.talosVersionPinned: true");
    });
});

describe("announceNewerPatch against the factory stand-in", () => {
    let f: FactoryServer;
    afterEach(async () => f?.close());

    const check = (talosVersion: string, pinned = false) =>
        announceNewerPatch({ factoryUrl: f.url, talosVersion, pinned, engineConnected: true });

    test("announces a newer patch the factory serves, with one GET /versions and nothing else", async () => {
        f = await startFactoryServer({ versions: [...DEFAULT_VERSIONS, "v1.12.2", "v1.13.0-beta.0"] });
        const out = await check("v1.12.1");
        expect(out.asked).toBe(true);
        expect(out.note).toMatch(/^Talos v1\.12\.2 is out/);
        expect(f.log.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /versions"]);
    });

    test("says nothing when the stack's release is the newest patch offered", async () => {
        f = await startFactoryServer(); // DEFAULT_VERSIONS: v1.12.1 is the newest 1.12
        const out = await check("v1.12.1");
        expect(out).toEqual({ asked: true });
        expect(f.calls.versions).toBe(1);
    });

    test("asks nothing at all when the stack pins its version on purpose", async () => {
        f = await startFactoryServer({ versions: [...DEFAULT_VERSIONS, "v1.12.2"] });
        const out = await check("v1.12.1", true);
        expect(out).toEqual({ asked: false, why: "cluster.talosVersionPinned" });
        expect(f.log).toEqual([]);
    });

    test("asks nothing under the mock runtime (no engine)", async () => {
        f = await startFactoryServer({ versions: [...DEFAULT_VERSIONS, "v1.12.2"] });
        const out = await announceNewerPatch({
            factoryUrl: f.url,
            talosVersion: "v1.12.1",
            pinned: false,
            engineConnected: false,
        });
        expect(out.asked).toBe(false);
        expect(f.log).toEqual([]);
    });

    test("a factory that fails gives a short note, not an error, and is asked once (no retry)", async () => {
        f = await startFactoryServer({ versions: [...DEFAULT_VERSIONS, "v1.12.2"] });
        f.faults.failNext("versions", 5, 503);
        const out = await check("v1.12.1");
        expect(out.asked).toBe(true);
        expect(out.note).toMatch(/^Could not ask the Image Factory at http:\/\/127\.0\.0\.1:\d+ whether a newer Talos/);
        expect(out.note).toContain("cluster.talosVersionPinned: true skips this check");
        expect(f.calls.versions).toBe(1);
    });

    test("a factory nobody answers at gives the note too", async () => {
        f = await startFactoryServer();
        const url = f.url;
        await f.close();
        const out = await announceNewerPatch({
            factoryUrl: url,
            talosVersion: "v1.12.1",
            pinned: false,
            engineConnected: true,
        });
        expect(out.note).toMatch(/^Could not ask the Image Factory/);
    });
});
