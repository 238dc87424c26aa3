/**
 * A node's own patches (`nodes[i].patches`) checked when the stack config is parsed, without the Talos config schema
 * and without the network (pure): the schema-free rules of ./validate.ts as they apply after the program's own patches
 * (a HostnameConfig document comes before every node's patches, so the machine config is multi-document), and a patch
 * that contradicts a value the program sets from the stack (install disk or selector, installer image, hostname),
 * refused naming both keys rather than silently winning. The schema half runs at `preview` (./schema.ts).
 */
import * as YAML from "yaml";
import { validatePatch } from "./validate";

/** What of a node the program's own patches set (./patches.ts). */
export interface PatchedNode {
    hostname: string;
    installDisk?: string;
    installDiskSelector?: object;
}

/** Every problem of the node's patches; `path` is the node's key path (`nodes[0]`), each message starts with its patch's. */
export function nodePatchProblems(path: string, node: PatchedNode, patches: readonly string[]): string[] {
    // What the program's own patches add before these (renderNodePatches): the HostnameConfig document.
    const added = new Set(["HostnameConfig/"]);
    return patches.flatMap((text, j) => {
        const label = `${path}.patches[${j}]`;
        return [
            ...validatePatch(label, text, undefined, added),
            ...contradictions(path, node, text).map((m) => `${label}: ${m}`),
        ];
    });
}

type Doc = Record<string, unknown>;

function isDoc(v: unknown): v is Doc {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

/** The documents of a strategic-merge patch; none when it does not parse (reported by the schema-free rules). */
function documents(text: string): Doc[] {
    if (text.trim().startsWith("@")) return []; // a file the provider reads itself
    const list = YAML.parseAllDocuments(text, { uniqueKeys: true, merge: true });
    const docs = Array.isArray(list) ? list : [list];
    if (docs.some((d) => d.errors.length > 0)) return [];
    return docs.map((d) => d.toJS({ maxAliasCount: 1000 }) as unknown).filter(isDoc);
}

const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** Two disk selectors with the same settings (as the program renders them: set values, as text). */
function sameSelector(a: unknown, b: unknown): boolean {
    const entries = (v: unknown) =>
        Object.entries(isDoc(v) ? v : {})
            .filter(([, x]) => x !== undefined && x !== null && x !== "")
            .map(([k, x]) => `${k}=${String(x)}`)
            .sort()
            .join("\n");
    return entries(a) === entries(b);
}

/** What in one patch contradicts what the program sets from the node's settings (messages without the label). */
function contradictions(path: string, node: PatchedNode, patchText: string): string[] {
    const out: string[] = [];
    for (const doc of documents(patchText)) {
        if (doc.kind === undefined) {
            const machine = isDoc(doc.machine) ? doc.machine : undefined;
            const install = machine && isDoc(machine.install) ? machine.install : undefined;
            if (install) out.push(...installContradictions(path, node, install));
        } else if (doc.kind === "HostnameConfig") {
            if (doc.$patch === "delete") {
                out.push(
                    `deletes the HostnameConfig document the program sets from ${path}.hostname (${node.hostname}); ` +
                        "remove that document from the patch",
                );
            } else if (doc.hostname !== undefined && doc.hostname !== node.hostname) {
                out.push(
                    `HostnameConfig hostname ${text(doc.hostname)} contradicts ${path}.hostname (${node.hostname}), which the ` +
                        `program sets; change ${path}.hostname instead and remove the hostname from the patch`,
                );
            }
        }
    }
    return out;
}

function installContradictions(path: string, node: PatchedNode, install: Doc): string[] {
    const out: string[] = [];
    const owned = (key: string) =>
        `which the program sets; change ${key} instead and remove machine.install.${key.endsWith("Selector") ? "diskSelector" : "disk"} from the patch`;
    if (install.disk !== undefined) {
        if (node.installDisk === undefined) {
            out.push(
                `machine.install.disk ${text(install.disk)} contradicts ${path}.installDiskSelector, which the program sets ` +
                    `(Talos takes a disk or a selector, not both); to name the disk, set ${path}.installDisk instead of the ` +
                    "selector and remove machine.install.disk from the patch",
            );
        } else if (install.disk !== node.installDisk) {
            out.push(
                `machine.install.disk ${text(install.disk)} contradicts ${path}.installDisk (${node.installDisk}), ` +
                    owned(`${path}.installDisk`),
            );
        }
    }
    if (install.diskSelector !== undefined) {
        if (node.installDisk !== undefined) {
            out.push(
                `machine.install.diskSelector contradicts ${path}.installDisk (${node.installDisk}), which the program sets ` +
                    `(Talos takes a disk or a selector, not both); to select the disk, set ${path}.installDiskSelector ` +
                    "instead of installDisk and remove machine.install.diskSelector from the patch",
            );
        } else if (!sameSelector(install.diskSelector, node.installDiskSelector)) {
            out.push(
                `machine.install.diskSelector ${text(install.diskSelector)} contradicts ${path}.installDiskSelector ` +
                    `(${text(node.installDiskSelector)}), ${owned(`${path}.installDiskSelector`)}`,
            );
        }
    }
    if (install.image !== undefined) {
        out.push(
            `machine.install.image ${text(install.image)} contradicts the installer image the program sets (the Image ` +
                "Factory's installer of the PXE boot image's schematic, from image.extensions, image.extraKernelArgs and " +
                "cluster.talosVersion); remove it from the patch and change those settings instead",
        );
    }
    return out;
}
