import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..");

/** The `homelab:*` values of a stack file, without the prefix, plus the given secrets. */
export function stackValues(stack: string, secrets: Record<string, string> = {}): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
    };
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc.config)) values[key.replace(/^homelab:/, "")] = value;
    return { ...values, ...secrets };
}
