/**
 * Checks Talos machine-config patches (pure; no I/O), in two passes per patch:
 *   - schema-free rules (this file), which run always, also when the Talos config schema cannot be fetched: YAML
 *     that does not parse, the shape of RFC 6902 JSON patches, a JSON patch after a patch that added a document,
 *     a JSON patch mixed with `---` documents, a document touched twice by one patch, `apiVersion` without
 *     `kind` (and the reverse), deleting the main document, `machine.network.hostname` after a
 *     HostnameConfig, and `$patch` directives other than `delete`;
 *   - schema rules (./validate-schema.ts), against the Talos config JSON schema of the cluster's release:
 *     settings, document kinds, apiVersions, value types and JSON-patch targets, each error explained in words.
 *
 * RFC 6902 JSON patches are checked here for shape (op, path, value, from), and refused after a patch that added
 * a document (Talos applies JSON patches only to a single-document config; see {@link jsonPatchOnMultiDoc}). The
 * words of the messages are ./validate-words.ts's.
 */
import * as YAML from "yaml";
import { closest } from "../words";
import {
    checkJsonPatchTargets,
    Compiled,
    documentSchemaProblems,
    prepareTalosSchema,
    TalosConfigSchema,
} from "./validate-schema";
import { describeGot, isObject, Json, JSON_PATCH_OPS, kindPrefix, pointerSegments, renderPath } from "./validate-words";

/** One patch as the program sends it to the Talos provider. */
export interface LabelledPatch {
    /** Where the patch comes from, e.g. `nodes[0].patches[1]`; starts every message about it. */
    label: string;
    /** The patch text: strategic-merge YAML (may be multi-document) or an RFC 6902 JSON patch. */
    text: string;
    /** True when the text holds a secret (the UPS password); false or absent for anything safe to log. */
    secret?: boolean;
}

/** The first non-blank line (not `---`), shortened; values of secret-looking keys are blanked. */
function firstLineOf(text: string): string {
    const line =
        text
            .split(/\r?\n/)
            .map((l) => l.trim())
            .find((l) => l !== "" && l !== "---") ?? "";
    let shown = line;
    if (/(pass|secret|token|key|cert|\bca\b|crt)/i.test(shown)) {
        const colon = shown.indexOf(":");
        shown = colon >= 0 ? `${shown.slice(0, colon + 1)} …` : "…";
    }
    return shown.length > 60 ? `${shown.slice(0, 57)}…` : shown;
}

function yamlErrorText(err: YAML.YAMLError): string {
    const head = err.message
        .split("\n")[0]
        .replace(/ at line \d+, column \d+:?$/, "")
        .trim();
    const pos = err.linePos?.[0];
    return pos ? `YAML syntax error at line ${pos.line}, column ${pos.col}: ${head}` : `YAML syntax error: ${head}`;
}

function checkPointer(p: unknown, field: string, where: string): string | undefined {
    if (typeof p !== "string")
        return `${where}: ${field} must be a JSON pointer string like "/machine/install/disk", got ${describeGot(p)}`;
    if (p !== "" && !p.startsWith("/")) {
        const fix = "/" + p.replace(/^\.?/, "").split(".").join("/");
        return `${where}: ${field} ${JSON.stringify(p)} is not a JSON pointer; it must start with / — did you mean ${JSON.stringify(fix)}?`;
    }
    if (/~(?![01])/.test(p))
        return `${where}: ${field} ${JSON.stringify(p)} has a ~ that is not ~0 (for ~) or ~1 (for /)`;
    return undefined;
}

/** Shape checks of an RFC 6902 JSON patch (op, path, value, from). */
function checkJsonPatch(ops: unknown[]): string[] {
    const out: string[] = [];
    if (ops.length === 0) return ["the JSON patch has no operations"];
    ops.forEach((item, i) => {
        const where = `JSON-patch operation ${i + 1}`;
        if (!isObject(item)) {
            out.push(`${where} must be a map with op and path, got ${describeGot(item)}`);
            return;
        }
        const known = ["op", "path", "value", "from"];
        for (const k of Object.keys(item)) {
            if (known.includes(k)) continue;
            const near = closest(
                k,
                known.filter((x) => !(x in item)),
            );
            if (near) out.push(`${where}: ${k} is not a JSON-patch field — did you mean ${near}?`);
        }
        const op = item.op;
        if (op === undefined) {
            out.push(`${where} has no op; set op to one of ${JSON_PATCH_OPS.join(", ")}`);
        } else if (typeof op !== "string" || !JSON_PATCH_OPS.includes(op)) {
            const near = typeof op === "string" ? closest(op, JSON_PATCH_OPS) : undefined;
            out.push(
                `${where}: op ${typeof op === "string" ? JSON.stringify(op) : describeGot(op)} is not a JSON-patch operation${near ? ` — did you mean ${near}?` : ""} (allowed: ${JSON_PATCH_OPS.join(", ")})`,
            );
        }
        const opWhere = typeof op === "string" && JSON_PATCH_OPS.includes(op) ? `${where} (${op})` : where;
        if (!("path" in item)) out.push(`${opWhere} has no path; give a JSON pointer like "/machine/install/disk"`);
        else {
            const bad = checkPointer(item.path, "path", opWhere);
            if (bad) out.push(bad);
        }
        if ((op === "add" || op === "replace" || op === "test") && !("value" in item))
            out.push(`${opWhere} has no value; ${op} needs one`);
        if (op === "move" || op === "copy") {
            if (!("from" in item))
                out.push(`${opWhere} has no from; ${op} needs the JSON pointer it takes the value from`);
            else {
                const bad = checkPointer(item.from, "from", opWhere);
                if (bad) out.push(bad);
            }
        }
    });
    return out;
}

/**
 * Talos applies a JSON patch only to a single-document machine config ("JSON6902 patches are not supported
 * for multi-document machine configuration"). Once an earlier patch in the list added a document (the
 * program's own HostnameConfig comes before every node's patches), the config is multi-document and a JSON
 * patch would fail half-way through an `up`.
 */
function jsonPatchOnMultiDoc(ops: unknown[], added: ReadonlySet<string>): string[] {
    if (added.size === 0) return [];
    const doc = [...added][0].replace(/\/$/, "").replace("/", " ");
    const first = ops.find(
        (o): o is Record<string, unknown> =>
            isObject(o) &&
            typeof o.op === "string" &&
            ["add", "replace", "remove"].includes(o.op) &&
            typeof o.path === "string" &&
            o.path.startsWith("/"),
    );
    const setting = first
        ? renderPath(pointerSegments(first.path as string).map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg)))
        : "";
    const hint = !first
        ? ""
        : first.op === "remove"
          ? ` (e.g. "$patch: delete" under ${setting})`
          : ` (e.g. ${setting} as nested keys)`;
    return [
        `Talos applies JSON patches (RFC 6902) only to a single-document machine config, and this one has ` +
            `other documents (${doc}, from an earlier patch), so the provider would refuse it with "JSON6902 patches ` +
            `are not supported for multi-document machine configuration"; write it as a strategic-merge YAML patch instead${hint}`,
    ];
}

// ---------------------------------------------------------------------------------------------------------
// Two passes over each patch. The schema-free pass (YAML syntax, JSON-patch shape, JSON patches on a
// multi-document config, documents touched twice, the hostname conflict, directives) needs nothing but the
// text and runs always, also when the Talos config schema cannot be had. The schema pass (settings, kinds,
// apiVersions, types, JSON-patch targets) runs when the schema is there.

/** A patch read once for both passes. */
type ParsedPatch =
    | { form: "skip" }
    | { form: "syntax"; errors: YAML.YAMLError[] }
    | { form: "json"; ops: unknown[] }
    | { form: "mixed" }
    | { form: "documents"; docs: Json[] };

function parsePatch(text: string): ParsedPatch {
    if (text.trim().startsWith("@")) return { form: "skip" }; // a file the provider reads itself
    // `merge`: Go's yaml.v3 (which Talos decodes with) resolves `<<: *anchor` merge keys, so resolve them too.
    const parsed = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, merge: true });
    const list = Array.isArray(parsed) ? parsed : [parsed];
    const errors = list.flatMap((d) => d.errors);
    if (errors.length > 0) return { form: "syntax", errors };
    const docs: Json[] = [];
    for (const d of list) {
        if (d.contents === null) continue;
        const v = d.toJS({ maxAliasCount: 1000 }) as Json;
        if (v === null || v === undefined) continue; // an empty document (e.g. a trailing ---)
        docs.push(v);
    }
    if (docs.length === 0) return { form: "skip" };
    if (docs.length === 1 && Array.isArray(docs[0])) return { form: "json", ops: docs[0] };
    if (docs.some(Array.isArray)) return { form: "mixed" };
    return { form: "documents", docs };
}

/** Every `$patch` directive other than `delete`, wherever it stands in the document. */
function directiveProblems(doc: Json): string[] {
    const out: string[] = [];
    const visit = (node: Json, at: (string | number)[]): void => {
        if (Array.isArray(node)) {
            node.forEach((item, i) => visit(item, [...at, i]));
            return;
        }
        if (!isObject(node)) return;
        if ("$patch" in node && node.$patch !== "delete") {
            out.push(
                `${renderPath([...at, "$patch"])}: the only strategic-merge directive Talos supports is "$patch: delete"`,
            );
        }
        for (const [k, v] of Object.entries(node)) if (k !== "$patch") visit(v, [...at, k]);
    };
    visit(doc, []);
    return out;
}

interface DocShape {
    problems: string[];
    /** Identity of the document touched (`Kind/name`, `main`), to catch a patch touching one document twice. */
    identity?: string;
    description?: string;
    /** False when the document is too malformed for the schema pass to say anything more. */
    schemaCheck: boolean;
}

/** The schema-free rules of one document. */
function documentShape(value: Json, added: ReadonlySet<string>): DocShape {
    if (!isObject(value)) {
        return {
            problems: [
                `must be a map of settings (a strategic-merge patch) or a list of JSON-patch operations, got ${describeGot(value)}`,
            ],
            schemaCheck: false,
        };
    }
    const doc = value;
    const { kind, apiVersion } = doc;
    if (kind === undefined) {
        if (apiVersion !== undefined) {
            const hint =
                doc.machine !== undefined || doc.cluster !== undefined
                    ? "the main machine config document has no apiVersion (it uses version: v1alpha1); remove apiVersion"
                    : "add the kind of document this is";
            return { problems: [`apiVersion is set but kind is missing; ${hint}`], schemaCheck: false };
        }
        if (doc.$patch === "delete")
            return { problems: ["$patch: delete cannot remove the main machine config document"], schemaCheck: false };
        const problems: string[] = [];
        const machine = isObject(doc.machine) ? (doc.machine as Record<string, unknown>) : undefined;
        const network = machine && isObject(machine.network) ? machine.network : undefined;
        if (
            added.has("HostnameConfig/") &&
            network &&
            typeof network.hostname === "string" &&
            network.hostname !== ""
        ) {
            problems.push(
                "machine.network.hostname cannot be set here: an earlier patch added a HostnameConfig document, and " +
                    'Talos refuses a hostname in both ("static hostname is already set in v1alpha1 config"); set the hostname ' +
                    "in the HostnameConfig document instead (for a node of this stack: its hostname setting in homelab:nodes)",
            );
        }
        problems.push(...directiveProblems(doc));
        return { problems, identity: "main", description: "the main machine config document", schemaCheck: true };
    }
    if (typeof kind !== "string") {
        return {
            problems: [
                `kind must be the name of a Talos document kind, e.g. kind: ExtensionServiceConfig, got ${describeGot(kind)}`,
            ],
            schemaCheck: false,
        };
    }
    const prefix = kindPrefix(doc);
    const problems: string[] = [];
    if (apiVersion === undefined) {
        problems.push(
            `${prefix}apiVersion is missing; every ${kind} document needs one (apiVersion: v1alpha1 for every document kind of Talos 1.10 to 1.13)`,
        );
    }
    if (doc.$patch !== "delete") problems.push(...directiveProblems(doc).map((p) => prefix + p));
    const name = typeof doc.name === "string" ? doc.name : undefined;
    return {
        problems,
        identity: `${kind}/${name ?? ""}`,
        description: `the ${kind}${name !== undefined ? ` ${JSON.stringify(name)}` : ""} document`,
        schemaCheck: true,
    };
}

/** Records the documents a patch adds (or deletes), for the patches after it. */
function recordDocuments(parsed: ParsedPatch, added: Set<string>): void {
    if (parsed.form !== "documents") return;
    for (const value of parsed.docs) {
        const v = value as { [k: string]: Json };
        if (!isObject(value) || typeof v.kind !== "string") continue;
        const identity = `${v.kind}/${typeof v.name === "string" ? v.name : ""}`;
        if (v.$patch === "delete") added.delete(identity);
        else added.add(identity);
    }
}

/**
 * The schema-free pass over one patch (messages without label). `added`: the documents earlier patches of
 * the same node added.
 */
function schemaFreeProblems(parsed: ParsedPatch, added: ReadonlySet<string>): string[] {
    switch (parsed.form) {
        case "skip":
            return [];
        case "syntax":
            return parsed.errors.map(yamlErrorText);
        case "json":
            return [...checkJsonPatch(parsed.ops), ...jsonPatchOnMultiDoc(parsed.ops, added)];
        case "mixed":
            return [
                "a JSON patch (a list of operations) cannot be combined with other documents using ---; put it in a patch of its own",
            ];
        case "documents": {
            const out: string[] = [];
            const touched = new Map<string, number>();
            parsed.docs.forEach((v, i) => {
                const shape = documentShape(v, added);
                const docLabel = parsed.docs.length > 1 ? `document ${i + 1}: ` : "";
                out.push(...shape.problems.map((p) => docLabel + p));
                if (shape.identity === undefined) return;
                const first = touched.get(shape.identity);
                if (first !== undefined) {
                    out.push(
                        `documents ${first + 1} and ${i + 1} both patch ${shape.description}; a single patch may touch a document only once — merge them or split the patch`,
                    );
                } else touched.set(shape.identity, i);
            });
            return out;
        }
    }
}

/** The schema pass over one patch (messages without label). */
function schemaPassProblems(parsed: ParsedPatch, c: Compiled, added: ReadonlySet<string>): string[] {
    if (parsed.form === "json") return checkJsonPatchTargets(parsed.ops, c);
    if (parsed.form !== "documents") return [];
    const out: string[] = [];
    parsed.docs.forEach((v, i) => {
        if (!documentShape(v, added).schemaCheck) return;
        const docLabel = parsed.docs.length > 1 ? `document ${i + 1}: ` : "";
        out.push(...documentSchemaProblems(v, c, added).map((p) => docLabel + p));
    });
    return out;
}

/**
 * Problems of one patch (empty = fine). Every message starts with `label: ` and ends with the patch's first
 * line, e.g. `nodes[0].patches[1]: machine.instal is not a Talos setting — did you mean machine.install?
 * (patch beginning "machine:")`. Patches that name a file (`@path`) are read by the provider and skipped.
 *
 * `schema` undefined (it could not be fetched): only the schema-free rules run. `added` carries the documents
 * earlier patches of the same node added; this patch's own are added to it.
 */
export function validatePatch(
    label: string,
    text: string,
    schema: TalosConfigSchema | undefined,
    added: Set<string> = new Set(),
): string[] {
    const c = schema ? prepareTalosSchema(schema) : undefined;
    const parsed = parsePatch(text);
    const tail = ` (patch beginning ${JSON.stringify(firstLineOf(text))})`;
    const problems = [...schemaFreeProblems(parsed, added), ...(c ? schemaPassProblems(parsed, c, added) : [])];
    recordDocuments(parsed, added);
    return problems.map((m) => `${label}: ${m}${tail}`);
}

/**
 * All problems of one node's patches, in order (empty = every patch is fine). A document an earlier patch in
 * the list added may be patched partially by a later one (Talos merges them by kind and name), so the later
 * one need not repeat the required fields. `schema` undefined: the schema-free rules only.
 */
export function validatePatches(patches: readonly LabelledPatch[], schema: TalosConfigSchema | undefined): string[] {
    const added = new Set<string>();
    return patches.flatMap((p) => validatePatch(p.label, p.text, schema, added));
}
