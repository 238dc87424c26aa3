import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..");

/** ../shared beside the checkout (CI lays it there), or $SHARED_DIR. */
export const sharedDir = process.env.SHARED_DIR ?? path.resolve(repoRoot, "..", "shared");

/** Reads a file from ../shared/reference (reference data: read, never copied into the repo). */
export function readReferenceText(name: string): string {
    const file = path.join(sharedDir, "reference", name);
    if (!fs.existsSync(file)) {
        throw new Error(`reference data ${file} not found: the tests read public reference files (provider and ` +
            `config schemas) from ../shared/reference beside the checkout; point SHARED_DIR at a folder holding reference/${name}`);
    }
    return fs.readFileSync(file, "utf8");
}

/** Reads a JSON file from ../shared/reference. */
export function readReferenceJson<T = unknown>(name: string): T {
    return JSON.parse(readReferenceText(name)) as T;
}

/** The `homelab:*` values of a stack file, without the prefix, plus the given secrets. */
export function stackValues(stack: string, secrets: Record<string, string> = {}): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc.config)) values[key.replace(/^homelab:/, "")] = value;
    return { ...values, ...secrets };
}
