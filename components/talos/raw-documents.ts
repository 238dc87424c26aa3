/**
 * Documents the Talos provider cannot render, sent as they are (pure; no Pulumi, no I/O).
 *
 * The provider 0.8.1 applies config patches with Talos' machinery v1.13.0 (./documents.ts), which refuses a
 * document of a kind, or with a setting, that came with Talos 1.14. A Talos 1.14 node takes them. So each such
 * document of a node's patches is taken out of its patch ({@link splitPatches}) and appended, as its own YAML
 * document, to the machine config the provider rendered ({@link appendDocuments}); the node decodes all of them.
 *
 * That is exactly what a strategic-merge patch of a whole new document does, as long as no other document of the
 * node has the same kind and name (Talos would merge the two; appended, they are a duplicate Talos refuses) and the
 * document deletes nothing (`$patch: delete` needs something to merge into). {@link rawDocumentProblems} refuses
 * those at preview, naming the patch and the fix.
 */
import * as YAML from "yaml";
import { providerCannotRender } from "./documents";
import type { LabelledPatch } from "./validate";

/** One node's patches, split: what goes to the provider as patches, and the documents appended as they are. */
export interface SplitPatches {
    /** Patches for the provider, in order; a patch whose every document went raw is left out. */
    patches: LabelledPatch[];
    /** Documents the provider cannot render, in order, each as YAML text without `---`. */
    raw: { label: string; text: string; why: string }[];
}

interface ParsedDoc {
    text: string;
    value: unknown;
}

/** The documents of a strategic-merge patch, or undefined for what is not one (JSON patch, `@file`, bad YAML). */
function documentsOf(text: string): ParsedDoc[] | undefined {
    if (text.trim().startsWith("@")) return undefined;
    const docs = YAML.parseAllDocuments(text, { merge: true });
    const list = Array.isArray(docs) ? docs : [docs];
    if (list.some((d) => d.errors.length > 0)) return undefined;
    const out: ParsedDoc[] = [];
    for (const d of list) {
        const value: unknown = d.toJS({ maxAliasCount: 1000 });
        if (value === null || value === undefined) continue;
        if (Array.isArray(value)) return undefined; // a JSON patch
        out.push({ text: d.toString({ lineWidth: 0 }).replace(/^---\n/, ""), value });
    }
    return out;
}

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x);

/** Splits one node's patches: the documents the provider cannot render are taken out (see the file comment). */
export function splitPatches(patches: readonly LabelledPatch[]): SplitPatches {
    const out: SplitPatches = { patches: [], raw: [] };
    for (const p of patches) {
        const docs = documentsOf(p.text);
        const why = docs?.map((d) => (isRecord(d.value) ? providerCannotRender(d.value) : undefined));
        if (!docs || !why || why.every((w) => w === undefined)) {
            out.patches.push(p);
            continue;
        }
        docs.forEach((d, i) => {
            if (why[i] !== undefined) out.raw.push({ label: p.label, text: d.text, why: why[i] });
        });
        const kept = docs.filter((_, i) => why[i] === undefined);
        if (kept.length > 0) out.patches.push({ ...p, text: kept.map((d) => d.text).join("---\n") });
    }
    return out;
}

/** `kind/name` of a kind document (the identity Talos merges documents by), else undefined. */
function identity(value: unknown): string | undefined {
    if (!isRecord(value) || typeof value.kind !== "string") return undefined;
    return `${value.kind}/${typeof value.name === "string" ? value.name : ""}`;
}

/**
 * Why one node's patches cannot be sent as {@link splitPatches} splits them (empty = they can): a document sent
 * as it is that deletes, or that another document of the node also defines.
 */
export function rawDocumentProblems(patches: readonly LabelledPatch[]): string[] {
    const problems: string[] = [];
    const all: { label: string; id?: string; raw?: string }[] = [];
    for (const p of patches) {
        const docs = documentsOf(p.text) ?? [];
        for (const d of docs) {
            const why = isRecord(d.value) ? providerCannotRender(d.value) : undefined;
            all.push({ label: p.label, id: identity(d.value), raw: why });
            if (why !== undefined && JSON.stringify(d.value).includes('"$patch":"delete"')) {
                problems.push(
                    `${p.label}: "$patch: delete" in a document the Talos provider 0.8.1 cannot render (${why}): the ` +
                        "program sends such a document as it is, with nothing to delete from; remove the document instead",
                );
            }
        }
    }
    all.forEach((d, i) => {
        if (d.raw === undefined || d.id === undefined) return;
        const other = all.find((e, j) => j !== i && e.id === d.id);
        if (other) {
            problems.push(
                `${d.label}: ${d.id.replace(/\/$/, "")} is also in ${other.label}; the Talos provider 0.8.1 cannot merge it ` +
                    `(${d.raw}, and its Talos machinery is v1.13.0), so the program sends it as it is: write it in one patch`,
            );
        }
    });
    return problems;
}

/** The provider's machine config with the raw documents appended (each its own YAML document). */
export function appendDocuments(machineConfiguration: string, raw: readonly string[]): string {
    if (raw.length === 0) return machineConfiguration;
    const base = machineConfiguration.endsWith("\n") ? machineConfiguration : `${machineConfiguration}\n`;
    return base + raw.map((t) => `---\n${t.endsWith("\n") ? t : `${t}\n`}`).join("");
}
