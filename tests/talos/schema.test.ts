import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    checkPatchesAgainstSchema,
    defaultCacheDir,
    loadTalosConfigSchema,
    schemaCacheFile,
    schemaUrl,
} from "../../components/talos/schema";
import { parseStackConfig } from "../../components/config";
import { checkerFingerprint, passedCheckFile } from "../../components/talos/passed-checks";
import * as validateSchema from "../../components/talos/validate-schema";
import { DEFAULT_TALOS_SCHEMA_URL_TEMPLATE } from "../../components/talos/config";
import { stackValues } from "../support/shared";
import { deadUrlTemplate, referenceSchemaText, SchemaServer, startSchemaServer } from "../support/schema-server";

const TAG = "v1.12.1";
const schemaText = referenceSchemaText();
const BROKEN_PATCH = { label: "nodes[0].patches[1]", text: "machine:\n  instal:\n    disk: /dev/sda\n" };
const FINE_PATCH = { label: "nodes[0].install", text: "machine:\n  install:\n    disk: /dev/sda\n" };

let server: SchemaServer;
let cacheDir: string;
let warnings: string[];
const warn = (m: string): void => {
    warnings.push(m);
};

beforeEach(async () => {
    server = await startSchemaServer({ [TAG]: schemaText, "v1.12.0": schemaText });
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "talos-schema-"));
    warnings = [];
});

afterEach(async () => {
    await server.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
});

const load = (extra: Partial<Parameters<typeof loadTalosConfigSchema>[0]> = {}) =>
    loadTalosConfigSchema({ talosVersion: TAG, urlTemplate: server.urlTemplate, cacheDir, warn, ...extra });

describe("loadTalosConfigSchema", () => {
    test("fetches the schema of the version, caches it, and the second run uses the cache", async () => {
        const first = await load();
        expect(first).toEqual(JSON.parse(schemaText));
        expect(server.countFor(TAG)).toBe(1);
        const file = path.join(cacheDir, "talos-config-schema-v1.12.1.json");
        expect(fs.readFileSync(file, "utf8")).toBe(schemaText);

        const second = await load();
        expect(second).toEqual(first);
        expect(server.countFor(TAG)).toBe(1);
        expect(warnings).toEqual([]);
    });

    test("uses the cache even when the server is gone", async () => {
        await load();
        await server.close();
        const again = await loadTalosConfigSchema({
            talosVersion: TAG,
            urlTemplate: await deadUrlTemplate(),
            cacheDir,
            warn,
        });
        expect(again).toEqual(JSON.parse(schemaText));
        expect(warnings).toEqual([]);
        server = await startSchemaServer({}); // for afterEach
    });

    test("caches per version and accepts a version without the leading v", async () => {
        await load({ talosVersion: "1.12.0" });
        await load({ talosVersion: "v1.12.0" });
        await load();
        expect(server.countFor("v1.12.0")).toBe(1);
        expect(server.countFor(TAG)).toBe(1);
        expect(fs.readdirSync(cacheDir).sort()).toEqual([
            "talos-config-schema-v1.12.0.json",
            "talos-config-schema-v1.12.1.json",
        ]);
    });

    test("server down: one warning naming the version and URL, undefined, nothing cached", async () => {
        const url = await deadUrlTemplate();
        const schema = await loadTalosConfigSchema({ talosVersion: TAG, urlTemplate: url, cacheDir, warn });
        expect(schema).toBeUndefined();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(
            `Talos config schema for ${TAG} could not be fetched from ${schemaUrl(url, TAG)} (ECONNREFUSED)`,
        );
        expect(warnings[0]).toContain("skipping the schema check");
        expect(fs.readdirSync(cacheDir)).toEqual([]);
    });

    test.each([
        ["503", "HTTP 503"],
        ["reset", "could not be fetched"],
        ["html", "not a Talos config schema (it is not JSON)"],
        ["not-a-schema", "not a Talos config schema (it has no JSON-schema $schema)"],
        ["truncated", "not a Talos config schema (it is not JSON)"],
    ] as const)(
        "fault %s: one warning (%s), nothing cached, and the next good answer is cached",
        async (fault, words) => {
            server.fault = fault;
            expect(await load()).toBeUndefined();
            expect(warnings).toHaveLength(1);
            expect(warnings[0]).toContain(words);
            expect(fs.readdirSync(cacheDir)).toEqual([]);

            server.fault = "none";
            expect(await load()).toEqual(JSON.parse(schemaText));
            expect(warnings).toHaveLength(1);
            expect(fs.existsSync(schemaCacheFile(cacheDir, TAG))).toBe(true);
        },
    );

    test("a server that never answers: gives up after the timeout with one warning", async () => {
        server.fault = "hang";
        expect(await load({ fetchTimeoutMs: 200 })).toBeUndefined();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain("no answer within 200 ms");
    });

    test("a URL with credentials: the warning names the URL without them", async () => {
        const withCreds = server.urlTemplate.replace("://", "://robot:s3cr3t-T0ken@");
        expect(await load({ urlTemplate: withCreds })).toBeUndefined();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).not.toContain("s3cr3t-T0ken");
        expect(warnings[0]).not.toContain("robot");
        expect(warnings[0]).toContain(schemaUrl(server.urlTemplate, TAG).replace("://", "://…@"));
    });

    test("an unknown version (404) warns and skips", async () => {
        expect(await load({ talosVersion: "v9.9.9" })).toBeUndefined();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain("HTTP 404");
    });

    test.each([
        ["garbage", "{not json"],
        ["half a file", schemaText.slice(0, 1000)],
        ["JSON that is not a schema", JSON.stringify({ message: "Not Found" })],
    ])("a corrupt cache file (%s) is ignored, refetched and replaced", async (_name, content) => {
        const file = schemaCacheFile(cacheDir, TAG);
        fs.writeFileSync(file, content);
        expect(await load()).toEqual(JSON.parse(schemaText));
        expect(server.countFor(TAG)).toBe(1);
        expect(fs.readFileSync(file, "utf8")).toBe(schemaText);
        expect(warnings).toEqual([]);
    });

    test("writes atomically: no temporary files are left behind", async () => {
        await load();
        await load({ talosVersion: "v1.12.0" });
        expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    });

    test("creates a missing cache directory", async () => {
        const nested = path.join(cacheDir, "a", "b");
        await load({ cacheDir: nested });
        expect(fs.existsSync(schemaCacheFile(nested, TAG))).toBe(true);
    });

    test("a cache directory that cannot be written still returns the schema, with a warning", async () => {
        const blocker = path.join(cacheDir, "file");
        fs.writeFileSync(blocker, "not a directory");
        const schema = await load({ cacheDir: blocker });
        expect(schema).toEqual(JSON.parse(schemaText));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain("could not be cached");
    });
});

describe("checkPatchesAgainstSchema", () => {
    test("returns the problems of the patches, each once, from a fetched then cached schema", async () => {
        const args = {
            talosVersion: TAG,
            urlTemplate: server.urlTemplate,
            cacheDir,
            warn,
            patchSets: [[FINE_PATCH, BROKEN_PATCH], [BROKEN_PATCH]],
        };
        const expected = [
            'nodes[0].patches[1]: machine.instal is not a Talos setting — did you mean machine.install? (patch beginning "machine:")',
        ];
        expect(await checkPatchesAgainstSchema(args)).toEqual(expected);
        expect(await checkPatchesAgainstSchema(args)).toEqual(expected);
        expect(server.countFor(TAG)).toBe(1);
        expect(warnings).toEqual([]);
    });

    test("schema server down: one warning; a typo only the schema knows passes", async () => {
        const problems = await checkPatchesAgainstSchema({
            talosVersion: TAG,
            urlTemplate: await deadUrlTemplate(),
            cacheDir,
            warn,
            patchSets: [[BROKEN_PATCH, BROKEN_PATCH]],
        });
        expect(problems).toEqual([]);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain("the checks that need no schema still run");
    });

    describe("the rules that need no schema run whether or not the schema can be had", () => {
        const hostname = {
            label: "nodes[0].hostname",
            text: "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: off\nhostname: cp-1\n",
        };
        const patchSets = [
            [
                FINE_PATCH,
                hostname,
                { label: "nodes[0].patches[0]", text: "machine:\n  install:\n\tdisk: /dev/sda\n" },
                { label: "nodes[0].patches[1]", text: "- op: add\n  path: /machine/install/disk\n  value: /dev/sdb\n" },
                { label: "nodes[0].patches[2]", text: "machine:\n  network:\n    hostname: other\n" },
                { label: "nodes[0].patches[3]", text: "machine:\n  install:\n    $patch: replace\n" },
                { ...BROKEN_PATCH, label: "nodes[0].patches[4]" },
            ],
        ];
        const schemaFree = [
            /^nodes\[0\]\.patches\[0\]: YAML syntax error at line 3, column 1/,
            /^nodes\[0\]\.patches\[1\]: Talos applies JSON patches \(RFC 6902\) only to a single-document machine config/,
            /^nodes\[0\]\.patches\[2\]: machine\.network\.hostname cannot be set here/,
            /^nodes\[0\]\.patches\[3\]: machine\.install\.\$patch: the only strategic-merge directive Talos supports is "\$patch: delete"/,
        ];

        test("without the schema: exactly those problems, after the one warning", async () => {
            const problems = await checkPatchesAgainstSchema({
                talosVersion: TAG,
                urlTemplate: await deadUrlTemplate(),
                cacheDir,
                warn,
                patchSets,
            });
            expect(warnings).toHaveLength(1);
            expect(problems).toHaveLength(schemaFree.length);
            schemaFree.forEach((re, i) => expect(problems[i]).toMatch(re));
        });

        test("with the schema: the same problems, each once, plus the schema's own", async () => {
            const problems = await checkPatchesAgainstSchema({
                talosVersion: TAG,
                urlTemplate: server.urlTemplate,
                cacheDir,
                warn,
                patchSets,
            });
            expect(warnings).toEqual([]);
            expect(problems).toHaveLength(schemaFree.length + 1);
            schemaFree.forEach((re, i) => expect(problems[i]).toMatch(re));
            expect(problems[schemaFree.length]).toMatch(
                /^nodes\[0\]\.patches\[4\]: machine\.instal is not a Talos setting/,
            );
        });
    });
});

describe("a check that passed is not repeated", () => {
    const check = (patchSets: { label: string; text: string }[][], urlTemplate = server.urlTemplate) =>
        checkPatchesAgainstSchema({ talosVersion: TAG, urlTemplate, cacheDir, warn, patchSets });
    const records = () => {
        const dir = path.join(cacheDir, "talos-patch-checks");
        return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    };
    let compiles: jest.SpyInstance;
    beforeEach(() => {
        compiles = jest.spyOn(validateSchema, "prepareTalosSchema");
    });
    afterEach(() => compiles.mockRestore());

    test("a pass is recorded; the same patches against the same schema pass again without compiling it", async () => {
        expect(await check([[FINE_PATCH]])).toEqual([]);
        expect(compiles).toHaveBeenCalled();
        expect(records()).toHaveLength(1);
        compiles.mockClear();
        expect(await check([[FINE_PATCH]])).toEqual([]);
        expect(compiles).not.toHaveBeenCalled();
        expect(server.countFor(TAG)).toBe(1);
        expect(warnings).toEqual([]);
    });

    test("other patches, or another text of the schema, are checked again: problems are never taken from a record", async () => {
        expect(await check([[FINE_PATCH]])).toEqual([]);
        expect(await check([[FINE_PATCH, BROKEN_PATCH]])).toEqual([
            expect.stringMatching(/^nodes\[0\]\.patches\[1\]: machine\.instal is not a Talos setting/),
        ]);
        expect(await check([[{ ...FINE_PATCH, label: "nodes[1].install" }]])).toEqual([]);
        expect(records()).toHaveLength(2);
        // The same schema, written differently: the cached text no longer matches the record.
        fs.writeFileSync(schemaCacheFile(cacheDir, TAG), JSON.stringify(JSON.parse(schemaText)));
        compiles.mockClear();
        expect(await check([[FINE_PATCH]])).toEqual([]);
        expect(compiles).toHaveBeenCalled();
        expect(records()).toHaveLength(3);
    });

    test("without the schema nothing is recorded: the warning comes every run", async () => {
        const dead = await deadUrlTemplate();
        expect(await check([[FINE_PATCH]], dead)).toEqual([]);
        expect(await check([[FINE_PATCH]], dead)).toEqual([]);
        expect(warnings).toHaveLength(2);
        expect(records()).toEqual([]);
    });

    test("the checker's code and the patches' labels are part of a record's name", () => {
        const roots = ["a", "b", "c"].map((n) => path.join(cacheDir, n));
        roots.forEach((r) => fs.mkdirSync(path.join(r, "talos"), { recursive: true }));
        fs.writeFileSync(path.join(roots[0], "talos", "validate.ts"), "export const rule = 1;\n");
        fs.writeFileSync(path.join(roots[1], "talos", "validate.ts"), "export const rule = 1;\n");
        fs.writeFileSync(path.join(roots[2], "talos", "validate.ts"), "export const rule = 2;\n");
        const [a, b, c] = roots.map((r) => checkerFingerprint(r));
        expect(a).toBe(b);
        expect(c).not.toBe(a);
        const file = (fp: string, label = FINE_PATCH.label) =>
            passedCheckFile(cacheDir, schemaText, [[{ ...FINE_PATCH, label }]], fp);
        expect(file(a)).toBe(file(b));
        expect(file(c)).not.toBe(file(a));
        expect(file(a, "nodes[1].install")).not.toBe(file(a));
        expect(checkerFingerprint()).toBe(checkerFingerprint(path.join(__dirname, "..", "..", "components")));
    });
});

describe("locations", () => {
    test("the default URL is the raw schema file at the release tag, and the stack config's default", () => {
        const values = stackValues("dev", { synologyPassword: "p", upsPassword: "u" }) as Record<string, any>;
        values.nodes[0].mac = "d8:3a:dd:5e:a0:01";
        expect(parseStackConfig(values).cluster.configSchemaUrl).toBe(DEFAULT_TALOS_SCHEMA_URL_TEMPLATE);
        expect(schemaUrl(DEFAULT_TALOS_SCHEMA_URL_TEMPLATE, "1.12.1")).toBe(
            "https://raw.githubusercontent.com/siderolabs/talos/v1.12.1/pkg/machinery/config/schemas/config.schema.json",
        );
    });

    test("default cache dir: HOMELAB_CACHE_DIR, else XDG_CACHE_HOME/homelab, else ~/.cache/homelab", () => {
        expect(defaultCacheDir({ HOMELAB_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" })).toBe("/c");
        expect(defaultCacheDir({ XDG_CACHE_HOME: "/x" })).toBe(path.join("/x", "homelab"));
        expect(defaultCacheDir({})).toBe(path.join(os.homedir(), ".cache", "homelab"));
    });

    test("a version cannot escape the cache directory", () => {
        expect(path.dirname(schemaCacheFile("/c", "../../etc/passwd"))).toBe("/c");
    });
});
