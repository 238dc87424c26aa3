/**
 * The Talos half end to end: a 3-control-plane + 2-worker stack on the real engine with the real Talos provider
 * 0.8.1, the real command provider and the real talosctl, against Talos node stand-ins on 127.0.0.11-13 and
 * 127.0.0.21-22 (e2e/talos-node). In order, on one stack:
 *   1 first up: one apply per node with the rendered config, one bootstrap, health, a talosconfig that works
 *   2 a re-run applies, bootstraps and upgrades nothing
 *   3 a Talos version change upgrades each node once, control planes first, and a re-run upgrades none
 *   4 a Kubernetes version change runs upgrade-k8s once
 *   5 a powered-off node fails the up, named, within the timeout; the other nodes are left as they were
 *   6 destroy with resetOnDestroy resets every node
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { installerImage, schematicFromImage, schematicId } from "../../components/factory/schematic";
import { changingSteps, diagnostics, urnName } from "../support/events";
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
            healthTimeout: "30s",
            upgradeTimeout: "2m",
            healthChecks: { kubernetes: false },
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
    };
}

let h: Harness;
let talosctlLog: string;
let wrapperDir: string;
const ips = () => (h.values.nodes as { hostname: string; ip: string }[]).map((n) => n.ip);
const ipOf = (hostname: string) =>
    (h.values.nodes as { hostname: string; ip: string }[]).find((n) => n.hostname === hostname)!.ip;

/** A talosctl first on PATH that records every call and passes it to the real one — except `upgrade-k8s`,
 *  which needs a Kubernetes API the stand-ins do not have: it is recorded and answered with success. */
function recordingTalosctl(binDir: string): { dir: string; log: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "talosctl-rec-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(
        path.join(dir, "talosctl"),
        `#!/bin/sh
printf '%s\\n' "$*" >> '${log}'
for a in "$@"; do
  if [ "$a" = "upgrade-k8s" ]; then echo "recorded upgrade-k8s (no Kubernetes API in the stand-ins)"; exit 0; fi
done
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
});

test("2. a re-run applies, bootstraps and upgrades nothing", async () => {
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

test("3. a Talos version change upgrades each node once, control planes first, each after the previous; a re-run upgrades none", async () => {
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

test("4. a Kubernetes version change runs upgrade-k8s once, through the first control plane", async () => {
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.cluster.kubernetesVersion = "1.35.1";
    h.setValues(v);
    const before = talosctlCalls("upgrade-k8s").length;
    const r = await up();
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
    const calls = talosctlCalls("upgrade-k8s").slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain(`--nodes ${ipOf("cp-1")}`);
    expect(calls[0]).toContain("--to 1.35.1");
    const again = await up();
    expect(again.code).toBe(0);
    expect(talosctlCalls("upgrade-k8s").length).toBe(before + 1);
});

test("5. a powered-off node fails the up within the timeout, named with its address, and the other nodes are left as they were", async () => {
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

test("6. destroy with resetOnDestroy resets every node, control planes one at a time with the first one last", async () => {
    const r = await h.engine.run(["destroy", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
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
