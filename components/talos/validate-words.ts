/**
 * The words and paths of the patch checks' messages (pure), shared by the schema-free rules (./validate.ts) and the
 * schema's explanations (./validate-schema.ts): what a value is in plain words, setting paths as users write them
 * (`machine.install.disk`, `configFiles[0].mountPath`), JSON pointers, and the document a message is about.
 */

/** How many names a message lists before it says how many more there are. */
const MAX_LISTED = 12;

/** A value as YAML and JSON parse to. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** A node of a JSON schema. */
export type SchemaNode = Record<string, unknown>;

/** A map (not a list, not null). */
export function isObject(x: unknown): x is Record<string, unknown> {
    return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The operations of an RFC 6902 JSON patch. */
export const JSON_PATCH_OPS = ["add", "remove", "replace", "move", "copy", "test"];
/** What YAML 1.1 (and so Talos' yaml.v3 decoding into a boolean) reads as true or false. */
export const YAML11_BOOLEANS = new Set(["y", "yes", "n", "no", "on", "off", "true", "false"]);

/** `{ $patch: delete }` — the strategic-merge directive that removes the setting it stands in for. */
export function isDeleteDirective(x: unknown): boolean {
    return isObject(x) && x.$patch === "delete" && Object.keys(x).length === 1;
}

/** `a` or `an`. */
export function article(word: string): string {
    return /^[aeiou]/i.test(word) ? "an" : "a";
}

/** Names separated by commas, at most {@link MAX_LISTED} of them. */
export function listWords(words: readonly string[]): string {
    if (words.length <= MAX_LISTED) return words.join(", ");
    return `${words.slice(0, MAX_LISTED).join(", ")}, … (${words.length - MAX_LISTED} more)`;
}

/** What a JSON-schema type wants, in plain words. */
export function describeExpected(type: string, schemaNode?: SchemaNode): string {
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
export function describeGot(data: unknown): string {
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
export function quoteValue(v: unknown): string {
    return JSON.stringify(v)?.replace(/\/\/[^/@\s"]*@/g, "//…@") ?? String(v);
}

/** What a pattern of the Talos schema wants, in plain words. */
export function describePattern(pattern: string): string {
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
export function renderPath(segments: readonly (string | number)[]): string {
    let out = "";
    for (const s of segments) {
        if (typeof s === "number") out += `[${s}]`;
        else if (SAFE_KEY.test(s)) out += out === "" ? s : `.${s}`;
        else out += `[${JSON.stringify(s)}]`;
    }
    return out;
}

/** Turns an ajv instancePath into typed segments, using the data to tell list indexes from keys. */
export function pathSegments(doc: unknown, pointer: string): (string | number)[] {
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

/** One segment of a JSON pointer, escaped (`~` → `~0`, `/` → `~1`). */
export function escapePointer(seg: string): string {
    return seg.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The unescaped segments of a JSON pointer. */
export function pointerSegments(p: string): string[] {
    return p
        .split("/")
        .slice(1)
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A JSON pointer from its segments. */
export function renderPointer(segs: readonly string[]): string {
    return segs.map((s) => "/" + escapePointer(s)).join("");
}

/** `Kind "name": ` for a kind document, "" for the main document. */
export function kindPrefix(doc: { [k: string]: Json }): string {
    return typeof doc.kind === "string"
        ? `${doc.kind}${typeof doc.name === "string" ? ` ${JSON.stringify(doc.name)}` : ""}: `
        : "";
}
