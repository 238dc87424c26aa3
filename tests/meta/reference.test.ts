/**
 * Reference data (tests/support/reference.ts): committed under third_party/reference/, pinned by source and
 * sha256, licensed, and exactly what the tests read.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_TALOS_SCHEMA_URL_TEMPLATE } from "../../components/talos/config";
import {
    readReferenceBytes,
    readReferenceText,
    REFERENCE_DIR,
    REFERENCE_FILES,
    referenceFile,
    sha256Hex,
    upstreamUrl,
} from "../support/reference";
import { filesUnder, repoRoot } from "../support/shared";

describe("the pinned manifest", () => {
    test("pins each file once, by a tag or a full commit, with a sha256 and a licence", () => {
        const names = REFERENCE_FILES.map((f) => f.name);
        expect(new Set(names).size).toBe(names.length);
        for (const f of REFERENCE_FILES) {
            expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
            expect(f.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
            expect(f.ref).toMatch(/^(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
            expect(f.path).not.toMatch(/^\/|\.\./);
            expect(f.licence).toBe(`LICENSE.${f.repo.replace("/", "-")}`);
        }
    });

    test("holds exactly the files the tests read, no more", () => {
        const read = new Set<string>();
        for (const p of filesUnder(path.join(repoRoot, "tests"), (name) => name.endsWith(".ts"))) {
            if (p === __filename) continue;
            for (const m of fs.readFileSync(p, "utf8").matchAll(/readReference(?:Text|Json)(?:<[^>]*>)?\("([^"]+)"\)/g))
                read.add(m[1]);
        }
        expect([...read].sort()).toEqual(REFERENCE_FILES.map((f) => f.name).sort());
    });

    test("every pinned file is committed with upstream's bytes and its licence, and the folder holds nothing else", () => {
        const expected = new Set(["ORIGIN", ...REFERENCE_FILES.flatMap((f) => [f.name, f.licence])]);
        expect(fs.readdirSync(REFERENCE_DIR).sort()).toEqual([...expected].sort());
        const origin = fs.readFileSync(path.join(REFERENCE_DIR, "ORIGIN"), "utf8");
        for (const f of REFERENCE_FILES) {
            expect(sha256Hex(fs.readFileSync(path.join(REFERENCE_DIR, f.name)))).toBe(f.sha256);
            expect(fs.readFileSync(path.join(REFERENCE_DIR, f.licence), "utf8")).toMatch(
                /Mozilla Public License Version 2\.0|Apache License\s+Version 2\.0/,
            );
            // ORIGIN names each file with its repository and licence file.
            expect(origin).toContain(f.name);
            expect(origin).toContain(f.repo);
            expect(origin).toContain(f.licence);
        }
    });

    test("reading a file nobody pinned says where to pin it", () => {
        expect(() => readReferenceText("dsm-api.md")).toThrow(
            /dsm-api\.md is not pinned: add it to REFERENCE_FILES in tests\/support\/reference\.ts/,
        );
    });

    test("a committed copy with other bytes is refused, naming both sums and where upstream serves it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reference-"));
        try {
            const f = REFERENCE_FILES[0];
            fs.writeFileSync(path.join(dir, f.name), Buffer.concat([readReferenceBytes(f.name), Buffer.from("\n")]));
            expect(() => readReferenceBytes(f.name, dir)).toThrow(
                new RegExp(
                    `has sha256 [0-9a-f]{64}, not the pinned ${f.sha256}.*${upstreamUrl(f).replace(/\./g, "\\.")}`,
                ),
            );
            fs.rmSync(path.join(dir, f.name));
            expect(() => readReferenceBytes(f.name, dir)).toThrow(/is missing: .*restore it with git checkout/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    test("the Talos schema the tests read is the one the program fetches for that version", () => {
        const talos = referenceFile("talos-config-schema-v1.12.1.json");
        expect(upstreamUrl(talos)).toBe(DEFAULT_TALOS_SCHEMA_URL_TEMPLATE.replace("{version}", "v1.12.1"));
    });
});
