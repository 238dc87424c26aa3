import {
    diffSchematicInputs,
    FactorySchematic,
    FactorySchematicInputs,
} from "../../components/factory/schematic-resource";
import { canonicalSchematicYaml, schematicId, Schematic } from "../../components/factory/schematic";
import { startFactoryServer, FactoryServer, DEFAULT_EXTENSIONS } from "../support/factory-server";
import { runStoredText } from "../support/provider-host";
import { SEED_SCHEMATIC_ID as SEED_ID } from "../support/fixtures";

const SEED: Schematic = { customization: { systemExtensions: { officialExtensions: DEFAULT_EXTENSIONS.slice(0, 5) } } };
const p = FactorySchematic.provider;

function inputs(f: FactoryServer, over: Partial<FactorySchematicInputs> = {}): FactorySchematicInputs {
    return { factoryUrl: f.url, talosVersion: "v1.12.1", schematic: canonicalSchematicYaml(SEED), ...over };
}

describe("diffSchematicInputs (pure)", () => {
    const base: FactorySchematicInputs = {
        factoryUrl: "https://factory.talos.dev",
        talosVersion: "v1.12.1",
        schematic: canonicalSchematicYaml(SEED),
    };
    test("no change for the same schematic, even spelled differently", () => {
        const respelled = JSON.stringify(SEED);
        expect(diffSchematicInputs(base, { ...base, schematic: respelled })).toMatchObject({
            changes: false,
            replaces: [],
        });
        expect(diffSchematicInputs(base, { ...base, factoryUrl: "https://factory.talos.dev/" }).changes).toBe(false);
    });
    test("schematic or factory change replaces; version change updates", () => {
        const other = canonicalSchematicYaml({
            customization: { systemExtensions: { officialExtensions: ["siderolabs/i915"] } },
        });
        expect(diffSchematicInputs(base, { ...base, schematic: other })).toMatchObject({
            changes: true,
            replaces: ["schematic"],
        });
        expect(diffSchematicInputs(base, { ...base, factoryUrl: "http://127.0.0.1:1" })).toMatchObject({
            changes: true,
            replaces: ["factoryUrl"],
        });
        expect(diffSchematicInputs(base, { ...base, talosVersion: "v1.12.0" })).toMatchObject({
            changes: true,
            replaces: [],
        });
    });
});

describe("the FactorySchematic provider against the local factory", () => {
    let f: FactoryServer;
    beforeEach(async () => {
        f = await startFactoryServer();
    });
    afterEach(async () => f.close());

    test("check reports bad inputs per property, before any request", async () => {
        const r = await p.check!(
            {},
            { factoryUrl: "nope", talosVersion: "latest", schematic: "customization:\n  bogus: 1\n" },
        );
        expect(r.failures!.map((x) => x.property).sort()).toEqual(["factoryUrl", "schematic", "talosVersion"]);
        expect(r.failures!.find((x) => x.property === "schematic")!.reason).toMatch(/field bogus not found/);
        expect(f.log).toHaveLength(0);
        expect((await p.check!({}, inputs(f))).failures).toEqual([]);
    });

    test("create validates, registers and returns the local ID; read gets it back", async () => {
        const c = await p.create(inputs(f));
        expect(c.id).toBe(SEED_ID);
        expect(c.outs.schematicId).toBe(SEED_ID);
        expect(f.schematics.get(SEED_ID)).toBe(canonicalSchematicYaml(SEED));
        expect(f.log.map((l) => l.route)).toEqual(["versions", "extensions", "postSchematic"]);
        const r = await p.read!(SEED_ID, c.outs);
        expect(r.id).toBe(SEED_ID);
        expect(r.props.schematic).toBe(canonicalSchematicYaml(SEED));
    });

    test("read of a schematic the factory does not know reports it gone", async () => {
        const r = await p.read!(SEED_ID, { ...inputs(f), schematicId: SEED_ID });
        expect(r.id).toBeUndefined();
    });

    test("unknown version or extensions fail before registering", async () => {
        await expect(p.create(inputs(f, { talosVersion: "v1.99.0" }))).rejects.toThrow(
            /Talos version v1\.99\.0 is not offered/,
        );
        const bad = canonicalSchematicYaml({
            customization: { systemExtensions: { officialExtensions: ["siderolabs/i915", "acme/one", "acme/two"] } },
        });
        await expect(p.create(inputs(f, { schematic: bad }))).rejects.toThrow(
            /these extensions for Talos v1\.12\.1: acme\/one, acme\/two/,
        );
        expect(f.calls.postSchematic).toBe(0);
    });

    test("a factory that answers another ID fails clearly", async () => {
        const g = await startFactoryServer({ owner: "someone" });
        try {
            await expect(p.create(inputs(g))).rejects.toThrow(
                new RegExp(`registered the schematic as [0-9a-f]{64}, but the ID computed locally .* is ${SEED_ID}`),
            );
        } finally {
            await g.close();
        }
    });

    test("update for a new version re-validates against that version", async () => {
        const g = await startFactoryServer({ extensionsByVersion: { "v1.11.0": ["siderolabs/i915"] } });
        try {
            const c = await p.create(inputs(g));
            await expect(p.update!(c.id, c.outs, inputs(g, { talosVersion: "v1.11.0" }))).rejects.toThrow(
                /siderolabs\/nut-client/,
            );
            const u = await p.update!(c.id, c.outs, inputs(g, { talosVersion: "v1.12.0" }));
            expect(u.outs!.talosVersion).toBe("v1.12.0");
            expect(u.outs!.schematicId).toBe(SEED_ID);
        } finally {
            await g.close();
        }
    });
});

describe("the provider as the engine runs it (its stored text, fresh node process)", () => {
    let f: FactoryServer;
    beforeAll(async () => {
        f = await startFactoryServer();
    });
    afterAll(async () => {
        await f.close();
    });

    test("check/create/read/diff/update/delete work, and errors keep their name and message", async () => {
        const ins = inputs(f);
        const run = await runStoredText(
            FactorySchematic.providerText,
            {
                A: ins,
                other: { ...ins, schematic: "customization: {}\n" },
                B: { ...ins, talosVersion: "v1.12.0" },
                bad: { ...ins, talosVersion: "v9.9.9" },
            },
            [
                { op: "check", news: "A" },
                { op: "create", inputs: "A" },
                { op: "read" },
                { op: "diff", news: "A" },
                { op: "diff", news: "other" },
                { op: "update", news: "B" },
                { op: "delete" },
                { op: "create", inputs: "bad" },
            ],
        );
        const [check, create, read, diffSame, diffOther, update, del, bad] = run.results;
        expect((check.result as { failures: unknown[] }).failures).toEqual([]);
        expect(create.result).toMatchObject({ id: SEED_ID });
        expect(read.result).toMatchObject({ props: { schematic: canonicalSchematicYaml(SEED) } });
        expect(diffSame.result).toMatchObject({ changes: false });
        expect(diffOther.result).toMatchObject({ replaces: ["schematic"] });
        expect(update.result).toMatchObject({ outs: { talosVersion: "v1.12.0" } });
        expect(del).toEqual({ op: "delete", ok: true, result: null });
        // What the provider host returns (e.message) carries the message.
        expect(bad).toMatchObject({ ok: false, error: expect.stringMatching(/Talos version v9\.9\.9 is not offered/) });
        // The child really talked to the factory.
        expect(f.schematics.has(schematicId(SEED))).toBe(true);
        expect(f.calls.postSchematic).toBe(2);
    }, 60000);
});

test("checking inputs loads no HTTP client: axios is loaded by the first request only", async () => {
    await jest.isolateModulesAsync(async () => {
        jest.doMock("axios", () => {
            throw new Error("axios was loaded");
        });
        const { FactorySchematic } = await import("../../components/factory/schematic-resource");
        const inputs = {
            factoryUrl: "https://factory.talos.dev",
            talosVersion: "v1.12.1",
            schematic: "customization: {}\n",
        };
        const checked = await FactorySchematic.provider.check!({}, inputs);
        expect(checked.failures ?? []).toEqual([]);
        const { FactoryClient } = await import("../../components/factory/client");
        await expect(new FactoryClient("http://127.0.0.1:9").versions()).rejects.toThrow("axios was loaded");
    });
});
