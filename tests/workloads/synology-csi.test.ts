/**
 * The SynologyCsi component under Pulumi's mocks: which objects it registers, with what inputs,
 * through which provider, after what. The mock monitor's registerResource is wrapped so the test
 * also sees what the engine would: each request's parent, provider and dependency URNs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import type { SynologyCsiConfig } from "../../components/workloads/config";
import { synologyCsi } from "./fixtures";
import { watchRegistrations } from "../support/pulumi-mocks";

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    parent: string;
    provider: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
}

const events: string[] = [];
const registrations: Registration[] = [];
const pendingInputs = new Map<string, Record<string, unknown>>();
let releaseHealth: () => void = () => undefined;
const healthGate = new Promise<void>((resolve) => {
    releaseHealth = resolve;
});

// setMocks does its work at once (its body awaits nothing): the modules required below see the mocks.
void pulumi.runtime.setMocks(
    {
        newResource: async (args: pulumi.runtime.MockResourceArgs) => {
            pendingInputs.set(`${args.type}::${args.name}`, args.inputs);
            if (args.type === "test:index:Health" && args.name.startsWith("gated")) {
                await healthGate;
                events.push(`health-done:${args.name}`);
            }
            return { id: `${args.name}-id`, state: { ...args.inputs, ok: true } };
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "homelab",
    "test",
);

watchRegistrations({
    before: (req) => events.push(`register:${req.getName()}`),
    after: (req) => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        const type: string = req.getType();
        const name: string = req.getName();
        registrations.push({
            type,
            name,
            inputs: pendingInputs.get(`${type}::${name}`) ?? {},
            parent: req.getParent(),
            provider: req.getProvider(),
            dependencies: req.getDependenciesList(),
            propertyDependencies,
        });
    },
});

// Imported after the mocks are in place.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the mocks are set
const workloads = require("../../components/workloads") as typeof import("../../components/workloads");
const { SynologyCsi, createSynologyCsi } = workloads;

/** Drain every outstanding RPC (internal to @pulumi/pulumi, exported by its runtime). */
const drain = (): Promise<void> => (pulumi.runtime as any).waitForRPCs();

function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        o.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

/** A stand-in for the cluster's health check: a custom resource with an output. */
class Health extends pulumi.CustomResource {
    declare readonly ok: pulumi.Output<boolean>;
    constructor(name: string) {
        super("test:index:Health", name, { ok: undefined }, {});
    }
}

const SIG = pulumi.runtime.specialSigKey;
const isRpcSecret = (v: unknown): boolean =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG] === pulumi.runtime.specialSecretSig;
/** Strip the secret wrappers the mock monitor hands to newResource. */
function unwrap(v: unknown): unknown {
    if (isRpcSecret(v)) return unwrap((v as { value: unknown }).value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
}
/** The non-secret parts of a value, as JSON text (secrets replaced by a marker). */
function clearText(v: unknown): string {
    const strip = (x: unknown): unknown => {
        if (isRpcSecret(x)) return "[secret]";
        if (Array.isArray(x)) return x.map(strip);
        if (typeof x === "object" && x !== null)
            return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, strip(y)]));
        return x;
    };
    return JSON.stringify(strip(v));
}

const csi = (over: Partial<SynologyCsiConfig> = {}): SynologyCsiConfig =>
    synologyCsi({ fsType: "btrfs", reclaimPolicy: "Retain", ...over });
const PASSWORD = "s3cr3t: #pw'\"";
const KUBECONFIG = "apiVersion: v1\nkind: Config\nusers: [{name: admin, user: {client-key-data: S0VZ}}]\n";
const nas = { host: "127.0.0.1", port: 5001, https: true, username: "csi-user" };

const of = (prefix: string) => registrations.filter((r) => r.name.startsWith(`${prefix}-`) || r.name === prefix);
const one = (prefix: string, type: string): Registration => {
    const found = of(prefix).filter((r) => r.type === type);
    expect(found).toHaveLength(1);
    return found[0];
};
const inputs = (r: Registration): any => unwrap(r.inputs);

describe("SynologyCsi (enabled)", () => {
    let component: InstanceType<typeof SynologyCsi>;
    let health: Health;

    beforeAll(async () => {
        health = new Health("health-a");
        component = new SynologyCsi("csi", {
            kubeconfig: pulumi.secret(KUBECONFIG),
            healthy: health.ok,
            csi: csi(),
            nas,
            password: PASSWORD,
        });
        await value(component.storageClassName);
        await drain();
    });

    test("registers the driver's objects, each named after the component and parented to it", () => {
        const comp = one("csi", "homelab:workloads:SynologyCsi");
        const kinds = of("csi")
            .filter((r) => r !== comp)
            .map((r) => `${r.type} ${r.name}`)
            .sort();
        expect(kinds).toEqual([
            "kubernetes:apps/v1:DaemonSet csi-node",
            "kubernetes:apps/v1:StatefulSet csi-controller",
            "kubernetes:core/v1:Namespace csi-namespace",
            "kubernetes:core/v1:Secret csi-client-info",
            "kubernetes:core/v1:ServiceAccount csi-controller-sa",
            "kubernetes:core/v1:ServiceAccount csi-node-sa",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole csi-controller-role",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole csi-node-role",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding csi-controller-binding",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding csi-node-binding",
            "kubernetes:storage.k8s.io/v1:CSIDriver csi-driver",
            "kubernetes:storage.k8s.io/v1:StorageClass csi-storage-class",
            "pulumi:providers:kubernetes csi-k8s",
        ]);
        for (const r of of("csi").filter((x) => x !== comp)) {
            expect(r.parent).toBe("urn:pulumi:test::homelab::homelab:workloads:SynologyCsi::csi");
        }
    });

    test("creates every Kubernetes object through the cluster's provider", () => {
        const provider = one("csi", "pulumi:providers:kubernetes");
        expect(provider.provider).toBe("");
        for (const r of of("csi").filter((x) => x.type.startsWith("kubernetes:"))) {
            expect(r.provider).toMatch(/pulumi:providers:kubernetes::csi-k8s::csi-k8s-id$/);
        }
    });

    test("builds the provider from the kubeconfig, kept secret, and only after the health check", () => {
        const provider = one("csi", "pulumi:providers:kubernetes");
        expect(isRpcSecret(provider.inputs.kubeconfig)).toBe(true);
        expect(unwrap(provider.inputs.kubeconfig)).toBe(KUBECONFIG);
        const healthReg = one("health-a", "test:index:Health");
        const urnOf = (r: Registration) => `urn:pulumi:test::homelab::${r.type}::${r.name}`;
        expect(provider.dependencies).toContain(urnOf(healthReg));
        expect(provider.propertyDependencies.kubeconfig).toContain(urnOf(healthReg));
        expect(events.indexOf("register:health-a")).toBeLessThan(events.indexOf("register:csi-k8s"));
    });

    test("labels the namespace privileged for Pod Security Admission", () => {
        const ns = inputs(one("csi", "kubernetes:core/v1:Namespace"));
        expect(ns.metadata.name).toBe("synology-csi");
        expect(ns.metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/audit": "privileged",
            "pod-security.kubernetes.io/warn": "privileged",
        });
    });

    test("puts client-info.yml in a secret Secret holding the NAS address and user", () => {
        const secret = one("csi", "kubernetes:core/v1:Secret");
        expect(isRpcSecret(secret.inputs.stringData)).toBe(true);
        const s = inputs(secret);
        expect(s.metadata).toMatchObject({ name: "client-info-secret", namespace: "synology-csi" });
        const clientInfo = YAML.parse(s.stringData["client-info.yml"]);
        expect(clientInfo).toEqual({
            clients: [{ host: "127.0.0.1", port: 5001, https: true, username: "csi-user", password: PASSWORD }],
        });
    });

    test("never shows the password or kubeconfig in clear in any registered input", () => {
        for (const r of registrations) {
            const text = clearText(r.inputs);
            expect(text).not.toContain("s3cr3t");
            expect(text).not.toContain("S0VZ");
        }
    });

    test("runs the node plugin privileged on the host network with the Talos arguments and mounts", () => {
        const ds = inputs(one("csi", "kubernetes:apps/v1:DaemonSet"));
        expect(ds.metadata.namespace).toBe("synology-csi");
        const pod = ds.spec.template.spec;
        expect(pod.hostNetwork).toBe(true);
        const plugin = pod.containers.find((c: { name: string }) => c.name === "csi-plugin");
        expect(plugin.image).toBe("docker.io/synology/synology-csi:v1.2.1");
        expect(plugin.securityContext.privileged).toBe(true);
        expect(plugin.args).toEqual(
            expect.arrayContaining(["--chroot-dir=/host", "--iscsiadm-path=/usr/local/sbin/iscsiadm"]),
        );
        expect(plugin.volumeMounts).toContainEqual({ name: "host-root", mountPath: "/host" });
        expect(pod.volumes).toContainEqual({ name: "host-root", hostPath: { path: "/", type: "Directory" } });
        expect(plugin.volumeMounts).toContainEqual({
            name: "kubelet-dir",
            mountPath: "/var/lib/kubelet",
            mountPropagation: "Bidirectional",
        });
    });

    test("runs the controller with the three sidecars and the plugin, mounting client-info", () => {
        const sts = inputs(one("csi", "kubernetes:apps/v1:StatefulSet"));
        const names = sts.spec.template.spec.containers.map((c: { name: string }) => c.name);
        expect(names).toEqual(["csi-provisioner", "csi-attacher", "csi-resizer", "csi-plugin"]);
        expect(sts.spec.template.spec.serviceAccountName).toBe("synology-csi-controller");
    });

    test("binds each ClusterRole to its ServiceAccount in the driver's namespace", () => {
        for (const part of ["controller", "node"]) {
            const binding = inputs(registrations.find((r) => r.name === `csi-${part}-binding`)!);
            expect(binding.subjects).toEqual([
                { kind: "ServiceAccount", name: `synology-csi-${part}`, namespace: "synology-csi" },
            ]);
            expect(binding.roleRef).toEqual({
                apiGroup: "rbac.authorization.k8s.io",
                kind: "ClusterRole",
                name: `synology-csi-${part}`,
            });
        }
    });

    test("registers the CSIDriver and a default StorageClass with the configured parameters", () => {
        expect(inputs(one("csi", "kubernetes:storage.k8s.io/v1:CSIDriver")).metadata.name).toBe("csi.san.synology.com");
        const sc = inputs(one("csi", "kubernetes:storage.k8s.io/v1:StorageClass"));
        expect(sc.metadata.name).toBe("synology-iscsi");
        expect(sc.metadata.annotations).toEqual({ "storageclass.kubernetes.io/is-default-class": "true" });
        expect(sc.provisioner).toBe("csi.san.synology.com");
        expect(sc.parameters).toEqual({ dsm: "127.0.0.1", location: "/volume1", fsType: "btrfs", protocol: "iscsi" });
        expect(sc.reclaimPolicy).toBe("Retain");
    });

    test("exposes the StorageClass name and namespace", async () => {
        expect(component.enabled).toBe(true);
        expect(await value(component.storageClassName)).toBe("synology-iscsi");
        expect(await value(component.namespace)).toBe("synology-csi");
    });
});

describe("SynologyCsi options", () => {
    test("is not the default class when isDefault is false, and honours namespace and image overrides", async () => {
        const c = new SynologyCsi("alt", {
            kubeconfig: pulumi.secret(KUBECONFIG),
            healthy: new Health("health-alt").ok,
            csi: csi({ isDefault: false, storageClassName: "nas-retain", fsType: "xfs", version: "1.4.0" }),
            nas: { ...nas, host: "nas.lan" },
            password: pulumi.secret(PASSWORD),
            namespace: "storage",
            images: { nodeDriverRegistrar: "mirror.lan/registrar:v2.13.0" },
        });
        await value(c.storageClassName);
        await drain();
        const sc = inputs(one("alt", "kubernetes:storage.k8s.io/v1:StorageClass"));
        expect(sc.metadata.annotations ?? {}).toEqual({});
        expect(sc.parameters).toMatchObject({ dsm: "nas.lan", fsType: "xfs" });
        expect(inputs(one("alt", "kubernetes:core/v1:Namespace")).metadata.name).toBe("storage");
        expect(inputs(one("alt", "kubernetes:core/v1:Secret")).metadata.namespace).toBe("storage");
        const ds = inputs(one("alt", "kubernetes:apps/v1:DaemonSet"));
        const images = ds.spec.template.spec.containers.map((x: { image: string }) => x.image);
        expect(images).toEqual(["mirror.lan/registrar:v2.13.0", "docker.io/synology/synology-csi:v1.4.0"]);
        expect(await value(c.namespace)).toBe("storage");
    });
});

describe("SynologyCsi (disabled)", () => {
    test("creates nothing but the component itself", async () => {
        const c = new SynologyCsi("off", {
            kubeconfig: pulumi.secret(KUBECONFIG),
            healthy: true,
            csi: csi({ enabled: false }),
            nas,
            password: PASSWORD,
        });
        await value(c.urn);
        await drain();
        expect(of("off").map((r) => r.type)).toEqual(["homelab:workloads:SynologyCsi"]);
        expect(c.enabled).toBe(false);
        expect(await value(c.storageClassName)).toBeUndefined();
    });

    test("createSynologyCsi builds nothing at all when disabled, and the component when enabled", async () => {
        const args = { kubeconfig: pulumi.secret(KUBECONFIG), healthy: true, nas, password: PASSWORD };
        expect(createSynologyCsi("none", { ...args, csi: csi({ enabled: false }) })).toBeUndefined();
        const made = createSynologyCsi("some", { ...args, csi: csi() });
        expect(made).toBeInstanceOf(SynologyCsi);
        await value(made!.storageClassName);
        await drain();
        expect(of("none")).toEqual([]);
        expect(of("some").some((r) => r.type === "kubernetes:apps/v1:DaemonSet")).toBe(true);
    });
});

describe("SynologyCsi waits for the cluster's health", () => {
    test("registers no Kubernetes provider or object until the health check has completed", async () => {
        const gated = new Health("gated-health");
        const c = new SynologyCsi("late", {
            kubeconfig: pulumi.secret(KUBECONFIG),
            healthy: gated.ok,
            csi: csi(),
            nas,
            password: PASSWORD,
        });
        // Let everything that does not wait on the health check run to completion.
        await value(c.urn);
        for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
        expect(events).toContain("register:gated-health");
        expect(events.filter((e) => /^register:late-/.test(e))).toEqual([]);

        releaseHealth();
        await value(c.storageClassName);
        await drain();
        const done = events.indexOf("health-done:gated-health");
        expect(done).toBeGreaterThanOrEqual(0);
        const lateRegs = events.map((e, i) => [e, i] as const).filter(([e]) => /^register:late-/.test(e));
        expect(lateRegs.length).toBe(13);
        for (const [, i] of lateRegs) expect(i).toBeGreaterThan(done);
    });
});
