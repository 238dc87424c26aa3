/**
 * Drift of a node (pure; no Pulumi, no I/O): what a node runs (its Talos version, the machine config it runs)
 * against what the stack declares, as named differences.
 *
 * The machine config a node runs, as `talosctl get machineconfig v1alpha1 -o json` prints it: the COSI resource
 * `MachineConfigs.config.talos.dev` whose spec is "presented as raw YAML string" (Talos v1.13.0,
 * pkg/machinery/resources/config/machine_config.go `v1alpha1Spec.MarshalYAML` returns `cfg.Bytes()`, and the
 * resource carries the annotation `talos.dev/yaml-spec`); talosctl's JSON output (cmd/talosctl/cmd/talos/output/
 * json.go `prepareEncodableData`) turns that into the JSON string `spec`; a Talos from before the annotation
 * marshalled the spec as one YAML document, which talosctl prints as an object. `cfg.Bytes()` of a config loaded
 * from bytes (machined loads the applied config with `configloader.NewFromBytes`, and talosctl decodes the
 * resource's protobuf the same way) is those bytes verbatim (pkg/machinery/config/container/container.go
 * `Bytes()` of a readonly container). So the node prints the config it was sent, byte for byte; the digest
 * below is of the documents' content anyway (key order, layout and comments left out), so a Talos that re-encodes
 * the config still gives the declared config's digest when the content is the same.
 */
import { createHash } from "crypto";
import * as YAML from "yaml";

/** A value with every object's keys sorted, for a canonical JSON text. */
function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (value !== null && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k]);
        return out;
    }
    return value;
}

/**
 * The digest of a machine config (multi-document YAML, or one document already parsed): SHA-256 of the canonical
 * JSON of its non-empty documents in order, `sha256:<hex>`. Comments, key order, quoting and layout do not
 * change it; any value, a document's order or kind do. Throws when the YAML does not parse.
 */
export function configDigest(config: string | Record<string, unknown>): string {
    const docs: unknown[] = [];
    if (typeof config === "string") {
        for (const doc of YAML.parseAllDocuments(config)) {
            if (doc.errors.length > 0) throw new Error(`machine config is not YAML: ${doc.errors[0].message}`);
            const value: unknown = doc.toJS({ maxAliasCount: -1 });
            if (value !== null && value !== undefined) docs.push(value);
        }
    } else docs.push(config);
    const text = docs.map((d) => JSON.stringify(canonical(d))).join("\n");
    return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/**
 * The machine config a node runs, from `talosctl get machineconfig v1alpha1 -o json` (one node, one resource):
 * its `spec` (see the module comment). Throws naming what is missing.
 */
export function runningConfigOf(output: string): string | Record<string, unknown> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(output);
    } catch {
        throw new Error("talosctl get machineconfig printed no JSON resource");
    }
    const spec = (parsed as { spec?: unknown } | null)?.spec;
    if (typeof spec === "string") return spec;
    if (spec !== null && typeof spec === "object" && !Array.isArray(spec)) return spec as Record<string, unknown>;
    throw new Error("talosctl get machineconfig printed a resource without a machine config (spec)");
}

/** What the stack declares for a node. */
export interface DeclaredNode {
    hostname: string;
    ip: string;
    /** The Talos version it should run, e.g. `v1.12.1` (the installer image's tag). */
    tag: string;
    /** {@link configDigest} of the machine config it should run. */
    digest: string;
}

/** What a node runs, as read from it. */
export interface ObservedNode {
    tag: string;
    digest: string;
}

/** Which halves of a node drifted (pure). */
export function driftOf(declared: Pick<DeclaredNode, "tag" | "digest">, observed: ObservedNode) {
    return { version: observed.tag !== declared.tag, config: observed.digest !== declared.digest };
}

/** A short digest for messages: `sha256:` and the first 12 hex digits. */
export function shortDigest(digest: string): string {
    return digest.replace(/^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/, "$1$2");
}

/**
 * The named differences of a node (pure): none when it runs what the stack declares, else one line per half,
 * e.g. `cp-1 (192.168.0.11): runs Talos v1.12.1, declared v1.12.0`.
 */
export function nodeDifferences(declared: DeclaredNode, observed: ObservedNode): string[] {
    const who = `${declared.hostname} (${declared.ip})`;
    const d = driftOf(declared, observed);
    const out: string[] = [];
    if (d.version) out.push(`${who}: runs Talos ${observed.tag}, declared ${declared.tag}`);
    if (d.config) {
        out.push(
            `${who}: runs another machine config than the one declared (digest ${shortDigest(observed.digest)}, ` +
                `declared ${shortDigest(declared.digest)}): changed by hand (talosctl apply-config, edit or patch)`,
        );
    }
    return out;
}

/** The `talosctl apply-config --mode` a repair uses for the node's apply mode (./apply-mode.ts; pure). */
export function repairApplyMode(mode: string | undefined): "auto" | "reboot" | "no-reboot" | "staged" {
    switch (mode) {
        case "reboot":
            return "reboot";
        case "no_reboot":
            return "no-reboot";
        case "staged":
        case "staged_if_needing_reboot":
            // the stack does not want a reboot it did not ask for: the repair is staged too (next reboot)
            return "staged";
        default:
            return "auto";
    }
}
