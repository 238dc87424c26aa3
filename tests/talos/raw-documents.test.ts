/** Documents the Talos provider 0.8.1 cannot render, sent as they are (components/talos/raw-documents.ts). */
import { parseAllDocuments } from "yaml";
import { appendDocuments, rawDocumentProblems, splitPatches } from "../../components/talos/raw-documents";

const SECURITY = "apiVersion: v1alpha1\nkind: SecurityProfileConfig\nworkloadIsolation: true\n";
const LABELS = "machine:\n  nodeLabels:\n    a: b\n";
const RESOLVER_14 = "apiVersion: v1alpha1\nkind: ResolverConfig\nhostDNS:\n  enabled: true\n";
const RESOLVER_13 = "apiVersion: v1alpha1\nkind: ResolverConfig\nnameservers:\n  - address: 1.1.1.1\n";

describe("splitPatches", () => {
    test("patches the provider renders pass as they are, in order", () => {
        const patches = [
            { label: "a", text: LABELS },
            { label: "b", text: RESOLVER_13 },
            { label: "c", text: "[{op: add, path: /machine/x, value: 1}]" },
            { label: "d", text: "@file.yaml" },
        ];
        expect(splitPatches(patches)).toEqual({ patches, raw: [] });
    });

    test("a 1.14 document leaves its patch; the rest of that patch stays a patch", () => {
        const { patches, raw } = splitPatches([
            { label: "nodes[0].patches[0]", text: `${LABELS}---\n${SECURITY}` },
            { label: "nodes[0].patches[1]", text: RESOLVER_14 },
        ]);
        expect(patches.map((p) => [p.label, p.text])).toEqual([["nodes[0].patches[0]", LABELS]]);
        expect(raw).toEqual([
            { label: "nodes[0].patches[0]", text: SECURITY, why: "SecurityProfileConfig is a Talos 1.14 document" },
            { label: "nodes[0].patches[1]", text: RESOLVER_14, why: "ResolverConfig.hostDNS came with Talos 1.14" },
        ]);
    });
});

describe("rawDocumentProblems", () => {
    test("none for documents sent once", () => {
        expect(
            rawDocumentProblems([
                { label: "x", text: SECURITY },
                { label: "y", text: LABELS },
            ]),
        ).toEqual([]);
    });

    test("a document sent as it is that another patch also defines: write it once", () => {
        const [p] = rawDocumentProblems([
            { label: "nodes[0].patches[0]", text: RESOLVER_13 },
            { label: "nodes[0].patches[1]", text: RESOLVER_14 },
        ]);
        expect(p).toContain("nodes[0].patches[1]: ResolverConfig is also in nodes[0].patches[0]");
        expect(p).toContain("write it in one patch");
    });

    test("a delete in such a document: there is nothing to delete from", () => {
        const [p] = rawDocumentProblems([
            { label: "z", text: "apiVersion: v1alpha1\nkind: SecurityProfileConfig\n$patch: delete\n" },
        ]);
        expect(p).toContain('z: "$patch: delete" in a document the Talos provider 0.8.1 cannot render');
    });
});

test("appendDocuments: each document its own, after the provider's", () => {
    const out = appendDocuments("version: v1alpha1\nmachine: {}\n---\napiVersion: v1alpha1\nkind: HostnameConfig\n", [
        SECURITY,
        RESOLVER_14.trimEnd(),
    ]);
    const docs = parseAllDocuments(out).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => d.kind ?? d.version)).toEqual([
        "v1alpha1",
        "HostnameConfig",
        "SecurityProfileConfig",
        "ResolverConfig",
    ]);
    expect(appendDocuments("x: 1", [])).toBe("x: 1");
});
