/**
 * Checks Talos machine-config patches (pure; no I/O), in two passes per patch:
 *   - schema-free rules, which run always, also when the Talos config schema cannot be fetched: YAML that
 *     does not parse, the shape of RFC 6902 JSON patches, a JSON patch after a patch that added a document,
 *     a JSON patch mixed with `---` documents, a document touched twice by one patch, `apiVersion` without
 *     `kind` (and the reverse), deleting the main document, `machine.network.hostname` after a
 *     HostnameConfig, and `$patch` directives other than `delete`;
 *   - schema rules, against the Talos config JSON schema of the cluster's release: settings, document kinds,
 *     apiVersions, value types and JSON-patch targets.
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
 * RFC 6902 JSON patches are checked for shape (op, path, value, from), and refused after a patch that added a
 * document (Talos applies JSON patches only to a single-document config; see {@link jsonPatchOnMultiDoc}). Beyond the shape, since Talos applies
 * them to the main document, their paths are walked through that document's schema (a typo'd segment gets a
 * suggestion; free-form maps and deprecated settings end the walk) and the value of add/replace/test is
 * validated against the setting the path points at.
 *
 * The schema generator omits every field Talos marks `docgen:nodoc` (deprecated settings it still decodes):
 * in v1.12.1 `machine.network` lists only `kubespan`, yet `machine.network.hostname`, `interfaces`,
 * `nameservers`, ... still work. Those settings ({@link DEPRECATED_SETTINGS}, read from Talos'
 * v1alpha1_types.go) are accepted without checking their contents, so the checker never rejects a patch
 * Talos would apply.
 */
import { closest } from "../words";
import Ajv2020 from "ajv/dist/2020";
import type { ErrorObject, ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as YAML from "yaml";

/** A parsed JSON schema (the Talos config schema). */
export type TalosConfigSchema = Record<string, unknown>;

/** One patch as the program sends it to the Talos provider. */
export interface LabelledPatch {
    /** Where the patch comes from, e.g. `nodes[0].patches[1]`; starts every message about it. */
    label: string;
    /** The patch text: strategic-merge YAML (may be multi-document) or an RFC 6902 JSON patch. */
    text: string;
    /** True when the text holds a secret (the UPS password); false or absent for anything safe to log. */
    secret?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type SchemaNode = Record<string, unknown>;

interface KindBranch {
    kind: string;
    apiVersions: string[];
    ref: string;
}

interface Compiled {
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
 * Settings of the main document that Talos still decodes but the published schema leaves out (fields marked
 * `docgen:nodoc` in pkg/machinery/config/types/v1alpha1/v1alpha1_types.go), keyed by `$defs` name.
 */
export const DEPRECATED_SETTINGS: Readonly<Record<string, readonly string[]>> = {
    "v1alpha1.Config": ["persist"],
    "v1alpha1.MachineConfig": ["disks", "time", "registries", "systemDiskEncryption"],
    "v1alpha1.ClusterConfig": ["allowSchedulingOnMasters"],
    "v1alpha1.NetworkConfig": [
        "hostname",
        "interfaces",
        "nameservers",
        "searchDomains",
        "extraHostEntries",
        "kubespan",
        "disableSearchDomain",
    ],
    "v1alpha1.InstallConfig": ["extraKernelArgs", "extensions", "bootloader"],
    "v1alpha1.APIServerConfig": ["disablePodSecurityPolicy"],
    "v1alpha1.EtcdConfig": ["subnet"],
    "v1alpha1.FeaturesConfig": ["rbac", "stableHostname", "apidCheckExtKeyUsage"],
};

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

/** `{ $patch: delete }` — the strategic-merge directive that removes the setting it stands in for. */
function isDeleteDirective(x: unknown): boolean {
    return isObject(x) && x.$patch === "delete" && Object.keys(x).length === 1;
}

function addDeprecatedSettings(root: SchemaNode): void {
    const defs = defsOf(root);
    for (const [defName, keys] of Object.entries(DEPRECATED_SETTINGS)) {
        const def = defs[defName];
        if (!isObject(def) || !isObject(def.properties)) continue;
        for (const k of keys) if (!(k in def.properties)) def.properties[k] = { deprecated: true };
    }
}

const JSON_PATCH_OPS = ["add", "remove", "replace", "move", "copy", "test"];
const YAML11_BOOLEANS = new Set(["y", "yes", "n", "no", "on", "off", "true", "false"]);
const MAX_LISTED = 12;

// ---------------------------------------------------------------------------------------------------------
// Schema layout

function isObject(x: unknown): x is Record<string, unknown> {
    return typeof x === "object" && x !== null && !Array.isArray(x);
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
 * Prepares (once per schema object) the ajv instance and the document-kind layout. Throws when ajv cannot
 * compile the schema; schema.ts uses that to refuse caching a download that is not a usable schema.
 */
export function prepareTalosSchema(schema: TalosConfigSchema): void {
    compiled(schema);
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
    const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true, validateSchema: false });
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

// ---------------------------------------------------------------------------------------------------------
// Words

function article(word: string): string {
    return /^[aeiou]/i.test(word) ? "an" : "a";
}

function listWords(words: readonly string[]): string {
    if (words.length <= MAX_LISTED) return words.join(", ");
    return `${words.slice(0, MAX_LISTED).join(", ")}, … (${words.length - MAX_LISTED} more)`;
}

function describeExpected(type: string, schemaNode?: SchemaNode): string {
    switch (type) {
        case "string":
            return "a string";
        case "integer":
            return "a whole number";
        case "number":
            return "a number";
        case "boolean":
            return "true or false";
        case "array":
            return "a list";
        case "object":
            return schemaNode && isObject(schemaNode.properties) ? "a map of settings" : "a map";
        case "null":
            return "empty";
        default:
            return type;
    }
}

/** What the data is, in plain words. Strings are not quoted (they may be secrets), except numeric-looking ones. */
function describeGot(data: unknown): string {
    if (Array.isArray(data)) return "a list";
    if (data === null || data === undefined) return "nothing";
    if (typeof data === "object") return "a map";
    if (typeof data === "boolean") return String(data);
    if (typeof data === "number") return Number.isInteger(data) ? `the number ${data}` : `the fraction ${data}`;
    if (typeof data === "string") {
        if (/^-?\d+(\.\d+)?$/.test(data)) return `the quoted text "${data}" (remove the quotes)`;
        if (data === "true" || data === "false") return `the quoted text "${data}" (remove the quotes)`;
        return "a string";
    }
    return typeof data;
}

/** A value quoted for a message, with URL credentials (`//user:pass@`) blanked. */
function quoteValue(v: unknown): string {
    return JSON.stringify(v)?.replace(/\/\/[^/@\s"]*@/g, "//…@") ?? String(v);
}

function describePattern(pattern: string): string {
    if (pattern.includes("[nuµm]?s|m|h")) return "a duration like 30s, 5m or 1h30m";
    if (pattern === "^[0-9a-f.:]+/\\d{1,3}$") return "an address with a prefix length, like 192.168.1.10/24";
    if (pattern === "^[0-9a-f.:]+$") return "an IP address (lower-case hex for IPv6)";
    if (pattern === "^[0-9a-f:]+$") return "a MAC address in lower case, like 00:11:22:33:44:55";
    const scheme = /^\^\(([a-z|]+)\)(?::\/\/)?/.exec(pattern);
    if (scheme && pattern.includes("://"))
        return `a URL starting with ${scheme[1]
            .split("|")
            .map((s) => `${s}://`)
            .join(" or ")}`;
    const prefix = /^\^([a-z]+):\/\/$/.exec(pattern);
    if (prefix) return `a URL starting with ${prefix[1]}://`;
    return `text matching the pattern ${pattern}`;
}

const SAFE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Renders a path like `machine.install.disk`, `configFiles[0].mountPath` or `machine.sysctls["net.ipv4.ip_forward"]`. */
function renderPath(segments: readonly (string | number)[]): string {
    let out = "";
    for (const s of segments) {
        if (typeof s === "number") out += `[${s}]`;
        else if (SAFE_KEY.test(s)) out += out === "" ? s : `.${s}`;
        else out += `[${JSON.stringify(s)}]`;
    }
    return out;
}

/** Turns an ajv instancePath into typed segments, using the data to tell list indexes from keys. */
function pathSegments(doc: unknown, pointer: string): (string | number)[] {
    const out: (string | number)[] = [];
    let node: unknown = doc;
    for (const raw of pointer.split("/").slice(1)) {
        const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        if (Array.isArray(node)) {
            const i = Number(seg);
            out.push(i);
            node = node[i];
        } else {
            out.push(seg);
            node = isObject(node) ? node[seg] : undefined;
        }
    }
    return out;
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

// ---------------------------------------------------------------------------------------------------------
// Schema errors → sentences

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
    const data = e.data as unknown;
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

// ---------------------------------------------------------------------------------------------------------
// Patches

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

function escapePointer(seg: string): string {
    return seg.replace(/~/g, "~0").replace(/\//g, "~1");
}

function pointerSegments(p: string): string[] {
    return p
        .split("/")
        .slice(1)
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function renderPointer(segs: readonly string[]): string {
    return segs.map((s) => "/" + escapePointer(s)).join("");
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
function checkJsonPatchTargets(ops: unknown[], c: Compiled): string[] {
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

/** `Kind "name": ` for a kind document, "" for the main document. */
function kindPrefix(doc: { [k: string]: Json }): string {
    return typeof doc.kind === "string"
        ? `${doc.kind}${typeof doc.name === "string" ? ` ${JSON.stringify(doc.name)}` : ""}: `
        : "";
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
    const doc = value as { [k: string]: Json };
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
        const network = machine && isObject(machine.network) ? (machine.network as Record<string, unknown>) : undefined;
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

/** The schema rules of one document (after {@link documentShape} found it well-formed enough). */
function documentSchemaProblems(value: Json, c: Compiled, added: ReadonlySet<string>): string[] {
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
    const c = schema ? compiled(schema) : undefined;
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
