/**
 * The patch check against the config schema of the stack's own Talos minor (the pinned v1.12.1, v1.13.9 and
 * v1.14.0-rc.1 schemas): what the program renders fits each; what only a newer Talos has is refused, naming the minor
 * that has it; and the tables of components/talos/documents.ts are what the pinned schemas say.
 */
import { renderNodePatches } from "../../components/talos/patches";
import {
    DEPRECATED_SETTINGS,
    KINDS_SINCE,
    providerCannotRender,
    SETTINGS_SINCE,
    sinceNote,
} from "../../components/talos/documents";
import { validatePatches } from "../../components/talos/validate";
import type { TalosConfigSchema } from "../../components/talos/validate-schema";
import type { NodeConfig } from "../../components/talos/config";
import { clusterConfig, nodeConfig as seedNode } from "../support/fixtures";
import { readReferenceJson } from "../support/reference";

const SCHEMAS: Record<string, TalosConfigSchema> = {
    "1.12": readReferenceJson<TalosConfigSchema>("talos-config-schema-v1.12.1.json"),
    "1.13": readReferenceJson<TalosConfigSchema>("talos-config-schema-v1.13.9.json"),
    "1.14": readReferenceJson<TalosConfigSchema>("talos-config-schema-v1.14.0-rc.1.json"),
};
const MINORS = Object.keys(SCHEMAS);
const IMAGE = `factory.talos.dev/metal-installer/${"a".repeat(64)}:v1.14.0`;

const nodeConfig = (over: Partial<NodeConfig> = {}): NodeConfig => seedNode({ hostname: "cp-1", ...over });

const check = (minor: string, text: string) =>
    validatePatches([{ label: "nodes[0].patches[0]", text }], SCHEMAS[minor]);

describe("what the program renders fits the schema of every minor it runs", () => {
    test.each(MINORS)("Talos %s: install, hostname, scheduling, nut-client and a worker's patches", (minor) => {
        const cluster = clusterConfig({ talosVersion: `v${minor}.0`, allowSchedulingOnControlPlanes: true });
        const ups = { monitor: "ups@192.168.0.6", username: "monuser" };
        for (const node of [
            nodeConfig(),
            nodeConfig({ role: "worker", installDisk: undefined, installDiskSelector: { type: "nvme" } }),
        ]) {
            const patches = renderNodePatches({
                cluster,
                node,
                index: 0,
                installerImage: IMAGE,
                ups,
                upsPassword: "pw",
            });
            expect(validatePatches(patches, SCHEMAS[minor])).toEqual([]);
        }
    });
});

describe("a setting only a newer Talos has", () => {
    const SECURITY_PROFILE = "apiVersion: v1alpha1\nkind: SecurityProfileConfig\nworkloadIsolation: true\n";
    const HOST_DNS = "apiVersion: v1alpha1\nkind: ResolverConfig\nhostDNS:\n  enabled: true\n";

    test("a 1.14 document is accepted for 1.14, and refused for 1.12 and 1.13 naming Talos 1.14", () => {
        expect(check("1.14", SECURITY_PROFILE)).toEqual([]);
        for (const minor of ["1.12", "1.13"]) {
            expect(check(minor, SECURITY_PROFILE)).toEqual([
                'nodes[0].patches[0]: kind "SecurityProfileConfig" is not a document kind of this Talos release: ' +
                    'SecurityProfileConfig is a document of Talos 1.14 and later (patch beginning "apiVersion: v1alpha1")',
            ]);
        }
    });

    test("a 1.14 setting of an older document: accepted for 1.14, refused for 1.12 naming Talos 1.14", () => {
        expect(check("1.14", HOST_DNS)).toEqual([]);
        const [problem] = check("1.12", HOST_DNS);
        expect(problem).toContain("hostDNS is not a ResolverConfig setting of this Talos release");
        expect(problem).toContain("ResolverConfig.hostDNS is a setting of Talos 1.14 and later");
    });

    test("a 1.13 document is refused for 1.12 naming Talos 1.13; a kind no Talos has keeps its suggestion", () => {
        const env = "apiVersion: v1alpha1\nkind: EnvironmentConfig\nvariables:\n  A: b\n";
        expect(check("1.13", env)).toEqual([]);
        expect(check("1.12", env)[0]).toContain("EnvironmentConfig is a document of Talos 1.13 and later");
        expect(check("1.14", "apiVersion: v1alpha1\nkind: HostnameConfg\nhostname: a\n")[0]).toContain(
            "did you mean HostnameConfig?",
        );
    });

    test("a typo in a setting of 1.14 is still named, not taken for a newer setting", () => {
        expect(
            check("1.14", "apiVersion: v1alpha1\nkind: SecurityProfileConfig\nworkloadIsolaton: true\n")[0],
        ).toContain("did you mean workloadIsolation?");
    });
});

describe("the tables are what the pinned schemas say", () => {
    /** Kind → every setting path of the kind's document (array items skipped), in one schema. */
    function settingsByKind(schema: TalosConfigSchema): Map<string, Set<string>> {
        const defs = schema.$defs as Record<string, Record<string, unknown>>;
        const out = new Map<string, Set<string>>();
        const deref = (node: Record<string, unknown>, seen: Set<string>): Record<string, unknown> | undefined => {
            let n: Record<string, unknown> | undefined = node;
            while (n && typeof n.$ref === "string") {
                const name: string = n.$ref.split("/").pop()!;
                if (seen.has(name)) return undefined;
                seen.add(name);
                n = defs[name];
            }
            if (n && n.type === "array" && n.items) return deref(n.items as Record<string, unknown>, seen);
            return n;
        };
        const walk = (node: Record<string, unknown>, prefix: string, seen: Set<string>, into: Set<string>) => {
            const n = deref(node, seen);
            if (!n || prefix.split(".").length > 6) return;
            for (const [k, v] of Object.entries((n.properties ?? {}) as Record<string, Record<string, unknown>>)) {
                const p = prefix ? `${prefix}.${k}` : k;
                into.add(p);
                walk(v, p, new Set(seen), into);
            }
        };
        for (const branch of schema.oneOf as { $ref: string }[]) {
            const name = branch.$ref.split("/").pop()!;
            const kind = ((defs[name].properties as Record<string, { enum?: string[] }>)?.kind?.enum ?? [])[0];
            if (!kind) continue;
            const into = new Set<string>();
            walk(defs[name], "", new Set([name]), into);
            out.set(kind, into);
        }
        return out;
    }

    test("KINDS_SINCE and SETTINGS_SINCE: what each minor's schema has and the one before has not", () => {
        const kinds: Record<string, string> = {};
        const settings: Record<string, string> = {};
        for (let i = 1; i < MINORS.length; i++) {
            const [before, after] = [settingsByKind(SCHEMAS[MINORS[i - 1]]), settingsByKind(SCHEMAS[MINORS[i]])];
            for (const [kind, paths] of after) {
                const old = before.get(kind);
                if (!old) {
                    kinds[kind] = MINORS[i];
                    continue;
                }
                const added = [...paths].filter((p) => !old.has(p));
                for (const p of added)
                    if (!added.some((q) => p.startsWith(`${q}.`))) settings[`${kind}.${p}`] = MINORS[i];
            }
        }
        expect(KINDS_SINCE).toEqual(kinds);
        expect(SETTINGS_SINCE).toEqual(settings);
        expect(sinceNote("SecurityProfileConfig")).toBe("SecurityProfileConfig is a document of Talos 1.14 and later");
        expect(sinceNote("VolumeConfig", ["encryption", "allowDiscards"])).toBe(
            "VolumeConfig.encryption.allowDiscards is a setting of Talos 1.14 and later",
        );
        expect(sinceNote("HostnameConfig")).toBeUndefined();
    });

    test("DEPRECATED_SETTINGS: a setting a later schema hides is documented, so checked, in 1.12's", () => {
        // What v1.12.1's own v1alpha1_types.go marks docgen:nodoc: left out of its schema too.
        const hidden12: Record<string, string[]> = {
            "v1alpha1.Config": ["persist"],
            "v1alpha1.MachineConfig": ["disks", "time", "registries", "systemDiskEncryption"],
            "v1alpha1.ClusterConfig": ["allowSchedulingOnMasters"],
            "v1alpha1.NetworkConfig": [
                "hostname",
                "interfaces",
                "nameservers",
                "searchDomains",
                "extraHostEntries",
                "disableSearchDomain",
            ],
            "v1alpha1.InstallConfig": ["extraKernelArgs", "extensions", "bootloader"],
            "v1alpha1.APIServerConfig": ["disablePodSecurityPolicy"],
            "v1alpha1.EtcdConfig": ["subnet"],
            "v1alpha1.FeaturesConfig": ["rbac", "stableHostname", "apidCheckExtKeyUsage"],
        };
        const props = (minor: string, def: string) =>
            Object.keys((SCHEMAS[minor].$defs as Record<string, { properties?: object }>)[def]?.properties ?? {});
        for (const [def, keys] of Object.entries(DEPRECATED_SETTINGS)) {
            for (const key of keys) {
                const documented12 = props("1.12", def).includes(key);
                expect({ def, key, documented12 }).toEqual({ def, key, documented12: !hidden12[def]?.includes(key) });
            }
        }
        // Talos 1.14 hides most of machine and cluster (documents of their own replace them); Talos still applies them.
        const kept14 = props("1.14", "v1alpha1.MachineConfig");
        for (const key of ["install", "kubelet", "nodeLabels"]) expect(kept14).not.toContain(key);
    });
});

describe("what the Talos provider 0.8.1 (machinery v1.13.0) cannot render", () => {
    test.each([
        [
            { apiVersion: "v1alpha1", kind: "SecurityProfileConfig", workloadIsolation: true },
            "SecurityProfileConfig is a Talos 1.14 document",
        ],
        [
            { apiVersion: "v1alpha1", kind: "ResolverConfig", hostDNS: { enabled: true } },
            "ResolverConfig.hostDNS came with Talos 1.14",
        ],
        [{ apiVersion: "v1alpha1", kind: "ResolverConfig", nameservers: [{ address: "1.1.1.1" }] }, undefined],
        [{ apiVersion: "v1alpha1", kind: "EnvironmentConfig", variables: {} }, undefined],
        [{ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: "a" }, undefined],
        [{ machine: { install: { disk: "/dev/sda" } } }, undefined],
    ])("%j: %s", (doc, why) => {
        expect(providerCannotRender(doc)).toBe(why);
    });
});
