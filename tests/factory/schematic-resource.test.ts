import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { factorySchematicProvider, diffSchematicInputs, FactorySchematicInputs } from "../../components/factory/schematic-resource";
import { canonicalSchematicYaml, schematicId, Schematic } from "../../components/factory/schematic";
import { startFactoryServer, FactoryServer, DEFAULT_EXTENSIONS } from "../support/factory-server";

const SEED: Schematic = { customization: { systemExtensions: { officialExtensions: DEFAULT_EXTENSIONS.slice(0, 5) } } };
const SEED_ID = "87286864e94c7d661c926a524c8e57f84d608488f0cd654a92b1e5f37d48b868";
const repoRoot = path.resolve(__dirname, "..", "..");
const p = factorySchematicProvider;

function inputs(f: FactoryServer, over: Partial<FactorySchematicInputs> = {}): FactorySchematicInputs {
    return { factoryUrl: f.url, talosVersion: "v1.12.1", schematic: canonicalSchematicYaml(SEED), ...over };
}

describe("diffSchematicInputs (pure)", () => {
    const base: FactorySchematicInputs = { factoryUrl: "https://factory.talos.dev", talosVersion: "v1.12.1", schematic: canonicalSchematicYaml(SEED) };
    test("no change for the same schematic, even spelled differently", () => {
        const respelled = JSON.stringify(SEED);
        expect(diffSchematicInputs(base, { ...base, schematic: respelled })).toMatchObject({ changes: false, replaces: [] });
        expect(diffSchematicInputs(base, { ...base, factoryUrl: "https://factory.talos.dev/" }).changes).toBe(false);
    });
    test("schematic or factory change replaces; version change updates", () => {
        const other = canonicalSchematicYaml({ customization: { systemExtensions: { officialExtensions: ["siderolabs/i915"] } } });
        expect(diffSchematicInputs(base, { ...base, schematic: other })).toMatchObject({ changes: true, replaces: ["schematic"] });
        expect(diffSchematicInputs(base, { ...base, factoryUrl: "http://127.0.0.1:1" })).toMatchObject({ changes: true, replaces: ["factoryUrl"] });
        expect(diffSchematicInputs(base, { ...base, talosVersion: "v1.12.0" })).toMatchObject({ changes: true, replaces: [] });
    });
});

describe("factorySchematicProvider against the local factory", () => {
    let f: FactoryServer;
    beforeEach(async () => {
        f = await startFactoryServer();
    });
    afterEach(async () => f.close());

    test("check reports bad inputs per property, before any request", async () => {
        const r = await p.check!({}, { factoryUrl: "nope", talosVersion: "latest", schematic: "customization:\n  bogus: 1\n" });
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
        await expect(p.create(inputs(f, { talosVersion: "v1.99.0" }))).rejects.toThrow(/Talos version v1\.99\.0 is not offered/);
        const bad = canonicalSchematicYaml({ customization: { systemExtensions: { officialExtensions: ["siderolabs/i915", "acme/one", "acme/two"] } } });
        await expect(p.create(inputs(f, { schematic: bad }))).rejects.toThrow(/these extensions for Talos v1\.12\.1: acme\/one, acme\/two/);
        expect(f.calls.postSchematic).toBe(0);
    });

    test("a factory that answers another ID fails clearly", async () => {
        const g = await startFactoryServer({ owner: "someone" });
        try {
            await expect(p.create(inputs(g))).rejects.toThrow(new RegExp(`registered the schematic as [0-9a-f]{64}, but the ID computed locally .* is ${SEED_ID}`));
        } finally {
            await g.close();
        }
    });

    test("update for a new version re-validates against that version", async () => {
        const g = await startFactoryServer({ extensionsByVersion: { "v1.11.0": ["siderolabs/i915"] } });
        try {
            const c = await p.create(inputs(g));
            await expect(p.update!(c.id, c.outs, inputs(g, { talosVersion: "v1.11.0" }))).rejects.toThrow(/siderolabs\/nut-client/);
            const u = await p.update!(c.id, c.outs, inputs(g, { talosVersion: "v1.12.0" }));
            expect(u.outs!.talosVersion).toBe("v1.12.0");
            expect(u.outs!.schematicId).toBe(SEED_ID);
        } finally {
            await g.close();
        }
    });
});

describe("the provider as the engine runs it (serialised, fresh node process)", () => {
    let f: FactoryServer;
    let dir: string;
    beforeAll(async () => {
        f = await startFactoryServer();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "factory-provider-"));
    });
    afterAll(async () => {
        await f.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test("create/read/diff/update/delete work after serializeFunction + require-from-string", async () => {
        const sf = await pulumi.runtime.serializeFunction(() => factorySchematicProvider, { allowSecrets: true });
        const textFile = path.join(dir, "provider.js");
        fs.writeFileSync(textFile, sf.text);
        const driver = `
            const fs = require("fs");
            const requireFromString = require("require-from-string");
            const provider = requireFromString(fs.readFileSync(process.argv[1], "utf8")).handler();
            const ins = JSON.parse(process.argv[2]);
            (async () => {
                const out = {};
                out.check = await provider.check({}, ins);
                const c = await provider.create(ins);
                out.create = c;
                out.read = await provider.read(c.id, c.outs);
                out.diffSame = await provider.diff(c.id, c.outs, ins);
                out.diffOther = await provider.diff(c.id, c.outs, { ...ins, schematic: "customization: {}\\n" });
                out.update = await provider.update(c.id, c.outs, { ...ins, talosVersion: "v1.12.0" });
                out.delete = (await provider.delete(c.id, c.outs)) ?? null;
                try { await provider.create({ ...ins, talosVersion: "v9.9.9" }); } catch (e) { out.badVersion = e.message; out.badString = \`\${e}\`; out.badStack = e.stack; }
                process.stdout.write(JSON.stringify(out));
            })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
        `;
        const ins = inputs(f);
        const stdout = await new Promise<string>((resolve, reject) =>
            execFile(process.execPath, ["-e", driver, textFile, JSON.stringify(ins)], { cwd: repoRoot, timeout: 60000 }, (err, out, errOut) =>
                err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
            ),
        );
        const out = JSON.parse(stdout);
        expect(out.check.failures).toEqual([]);
        expect(out.create.id).toBe(SEED_ID);
        expect(out.read.props.schematic).toBe(canonicalSchematicYaml(SEED));
        expect(out.diffSame.changes).toBe(false);
        expect(out.diffOther.replaces).toEqual(["schematic"]);
        expect(out.update.outs.talosVersion).toBe("v1.12.0");
        expect(out.delete).toBeNull();
        // What the provider host prints and returns (e.message, `${e}`, e.stack) carries the message.
        expect(out.badVersion).toMatch(/Talos version v9\.9\.9 is not offered/);
        expect(out.badString).toMatch(/^FactoryError: Talos version v9\.9\.9 is not offered/);
        expect(out.badStack).toMatch(/^FactoryError: Talos version v9\.9\.9 is not offered/);
        // The child really talked to the factory.
        expect(f.schematics.has(schematicId(SEED))).toBe(true);
        expect(f.calls.postSchematic).toBe(2);
        // Packages are required from node_modules, not inlined.
        expect(sf.text).toMatch(/require\("axios[^"]*"\)/);
        expect(sf.text).toMatch(/require\("yaml[^"]*"\)/);
    }, 60000);
});
