/**
 * A record of patch checks that passed, so a run whose patches, schema and checker are all as they were when the
 * check last passed does not compile the schema and check them again (issue 27: compiling the Talos config schema
 * with ajv was a fifth of the program's own time in a preview).
 *
 * A record is an empty file named by a hash of everything the verdict depends on: the schema's exact text, the
 * patches (labels and texts), the checker's code (every `.ts` file under `components/`, so any change to the code
 * checks again) and the versions of the packages it runs (ajv, ajv-formats, yaml). Only passes are recorded:
 * problems are always found and reported afresh, and a run without the schema (the warning case) records
 * nothing. A record that cannot be written is no error; the check simply runs next time too (schema.ts reads and
 * writes the records).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { LabelledPatch } from "./validate";

/** Bumped when what a record means changes. */
const FORMAT = 1;

/** The packages whose behaviour a verdict depends on. */
const CHECKER_PACKAGES = ["ajv", "ajv-formats", "yaml"];

/** The `.ts` files under `dir`, recursively, as sorted paths. */
function sourceFiles(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...sourceFiles(p));
        else if (e.name.endsWith(".ts")) out.push(p);
    }
    return out.sort();
}

function packageVersion(name: string): string {
    try {
        const file = require.resolve(`${name}/package.json`);
        return String((JSON.parse(fs.readFileSync(file, "utf8")) as { version?: unknown }).version);
    } catch {
        return "unknown";
    }
}

const fingerprints = new Map<string, string>();

/** A hash of the checker's code: every `.ts` file under `root` (default: `components/`) and its packages' versions. */
export function checkerFingerprint(root = path.resolve(__dirname, "..")): string {
    const known = fingerprints.get(root);
    if (known) return known;
    const h = createHash("sha256");
    for (const f of sourceFiles(root)) {
        h.update(`${path.relative(root, f)}\0`);
        h.update(fs.readFileSync(f));
        h.update("\0");
    }
    h.update(JSON.stringify(CHECKER_PACKAGES.map((p) => [p, packageVersion(p)])));
    const fp = h.digest("hex");
    fingerprints.set(root, fp);
    return fp;
}

/** The record of one check: schema text, patch sets and checker fingerprint, in `<cacheDir>/talos-patch-checks/`. */
export function passedCheckFile(
    cacheDir: string,
    schemaText: string,
    patchSets: readonly (readonly LabelledPatch[])[],
    fingerprint: string,
): string {
    const schema = createHash("sha256").update(schemaText).digest("hex");
    const patches = patchSets.map((set) => set.map((p) => [p.label, p.text]));
    const key = createHash("sha256")
        .update(JSON.stringify([FORMAT, fingerprint, schema, patches]))
        .digest("hex");
    return path.join(cacheDir, "talos-patch-checks", `${key}.passed`);
}
