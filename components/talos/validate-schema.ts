/**
 * The schema pass of the patch checks (./validate.ts): the Talos config JSON schema of the cluster's release,
 * compiled once with ajv, and its errors turned into sentences (pure; no I/O).
 *
 * The published schema (`pkg/machinery/config/schemas/config.schema.json`) is a draft 2020-12 schema whose
 * root is a `oneOf` over `$ref`s into `$defs`: one branch per document kind (each with `kind` and
 * `apiVersion` enums) plus the kind-less `v1alpha1.Config` main document (`version`, `debug`, `machine`,
 * `cluster`). Validating a document against the whole `oneOf` yields a wall of "must match exactly one
 * schema" alternatives, so each document is validated against the one branch its `kind` selects.
 *
 * Patches are partial: the main document's tree has no required keys (they come from the generated base
 * config), so `required` is stripped from every definition reachable from that branch. Kind documents keep
 * their `required` (apiVersion, kind, name, ...), since a document a patch adds must be complete.
 *
 * Leniencies that mirror how Talos (Go, yaml.v3) decodes YAML, so the check never rejects what Talos takes:
 * a number or boolean scalar where the schema wants a string is fine (yaml.v3 decodes any scalar into a
 * string field); `yes`/`no`/`on`/`off` where a boolean goes is fine; `null` leaves a setting at its default;
 * `$patch: delete` is the strategic-merge delete directive.
 *
 * RFC 6902 JSON patches are applied by Talos to the main document: their paths are walked through that document's
 * schema (a typo'd segment gets a suggestion; free-form maps and deprecated settings end the walk) and the value of
 * add/replace/test is validated against the setting the path points at.
 *
 * The schema generator omits every field Talos marks `docgen:nodoc` (deprecated settings it still decodes):
 * in v1.12.1 `machine.network` lists only `kubespan`, yet `machine.network.hostname`, `interfaces`,
 * `nameservers`, ... still work. Those settings ({@link DEPRECATED_SETTINGS}, read from Talos'
 * v1alpha1_types.go) are accepted without checking their contents, so the checker never rejects a patch
 * Talos would apply.
 */
import type Ajv2020 from "ajv/dist/2020";
import type { ErrorObject, ValidateFunction } from "ajv";
import { closest } from "../words";
import { DEPRECATED_SETTINGS, sinceNote } from "./documents";
import {
    article,
    describeExpected,
    describeGot,
    describePattern,
    escapePointer,
    isDeleteDirective,
    isObject,
    Json,
    JSON_PATCH_OPS,
    kindPrefix,
    listWords,
    pathSegments,
    pointerSegments,
    quoteValue,
    renderPath,
    renderPointer,
    SchemaNode,
    YAML11_BOOLEANS,
} from "./validate-words";

/** A parsed JSON schema (the Talos config schema). */
export type TalosConfigSchema = Record<string, unknown>;

interface KindBranch {
    kind: string;
    apiVersions: string[];
    ref: string;
}

/** The schema compiled, with its layout: what the schema pass works with. */
export interface Compiled {
    ajv: Ajv2020;
    root: SchemaNode;
    key: string;
    /** Kind → its branches (normally one, one per apiVersion). */
    kinds: Map<string, KindBranch[]>;
    /** The `$ref` of the kind-less main document (v1alpha1.Config), if the layout has one. */
    mainRef?: string;
    validators: Map<string, ValidateFunction>;
}

const compiledCache = new WeakMap<object, Compiled>();

/**
 * Types the schema describes as an empty object although Talos decodes them from a YAML string (a custom
 * UnmarshalYAML), keyed by `$defs` name: `v1alpha1.Endpoint` is the URL of a logging destination
 * (`endpoint: udp://127.0.0.1:12345/` in the Talos docs).
 */
export const STRING_DECODED_TYPES: readonly string[] = ["v1alpha1.Endpoint"];

function acceptStringDecodedTypes(root: SchemaNode): void {
    const defs = defsOf(root);
    for (const name of STRING_DECODED_TYPES) {
        const def = defs[name];
        if (!isObject(def)) continue;
        defs[name] = { type: "string", description: def.description };
    }
}

function addDeprecatedSettings(root: SchemaNode): void {
    const defs = defsOf(root);
    for (const [defName, keys] of Object.entries(DEPRECATED_SETTINGS)) {
        const def = defs[defName];
        if (!isObject(def) || !isObject(def.properties)) continue;
        for (const k of keys) if (!(k in def.properties)) def.properties[k] = { deprecated: true };
    }
}

function defsOf(root: SchemaNode): Record<string, SchemaNode> {
    return (isObject(root.$defs) ? root.$defs : isObject(root.definitions) ? root.definitions : {}) as Record<
        string,
        SchemaNode
    >;
}

/** Resolves a local `#/...` JSON pointer inside the root schema. */
function resolveRef(root: SchemaNode, ref: string): SchemaNode | undefined {
    if (!ref.startsWith("#")) return undefined;
    let node: unknown = root;
    for (const raw of ref
        .slice(1)
        .split("/")
        .filter((s) => s !== "")) {
        const seg = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
        if (!isObject(node) || !(seg in node)) return undefined;
        node = node[seg];
    }
    return isObject(node) ? node : undefined;
}

/** Follows `$ref` chains (without merging siblings; the Talos schema only puts annotations beside `$ref`). */
function deref(root: SchemaNode, node: SchemaNode | undefined): SchemaNode | undefined {
    let n = node;
    for (let i = 0; n && typeof n.$ref === "string" && i < 20; i++) {
        const target = resolveRef(root, n.$ref);
        if (!target) return n;
        n = target;
    }
    return n;
}

function enumOf(prop: unknown): string[] {
    if (!isObject(prop)) return [];
    if (Array.isArray(prop.enum)) return prop.enum.filter((v: unknown): v is string => typeof v === "string");
    if (typeof prop.const === "string") return [prop.const];
    return [];
}

/**
 * Why this is not a usable Talos config schema, or undefined when it is: an object with `$defs` and a root
 * `oneOf` of `$ref`s that includes the kind-less main document. Used before caching a download.
 */
export function talosSchemaProblem(x: unknown): string | undefined {
    if (!isObject(x)) return "it is not a JSON object";
    if (typeof x.$schema !== "string" || !/json-schema\.org/.test(x.$schema)) return "it has no JSON-schema $schema";
    const defs = defsOf(x);
    if (Object.keys(defs).length === 0) return "it has no $defs";
    if (!Array.isArray(x.oneOf) || x.oneOf.length === 0) return "it has no oneOf over document kinds";
    const { mainRef, kinds } = analyse(x);
    if (!mainRef) return "none of its oneOf branches is the main (v1alpha1) machine config document";
    if (kinds.size === 0) return "none of its oneOf branches has a kind";
    return undefined;
}

function analyse(root: SchemaNode): { kinds: Map<string, KindBranch[]>; mainRef?: string } {
    const kinds = new Map<string, KindBranch[]>();
    let mainRef: string | undefined;
    const branches: unknown[] = Array.isArray(root.oneOf) ? root.oneOf : Array.isArray(root.anyOf) ? root.anyOf : [];
    for (const b of branches) {
        if (!isObject(b) || typeof b.$ref !== "string") continue;
        const def = resolveRef(root, b.$ref);
        if (!def) continue;
        const props = isObject(def.properties) ? def.properties : {};
        const kindNames = enumOf(props.kind);
        if (kindNames.length === 0) {
            if (!mainRef && (props.machine || props.cluster)) mainRef = b.$ref;
            continue;
        }
        const apiVersions = enumOf(props.apiVersion);
        for (const kind of kindNames) {
            const list = kinds.get(kind) ?? [];
            list.push({ kind, apiVersions, ref: b.$ref });
            kinds.set(kind, list);
        }
    }
    return { kinds, mainRef };
}

/** Deletes `required` in every definition reachable from `startRef` (the main document's tree). */
function stripRequired(root: SchemaNode, startRef: string): void {
    const seen = new Set<SchemaNode>();
    const visit = (node: unknown): void => {
        if (Array.isArray(node)) {
            node.forEach(visit);
            return;
        }
        if (!isObject(node) || seen.has(node)) return;
        seen.add(node);
        delete node.required;
        for (const [k, v] of Object.entries(node)) {
            if (k === "$ref" && typeof v === "string") visit(resolveRef(root, v));
            else if (typeof v === "object") visit(v);
        }
    };
    visit(resolveRef(root, startRef));
}

/**
 * Prepares (once per schema object) the ajv instance and the document-kind layout, and returns them. Throws when
 * ajv cannot compile the schema; schema.ts uses that to refuse caching a download that is not a usable schema.
 */
export function prepareTalosSchema(schema: TalosConfigSchema): Compiled {
    return compiled(schema);
}

function compiled(schema: TalosConfigSchema): Compiled {
    const hit = compiledCache.get(schema);
    if (hit) return hit;
    const root = JSON.parse(JSON.stringify(schema)) as SchemaNode;
    const { kinds, mainRef } = analyse(root);
    if (mainRef) stripRequired(root, mainRef);
    addDeprecatedSettings(root);
    acceptStringDecodedTypes(root);
    const key = typeof root.$id === "string" && root.$id ? root.$id : "talos-config.schema.json";
    if (!root.$id) root.$id = key;
    // ajv is loaded here, when a schema is first compiled: a run whose check passed before never needs it (schema.ts).
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, not with this module */
    const Ajv = (require("ajv/dist/2020") as typeof import("ajv/dist/2020")).default;
    const addFormats = (require("ajv-formats") as typeof import("ajv-formats")).default;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(root, key);
    const c: Compiled = { ajv, root, key, kinds, mainRef, validators: new Map() };
    // Compile the main document eagerly so a broken schema fails here, once.
    validatorFor(c, mainRef ?? "#");
    compiledCache.set(schema, c);
    return c;
}

function validatorFor(c: Compiled, ref: string): ValidateFunction {
    let v = c.validators.get(ref);
    if (!v) {
        v = ref === "#" ? c.ajv.getSchema(c.key) : c.ajv.getSchema(c.key + ref);
        if (!v) throw new Error(`the Talos config schema has no definition at ${ref}`);
        c.validators.set(ref, v);
    }
    return v;
}

/**
 * Where else under `node` (a schema object) a key called `key` exists, as relative paths, shallowest first.
 * Catches a right key at the wrong level, e.g. `machine.hostname` for `machine.network.hostname`.
 */
function findKeyBelow(root: SchemaNode, node: SchemaNode | undefined, key: string, maxDepth = 3): string[][] {
    const found: string[][] = [];
    const seen = new Set<SchemaNode>();
    let frontier: { node: SchemaNode; path: string[] }[] = [];
    const start = deref(root, node);
    if (start) frontier.push({ node: start, path: [] });
    for (let depth = 0; depth < maxDepth && frontier.length > 0 && found.length === 0; depth++) {
        const next: typeof frontier = [];
        for (const { node: n, path } of frontier) {
            if (seen.has(n)) continue;
            seen.add(n);
            const props = isObject(n.properties) ? n.properties : {};
            for (const [name, sub] of Object.entries(props)) {
                if (depth > 0 && name.toLowerCase() === key.toLowerCase()) found.push([...path, name]);
                let child = deref(root, sub as SchemaNode);
                if (child && child.type === "array")
                    child = deref(root, isObject(child.items) ? child.items : undefined);
                if (child && isObject(child.properties)) next.push({ node: child, path: [...path, name] });
            }
        }
        frontier = next;
    }
    return found;
}

interface DocContext {
    /** "" for the main document, else e.g. `ExtensionServiceConfig "nut-client": `. */
    prefix: string;
    /** "Talos" for the main document, else the kind. */
    settingOf: string;
    doc: unknown;
    c: Compiled;
    /** Path of `doc` inside the main document (JSON-patch values), else empty. */
    base?: (string | number)[];
    /**
     * The document merges into one an earlier patch added: it may be partial, so only apiVersion, kind
     * and name are required of it.
     */
    partial?: boolean;
}

/** What identifies a document for merging; a partial patch of an existing document still needs these. */
const IDENTITY_KEYS = ["apiVersion", "kind", "name"];

function explain(e: ErrorObject, ctx: DocContext): string | undefined {
    const segs = [...(ctx.base ?? []), ...pathSegments(ctx.doc, e.instancePath)];
    const at = renderPath(segs);
    const subject = at === "" ? (ctx.settingOf === "Talos" ? "the document" : `the ${ctx.settingOf} document`) : at;
    const parent = (e.parentSchema ?? {}) as SchemaNode;
    const data = e.data;
    // `key: {$patch: delete}` removes a map entry or a setting (e.g. a node label, in the Talos docs), so it
    // stands where any type of value goes.
    if (isDeleteDirective(data) && e.keyword !== "additionalProperties") return undefined;
    switch (e.keyword) {
        case "additionalProperties": {
            const key = String((e.params as { additionalProperty: string }).additionalProperty);
            if (key === "$patch") return undefined; // directives are the schema-free pass's
            const full = renderPath([...segs, key]);
            const what =
                ctx.settingOf === "Talos" ? "a Talos setting" : `${article(ctx.settingOf)} ${ctx.settingOf} setting`;
            const allowed = Object.keys(isObject(parent.properties) ? parent.properties : {});
            const since =
                ctx.settingOf === "Talos" || ctx.base
                    ? undefined
                    : sinceNote(
                          ctx.settingOf,
                          [...segs, key].filter((x): x is string => typeof x === "string"),
                      );
            if (since) return `${full} is not ${what} of this Talos release: ${since}`;
            const near = closest(key, allowed);
            if (near) return `${full} is not ${what} — did you mean ${renderPath([...segs, near])}?`;
            const deeper = findKeyBelow(ctx.c.root, parent, key);
            if (deeper.length > 0) {
                const options = deeper.slice(0, 3).map((p) => renderPath([...segs, ...p]));
                return `${full} is not ${what} at this level — did you mean ${options.join(" or ")}?`;
            }
            return allowed.length > 0
                ? `${full} is not ${what}; allowed ${at === "" ? "at the top" : `under ${at}`}: ${listWords(allowed)}`
                : `${full} is not ${what}`;
        }
        case "type": {
            const t = (e.params as { type: string | string[] }).type;
            const types = Array.isArray(t) ? t : [t];
            if (data === null) return undefined;
            if (types.includes("string") && (typeof data === "number" || typeof data === "boolean")) return undefined;
            if (types.includes("boolean") && typeof data === "string" && YAML11_BOOLEANS.has(data.toLowerCase()))
                return undefined;
            return `${subject} must be ${types.map((x) => describeExpected(x, parent)).join(" or ")}, got ${describeGot(data)}`;
        }
        case "enum":
        case "const": {
            const allowed =
                e.keyword === "enum"
                    ? ((e.params as { allowedValues: unknown[] }).allowedValues ?? [])
                    : [(e.params as { allowedValue: unknown }).allowedValue];
            const shown = allowed.map((v) => JSON.stringify(v));
            const near =
                typeof data === "string"
                    ? closest(
                          data,
                          allowed.filter((v): v is string => typeof v === "string"),
                      )
                    : undefined;
            const got = typeof data === "string" ? JSON.stringify(data) : describeGot(data);
            return `${subject} must be ${allowed.length === 1 ? shown[0] : `one of ${listWords(shown)}`}, got ${got}${near ? ` — did you mean ${JSON.stringify(near)}?` : ""}`;
        }
        case "required": {
            const missing = (e.params as { missingProperty: string }).missingProperty;
            if (ctx.settingOf !== "Talos" && e.instancePath === "" && missing === "apiVersion") return undefined; // the schema-free pass's
            if (ctx.partial && e.instancePath === "" && !IDENTITY_KEYS.includes(missing)) return undefined;
            const full = renderPath([...segs, missing]);
            return at === "" && ctx.settingOf !== "Talos"
                ? `${full} is missing; every ${ctx.settingOf} document needs ${listWords((parent.required as string[]) ?? [missing])}`
                : `${full} is missing; ${at === "" ? "the document" : at} needs it`;
        }
        case "pattern": {
            const pattern = String((e.params as { pattern: string }).pattern);
            return `${subject} must be ${describePattern(pattern)}, got ${quoteValue(data)}`;
        }
        case "format": {
            const format = String((e.params as { format: string }).format);
            return `${subject} must be ${format === "uri" ? "a URL" : `a valid ${format}`}, got ${quoteValue(data)}`;
        }
        case "oneOf":
        case "anyOf": {
            const listed = parent[e.keyword];
            const branches: unknown[] = Array.isArray(listed) ? listed : [];
            const words = branches.map((b) => {
                const n = deref(ctx.c.root, b as SchemaNode);
                return n && typeof n.type === "string" ? describeExpected(n.type, n) : "another shape";
            });
            return `${subject} must be ${words.join(" or ")}, got ${describeGot(data)}`;
        }
        default:
            return `${subject} ${e.message ?? "is not valid"}`;
    }
}

/** Runs a validator and turns its errors into sentences (deduplicated, leniencies applied). */
function schemaProblems(validate: ValidateFunction, data: unknown, ctx: DocContext): string[] {
    if (validate(data)) return [];
    const out: string[] = [];
    for (const e of validate.errors ?? []) {
        if (/\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath)) continue; // summarised by the oneOf/anyOf error itself
        if (ctx.settingOf !== "Talos" && (e.instancePath === "/kind" || e.instancePath === "/apiVersion")) continue; // checked before
        const m = explain(e, ctx);
        if (m === undefined) continue;
        const line = ctx.prefix + m;
        if (!out.includes(line)) out.push(line);
    }
    return out;
}

/**
 * Follows a JSON-patch path through the main document's schema. Returns the schema pointer of the target
 * (undefined when the path enters free-form settings) or a problem with a suggestion.
 */
function walkPatchPath(c: Compiled, segs: readonly string[], field: string): { pointer?: string; problem?: string } {
    if (!c.mainRef) return {};
    let pointer = c.mainRef;
    let node = resolveRef(c.root, pointer);
    for (let i = 0; i < segs.length && node; i++) {
        for (let hop = 0; node && typeof node.$ref === "string" && hop < 20; hop++) {
            pointer = node.$ref;
            node = resolveRef(c.root, pointer);
        }
        if (!node) return {};
        const seg = segs[i];
        const here = renderPointer(segs.slice(0, i)) || "/";
        if (node.type === "array" || isObject(node.items)) {
            if (seg !== "-" && !/^(0|[1-9]\d*)$/.test(seg)) {
                return {
                    problem: `${field} ${JSON.stringify(renderPointer(segs))}: ${here} is a list, so ${JSON.stringify(seg)} must be an index (0, 1, …) or - (append)`,
                };
            }
            pointer += "/items";
            node = isObject(node.items) ? node.items : undefined;
            continue;
        }
        const props = isObject(node.properties) ? node.properties : {};
        if (seg in props) {
            pointer += `/properties/${escapePointer(seg)}`;
            node = props[seg] as SchemaNode | undefined;
            continue;
        }
        if (node.additionalProperties !== false || isObject(node.patternProperties)) return {}; // free-form map
        const near = closest(seg, Object.keys(props));
        const deeper = near ? [] : findKeyBelow(c.root, node, seg);
        const fix = near
            ? ` — did you mean ${JSON.stringify(renderPointer([...segs.slice(0, i), near, ...segs.slice(i + 1)]))}?`
            : deeper.length > 0
              ? ` — did you mean ${deeper
                    .slice(0, 3)
                    .map((d) => JSON.stringify(renderPointer([...segs.slice(0, i), ...d, ...segs.slice(i + 1)])))
                    .join(" or ")}?`
              : `; allowed there: ${listWords(Object.keys(props))}`;
        return {
            problem: `${field} ${JSON.stringify(renderPointer(segs))}: ${JSON.stringify(seg)} is not a Talos setting under ${here}${fix}`,
        };
    }
    return node ? { pointer } : {};
}

/** JSON-patch paths checked against the main document's schema, and add/replace/test values against the target. */
export function checkJsonPatchTargets(ops: unknown[], c: Compiled): string[] {
    const out: string[] = [];
    ops.forEach((item, i) => {
        if (!isObject(item) || typeof item.op !== "string" || !JSON_PATCH_OPS.includes(item.op)) return;
        const where = `JSON-patch operation ${i + 1} (${item.op})`;
        const fields = item.op === "move" || item.op === "copy" ? ["from", "path"] : ["path"];
        for (const field of fields) {
            const p = item[field];
            if (typeof p !== "string" || p === "" || !p.startsWith("/") || /~(?![01])/.test(p)) continue; // shape problems are reported already
            const segs = pointerSegments(p);
            const walked = walkPatchPath(c, segs, field);
            if (walked.problem) {
                out.push(`${where}: ${walked.problem}`);
                continue;
            }
            if (
                field !== "path" ||
                !walked.pointer ||
                !("value" in item) ||
                !["add", "replace", "test"].includes(item.op)
            )
                continue;
            const key = `${c.key}#${walked.pointer.slice(1)}`;
            let validate = c.validators.get(key);
            if (!validate) {
                validate = c.ajv.getSchema(key);
                if (!validate) continue;
                c.validators.set(key, validate);
            }
            const base = segs.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
            const ctx: DocContext = { prefix: `${where}: `, settingOf: "Talos", doc: item.value, c, base };
            out.push(...schemaProblems(validate, item.value, ctx));
        }
    });
    return out;
}

/** The schema rules of one document (after the schema-free `documentShape`, ./validate.ts, found it well-formed enough). */
export function documentSchemaProblems(value: Json, c: Compiled, added: ReadonlySet<string>): string[] {
    const doc = value as { [k: string]: Json };
    const { kind, apiVersion } = doc;
    if (kind === undefined) {
        if (!c.mainRef) return [];
        return schemaProblems(validatorFor(c, c.mainRef), doc, { prefix: "", settingOf: "Talos", doc, c });
    }
    const k = kind as string;
    const known = [...c.kinds.keys()].sort();
    if (!c.kinds.has(k)) {
        const near = closest(k, known);
        const since = sinceNote(k);
        if (since) return [`kind ${JSON.stringify(k)} is not a document kind of this Talos release: ${since}`];
        return [
            `kind ${JSON.stringify(k)} is not a Talos document kind${near ? ` — did you mean ${near}?` : ""}; known kinds: ${known.join(", ")}`,
        ];
    }
    const prefix = kindPrefix(doc);
    const branches = c.kinds.get(k)!;
    const problems: string[] = [];
    let branch = branches[0];
    if (apiVersion !== undefined) {
        const match = branches.find((b) => typeof apiVersion === "string" && b.apiVersions.includes(apiVersion));
        if (match) branch = match;
        else {
            const valid = branches.flatMap((b) => b.apiVersions);
            problems.push(
                `${prefix}apiVersion ${typeof apiVersion === "string" ? JSON.stringify(apiVersion) : describeGot(apiVersion)} is not valid for kind ${k}; use apiVersion: ${valid.join(" or ")}`,
            );
        }
    }
    if (doc.$patch === "delete") return problems;
    const name = typeof doc.name === "string" ? doc.name : "";
    const ctx: DocContext = { prefix, settingOf: k, doc, c, partial: added.has(`${k}/${name}`) };
    problems.push(...schemaProblems(validatorFor(c, branch.ref), doc, ctx));
    return problems;
}
