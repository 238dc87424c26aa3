/**
 * What a dynamic resource stores as `__provider`, and what Pulumi's provider host does with it.
 *
 * The state keeps a small shim (components/dynamic.ts), not the provider's code: the host loads it and the shim
 * loads the provider from the project folder at each run. So: every resource's text is a few KB and names no
 * folder; it works from the project folder; from a folder without the code (a state moved to another machine, a
 * checkout without `npm ci`) it fails saying what to do; and a resource whose state still carries an older text
 * (a closure serialised by an earlier version of this program) is not replaced: one update, with no write to the
 * NAS, stores the new text, and from then on refresh and delete run today's code.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_ROOT } from "../../../components/dynamic";
import { FactorySchematic } from "../../../components/factory/schematic-resource";
import { SynologyBootFile } from "../../../components/synology/providers/bootfile";
import { SynologyDhcpServer } from "../../../components/synology/providers/dhcp";
import { SynologyPxeSettings } from "../../../components/synology/providers/pxe";
import { SynologyReservations } from "../../../components/synology/providers/reservations";
import { SynologyShare } from "../../../components/synology/providers/share";
import { SynologyTftp } from "../../../components/synology/providers/tftp";
import { synologyResourceInputs } from "../../../components/synology/pxe";
import { TalosNodeWait } from "../../../components/talos/node-wait";
import { WakeOnLan } from "../../../components/talos/wol";
import { ProviderHost, runStoredText, startProviderHost } from "../../support/provider-host";
import { repoRoot } from "../../support/shared";
import { Env, PASSWORD, snapshot, spec, startEnv } from "./harness";
import { simShare } from "../../support/dsm-simulator";

jest.setTimeout(90_000);

const CLASSES = {
    SynologyShare,
    SynologyTftp,
    SynologyBootFile,
    SynologyDhcpServer,
    SynologyReservations,
    SynologyPxeSettings,
    FactorySchematic,
    WakeOnLan,
    TalosNodeWait,
};

describe("the stored text", () => {
    test("is a few KB for every dynamic resource, names no folder of this machine, and is the same for every resource of a kind", () => {
        for (const [name, cls] of Object.entries(CLASSES)) {
            expect({ name, small: cls.providerText.length < 3 * 1024 }).toEqual({ name, small: true });
            expect(cls.providerText).not.toContain(repoRoot);
            expect(cls.providerText).toContain(JSON.stringify(cls.dynamicToken));
        }
        expect(PROJECT_ROOT).toBe(repoRoot);
    });

    test("loaded as the host loads it, in the project folder, gives each class's own provider", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stored-"));
        try {
            const texts = Object.fromEntries(Object.entries(CLASSES).map(([k, c]) => [k, c.providerText]));
            fs.writeFileSync(path.join(dir, "texts.json"), JSON.stringify(texts));
            const script = `
                const rfs = require(${JSON.stringify(require.resolve("require-from-string"))});
                const texts = require(${JSON.stringify(path.join(dir, "texts.json"))});
                const out = {};
                for (const [k, t] of Object.entries(texts)) {
                    const p = rfs(t).handler();
                    out[k] = ["check", "diff", "create", "read", "update", "delete"].filter((m) => typeof p[m] === "function");
                }
                process.stdout.write(JSON.stringify(out));`;
            const out = await new Promise<string>((resolve, reject) =>
                execFile(process.execPath, ["-e", script], { cwd: repoRoot, timeout: 60_000 }, (err, so, se) =>
                    err ? reject(new Error(`${err.message}\n${se}`)) : resolve(so),
                ),
            );
            const methods = JSON.parse(out) as Record<string, string[]>;
            for (const name of Object.keys(CLASSES)) {
                expect({ name, methods: methods[name] }).toEqual({
                    name,
                    methods: ["check", "diff", "create", "read", "update", "delete"],
                });
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("where the code is not", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "no-project-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const anyInputs = {
        A: { connection: { url: "https://nas.invalid:5001", username: "u" }, password: "p", rootPath: "/volume1/pxe" },
    };

    test("a folder without the program: the error names the resource, the module, where it looked and what to do", async () => {
        const run = await runStoredText(SynologyTftp.providerText, anyInputs, [{ op: "check", news: "A" }], {
            cwd: dir,
        });
        expect(run.results[0].ok).toBe(false);
        expect(run.results[0].error).toMatch(
            new RegExp(
                "^homelab: cannot load the provider of pulumi-nodejs:dynamic/synology:Tftp \\(components/synology/providers/tftp\\): " +
                    `it is in none of ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, .*run pulumi from the checkout of the homelab program this stack belongs to, after npm ci there$`,
            ),
        );
    });

    test("a checkout without npm ci: ts-node is missing, and the error says to run npm ci there", async () => {
        fs.mkdirSync(path.join(dir, "components", "synology", "providers"), { recursive: true });
        fs.copyFileSync(
            path.join(repoRoot, "components", "synology", "providers", "tftp.ts"),
            path.join(dir, "components", "synology", "providers", "tftp.ts"),
        );
        const run = await runStoredText(SynologyTftp.providerText, anyInputs, [{ op: "check", news: "A" }], {
            cwd: dir,
        });
        expect(run.results[0].error).toBe(
            "homelab: cannot load the provider of pulumi-nodejs:dynamic/synology:Tftp (components/synology/providers/tftp): " +
                `the code is TypeScript and ts-node is not installed in ${dir}: run npm ci there`,
        );
    });

    test("a version of the program that no longer defines the resource: the error says which version to check out", async () => {
        fs.mkdirSync(path.join(dir, "components", "synology", "providers"), { recursive: true });
        fs.writeFileSync(
            path.join(dir, "components", "synology", "providers", "tftp.js"),
            "exports.SomethingElse = {};\n",
        );
        const run = await runStoredText(SynologyTftp.providerText, anyInputs, [{ op: "check", news: "A" }], {
            cwd: path.join(dir, "components"),
        });
        expect(run.results[0].error).toMatch(
            /components\/synology\/providers\/tftp\.js no longer defines it: this stack was made by another version of the program; check out a version that defines pulumi-nodejs:dynamic\/synology:Tftp and run npm ci$/,
        );
    });
});

describe("through Pulumi's provider host", () => {
    let env: Env;
    let host: ProviderHost;
    afterEach(async () => {
        await host?.close();
        await env?.close();
    });

    test("a resource stored with an older provider text is updated once, without a NAS write, then runs today's code", async () => {
        env = await startEnv();
        env.sim.state.shares.pxe = simShare("pxe");
        const before = snapshot(env.sim);
        // What an earlier version stored: the provider's whole closure, serialised as pulumi.dynamic.Resource does.
        const provider = SynologyTftp.provider;
        const oldText = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
        expect(oldText.length).toBeGreaterThan(20 * SynologyTftp.providerText.length);
        const inputs = { ...synologyResourceInputs(spec(env)).tftp, password: PASSWORD };
        host = await startProviderHost();

        const checked = await host.call("check", { news: { ...inputs, __provider: oldText } });
        expect(checked.failures).toEqual([]);
        const created = await host.call("create", { properties: checked.inputs as object });
        expect(env.sim.state.tftp).toMatchObject({ enable: true, root_path: "/volume1/pxe", permission: "r" });
        const stored = created.properties as Record<string, unknown>;
        expect(stored.__provider).toBe(oldText);

        // The next run registers the shim: the same inputs, another text.
        const news = (
            await host.call("check", { olds: stored, news: { ...inputs, __provider: SynologyTftp.providerText } })
        ).inputs as Record<string, unknown>;
        expect(news.__provider).toBe(SynologyTftp.providerText);
        expect(await host.call("diff", { id: created.id as string, olds: stored, news })).toMatchObject({
            changes: "some",
            replaces: [],
        });
        env.sim.resetCounters();
        const updated = (await host.call("update", { id: created.id as string, olds: stored, news }))
            .properties as Record<string, unknown>;
        expect(env.sim.counters.writes).toBe(0);
        expect(updated.__provider).toBe(SynologyTftp.providerText);
        expect({ ...updated, __provider: undefined }).toEqual({ ...stored, __provider: undefined });
        expect(await host.call("diff", { id: created.id as string, olds: updated, news })).toMatchObject({
            changes: "none",
        });

        // Refresh and delete now go through the shim: today's code reads and puts the TFTP settings back.
        const read = await host.call("read", { id: created.id as string, properties: updated });
        expect((read.properties as Record<string, unknown>).__provider).toBe(SynologyTftp.providerText);
        await host.call("delete", { id: created.id as string, properties: read.properties as object });
        expect(snapshot(env.sim)).toEqual(before);
        expect(host.stderr()).not.toContain(PASSWORD);
    });

    test("a project folder whose code is a symlink (as the e2e suite makes it): every provider loads, one after another", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linked-project-"));
        try {
            for (const f of ["package.json", "tsconfig.json"])
                fs.copyFileSync(path.join(repoRoot, f), path.join(dir, f));
            for (const l of ["components", "node_modules"]) fs.symlinkSync(path.join(repoRoot, l), path.join(dir, l));
            host = await startProviderHost({ cwd: dir });
            const props = {
                connection: { url: "http://127.0.0.1:1", username: "admin", allowHttp: true },
                password: PASSWORD,
                name: "pxe",
                share: "pxe",
                fileName: "b.efi",
                path: "/pxe/b.efi",
                size: 1,
                md5: "m",
            };
            const errors: string[] = [];
            for (const cls of [SynologyShare, SynologyBootFile, SynologyTftp]) {
                errors.push(
                    await host.call("read", { id: "x", properties: { ...props, __provider: cls.providerText } }).then(
                        () => "read",
                        (e: Error) => e.message,
                    ),
                );
            }
            // Loaded: each failed at the NAS (nothing listens on port 1), none while loading.
            expect(errors).toEqual([
                expect.stringMatching(/^reading shared folder pxe: .*connection refused/),
                expect.stringMatching(/^reading boot file \/pxe\/b\.efi: .*connection refused/),
                expect.stringMatching(/^reading TFTP settings: .*connection refused/),
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    test("from a project folder without this code, the engine gets the shim's message", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "no-project-"));
        try {
            // Pulumi installed (the host itself needs it), the program not.
            fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
            host = await startProviderHost({ cwd: dir });
            await expect(
                host.call("check", { news: { rootPath: "/volume1/pxe", __provider: SynologyTftp.providerText } }),
            ).rejects.toThrow(
                /homelab: cannot load the provider of pulumi-nodejs:dynamic\/synology:Tftp .*after npm ci there/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
