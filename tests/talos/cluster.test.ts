/**
 * TalosCluster under Pulumi mocks (set before the component is imported): the seed's one-node stack
 * and a 3-control-plane + 2-worker stack. The harness records what the engine would see: resource
 * inputs (secrets as secret sentinels), dependencies, additionalSecretOutputs, and invokes with the
 * resources that had completed before each invoke.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { ClusterConfig, NodeConfig, UpsConfig } from "../../components/talos/config";
import { allStrings, installMocks, isSecretSentinel, Recorder, valueOf } from "../support/pulumi-mocks";
import { clusterConfig } from "../support/fixtures";
import { imageSchematic } from "../../components/talos/upgrades";

const SCHEMATIC = "87286864e94c7d661c926a524c8e57f84d608488f0cd654a92b1e5f37d48b868";
const INSTALLER = `factory.talos.dev/metal-installer/${SCHEMATIC}:v1.12.1`;
const UPS_PASSWORD = "ups-Pw-7Qz9x";
const CLIENT_KEY = "CLIENT-KEY-5f3a";
const KUBECONFIG = "KUBECONFIG-RAW-91c2";
const TALOSCONFIG = "TALOSCONFIG-77ab";

function n(hostname: string, ip: string, role: NodeConfig["role"], over: Partial<NodeConfig> = {}): NodeConfig {
    const last = ip.split(".")[3].padStart(2, "0");
    return {
        hostname,
        ip,
        role,
        mac: `aa:bb:cc:dd:ee:${last}`,
        installDisk: "/dev/nvme0n1",
        patches: [],
        wakeOnLan: false,
        ...over,
    };
}

const SEED_UPS: UpsConfig = { monitor: "ups@192.168.0.6", username: "monuser" };

let rec: Recorder;
let mod: typeof import("../../components/talos/cluster");
/** Ticks the Kubeconfig mock waits, so a health check that does not wait for it would run first. */
const KUBECONFIG_DELAY_TICKS = 50;

async function ticks(k: number): Promise<void> {
    for (let i = 0; i < k; i++) await new Promise((r) => setImmediate(r));
}

beforeAll(async () => {
    rec = await installMocks({
        onResource: async (type, name, inputs) => {
            switch (type) {
                case "talos:machine/secrets:Secrets":
                    return {
                        machineSecrets: {
                            cluster: { id: "cid", secret: "CLUSTER-SECRET" },
                            trustdinfo: { token: "TOKEN" },
                        },
                        clientConfiguration: { caCertificate: "CA", clientCertificate: "CRT", clientKey: CLIENT_KEY },
                        talosVersion: inputs.talosVersion,
                    };
                case "talos:machine/configurationApply:ConfigurationApply":
                    return { machineConfigurationHash: `hash-of-${name}`, machineConfiguration: "rendered" };
                case "talos:cluster/kubeconfig:Kubeconfig":
                    await ticks(KUBECONFIG_DELAY_TICKS);
                    return {
                        kubeconfigRaw: KUBECONFIG,
                        kubernetesClientConfiguration: { host: "h", clientKey: CLIENT_KEY },
                    };
                default:
                    return undefined;
            }
        },
        onCall: (token) => {
            if (token === "talos:client/getConfiguration:getConfiguration") return { talosConfig: TALOSCONFIG };
            if (token === "talos:machine/getConfiguration:getConfiguration")
                return { machineConfiguration: "MACHINE-CONFIG" };
            return undefined;
        },
    });
    mod = await import("../../components/talos/cluster");
});

/** Build a stack the way index.ts does, with a stand-in for the Synology component's pxeReady. */
async function build(
    name: string,
    cluster: ClusterConfig,
    nodes: NodeConfig[],
    withUps: boolean,
    installedNodes?: string[],
) {
    rec.reset();
    // A stand-in resource (CustomResource is abstract in the typings, not at runtime).
    const Custom = pulumi.CustomResource as unknown as new (t: string, n: string, p: object) => pulumi.CustomResource;
    const pxe = new Custom("test:synology:PxeReady", `${name}-pxe`, {});
    const c = new mod.TalosCluster(name, {
        cluster,
        nodes,
        installerImage: pulumi.output(INSTALLER),
        schematicId: pulumi.output(SCHEMATIC),
        ups: withUps ? SEED_UPS : undefined,
        upsPassword: withUps ? pulumi.secret(UPS_PASSWORD) : undefined,
        pxeReady: pxe.id,
        installedNodes,
    });
    // Settle everything the component produces.
    await valueOf(pulumi.all([c.kubeconfig, c.talosconfig, c.healthy, c.nodes, c.machineConfigurationHashes]));
    if (c.upgrades) {
        await valueOf(pulumi.all([...c.upgrades.nodes.map((x) => x.command.urn), c.upgrades.kubernetes?.urn]));
    }
    await ticks(10);
    return { c, pxe: rec.byName(`${name}-pxe`) };
}

function configInvokes() {
    return rec.invokes.filter((i) => i.token === "talos:machine/getConfiguration:getConfiguration");
}
/** The config patches of an invoke, secret ones unwrapped, each marked. */
function patchesOf(inputs: Record<string, unknown>): { text: string; secret: boolean }[] {
    return (inputs.configPatches as unknown[]).map((p) =>
        isSecretSentinel(p) ? { text: String(p.value), secret: true } : { text: String(p), secret: false },
    );
}
function hostnameOf(inputs: Record<string, unknown>): string {
    return patchesOf(inputs)
        .map((p) => parse(p.text))
        .find((d) => d?.kind === "HostnameConfig").hostname;
}
/** Every string in resource inputs outside secret sentinels. */
function nonSecretStrings(v: unknown, out: string[] = []): string[] {
    if (isSecretSentinel(v)) return out;
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => nonSecretStrings(x, out));
    else if (v && typeof v === "object") Object.values(v).forEach((x) => nonSecretStrings(x, out));
    return out;
}

describe("the seed's one-node stack", () => {
    let built: Awaited<ReturnType<typeof build>>;
    beforeAll(async () => {
        built = await build("seed", clusterConfig(), [n("talos-cp-1", "192.168.0.2", "controlplane")], true);
    });

    test("resource counts", () => {
        const count = (t: string) => rec.resources.filter((r) => r.type === t).length;
        expect(count("homelab:talos:TalosCluster")).toBe(1);
        expect(count("talos:machine/secrets:Secrets")).toBe(1);
        expect(count("talos:machine/configurationApply:ConfigurationApply")).toBe(1);
        expect(count("talos:machine/bootstrap:Bootstrap")).toBe(1);
        expect(count("talos:cluster/kubeconfig:Kubeconfig")).toBe(1);
        expect(rec.resources.filter((r) => r.type.startsWith("command:")).length).toBe(0);
        expect(rec.resources.filter((r) => r.type.includes("WakeOnLan")).length).toBe(0);
        expect(configInvokes().length).toBe(1);
        expect(rec.invokes.filter((i) => i.token === "talos:cluster/getHealth:getHealth").length).toBe(1);
        // Children are named after the component and parented to it.
        const comp = rec.byName("seed");
        for (const r of rec.resources.filter((x) => x.type.startsWith("talos:"))) {
            expect(r.name.startsWith("seed-")).toBe(true);
            expect(r.parent).toBe(comp.urn);
        }
    });

    test("the Talos SDK holds what the component uses and nothing else", async () => {
        const { TALOS_SDK } = await import("../../components/talos/sdk");
        const used = new Set(
            [...rec.resources.map((r) => r.type), ...rec.invokes.map((i) => i.token)].filter((t) =>
                t.startsWith("talos:"),
            ),
        );
        expect([...used].sort()).toEqual(TALOS_SDK.map((e) => e.token).sort());
    });

    test("secrets use the v1.12 contract; the config is a controlplane with the seed's patches", () => {
        expect(rec.byName("seed-secrets").inputs.talosVersion).toBe("v1.12");
        const [cfg] = configInvokes();
        expect(cfg.inputs).toMatchObject({
            clusterName: "homelab-dev",
            clusterEndpoint: "https://192.168.0.2:6443",
            machineType: "controlplane",
            talosVersion: "v1.12",
            kubernetesVersion: "1.35.0",
        });
        // (Invoke arguments reach the provider in clear, as they must; secrecy is checked on the
        // component's inputs below and on everything stored.)
        const patches = patchesOf(cfg.inputs);
        expect(patches).toHaveLength(4);
        const [install, hostname, scheduling, nut] = patches.map((p) => parse(p.text));
        // No worker: workloads (Synology CSI's controller) must be allowed on the one control plane.
        expect(scheduling).toEqual({ cluster: { allowSchedulingOnControlPlanes: true } });
        expect(install.machine.install).toEqual({ disk: "/dev/nvme0n1", image: INSTALLER, wipe: false });
        expect(install.machine.install.image).toContain(SCHEMATIC);
        expect(hostname).toMatchObject({ kind: "HostnameConfig", hostname: "talos-cp-1" });
        expect(nut).toMatchObject({ kind: "ExtensionServiceConfig", name: "nut-client" });
        expect(nut.configFiles[0]).toEqual({
            content: `MONITOR ups@192.168.0.6 1 monuser ${UPS_PASSWORD} secondary\nSHUTDOWNCMD "/sbin/poweroff"`,
            mountPath: "/usr/local/etc/nut/upsmon.conf",
        });
    });

    test("apply at the node's IP with timeout, onDestroy and the machine config as a secret", () => {
        const apply = rec.byName("seed-talos-cp-1-apply");
        expect(apply.inputs.node).toBe("192.168.0.2");
        expect(apply.inputs.endpoint).toBe("192.168.0.2");
        // Every key of the timeouts type: a partial object makes the bridge refuse its own state after the apply.
        expect(apply.inputs.timeouts).toEqual({ create: "30m", update: "30m", delete: "10m" });
        // Single control plane: a graceful reset could not leave etcd.
        expect(apply.inputs.onDestroy).toEqual({ reset: false, graceful: false, reboot: false });
        expect(isSecretSentinel(apply.inputs.machineConfigurationInput)).toBe(true);
        expect(apply.additionalSecretOutputs).toContain("machineConfiguration");
    });

    test("bootstrap waits bootstrapTimeout (install and reboot); every bridged timeouts object is whole", () => {
        expect(rec.byName("seed-bootstrap").inputs.timeouts).toEqual({ create: "20m" });
        const health = rec.invokes.find((i) => i.token === "talos:cluster/getHealth:getHealth")!;
        expect(health.inputs.timeouts).toEqual({ read: "10m" });
        expect(health.inputs.skipKubernetesChecks).toBe(false);
    });

    test("a node wait runs before the apply, on the machine config's hash, naming the node and what to check", () => {
        const wait = rec.byName("seed-talos-cp-1-wait");
        expect(wait.type).toBe("pulumi-nodejs:dynamic/homelab:TalosNodeWait");
        expect(wait.inputs).toMatchObject({
            hostname: "talos-cp-1",
            ip: "192.168.0.2",
            port: 50000,
            timeoutSeconds: 1800,
            timeoutText: "30m",
        });
        // sha256 of the rendered config the apply sends (the mock renders "MACHINE-CONFIG").
        expect(wait.inputs.configHash).toBe(crypto.createHash("sha256").update("MACHINE-CONFIG").digest("hex"));
        expect(wait.inputs.hint).toContain("aa:bb:cc:dd:ee:02");
        expect(wait.inputs.hint).toContain("npm run doctor -- --stack test --only nodes,dhcp,tftp");
        expect(wait.dependencies).toContain(built.pxe.urn);
        expect(rec.byName("seed-talos-cp-1-apply").dependencies).toContain(wait.urn);
    });

    test("dependency order pxeReady → wait → apply → bootstrap → kubeconfig → health", () => {
        const apply = rec.byName("seed-talos-cp-1-apply");
        expect(apply.dependencies).toContain(built.pxe.urn);
        const boot = rec.byName("seed-bootstrap");
        expect(boot.dependencies).toContain(apply.urn);
        expect(boot.inputs.node).toBe("192.168.0.2");
        const kc = rec.byName("seed-kubeconfig");
        expect(kc.dependencies).toContain(boot.urn);
        expect(rec.dependsOnTransitively("seed-kubeconfig", "seed-pxe")).toBe(true);
        const health = rec.invokes.find((i) => i.token === "talos:cluster/getHealth:getHealth")!;
        // The kubeconfig mock is slow on purpose: health ran only after it (and the bootstrap) completed.
        expect(health.completedBefore).toEqual(
            expect.arrayContaining(["seed-kubeconfig", "seed-bootstrap", "seed-talos-cp-1-apply"]),
        );
        expect(health.inputs).toMatchObject({
            controlPlaneNodes: ["192.168.0.2"],
            endpoints: ["192.168.0.2"],
            workerNodes: [],
        });
    });

    test("outputs: kubeconfig and talosconfig secret, summary and hashes plain", async () => {
        const { c } = built;
        expect(await pulumi.isSecret(c.kubeconfig)).toBe(true);
        expect(await pulumi.isSecret(c.talosconfig)).toBe(true);
        expect(await valueOf(c.kubeconfig)).toBe(KUBECONFIG);
        expect(await valueOf(c.talosconfig)).toBe(TALOSCONFIG);
        expect(await pulumi.isSecret(c.nodes)).toBe(false);
        expect(await valueOf(c.nodes)).toEqual([
            { hostname: "talos-cp-1", ip: "192.168.0.2", role: "controlplane", mac: "aa:bb:cc:dd:ee:02" },
        ]);
        expect(await valueOf(c.machineConfigurationHashes)).toEqual({ "talos-cp-1": "hash-of-seed-talos-cp-1-apply" });
        expect(await valueOf(c.healthy)).toBe(true);
        expect(await valueOf(c.installerImage)).toBe(INSTALLER);
        expect(await valueOf(c.schematicId)).toBe(SCHEMATIC);
        const tc = rec.invokes.find((i) => i.token === "talos:client/getConfiguration:getConfiguration")!;
        expect(tc.inputs).toMatchObject({ clusterName: "homelab-dev", endpoints: ["192.168.0.2"] });
    });

    test("the UPS password is in no non-secret value", async () => {
        for (const r of rec.resources) {
            expect({ name: r.name, leaks: nonSecretStrings(r.inputs).filter((s) => s.includes(UPS_PASSWORD)) }).toEqual(
                { name: r.name, leaks: [] },
            );
        }
        // The config that carries it travels to the apply as a secret.
        expect(isSecretSentinel(rec.byName("seed-talos-cp-1-apply").inputs.machineConfigurationInput)).toBe(true);
        const { c } = built;
        const plain: pulumi.Output<unknown>[] = [
            c.nodes,
            c.machineConfigurationHashes,
            c.healthy,
            c.installerImage,
            c.schematicId,
        ];
        for (const o of plain) {
            expect(await pulumi.isSecret(o)).toBe(false);
            expect(allStrings(await valueOf(o)).join("\n")).not.toContain(UPS_PASSWORD);
        }
    });
});

describe("3 control planes + 2 workers, upgrades and Wake-on-LAN on", () => {
    // A worker listed first: bootstrap and upgrade order must still start with the control planes.
    const nodes = [
        n("w-1", "192.168.0.21", "worker", { installDisk: undefined, installDiskSelector: { type: "ssd" } }),
        n("cp-1", "192.168.0.11", "controlplane", {
            wakeOnLan: true,
            patches: ['machine:\n  kubelet:\n    extraArgs:\n      max-pods: "150"\n'],
        }),
        n("cp-2", "192.168.0.12", "controlplane"),
        n("w-2", "192.168.0.22", "worker"),
        n("cp-3", "192.168.0.13", "controlplane"),
    ];
    let built: Awaited<ReturnType<typeof build>>;
    beforeAll(async () => {
        built = await build(
            "big",
            clusterConfig({
                upgrades: true,
                resetOnDestroy: true,
                endpoint: "https://192.168.0.10:6443",
                allowSchedulingOnControlPlanes: false, // the parser's default with workers
            }),
            nodes,
            false,
        );
    });

    test("resource counts", () => {
        const count = (t: string) => rec.resources.filter((r) => r.type === t).length;
        expect(count("talos:machine/secrets:Secrets")).toBe(1);
        expect(count("talos:machine/configurationApply:ConfigurationApply")).toBe(5);
        expect(count("talos:machine/bootstrap:Bootstrap")).toBe(1);
        expect(count("talos:cluster/kubeconfig:Kubeconfig")).toBe(1);
        expect(count("command:local:Command")).toBe(6);
        expect(count("pulumi-nodejs:dynamic/homelab:WakeOnLan")).toBe(1);
        expect(configInvokes().length).toBe(5);
    });

    test("machine type and patches per node; no UPS patch without ups", () => {
        const byHost = Object.fromEntries(configInvokes().map((i) => [hostnameOf(i.inputs), i.inputs]));
        expect(Object.keys(byHost).sort()).toEqual(["cp-1", "cp-2", "cp-3", "w-1", "w-2"]);
        for (const node of nodes) {
            const inputs = byHost[node.hostname];
            expect({ h: node.hostname, type: inputs.machineType }).toEqual({ h: node.hostname, type: node.role });
            const docs = patchesOf(inputs).map((p) => parse(p.text));
            expect(docs.some((d) => d?.kind === "ExtensionServiceConfig")).toBe(false);
            expect(docs[0].machine.install.image).toBe(INSTALLER);
            expect(patchesOf(inputs).every((p) => !p.secret)).toBe(true);
        }
        expect(parse(patchesOf(byHost["w-1"])[0].text).machine.install).toEqual({
            diskSelector: { type: "ssd" },
            image: INSTALLER,
            wipe: false,
        });
        const cp1 = patchesOf(byHost["cp-1"]);
        expect(cp1).toHaveLength(3);
        expect(parse(cp1[2].text).machine.kubelet.extraArgs["max-pods"]).toBe("150");
    });

    test("bootstrap once, on the first control plane, after its apply", () => {
        const boots = rec.resources.filter((r) => r.type === "talos:machine/bootstrap:Bootstrap");
        expect(boots).toHaveLength(1);
        expect(boots[0].inputs.node).toBe("192.168.0.11");
        expect(boots[0].dependencies).toContain(rec.byName("big-cp-1-apply").urn);
        expect(rec.byName("big-kubeconfig").inputs.node).toBe("192.168.0.11");
    });

    test("onDestroy: every node but the first control plane leaves gracefully; control planes reset one at a time, first one last", () => {
        for (const h of ["cp-2", "cp-3", "w-1", "w-2"]) {
            expect(rec.byName(`big-${h}-apply`).inputs.onDestroy).toEqual({
                reset: true,
                graceful: true,
                reboot: false,
            });
        }
        // etcd's last member cannot leave it: the first control plane is reset last, without leaving.
        expect(rec.byName("big-cp-1-apply").inputs.onDestroy).toEqual({ reset: true, graceful: false, reboot: false });
        // Destroy runs in reverse dependency order: cp-3, then cp-2, then cp-1.
        expect(rec.byName("big-cp-2-wait").dependencies).toContain(rec.byName("big-cp-1-apply").urn);
        expect(rec.byName("big-cp-3-wait").dependencies).toContain(rec.byName("big-cp-2-apply").urn);
        expect(rec.byName("big-w-1-wait").dependencies).not.toContain(rec.byName("big-cp-1-apply").urn);
    });

    test("Wake-on-LAN after pxeReady and before the apply, only for the node that asks", () => {
        const wol = rec.byName("big-cp-1-wol");
        expect(wol.dependencies).toContain(built.pxe.urn);
        expect(wol.inputs).toMatchObject({ mac: "aa:bb:cc:dd:ee:11", address: "192.168.0.255", port: 9 });
        expect(rec.byName("big-cp-1-wait").dependencies).toContain(wol.urn);
        expect(rec.byName("big-cp-1-apply").dependencies).toContain(rec.byName("big-cp-1-wait").urn);
        expect(rec.named(/-wol$/).map((r) => r.name)).toEqual(["big-cp-1-wol"]);
        for (const node of nodes)
            expect(rec.byName(`big-${node.hostname}-apply`).dependencies).toContain(built.pxe.urn);
    });

    test("health covers control planes and workers and runs after kubeconfig and every apply", () => {
        const health = rec.invokes.find((i) => i.token === "talos:cluster/getHealth:getHealth")!;
        expect(health.inputs).toMatchObject({
            controlPlaneNodes: ["192.168.0.11", "192.168.0.12", "192.168.0.13"],
            workerNodes: ["192.168.0.21", "192.168.0.22"],
            endpoints: ["192.168.0.11", "192.168.0.12", "192.168.0.13"],
        });
        expect(health.completedBefore).toEqual(
            expect.arrayContaining(["big-kubeconfig", "big-bootstrap", ...nodes.map((x) => `big-${x.hostname}-apply`)]),
        );
        const tc = rec.invokes.find((i) => i.token === "talos:client/getConfiguration:getConfiguration")!;
        expect(tc.inputs.endpoints).toEqual(["192.168.0.11", "192.168.0.12", "192.168.0.13"]);
    });

    test("upgrade commands chain control planes first, then workers, then Kubernetes", () => {
        const order = ["cp-1", "cp-2", "cp-3", "w-1", "w-2"].map((h) => rec.byName(`big-${h}-upgrade`));
        expect(order[0].dependencies).toEqual(expect.arrayContaining([rec.byName("big-bootstrap").urn]));
        for (let i = 1; i < order.length; i++) expect(order[i].dependencies).toContain(order[i - 1].urn);
        const k8s = rec.byName("big-kubernetes-upgrade");
        expect(k8s.dependencies).toContain(order[4].urn);
        // Each update script upgrades its own node to the installer image, a control plane through itself and a
        // worker through the control planes (talosctl 1.13+ drains it with a kubeconfig only they have); k8s to
        // the configured version.
        const controlPlanes = nodes.filter((x) => x.role === "controlplane").map((x) => x.ip);
        order.forEach((cmd, i) => {
            const node = nodes.find((x) => x.hostname === ["cp-1", "cp-2", "cp-3", "w-1", "w-2"][i])!;
            const endpoints = node.role === "controlplane" ? node.ip : controlPlanes.join(",");
            expect(cmd.inputs.update).toContain(
                `--nodes '${node.ip}' --endpoints '${endpoints}' upgrade --image '${INSTALLER}' --preserve --wait --timeout '15m'`,
            );
            // create and update upgrade only a node that does not run the image's version and schematic.
            for (const script of [cmd.inputs.create, cmd.inputs.update]) {
                expect(script).toContain(
                    `if { [ "$(running_tag '${node.ip}')" = 'v1.12.1' ] && [ "$(running_schematic '${node.ip}')" = '${imageSchematic(INSTALLER)}' ]; }; then`,
                );
            }
        });
        expect(k8s.inputs.update).toContain(
            "--nodes '192.168.0.11' --endpoints '192.168.0.11' upgrade-k8s --to '1.35.0'",
        );
    });

    test("no upgrade command has triggers: a new image must update it in place (run `update`), not replace it (run `create`)", () => {
        for (const cmd of rec.resources.filter((r) => r.type === "command:local:Command")) {
            expect({ name: cmd.name, triggers: cmd.inputs.triggers }).toEqual({ name: cmd.name, triggers: undefined });
        }
    });

    test("the first upgrade waits for the health check (its value orders it, a constant never updates it)", () => {
        const first = rec.byName("big-cp-1-upgrade");
        const env = first.inputs.environment as Record<string, unknown>;
        const plain = isSecretSentinel(env) ? (env.value as Record<string, unknown>) : env;
        expect(plain.HOMELAB_AFTER_HEALTH_CHECK).toBe("1");
        const health = rec.invokes.find((i) => i.token === "talos:cluster/getHealth:getHealth")!;
        expect(health.completedBefore).not.toContain("big-cp-1-upgrade");
    });

    test("command texts hold no secret; the talosconfig travels only as a secret environment value", () => {
        for (const cmd of rec.resources.filter((r) => r.type === "command:local:Command")) {
            const env = cmd.inputs.environment as Record<string, unknown>;
            const tc = env.HOMELAB_TALOSCONFIG;
            expect(isSecretSentinel(tc) || isSecretSentinel(env)).toBe(true);
            const texts = nonSecretStrings({ create: cmd.inputs.create, update: cmd.inputs.update }).join("\n");
            for (const secret of [TALOSCONFIG, CLIENT_KEY, KUBECONFIG]) expect(texts).not.toContain(secret);
        }
    });

    test("per node, what it runs (drift): after its apply and its upgrade, declared version and config digest, secrets secret", async () => {
        await valueOf(pulumi.all(Object.values(built.c.nodeStates).map((r) => r.urn)));
        await ticks(10);
        const states = rec.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/homelab:TalosNodeState");
        expect(states.map((r) => r.name).sort()).toEqual(nodes.map((x) => `big-${x.hostname}-state`).sort());
        for (const node of nodes) {
            const st = rec.byName(`big-${node.hostname}-state`);
            expect(st.parent).toBe(rec.byName("big").urn);
            expect(st.dependencies).toEqual(
                expect.arrayContaining([
                    rec.byName(`big-${node.hostname}-apply`).urn,
                    rec.byName(`big-${node.hostname}-upgrade`).urn,
                ]),
            );
            expect(st.inputs).toMatchObject({
                hostname: node.hostname,
                ip: node.ip,
                tag: "v1.12.1",
                image: INSTALLER,
                digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
                applyMode: "auto",
                timeout: "15m",
                // a worker is upgraded through the control planes (talosctl drains it with their kubeconfig)
                upgradeEndpoints: node.role === "worker" ? ["192.168.0.11", "192.168.0.12", "192.168.0.13"] : [node.ip],
            });
            expect(isSecretSentinel(st.inputs.config)).toBe(true);
            expect(isSecretSentinel(st.inputs.talosconfig)).toBe(true);
            expect(st.additionalSecretOutputs).toEqual(expect.arrayContaining(["config", "talosconfig"]));
            for (const secret of [TALOSCONFIG, CLIENT_KEY, "MACHINE-CONFIG"])
                expect(nonSecretStrings(st.inputs).join("\n")).not.toContain(secret);
        }
    });

    test("secret outputs are secret", async () => {
        expect(await pulumi.isSecret(built.c.kubeconfig)).toBe(true);
        expect(await pulumi.isSecret(built.c.talosconfig)).toBe(true);
        expect(await pulumi.isSecret(built.c.nodes)).toBe(false);
    });
});

describe("nodeDocuments: the patches", () => {
    test("only the UPS patch is secret, and it holds the password", async () => {
        const inputs = mod.nodeDocuments(
            clusterConfig({ allowSchedulingOnControlPlanes: false }),
            n("cp-1", "192.168.0.11", "controlplane", { patches: ["a: 1\n"] }),
            0,
            pulumi.output(INSTALLER),
            SEED_UPS,
            pulumi.output(UPS_PASSWORD),
        ).patches;
        expect(await Promise.all(inputs.map((i) => pulumi.isSecret(i)))).toEqual([false, false, true, false]);
        const texts = await Promise.all(inputs.map((i) => valueOf(i)));
        expect(texts.map((t) => t.includes(UPS_PASSWORD))).toEqual([false, false, true, false]);
        expect(parse(texts[0]).machine.install.image).toBe(INSTALLER);
    });

    test("a plain (non-secret) password input still comes out secret", async () => {
        const inputs = mod.nodeDocuments(
            clusterConfig({ allowSchedulingOnControlPlanes: false }),
            n("cp-1", "192.168.0.11", "controlplane"),
            0,
            INSTALLER,
            SEED_UPS,
            UPS_PASSWORD,
        ).patches;
        expect(await pulumi.isSecret(inputs[2])).toBe(true);
    });
});

describe("a Talos 1.14 document in a node's patches", () => {
    test("goes to the node after the provider's config, not to the provider (its machinery, v1.13.0, refuses it)", async () => {
        const security = "apiVersion: v1alpha1\nkind: SecurityProfileConfig\nworkloadIsolation: true\n";
        const labels = "machine:\n  nodeLabels:\n    zone: a\n";
        await build(
            "raw",
            clusterConfig({ talosVersion: "v1.14.0", kubernetesVersion: "1.37.0" }),
            [n("cp-1", "192.168.0.11", "controlplane", { patches: [`${labels}---\n${security}`] })],
            false,
        );
        const patches = patchesOf(configInvokes()[0].inputs).map((p) => p.text);
        expect(patches.some((t) => t.includes("SecurityProfileConfig"))).toBe(false);
        expect(patches).toContain(labels);
        const input = rec.byName("raw-cp-1-apply").inputs.machineConfigurationInput as { value: string };
        expect(isSecretSentinel(input)).toBe(true);
        expect(input.value).toBe(`MACHINE-CONFIG\n---\n${security}`);
    });
});

describe("applyMode", () => {
    const nodes = [
        n("cp-1", "192.168.0.11", "controlplane"),
        n("cp-2", "192.168.0.12", "controlplane", { applyMode: "reboot" }),
        n("w-1", "192.168.0.21", "worker", { applyMode: "no_reboot" }),
    ];
    const modeOf = (name: string) => rec.byName(name).inputs.applyMode;

    test("the node's own mode, else the cluster's; a node's first apply in auto mode, said at preview", async () => {
        const info = jest.spyOn(pulumi.log, "info").mockImplementation(() => Promise.resolve());
        try {
            await build("modes", clusterConfig({ applyMode: "staged_if_needing_reboot" }), nodes, false, [
                "cp-1",
                "cp-2",
            ]);
            expect(["cp-1", "cp-2", "w-1"].map((h) => modeOf(`modes-${h}-apply`))).toEqual([
                "staged_if_needing_reboot",
                "reboot",
                undefined, // auto, the provider's default: maintenance mode refuses no_reboot
            ]);
            const notes = info.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith("applyMode:"));
            expect(notes).toEqual([expect.stringContaining("the first apply of w-1 (no_reboot) is made in auto mode")]);
        } finally {
            info.mockRestore();
        }
    });

    test("auto sends no applyMode: a stack that sets nothing sends what it always did", async () => {
        await build("auto", clusterConfig(), nodes.slice(0, 1), false, ["cp-1"]);
        expect(rec.byName("auto-cp-1-apply").inputs).not.toHaveProperty("applyMode");
    });
});

describe("upgrades off", () => {
    test("no commands when cluster.upgrades is false, even with several nodes", async () => {
        await build(
            "off",
            clusterConfig(),
            [n("cp-1", "192.168.0.11", "controlplane"), n("w-1", "192.168.0.21", "worker")],
            false,
        );
        expect(rec.resources.filter((r) => r.type === "command:local:Command")).toHaveLength(0);
        // nor a drift check: it runs talosctl, which only upgrades require
        expect(rec.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/homelab:TalosNodeState")).toHaveLength(0);
        expect(
            rec.resources.filter((r) => r.type === "talos:machine/configurationApply:ConfigurationApply"),
        ).toHaveLength(2);
    });
});

describe("healthFailureMessage", () => {
    const nodes = [
        n("cp-1", "192.168.0.11", "controlplane"),
        n("w-1", "192.168.0.21", "worker"),
        n("w-12", "192.168.0.212", "worker"),
    ];
    test("names the cluster, the timeout setting, the node the provider's message names, and what to check", () => {
        const m = mod.healthFailureMessage(
            clusterConfig({ healthTimeout: "5m" }),
            nodes,
            "rpc error: code = Unavailable desc = connection error: dial tcp 192.168.0.21:50000: connect: connection refused",
            "prod",
        );
        expect(m).toContain("cluster homelab-dev did not become healthy within 5m (cluster.healthTimeout)");
        expect(m).toContain("failing: w-1 (192.168.0.21)");
        expect(m).not.toContain("failing: w-1 (192.168.0.21), w-12");
        expect(m).toContain(
            "Checked control planes cp-1 (192.168.0.11) and workers w-1 (192.168.0.21), w-12 (192.168.0.212), Talos and Kubernetes",
        );
        expect(m).toContain("npm run doctor -- --stack prod --only nodes");
        expect(m).toContain("connection refused");
    });

    test("without a node in the provider's message it says which nodes were checked; Talos-only checks are named", () => {
        const m = mod.healthFailureMessage(
            clusterConfig({ healthChecks: { kubernetes: false } }),
            nodes,
            "etcd members mismatch",
            "dev",
        );
        expect(m).not.toContain("failing:");
        expect(m).toContain("Talos only (cluster.healthChecks.kubernetes: false)");
    });
});

describe("bad input fails before any resource", () => {
    // Every problem with its key and fix is parseStackConfig's (tests/config); the component asserts what it relies on.
    test.each([
        [
            "no control plane",
            [n("w-1", "192.168.0.21", "worker"), n("w-2", "192.168.0.22", "worker")],
            "pw",
            /no node has role controlplane/,
        ],
        [
            "ups without its password",
            [n("cp-1", "192.168.0.11", "controlplane")],
            undefined,
            /ups is set but no upsPassword/,
        ],
    ] as const)("%s", (_what, nodes, upsPassword, message) => {
        rec.reset();
        expect(
            () =>
                new mod.TalosCluster("bad", {
                    cluster: clusterConfig(),
                    nodes: [...nodes],
                    installerImage: INSTALLER,
                    schematicId: SCHEMATIC,
                    ups: SEED_UPS,
                    upsPassword,
                    pxeReady: true,
                }),
        ).toThrow(message);
        expect(rec.resources.filter((r) => r.type.startsWith("talos:") || r.type.startsWith("homelab:"))).toHaveLength(
            0,
        );
    });
});
