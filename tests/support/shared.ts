import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..");

/**
 * The files under `dir`, recursively, whose name `keep` takes, as sorted paths; folders and files named in `skip`
 * are not entered (the meta tests' walks over the repository).
 */
export function filesUnder(
    dir: string,
    keep: (name: string) => boolean,
    skip: ReadonlySet<string> = new Set(),
): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (skip.has(e.name)) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...filesUnder(p, keep, skip));
        else if (keep(e.name)) out.push(p);
    }
    return out.sort();
}

/** The `homelab:*` values of a stack file, without the prefix, plus the given secrets. */
export function stackValues(stack: string, secrets: Record<string, string> = {}): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
    };
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc.config)) values[key.replace(/^homelab:/, "")] = value;
    return { ...values, ...secrets };
}

/** The dev stack's shape with `n` nodes (3 control planes at most, the rest workers): the scale scenario's and the bench's. */
export function devStackWithNodes(n: number): Record<string, unknown> {
    const v = stackValues("dev") as Record<string, any>;
    v.nodes = Array.from({ length: n }, (_, i) => ({
        hostname: `node-${i + 1}`,
        mac: `52:54:00:00:10:${(i + 16).toString(16)}`,
        ip: `192.168.0.${10 + i}`,
        role: i < 3 ? "controlplane" : "worker",
        installDisk: "/dev/nvme0n1",
    }));
    v.cluster = { ...v.cluster, endpoint: "https://192.168.0.10:6443" };
    return v;
}
