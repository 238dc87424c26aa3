/**
 * The whole graph end to end: a 3-control-plane + 2-worker stack on the real engine with the real Talos provider
 * 0.8.1, the real command provider, the real Kubernetes provider and the real talosctl, against Talos node stand-ins
 * on 127.0.0.11-13 and 127.0.0.21-22 (e2e/talos-node), which on bootstrap run Kubernetes' own control plane (etcd,
 * kube-apiserver, controller manager, scheduler; kwok as the kubelets). In order, on one stack:
 *   1 first up: one apply per node with the rendered config, one bootstrap, health with its Kubernetes half, a
 *     talosconfig that works, Synology CSI applied by the real Kubernetes provider and its pods Ready
 *   2 a re-run applies, bootstraps, upgrades and applies to Kubernetes nothing
 *   3 Pod Security is enforced: the CSI node plugin's pod is refused in a namespace without the privileged labels
 *   4 a Talos version change upgrades each node once, control planes first, and a re-run upgrades none
 *   5 a Kubernetes version change runs the real upgrade-k8s once (the control plane follows), a re-run none
 *   6 with the API server stopped, the health check fails within its timeout naming the node and the check
 *   7 a CSI rollout whose pods never become Ready fails the up within workloads.synologyCsi.timeout, naming the
 *     object; nothing outside the workloads changes; cleared, the next up converges
 *   8 a powered-off node fails the up, named, within the timeout; the other nodes are left as they were
 *   9 destroy removes the Kubernetes objects and, with resetOnDestroy, resets every node
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { installerImage, schematicFromImage, schematicId } from "../../components/factory/schematic";
import { changingSteps, diagnostics, steps, urnName } from "../support/events";
import { KubeClient, KubeObject, isReady, waitFor } from "../support/kubernetes";
import { recordFigures } from "../support/figures";
import { Harness, SEED_NAS_VALUES, toolchainBin } from "../support/scenario";

const UPS_PASSWORD = "ups-cluster-Pa55-e2e";
const DSM_PASSWORD = "dsm-cluster-Pa55-e2e";
const NODES = [
    { hostname: "cp-1", ip: "192.168.0.11", role: "controlplane" },
    { hostname: "cp-2", ip: "192.168.0.12", role: "controlplane" },
    { hostname: "cp-3", ip: "192.168.0.13", role: "controlplane" },
    { hostname: "w-1", ip: "192.168.0.21", role: "worker" },
    { hostname: "w-2", ip: "192.168.0.22", role: "worker" },
];

function clusterValues(): Record<string, unknown> {
    return {
        cluster: {
            name: "e2e-cluster",
            endpoint: "https://192.168.0.11:6443",
            talosVersion: "v1.12.0",
            kubernetesVersion: "1.35.0",
            upgrades: true,
            resetOnDestroy: true,
            applyTimeout: "30s",
            bootstrapTimeout: "2m",
            healthTimeout: "3m",
            upgradeTimeout: "2m",
        },
        image: {
            arch: "amd64",
            extensions: [
                "siderolabs/i915",
                "siderolabs/nut-client",
                "siderolabs/iscsi-tools",
                "siderolabs/util-linux-tools",
            ],
        },
        ...SEED_NAS_VALUES,
        nodes: NODES.map((n, i) => ({
            ...n,
            mac: `52:54:00:00:00:${(0x11 + i).toString(16)}`,
            installDisk: "/dev/nvme0n1",
        })),
        ups: { monitor: "ups@192.168.0.6", username: "monuser" },
        workloads: { synologyCsi: { enabled: true, timeout: "2m" } },
    };
}

let h: Harness;
let talosctlLog: string;
let wrapperDir: string;
const ips = () => (h.values.nodes as { hostname: string; ip: string }[]).map((n) => n.ip);
const ipOf = (hostname: string) =>
    (h.values.nodes as { hostname: string; ip: string }[]).find((n) => n.hostname === hostname)!.ip;

/** A talosctl first on PATH that records every call, then runs the real one (upgrade-k8s included). */
function recordingTalosctl(binDir: string): { dir: string; log: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "talosctl-rec-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(
        path.join(dir, "talosctl"),
        `#!/bin/sh
printf '%s\\n' "$*" >> '${log}'
exec '${path.join(binDir, "talosctl")}' "$@"
`,
        { mode: 0o755 },
    );
    return { dir, log };
}

const talosctlCalls = (verb: string) =>
    (fs.existsSync(talosctlLog) ? fs.readFileSync(talosctlLog, "utf8") : "")
        .split("\n")
        .filter((l) => l.split(" ").includes(verb));

beforeAll(async () => {
    const binDir = await toolchainBin();
    const rec = recordingTalosctl(binDir);
    wrapperDir = rec.dir;
    talosctlLog = rec.log;
    h = await Harness.start({
        values: clusterValues(),
        secrets: { synologyPassword: DSM_PASSWORD, upsPassword: UPS_PASSWORD },
        servers: { dsm: { users: { admin: DSM_PASSWORD } } },
        stack: "cluster",
        pathPrefix: [rec.dir],
    });
    h.servers.dsm.state.dhcpServers.eth0 = { ...h.servers.dsm.state.dhcpServers.eth0, enable: true };
}, 300_000);

afterAll(async () => {
    await h?.close();
    if (wrapperDir) fs.rmSync(wrapperDir, { recursive: true, force: true });
});

const up = () => h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
const errorsOf = (r: { events: Parameters<typeof diagnostics>[0] }) =>
    diagnostics(r.events, "error").map((d) => d.message);

/** A client of the cluster's real API server, from the stack's kubeconfig output. */
async function kube(): Promise<KubeClient> {
    const out = await h.engine.ok(["stack", "output", "kubeconfig", "--show-secrets", "--stack", h.engine.stack]);
    return KubeClient.fromKubeconfig(out.stdout);
}

/** Runs `f` with a client of the cluster's API server, closed afterwards. */
async function withKube<T>(f: (k: KubeClient) => Promise<T>): Promise<T> {
    const k = await kube();
    try {
        return await f(k);
    } finally {
        k.close();
    }
}

const CSI_NAMESPACE = "synology-csi";
const isKubernetes = (type: string) => type.startsWith("kubernetes:");

test("1. first up: one apply per node with the config the provider rendered, one bootstrap, health, and a working talosconfig", async () => {
    const r = await up();
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
    const nodes = h.nodes!;
    const image = h.values.image as { factoryUrl: string; extensions: string[] };
    const id = schematicId(schematicFromImage({ extensions: image.extensions, extraKernelArgs: [] }));
    for (const n of h.values.nodes as { hostname: string; ip: string; role: string }[]) {
        expect({ node: n.hostname, applies: nodes.okCalls("ApplyConfiguration", n.ip).length }).toEqual({
            node: n.hostname,
            applies: 1,
        });
        const docs = YAML.parseAllDocuments(await nodes.config(n.ip)).map((d) => d.toJS() as Record<string, any>);
        const main = docs.find((d) => d.version === "v1alpha1")!;
        expect(main.machine.type).toBe(n.role);
        expect(main.machine.install).toMatchObject({
            disk: "/dev/nvme0n1",
            image: installerImage(image.factoryUrl, id, "v1.12.0"),
        });
        expect(main.machine.kubelet.image).toMatch(/:v1\.35\.0$/);
        expect(docs.find((d) => d.kind === "HostnameConfig")).toMatchObject({ hostname: n.hostname });
        expect(docs.find((d) => d.kind === "ExtensionServiceConfig")!.configFiles[0].content).toContain(
            ` ${UPS_PASSWORD} `,
        );
        expect((await nodes.node(n.ip)).mode).toBe("configured");
    }
    const bootstraps = nodes.okCalls("Bootstrap");
    expect(bootstraps.map((b) => b.node)).toEqual([ipOf("cp-1")]);
    recordFigures({
        nodes: ips().length,
        applies: nodes.okCalls("ApplyConfiguration").length,
        bootstraps: bootstraps.length,
    });

    // The exported talosconfig works with the real talosctl against every node.
    const out = await h.engine.ok(["stack", "output", "talosconfig", "--show-secrets", "--stack", h.engine.stack]);
    const tc = path.join(h.engine.dir, "talosconfig");
    fs.writeFileSync(tc, out.stdout, { mode: 0o600 });
    const version = await new Promise<string>((resolve, reject) =>
        execFile(
            path.join(h.binDir, "talosctl"),
            ["--talosconfig", tc, "--nodes", ips().join(","), "version"],
            (e, so, se) => (e ? reject(new Error(se || e.message)) : resolve(so)),
        ),
    );
    for (const ip of ips()) expect(version).toContain(ip);
    expect((version.match(/Tag:\s+v1\.12\.0/g) ?? []).length).toBe(ips().length);
    const state = await h.engine.exportState();
    recordFigures({ stateBytes5: state.text.length });

    // The health check ran with its Kubernetes half (skipKubernetesChecks false), then the real Kubernetes provider
    // applied Synology CSI to the real API server and waited for its StatefulSet and DaemonSet to be Ready.
    const applied = steps(r.events).filter((st) => isKubernetes(st.type) && st.op === "create");
    expect(applied.map((st) => st.type)).toEqual(
        expect.arrayContaining([
            "kubernetes:core/v1:Namespace",
            "kubernetes:apps/v1:StatefulSet",
            "kubernetes:apps/v1:DaemonSet",
            "kubernetes:storage.k8s.io/v1:CSIDriver",
        ]),
    );
    const ready = await withKube(async (k) => {
        const nodes = await k.list("/api/v1/nodes");
        expect(nodes.map((n) => n.metadata.name).sort()).toEqual(NODES.map((n) => n.hostname).sort());
        expect(nodes.every(isReady)).toBe(true);
        expect(await k.get(`/apis/storage.k8s.io/v1/csidrivers/csi.san.synology.com`)).toBeTruthy();
        return k.readyPods(CSI_NAMESPACE);
    });
    // One controller, and the node plugin on each of the five nodes (it tolerates the control planes' taint).
    expect(ready.map((p) => p.metadata.labels?.["app.kubernetes.io/component"]).sort()).toEqual([
        "controller",
        "node",
        "node",
        "node",
        "node",
        "node",
    ]);
    recordFigures({ kubernetesObjectsApplied: applied.length, csiPodsReady: ready.length });
});

test("2. a re-run applies, bootstraps, upgrades and applies to Kubernetes nothing", async () => {
    const before = h.nodes!.calls().length;
    const r = await up();
    expect(r.code).toBe(0);
    expect(changingSteps(r.events).map((s) => urnName(s.urn))).toEqual([]);
    const since = h
        .nodes!.calls()
        .slice(before)
        .map((c) => c.method.split("/").pop());
    for (const m of ["ApplyConfiguration", "Bootstrap", "Upgrade"]) expect(since).not.toContain(m);
});

test("3. Pod Security is enforced: the CSI node plugin's pod is refused where the namespace lacks the privileged labels", async () => {
    await withKube(async (k) => {
        const ns = await k.get<KubeObject>(`/api/v1/namespaces/${CSI_NAMESPACE}`);
        expect(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("privileged");
        const ds = await k.get<KubeObject>(`/apis/apps/v1/namespaces/${CSI_NAMESPACE}/daemonsets/synology-csi-node`);
        // The node plugin's pod as the program declared it, without its service account (it lives in synology-csi).
        const {
            serviceAccount: _sa,
            serviceAccountName: _san,
            ...spec
        } = (ds.spec!.template as { spec: Record<string, unknown> }).spec;
        const pod = (namespace: string) => ({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "psa-probe", namespace },
            spec,
        });
        // The program's own node plugin pod, dry-run: admitted where the program put it ...
        const admitted = await k.request(
            "POST",
            `/api/v1/namespaces/${CSI_NAMESPACE}/pods?dryRun=All`,
            pod(CSI_NAMESPACE),
        );
        expect(admitted.status).toBe(201);
        // ... and refused by the real API server's Pod Security admission (baseline, as Talos enforces it) in a
        // namespace without the privileged labels.
        const plain = "psa-e2e";
        const made = await k.request("POST", "/api/v1/namespaces", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: plain },
        });
        expect(made.status).toBe(201);
        try {
            const refused = await k.request<{ message?: string }>(
                "POST",
                `/api/v1/namespaces/${plain}/pods?dryRun=All`,
                pod(plain),
            );
            expect(refused.status).toBe(403);
            expect(refused.body.message).toMatch(/violates PodSecurity "baseline:latest".*(privileged|host)/);
        } finally {
            await k.request("DELETE", `/api/v1/namespaces/${plain}`);
        }
    });
});

test("4. a Talos version change upgrades each node once, control planes first, each after the previous; a re-run upgrades none", async () => {
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.cluster.talosVersion = "v1.12.1";
    h.setValues(v);
    const before = h.nodes!.calls().length;
    const r = await up();
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
    const upgrades = h
        .nodes!.calls()
        .slice(before)
        .filter((c) => c.method.endsWith("/Upgrade") && (c.code === undefined || c.code === "OK"));
    expect(upgrades.map((c) => c.node)).toEqual(["cp-1", "cp-2", "cp-3", "w-1", "w-2"].map(ipOf));
    for (const ip of ips()) expect((await h.nodes!.node(ip)).talosVersion).toBe("v1.12.1");
    recordFigures({ upgradesRun: upgrades.length });

    const mark = h.nodes!.calls().length;
    const again = await up();
    expect(again.code).toBe(0);
    const rerun = h
        .nodes!.calls()
        .slice(mark)
        .filter((c) => c.method.endsWith("/Upgrade"));
    expect(rerun).toEqual([]);
    recordFigures({ upgradesOnRerun: rerun.length });
});

test("5. a Kubernetes version change runs the real upgrade-k8s once, through the first control plane; a re-run none", async () => {
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.cluster.kubernetesVersion = "1.35.2";
    h.setValues(v);
    const before = talosctlCalls("upgrade-k8s").length;
    const r = await up();
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
    const calls = talosctlCalls("upgrade-k8s").slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain(`--nodes ${ipOf("cp-1")}`);
    expect(calls[0]).toContain("--to 1.35.2");
    // The control plane followed: every control-plane mirror pod and every kubelet runs 1.35.2.
    await withKube(async (k) => {
        const pods = await k.list("/api/v1/namespaces/kube-system/pods?labelSelector=tier%3Dcontrol-plane");
        const images = pods.flatMap((p) => (p.spec!.containers as { image: string }[]).map((c) => c.image));
        expect(images.length).toBeGreaterThanOrEqual(9);
        expect(images.filter((i) => !i.endsWith(":v1.35.2"))).toEqual([]);
        const nodes = await k.list("/api/v1/nodes");
        expect(nodes.map((n) => n.status!.nodeInfo.kubeletVersion as string)).toEqual(nodes.map(() => "v1.35.2"));
    });
    const again = await up();
    expect(again.code).toBe(0);
    const rerun = talosctlCalls("upgrade-k8s").length - before - 1;
    expect(rerun).toBe(0);
    recordFigures({ upgradeK8sRun: calls.length, upgradeK8sOnRerun: rerun });
});

test("6. with the API server stopped, the health check fails within its timeout, naming the node and the Kubernetes check", async () => {
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.cluster.healthTimeout = "40s";
    h.setValues(v);
    const cps = ["cp-1", "cp-2", "cp-3"].map(ipOf);
    for (const ip of cps) await h.nodes!.fault(ip, { kind: "apiserver-stop" });
    try {
        const r = await up();
        expect(r.code).not.toBe(0);
        const message = errorsOf(r).join("\n");
        expect(message).toContain("did not become healthy within 40s (cluster.healthTimeout)");
        expect(message).toMatch(/cp-1 \(127\.\d+\.\d+\.11\)/);
        // The provider's own words name the Kubernetes check that failed.
        expect(message).toMatch(/kubernetes|k8s|kube-apiserver|6443/i);
        expect(r.seconds).toBeLessThan(40 + 90);
        // Nothing was applied to the cluster while it was not healthy.
        expect(changingSteps(r.events).filter((st) => isKubernetes(st.type))).toEqual([]);
    } finally {
        for (const ip of cps) await h.nodes!.fault(ip, { kind: "apiserver-start" });
        v.cluster.healthTimeout = "3m";
        h.setValues(v);
    }
    const back = await up();
    expect({ code: back.code, errors: errorsOf(back) }).toEqual({ code: 0, errors: [] });
});

test("7. a CSI rollout whose pods never become Ready fails within workloads.synologyCsi.timeout, naming the object; nothing else changes", async () => {
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.workloads.synologyCsi = { ...v.workloads.synologyCsi, version: "v1.4.0", timeout: "45s" };
    h.setValues(v);
    await h.nodes!.neverReady({ namespace: CSI_NAMESPACE, labelSelector: "app.kubernetes.io/component=controller" });
    const talosBefore = h.nodes!.calls().length;
    let r: Awaited<ReturnType<typeof up>>;
    try {
        r = await up();
    } finally {
        await h.nodes!.clearNeverReady();
    }
    expect(r.code).not.toBe(0);
    const message = errorsOf(r).join("\n");
    // The Kubernetes provider names the object it waited for and why it gave up.
    expect(message).toMatch(/synology-csi-controller/);
    expect(message).toMatch(/timed out|not ready|Ready/i);
    expect(r.seconds).toBeLessThan(45 + 120);
    // Only the workloads changed: no Talos, NAS or upgrade step, no call that writes to a node. (Providers are left
    // out: the dynamic providers' default provider takes the whole stack config as its inputs, so any config edit
    // updates it, which changes nothing anywhere.)
    const changed = changingSteps(r.events)
        .map((st) => st.type)
        .filter((t) => !t.startsWith("pulumi:providers:"));
    expect(changed.filter((t) => !isKubernetes(t))).toEqual([]);
    expect(changed).toEqual(expect.arrayContaining(["kubernetes:apps/v1:StatefulSet"]));
    const talosWrites = h
        .nodes!.calls()
        .slice(talosBefore)
        .filter((c) => /ApplyConfiguration|Upgrade|Reset|Bootstrap/.test(c.method));
    expect(talosWrites).toEqual([]);

    // Cleared, the next up converges (the pods come up Ready).
    const back = await up();
    expect({ code: back.code, errors: errorsOf(back) }).toEqual({ code: 0, errors: [] });
    const ready = await withKube((k) =>
        waitFor("the CSI controller Ready", async () => {
            const pods = await k.readyPods(CSI_NAMESPACE, "app.kubernetes.io/component=controller");
            return pods.length === 1 ? pods : undefined;
        }),
    );
    expect((ready[0].spec!.containers as { image: string }[]).some((c) => c.image.endsWith(":v1.4.0"))).toBe(true);
});

test("8. a powered-off node fails the up within the timeout, named with its address, and the other nodes are left as they were", async () => {
    const off = ipOf("w-2");
    const appliesBefore = h.nodes!.okCalls("ApplyConfiguration", off).length;
    await h.nodes!.fault(off, { kind: "poweroff" });
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.nodes[4].patches = ["machine:\n  nodeLabels:\n    e2e: powered-off-change\n"];
    h.setValues(v);
    const before = h.nodes!.calls().length;
    const r = await up();
    expect(r.code).not.toBe(0);
    const message = errorsOf(r).join("\n");
    expect(message).toContain(`w-2 (${off})`);
    expect(r.seconds).toBeLessThan(30 + 90);
    const others = h
        .nodes!.calls()
        .slice(before)
        .filter((c) => c.node !== off && /ApplyConfiguration|Upgrade|Reset/.test(c.method));
    expect(others).toEqual([]);

    await h.nodes!.fault(off, { kind: "poweron" });
    const back = await up();
    expect({ code: back.code, errors: errorsOf(back) }).toEqual({ code: 0, errors: [] });
    // The change reaches the node once it is back, exactly once.
    expect(h.nodes!.okCalls("ApplyConfiguration", off).length).toBe(appliesBefore + 1);
});

test("9. destroy deletes the Kubernetes objects, then with resetOnDestroy resets every node, control planes one at a time with the first one last", async () => {
    const r = await h.engine.run(["destroy", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
    // Every Kubernetes object the program applied was deleted by the provider (before the nodes were reset).
    const deleted = steps(r.events).filter((st) => isKubernetes(st.type) && st.op === "delete");
    expect(deleted.length).toBeGreaterThanOrEqual(12);
    for (const ip of ips()) expect({ ip, resets: h.nodes!.okCalls("Reset", ip).length }).toEqual({ ip, resets: 1 });
    const cpResets = h
        .nodes!.okCalls("Reset")
        .map((c) => c.node)
        .filter((ip) => ["cp-1", "cp-2", "cp-3"].map(ipOf).includes(ip));
    expect(cpResets).toEqual(["cp-3", "cp-2", "cp-1"].map(ipOf));
    // Talos' reset without reboot ends in a shutdown; powered on again, a node is back in maintenance mode, wiped.
    for (const ip of ips()) {
        expect((await h.nodes!.waitForMode(ip, "off")).mode).toBe("off");
        await h.nodes!.fault(ip, { kind: "poweron" });
    }
    for (const ip of ips()) expect((await h.nodes!.waitForMode(ip, "maintenance")).mode).toBe("maintenance");
});
