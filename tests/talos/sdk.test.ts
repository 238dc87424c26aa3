/**
 * The hand-written Talos SDK (components/talos/sdk.ts) against the provider's own schema, v0.8.1.
 * The schema is pinned reference data (tests/support/reference.ts), never copied here.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, isSecretSentinel, Recorder, valueOf } from "../support/pulumi-mocks";
import { readReferenceJson } from "../support/reference";

interface Prop {
    type?: string;
    $ref?: string;
    secret?: boolean;
    items?: Prop;
}
interface ObjType {
    properties?: Record<string, Prop>;
    required?: string[];
}
interface Schema {
    pluginDownloadURL: string;
    types: Record<string, ObjType>;
    resources: Record<string, ObjType & { inputProperties?: Record<string, Prop>; requiredInputs?: string[] }>;
    functions: Record<string, { inputs?: ObjType; outputs?: ObjType }>;
}

const schema = readReferenceJson<Schema>("pulumi-talos-schema-v0.8.1.json");

/** A property is secret if it is marked secret or its type (transitively) has a secret field. */
function containsSecret(p: Prop | undefined, seen: Set<string> = new Set()): boolean {
    if (!p) return false;
    if (p.secret) return true;
    if (p.items && containsSecret(p.items, seen)) return true;
    if (p.$ref) {
        // The schema spells refs both "#/types/x" and "#types/x".
        const name = p.$ref.replace(/^#\/?types\//, "");
        if (seen.has(name)) return false;
        seen.add(name);
        const t = schema.types[name];
        expect(t).toBeDefined();
        return Object.values(t?.properties ?? {}).some((q) => containsSecret(q, seen));
    }
    return false;
}

function secretNames(props: Record<string, Prop> | undefined): string[] {
    return Object.entries(props ?? {})
        .filter(([, p]) => containsSecret(p))
        .map(([n]) => n)
        .sort();
}
function directSecretNames(props: Record<string, Prop> | undefined): string[] {
    return Object.entries(props ?? {})
        .filter(([, p]) => p.secret === true)
        .map(([n]) => n)
        .sort();
}

let rec: Recorder;
let sdk: typeof import("../../components/talos/sdk");

beforeAll(async () => {
    rec = await installMocks({
        onCall: () => ({ id: "fn-id", talosConfig: "TALOSCONFIG", machineConfiguration: "MC" }),
    });
    sdk = await import("../../components/talos/sdk");
});

beforeEach(() => rec.reset());

describe("SDK vs schema v0.8.1", () => {
    test("the schema file is the v0.8.1 one and its pluginDownloadURL is the SDK's", () => {
        expect(schema.pluginDownloadURL).toBe(sdk.TALOS_PLUGIN_DOWNLOAD_URL);
        expect(sdk.TALOS_PROVIDER_VERSION).toBe("0.8.1");
        expect(sdk.TALOS_SDK.length).toBe(7);
    });

    test("every token exists in the schema, as a resource or function of the declared kind", () => {
        for (const e of sdk.TALOS_SDK) {
            const table = e.kind === "resource" ? schema.resources : schema.functions;
            expect({ token: e.token, found: e.token in table }).toEqual({ token: e.token, found: true });
        }
    });

    test("input property names equal the schema's exactly", () => {
        for (const e of sdk.TALOS_SDK) {
            const schemaInputs =
                e.kind === "resource"
                    ? Object.keys(schema.resources[e.token].inputProperties ?? {})
                    : Object.keys(schema.functions[e.token].inputs?.properties ?? {});
            expect({ token: e.token, inputs: [...e.inputs].sort() }).toEqual({
                token: e.token,
                inputs: schemaInputs.sort(),
            });
        }
    });

    test("required inputs equal the schema's exactly", () => {
        for (const e of sdk.TALOS_SDK) {
            const req =
                e.kind === "resource"
                    ? (schema.resources[e.token].requiredInputs ?? [])
                    : (schema.functions[e.token].inputs?.required ?? []);
            expect({ token: e.token, required: [...e.requiredInputs].sort() }).toEqual({
                token: e.token,
                required: [...req].sort(),
            });
        }
    });

    test("output names equal the schema's exactly", () => {
        for (const e of sdk.TALOS_SDK) {
            const outs =
                e.kind === "resource"
                    ? Object.keys(schema.resources[e.token].properties ?? {})
                    : Object.keys(schema.functions[e.token].outputs?.properties ?? {});
            expect({ token: e.token, outputs: [...e.outputs].sort() }).toEqual({
                token: e.token,
                outputs: outs.sort(),
            });
        }
    });

    test("every schema-secret output (directly or through a secret field) is marked secret", () => {
        for (const e of sdk.TALOS_SDK) {
            const props =
                e.kind === "resource"
                    ? schema.resources[e.token].properties
                    : schema.functions[e.token].outputs?.properties;
            const missing = secretNames(props).filter((n) => !e.secretOutputs.includes(n));
            expect({ token: e.token, missing }).toEqual({ token: e.token, missing: [] });
            // And nothing marked secret that the schema does not know.
            for (const n of e.secretOutputs) expect(e.outputs).toContain(n);
        }
        // Sanity: the walk finds what the reference notes say.
        expect(secretNames(schema.resources["talos:cluster/kubeconfig:Kubeconfig"].properties)).toEqual([
            "clientConfiguration",
            "kubeconfigRaw",
            "kubernetesClientConfiguration",
        ]);
    });

    test("every resource with a timeouts input declares every key of its schema timeouts type", () => {
        for (const e of sdk.TALOS_SDK.filter((x) => x.kind === "resource")) {
            const prop = schema.resources[e.token].inputProperties?.timeouts;
            const schemaKeys = prop?.$ref
                ? Object.keys(schema.types[prop.$ref.replace(/^#\/?types\//, "")].properties ?? {}).sort()
                : undefined;
            expect({ token: e.token, keys: e.timeoutKeys ? [...e.timeoutKeys].sort() : undefined }).toEqual({
                token: e.token,
                keys: schemaKeys,
            });
        }
    });

    test("every directly secret input is wrapped as secret by the SDK", () => {
        for (const e of sdk.TALOS_SDK) {
            const props =
                e.kind === "resource"
                    ? schema.resources[e.token].inputProperties
                    : schema.functions[e.token].inputs?.properties;
            const missing = directSecretNames(props).filter((n) => !e.secretInputs.includes(n));
            expect({ token: e.token, missing }).toEqual({ token: e.token, missing: [] });
        }
    });
});

describe("what the SDK sends", () => {
    const clientConfiguration = { caCertificate: "CA", clientCertificate: "CRT", clientKey: "KEY" };

    test("resources register under their tokens with the schema's input names", async () => {
        const s = new sdk.machine.Secrets("s", { talosVersion: "v1.12" });
        const a = new sdk.machine.ConfigurationApply("a", {
            node: "10.0.0.1",
            clientConfiguration,
            machineConfigurationInput: "MC",
            onDestroy: { reset: true },
            timeouts: { create: "30m" },
        });
        const b = new sdk.machine.Bootstrap("b", { node: "10.0.0.1", clientConfiguration });
        const k = new sdk.cluster.Kubeconfig("k", { node: "10.0.0.1", clientConfiguration });
        await Promise.all([valueOf(s.urn), valueOf(a.urn), valueOf(b.urn), valueOf(k.urn)]);
        const byName = Object.fromEntries(rec.resources.map((c) => [c.name, c]));
        expect(byName.s.type).toBe("talos:machine/secrets:Secrets");
        expect(byName.s.inputs).toEqual({ talosVersion: "v1.12" });
        expect(byName.a.type).toBe("talos:machine/configurationApply:ConfigurationApply");
        expect(byName.a.inputs).toMatchObject({ node: "10.0.0.1", onDestroy: { reset: true } });
        // A partly given timeouts object goes out whole (the bridge refuses its own state otherwise).
        expect(byName.a.inputs.timeouts).toEqual({
            create: "30m",
            update: sdk.DEFAULT_TIMEOUT,
            delete: sdk.DEFAULT_TIMEOUT,
        });
        // The secret input reaches the engine as a secret (the RPC secret sentinel), not in clear.
        expect(isSecretSentinel(byName.a.inputs.machineConfigurationInput)).toBe(true);
        expect(byName.a.inputs.machineConfigurationInput).toMatchObject({ value: "MC" });
        for (const r of [s, a, b, k]) {
            const meta = r as unknown as { __version?: string; __pluginDownloadURL?: string };
            expect(meta.__version).toBe("0.8.1");
            expect(meta.__pluginDownloadURL).toBe("github://api.github.com/pulumiverse");
        }
        expect(byName.b.type).toBe("talos:machine/bootstrap:Bootstrap");
        expect(byName.k.type).toBe("talos:cluster/kubeconfig:Kubeconfig");
        // The engine is told which outputs to keep secret (the mock monitor itself does not apply it).
        expect(byName.k.additionalSecretOutputs.sort()).toEqual([
            "clientConfiguration",
            "kubeconfigRaw",
            "kubernetesClientConfiguration",
        ]);
        expect(byName.s.additionalSecretOutputs.sort()).toEqual(["clientConfiguration", "machineSecrets"]);
        expect(byName.a.additionalSecretOutputs).toContain("machineConfiguration");
        expect(byName.a.additionalSecretOutputs).not.toContain("machineConfigurationHash");
        expect(byName.b.additionalSecretOutputs.sort()).toEqual(["clientConfiguration", "clientConfigurationWo"]);
    });

    test("completeTimeouts fills every key and refuses one the resource does not have", () => {
        expect(sdk.completeTimeouts({ update: "5m" }, ["create", "update", "delete"])).toEqual({
            create: "10m",
            update: "5m",
            delete: "10m",
        });
        expect(sdk.completeTimeouts(undefined, ["create"])).toEqual({ create: "10m" });
        expect(() => sdk.completeTimeouts({ read: "1m" }, ["create"])).toThrow(
            /timeouts\.read is not a timeout of this resource \(it has create\)/,
        );
    });

    test("a missing required input fails with the property named", () => {
        expect(() => new sdk.machine.Bootstrap("x", {} as never)).toThrow(/'node'/);
        expect(() => new sdk.cluster.Kubeconfig("x", { node: "n" } as never)).toThrow(/'clientConfiguration'/);
        expect(() => sdk.cluster.getHealth({ clientConfiguration } as never)).toThrow(/'controlPlaneNodes'/);
    });

    test("Output functions invoke their token and return secret results; plain ones return plain", async () => {
        const tc = sdk.client.getConfigurationOutput({
            clusterName: "c",
            clientConfiguration,
            endpoints: ["10.0.0.1"],
        });
        expect(await pulumi.isSecret(tc)).toBe(true);
        expect(await valueOf(tc.talosConfig)).toBe("TALOSCONFIG");
        const mc = sdk.machine.getConfigurationOutput({
            clusterName: "c",
            clusterEndpoint: "https://10.0.0.1:6443",
            machineType: "worker",
            machineSecrets: {} as never,
            configPatches: ["a: 1"],
        });
        expect(await pulumi.isSecret(mc.machineConfiguration)).toBe(true);
        const plain = await sdk.cluster.getHealth({
            clientConfiguration,
            controlPlaneNodes: ["10.0.0.1"],
            endpoints: ["10.0.0.1"],
        });
        expect(plain.id).toBe("fn-id");
        expect(rec.invokes.map((c) => c.token).sort()).toEqual([
            "talos:client/getConfiguration:getConfiguration",
            "talos:cluster/getHealth:getHealth",
            "talos:machine/getConfiguration:getConfiguration",
        ]);
        const mcCall = rec.invokes.find((c) => c.token === "talos:machine/getConfiguration:getConfiguration")!;
        expect(mcCall.inputs).toMatchObject({ machineType: "worker", configPatches: ["a: 1"] });
    });
});
