/**
 * The whole program (index.ts) under Pulumi mocks, with the dev stack (the seed's setup): what it
 * builds, in which order, what stays secret, and that bad input stops it before any resource exists.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import { installMocks, Recorder } from "./support/pulumi-mocks";
import { stackValues } from "./support/shared";
import { referenceSchemaText, referenceSchemaTextFor, SchemaServer, startSchemaServer } from "./support/schema-server";
import { SYNOLOGY_RESOURCES } from "../components/synology/pxe";
import { READ_STACK_OUTPUTS } from "../components/program-start";

const DSM_PASSWORD = "dsm-Pa55-word";
const UPS_PASSWORD = "ups-Pa55-word";
const KUBECONFIG = "apiVersion: v1\nkind: Config\nusers: [{name: admin, user: {client-key-data: S0VZ}}]\n";
const TALOSCONFIG = "context: homelab-dev\ncontexts: {homelab-dev: {key: S0VZ}}\n";

let schemaServer: SchemaServer;
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-index-"));

beforeAll(async () => {
    process.env.HOMELAB_CACHE_DIR = cacheDir;
    schemaServer = await startSchemaServer({
        "v1.12.1": referenceSchemaText(),
        "v1.14.0": referenceSchemaTextFor("v1.14.0")!,
    });
});

afterAll(async () => {
    await schemaServer.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
});

/** The dev stack's values, pointed at the local schema server instead of the internet. */
function devValues(): Record<string, any> {
    const v = stackValues("dev", { synologyPassword: DSM_PASSWORD, upsPassword: UPS_PASSWORD }) as Record<string, any>;
    v.nodes[0].mac = "d8:3a:dd:5e:a0:01"; // the real card's, in place of the file's placeholder
    v.cluster.configSchemaUrl = schemaServer.urlTemplate;
    return v;
}

async function settle(): Promise<void> {
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
}

/** Runs index.ts with `values` as the stack config; returns what the engine saw. */
async function run(
    values: Record<string, unknown>,
    previousOutputs: Record<string, unknown> = {},
): Promise<{ rec: Recorder; outputs?: Record<string, any>; error?: Error }> {
    const rec = await installMocks({
        onResource: (type) => {
            if (type === "talos:machine/secrets:Secrets") {
                return {
                    machineSecrets: { cluster: { id: "cid", secret: "CLUSTER-SECRET" } },
                    clientConfiguration: { caCertificate: "CA", clientCertificate: "CRT", clientKey: "KEY" },
                };
            }
            if (type === "talos:cluster/kubeconfig:Kubeconfig") return { kubeconfigRaw: KUBECONFIG };
            return undefined;
        },
        onCall: (token) => {
            // The stack's own outputs of its previous up (components/program-start.ts readPreviousOutputs).
            if (token === READ_STACK_OUTPUTS) return { outputs: previousOutputs, secretOutputNames: ["kubeconfig"] };
            if (token === "talos:client/getConfiguration:getConfiguration") return { talosConfig: TALOSCONFIG };
            if (token === "talos:machine/getConfiguration:getConfiguration")
                return { machineConfiguration: "version: v1alpha1\n" };
            return undefined;
        },
    });
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
        config[`homelab:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(config, ["homelab:synologyPassword", "homelab:upsPassword"]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded after the mocks and config are set
    const main = require("../index") as () => Promise<Record<string, any>>;
    try {
        const outputs = await main();
        await valueOf(pulumi.all([outputs.kubeconfig, outputs.talosconfig, outputs.nodes, outputs.bootFileMd5]));
        await settle();
        return { rec, outputs };
    } catch (error) {
        await settle();
        return { rec, error: error as Error };
    }
}

function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        o.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
// A run serialises every dynamic provider, as the engine does; on a loaded 2-core machine that takes a while.
jest.setTimeout(120_000);

/** Every string in `value` that is not inside a secret. */
function clearStrings(value: unknown, out: string[] = []): string[] {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach((v) => clearStrings(v, out));
    else if (value && typeof value === "object") {
        if ((value as Record<string, unknown>)[SECRET_SIG] !== undefined) return out;
        Object.values(value).forEach((v) => clearStrings(v, out));
    }
    return out;
}

describe("the dev stack", () => {
    let rec: Recorder;
    let outputs: Record<string, any>;

    beforeAll(async () => {
        const r = await run(devValues());
        if (r.error) throw r.error;
        rec = r.rec;
        outputs = r.outputs!;
    });

    test("builds the four parts of the graph as components", () => {
        const types = rec.resources.map((r) => r.type);
        expect(types).toEqual(
            expect.arrayContaining([
                "homelab:factory:TalosImage",
                "homelab:synology:SynologyPxe",
                "homelab:talos:TalosCluster",
                "homelab:workloads:SynologyCsi",
            ]),
        );
        // The seed's next step, Synology CSI, is on in the dev stack: its objects come through the Kubernetes provider.
        expect(types.filter((t) => t.startsWith("kubernetes:")).sort()).toEqual([
            "kubernetes:apps/v1:DaemonSet",
            "kubernetes:apps/v1:StatefulSet",
            "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "kubernetes:storage.k8s.io/v1:CSIDriver",
            "kubernetes:storage.k8s.io/v1:StorageClass",
        ]);
    });

    test("names every child after its component and parents it there", () => {
        for (const [component, prefix] of [
            ["homelab:synology:SynologyPxe", "nas-"],
            ["homelab:talos:TalosCluster", "talos-"],
            ["homelab:factory:TalosImage", "image-"],
        ] as const) {
            const parent = rec.resources.find((r) => r.type === component)!;
            const children = rec.resources.filter((r) => r.parent === parent.urn);
            expect(children.length).toBeGreaterThan(0);
            for (const child of children) expect(child.name.startsWith(prefix)).toBe(true);
        }
    });

    test("orders the graph: image → NAS (boot file, then PXE) → apply → bootstrap → kubeconfig", () => {
        const named = (re: RegExp) => rec.named(re)[0].name;
        const schematic = named(/^image-schematic$/);
        const bootFile = named(/^nas-bootfile$/);
        const pxe = named(/^nas-pxe$/);
        const apply = named(/^talos-.*apply$/);
        const bootstrap = named(/^talos-bootstrap$/);
        const kubeconfig = named(/^talos-kubeconfig$/);
        expect(rec.dependsOnTransitively(bootFile, schematic)).toBe(true);
        expect(rec.dependsOnTransitively(pxe, bootFile)).toBe(true);
        expect(rec.dependsOnTransitively(apply, pxe)).toBe(true);
        expect(rec.dependsOnTransitively(bootstrap, apply)).toBe(true);
        expect(rec.dependsOnTransitively(kubeconfig, bootstrap)).toBe(true);
        expect(rec.dependsOnTransitively(schematic, pxe)).toBe(false);
    });

    test("exports the kubeconfig and talosconfig as secrets, and the schematic in clear", async () => {
        expect(await pulumi.isSecret(outputs.kubeconfig)).toBe(true);
        expect(await pulumi.isSecret(outputs.talosconfig)).toBe(true);
        expect(await pulumi.isSecret(outputs.schematicId)).toBe(false);
        expect(await valueOf(outputs.schematicId)).toBe(
            "87286864e94c7d661c926a524c8e57f84d608488f0cd654a92b1e5f37d48b868",
        );
        expect(await valueOf(outputs.installerImage)).toBe(
            "factory.talos.dev/metal-installer/87286864e94c7d661c926a524c8e57f84d608488f0cd654a92b1e5f37d48b868:v1.12.1",
        );
    });

    test("never hands a resource the DSM or UPS password outside a secret", () => {
        const clear = rec.resources.flatMap((r) => clearStrings(r.inputs));
        expect(clear.length).toBeGreaterThan(0);
        expect(clear.filter((s) => s.includes(DSM_PASSWORD) || s.includes(UPS_PASSWORD))).toEqual([]);
    });

    test("does send the UPS password, inside a secret patch", () => {
        const config = rec.invokes.find((i) => i.token === "talos:machine/getConfiguration:getConfiguration")!;
        expect(JSON.stringify(config.inputs.configPatches)).toContain(`monuser ${UPS_PASSWORD} secondary`);
    });
});

describe("a remembered 2FA device id", () => {
    test("is kept secret wherever the NAS connection goes", async () => {
        const v = devValues();
        v.synology.deviceId = "remembered-device-7f3e";
        const { rec, error } = await run(v);
        expect(error).toBeUndefined();
        const nas = rec.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/synology:"));
        expect(nas).toHaveLength(Object.keys(SYNOLOGY_RESOURCES).length);
        for (const r of nas) expect((r.inputs.connection as Record<string, unknown>)[SECRET_SIG]).toBeDefined();
        expect(
            rec.resources.flatMap((r) => clearStrings(r.inputs)).filter((s) => s.includes("remembered-device-7f3e")),
        ).toEqual([]);
    });

    test("does not hide the connection when there is none", async () => {
        const { rec } = await run(devValues());
        const share = rec.byName("nas-share");
        expect((share.inputs.connection as Record<string, unknown>).url).toBe("https://192.168.0.6:5001");
    });
});

describe("a 3 control plane + 2 worker stack", () => {
    let rec: Recorder;
    const nodes = [
        {
            hostname: "cp-1",
            mac: "02:00:00:00:01:01",
            ip: "192.168.0.11",
            role: "controlplane",
            installDisk: "/dev/nvme0n1",
        },
        {
            hostname: "cp-2",
            mac: "02:00:00:00:01:02",
            ip: "192.168.0.12",
            role: "controlplane",
            installDisk: "/dev/nvme0n1",
        },
        {
            hostname: "cp-3",
            mac: "02:00:00:00:01:03",
            ip: "192.168.0.13",
            role: "controlplane",
            installDiskSelector: { type: "nvme" },
        },
        { hostname: "w-1", mac: "02:00:00:00:02:01", ip: "192.168.0.21", role: "worker", installDisk: "/dev/sda" },
        { hostname: "w-2", mac: "02:00:00:00:02:02", ip: "192.168.0.22", role: "worker", installDisk: "/dev/sda" },
    ];

    beforeAll(async () => {
        const v = devValues();
        v.nodes = nodes;
        const r = await run(v);
        if (r.error) throw r.error;
        rec = r.rec;
    });

    test("applies a config to every node and bootstraps etcd once, on the first control plane", () => {
        const applies = rec.resources.filter((r) => r.type === "talos:machine/configurationApply:ConfigurationApply");
        expect(applies.map((a) => a.inputs.node).sort()).toEqual(nodes.map((n) => n.ip).sort());
        const bootstraps = rec.resources.filter((r) => r.type === "talos:machine/bootstrap:Bootstrap");
        expect(bootstraps).toHaveLength(1);
        expect(bootstraps[0].inputs.node).toBe("192.168.0.11");
        for (const apply of applies) expect(rec.dependsOnTransitively(apply.name, "nas-pxe")).toBe(true);
    });

    test("asks for the right machine type per node, with that node's install settings", () => {
        const configs = rec.invokes.filter((i) => i.token === "talos:machine/getConfiguration:getConfiguration");
        expect(configs.map((c) => c.inputs.machineType).sort()).toEqual([
            "controlplane",
            "controlplane",
            "controlplane",
            "worker",
            "worker",
        ]);
        const text = (c: (typeof configs)[number]) => JSON.stringify(c.inputs.configPatches);
        const cp3 = configs.find((c) => text(c).includes("cp-3"))!;
        expect(text(cp3)).toContain("diskSelector");
        const w1 = configs.find((c) => text(c).includes("w-1"))!;
        expect(w1.inputs.machineType).toBe("worker");
        expect(text(w1)).toContain("/dev/sda");
    });

    test("reserves every node's address on the NAS and checks health with all of them", () => {
        const reservations = rec.byName("nas-reservations");
        expect(reservations.type).toBe("pulumi-nodejs:dynamic/synology:Reservations");
        const wanted = JSON.stringify(reservations.inputs);
        for (const n of nodes) expect(wanted).toContain(n.mac);
        const health = rec.invokes.find((i) => i.token === "talos:cluster/getHealth:getHealth")!;
        expect(health.inputs.controlPlaneNodes).toEqual(["192.168.0.11", "192.168.0.12", "192.168.0.13"]);
        expect(health.inputs.workerNodes).toEqual(["192.168.0.21", "192.168.0.22"]);
    });
});

describe("bad input stops the program before any resource exists", () => {
    test("a bad config lists every problem with its key path", async () => {
        const v = devValues();
        v.nodes[0].mac = "not-a-mac";
        v.dhcp.gateway = "10.0.0.1";
        const { rec, error } = await run(v);
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(error!.message).toMatch(/nodes\[0\]\.mac/);
        expect(error!.message).toMatch(/dhcp\.gateway/);
        expect(error!.message).not.toContain(DSM_PASSWORD);
        expect(rec.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });

    test("a node patch that does not fit the Talos schema names the node, the path and a fix", async () => {
        const v = devValues();
        v.nodes[0].patches = ["machine:\n  instal:\n    wipe: true\n"];
        const { rec, error } = await run(v);
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(error!.message).toMatch(/nodes\[0\]\.patches\[0\].*machine\.instal.*did you mean machine\.install/);
        expect(rec.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });

    test("each node's patches are checked on their own: another node's document does not complete this one's", async () => {
        const v = devValues();
        const bond =
            "apiVersion: v1alpha1\nkind: BondConfig\nname: bond0\nlinks: [enp1s0, enp2s0]\nbondMode: 802.3ad\n";
        v.nodes[0].patches = [bond];
        v.nodes.push({
            hostname: "w-1",
            mac: "02:00:00:00:00:02",
            ip: "192.168.0.3",
            role: "worker",
            installDisk: "/dev/sda",
            patches: ["apiVersion: v1alpha1\nkind: BondConfig\nname: bond0\nmtu: 9000\n"],
        });
        const { rec, error } = await run(v);
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(error!.message).toMatch(/nodes\[1\]\.patches\[0\]/);
        expect(error!.message).not.toMatch(/nodes\[0\]\.patches\[0\]/);
        expect(rec.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });

    test("upgrades without talosctl on PATH fail before anything runs", async () => {
        const v = devValues();
        v.cluster.upgrades = true;
        const saved = process.env.PATH;
        process.env.PATH = path.join(cacheDir, "no-such-bin");
        try {
            const { rec, error } = await run(v);
            expect(error?.message).toMatch(/talosctl was not found on PATH.*cluster\.upgrades/);
            expect(rec.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
        } finally {
            process.env.PATH = saved;
        }
    });

    test("an unreachable schema is a warning, not a failure", async () => {
        const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
        try {
            const v = devValues();
            v.cluster.talosVersion = "v1.12.0"; // not served, not cached
            const { rec, error } = await run(v);
            expect(error).toBeUndefined();
            expect(warn).toHaveBeenCalledTimes(1);
            expect(String(warn.mock.calls[0][0])).toMatch(/schema/i);
            expect(rec.resources.some((r) => r.type === "homelab:talos:TalosCluster")).toBe(true);
        } finally {
            warn.mockRestore();
        }
    });
});

describe("Synology CSI", () => {
    test("is deployed after the cluster when enabled", async () => {
        const v = devValues();
        v.workloads = { synologyCsi: { enabled: true } };
        const { rec, error } = await run(v);
        expect(error).toBeUndefined();
        const sc = rec.resources.find((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass");
        expect(sc).toBeDefined();
        // Kubernetes objects reach the cluster through the provider built from the kubeconfig.
        const provider = rec.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        expect(provider.name.startsWith("csi-")).toBe(true);
        expect(rec.dependsOnTransitively(provider.name, "talos-kubeconfig")).toBe(true);
    });
});

describe("a talosVersion change, from the previous up's outputs", () => {
    const ID = "87286864e94c7d661c926a524c8e57f84d608488f0cd654a92b1e5f37d48b868";
    const before = {
        version: "v1.12.1",
        kubernetesVersion: "1.35.0",
        upgradeImage: `factory.talos.dev/metal-installer/${ID}:v1.12.1`,
    };
    let savedPath: string | undefined;
    beforeAll(() => {
        // Upgrades need talosctl on PATH (checked first); the mocks run nothing.
        const bin = path.join(cacheDir, "bin");
        fs.mkdirSync(bin, { recursive: true });
        fs.writeFileSync(path.join(bin, "talosctl"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        savedPath = process.env.PATH;
        process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    });
    afterAll(() => {
        process.env.PATH = savedPath;
    });
    const upgrading = (over: Record<string, unknown> = {}) => {
        const v = devValues();
        v.cluster = { ...v.cluster, talosVersion: "v1.14.0", kubernetesVersion: "1.35.4", upgrades: true, ...over };
        return v;
    };

    test("1.12.1 → 1.14.0: through 1.13.9 first, said at preview, recorded for the next up", async () => {
        const info = jest.spyOn(pulumi.log, "info").mockImplementation(() => Promise.resolve());
        try {
            const { rec, outputs, error } = await run(upgrading(), {
                talos: before,
                nodes: [{ hostname: "talos-cp-1" }],
            });
            expect(error).toBeUndefined();
            const said = info.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith("Talos upgrades"));
            expect(said).toEqual([
                expect.stringContaining(
                    "2 rounds in order after the new machine configs are applied and the cluster is healthy, each node " +
                        "one at a time: an etcd snapshot; 1) v1.12.1 → v1.13.9 on talos-cp-1; 2) v1.13.9 → v1.14.0 on " +
                        "talos-cp-1; then Kubernetes 1.35.0 → 1.35.4",
                ),
            ]);
            const first = rec.byName("talos-talos-cp-1-upgrade-v1.13.9");
            expect(first.inputs.update).toContain(`upgrade --image 'factory.talos.dev/metal-installer/${ID}:v1.13.9'`);
            expect(rec.byName("talos-talos-cp-1-upgrade").dependencies).toContain(first.urn);
            expect(first.dependencies).toContain(rec.byName("talos-etcd-snapshot").urn);
            expect(await valueOf(outputs!.talos)).toEqual({
                version: "v1.14.0",
                kubernetesVersion: "1.35.4",
                workloadIsolation: false, // an upgraded cluster keeps Talos' old behaviour (below)
                upgradeImage: `factory.talos.dev/metal-installer/${ID}:v1.14.0`,
                // For the next preview to name the nodes whose change needs a reboot; in clear (the output is).
                rebootDigests: { "talos-cp-1": expect.stringMatching(/^[0-9a-f]{64}$/) },
            });
            expect(await pulumi.isSecret(outputs!.talos)).toBe(false);
        } finally {
            info.mockRestore();
        }
    });

    test("direct where Talos refuses it: refused before any resource, with the path that works", async () => {
        const { rec, error } = await run(upgrading({ upgradePath: "direct" }), {
            talos: { ...before, version: "v1.11.5" },
        });
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(error!.message).toContain("cluster.talosVersion: Talos refuses to upgrade v1.11.5 straight to v1.14.0");
        expect(error!.message).toContain("The path that works: v1.11.5 → v1.12.11 → v1.13.9 → v1.14.0");
        expect(rec.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });

    test("a Kubernetes the nodes' running Talos refuses is refused before any resource, with the fix", async () => {
        const { rec, error } = await run(upgrading({ kubernetesVersion: "1.37.0" }), { talos: before });
        expect(error!.message).toMatch(
            /^cluster\.kubernetesVersion: 1\.37\.0 is too new for Talos v1\.12\.1 .*set it to 1\.35\.0, what the cluster runs/,
        );
        expect(rec.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });

    test("lowering the minor is refused before any resource", async () => {
        const v = devValues();
        v.cluster.upgrades = true;
        const { rec, error } = await run(v, { talos: { ...before, version: "v1.13.9" } });
        expect(error!.message).toContain("cluster.talosVersion: v1.13.9 → v1.12.1 lowers the Talos minor");
        expect(rec.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });

    test("a stack made before this version: the installer/ form of the same image runs no upgrade", async () => {
        const legacy = `factory.talos.dev/installer/${ID}:v1.12.1`;
        const v = devValues();
        v.cluster.upgrades = true;
        const { rec, outputs, error } = await run(v, { installerImage: legacy, nodes: [{ hostname: "talos-cp-1" }] });
        expect(error).toBeUndefined();
        expect(rec.byName("talos-talos-cp-1-upgrade").inputs.update).toContain(`upgrade --image '${legacy}'`);
        expect(rec.named(/-upgrade-v/)).toEqual([]);
        expect((await valueOf<{ upgradeImage: string }>(outputs!.talos)).upgradeImage).toBe(legacy);
        expect(await valueOf(outputs!.installerImage)).toBe(`factory.talos.dev/metal-installer/${ID}:v1.12.1`);
    });
});

describe("Talos 1.14's workload isolation, with Synology CSI on (the dev stack's)", () => {
    const v114 = () => {
        const v = devValues();
        v.cluster.talosVersion = "v1.14.0";
        v.cluster.kubernetesVersion = "1.35.4";
        return v;
    };
    const configOf = (rec: Recorder) =>
        (rec.byName("talos-talos-cp-1-apply").inputs.machineConfigurationInput as { value: string }).value;
    const DOCUMENT = "apiVersion: v1alpha1\nkind: SecurityProfileConfig\nworkloadIsolation: true\n";

    test("a new 1.14 stack is isolated, as Talos makes a new cluster: the document follows the provider's config", async () => {
        const { rec, outputs, error } = await run(v114());
        expect(error).toBeUndefined();
        expect(configOf(rec)).toContain(`---\n${DOCUMENT}`);
        expect(rec.resources.some((r) => r.type === "kubernetes:apps/v1:DaemonSet")).toBe(true);
        expect((await valueOf<{ workloadIsolation: boolean }>(outputs!.talos)).workloadIsolation).toBe(true);
    });

    test("a cluster upgraded to 1.14 stays as it was, and the preview says how to turn it on", async () => {
        const info = jest.spyOn(pulumi.log, "info").mockImplementation(() => Promise.resolve());
        try {
            const { rec, error } = await run(v114(), {
                talos: { version: "v1.12.1", kubernetesVersion: "1.35.0", upgradeImage: "x" },
            });
            expect(error).toBeUndefined();
            expect(configOf(rec)).not.toContain("SecurityProfileConfig");
            const notes = info.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith("workload isolation"));
            expect(notes).toEqual([expect.stringContaining("cluster.workloadIsolation: true turns it on")]);
        } finally {
            info.mockRestore();
        }
    });

    test("cluster.workloadIsolation decides, whatever the history; false sends no document", async () => {
        const on = v114();
        on.cluster.workloadIsolation = true;
        const upgraded = await run(on, { talos: { version: "v1.13.9", workloadIsolation: false } });
        expect(configOf(upgraded.rec)).toContain(DOCUMENT);
        const off = v114();
        off.cluster.workloadIsolation = false;
        const fresh = await run(off);
        expect(configOf(fresh.rec)).not.toContain("SecurityProfileConfig");
    });
});
