/**
 * Policy for the snapshot before the upgrades:
 * - it is in the graph exactly when upgrades are on, after the cluster's applies and health check, and the first
 *   upgrade command waits for it (so a failed snapshot means no upgrade);
 * - it takes a snapshot exactly when an upgrade command's `update` will run (the digests of their texts change),
 *   on create only when a node runs another Talos than the image's, and never on a no-op run;
 * - the provider works the engine's way: its stored text loaded by a fresh node process in the project folder, run
 *   against the DSM simulator and a talosctl stand-in on PATH; the password and talosconfig stay secret;
 * - the snapshots go to <backups.share>/etcd, never the TFTP root; a state from a version that stored them under the
 *   TFTP root moves to the new folder for new snapshots with one update that says so, and moves no file.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, isSecretSentinel, Recorder, valueOf } from "../support/pulumi-mocks";
import { DsmSimulator, simShare, startNasWithShare } from "../support/dsm-simulator";
import { runStoredText } from "../support/provider-host";
import { standInSnapshotBytes, TalosctlStandIn } from "./talosctl-standin";
import type { ClusterConfig, NodeConfig } from "../../components/talos/config";
import type { TalosClusterArgs } from "../../components/talos/cluster";
import type { EtcdSnapshotInputs, EtcdSnapshotOutputs } from "../../components/backups/provider";
import { imageTag } from "../../components/version";
import { clusterConfig as seedCluster } from "../support/fixtures";

jest.setTimeout(Number(process.env.BK_TIMEOUT ?? 120_000));

const IMAGE = (tag: string) => `factory.talos.dev/metal-installer/0123abcd:${tag}`;
const TALOSCONFIG = "TALOSCONFIG-SECRET-9c1e";
const PASSWORD = "dsm-Pw-backups-7";

let rec: Recorder;
let cluster: typeof import("../../components/talos/cluster");
let provider: typeof import("../../components/backups/provider");
let upgrades: typeof import("../../components/talos/upgrades");

beforeAll(async () => {
    rec = await installMocks({
        onResource: (type) =>
            type === "talos:machine/secrets:Secrets"
                ? { clientConfiguration: { caCertificate: "CA", clientCertificate: "CRT", clientKey: "KEY" } }
                : undefined,
        onCall: (token) =>
            token === "talos:client/getConfiguration:getConfiguration" ? { talosConfig: TALOSCONFIG } : undefined,
    });
    cluster = await import("../../components/talos/cluster");
    provider = await import("../../components/backups/provider");
    upgrades = await import("../../components/talos/upgrades");
});

const node = (hostname: string, ip: string, role: NodeConfig["role"]): NodeConfig => ({
    hostname,
    ip,
    role,
    mac: `aa:bb:cc:00:00:${ip.split(".")[3]}`,
    installDisk: "/dev/sda",
    patches: [],
    wakeOnLan: false,
});
const NODES = [
    node("w-1", "127.3.0.21", "worker"),
    node("cp-1", "127.3.0.11", "controlplane"),
    node("cp-2", "127.3.0.12", "controlplane"),
];

function clusterConfig(over: Partial<ClusterConfig> = {}): ClusterConfig {
    return seedCluster({
        name: "lab",
        endpoint: "https://127.3.0.11:6443",
        talosVersion: "v1.12.0",
        upgrades: true,
        wakeOnLanBroadcast: "127.3.0.255",
        ...over,
    });
}

async function build(
    name: string,
    c: ClusterConfig,
    withBackups = true,
    rounds: Pick<TalosClusterArgs, "upgradeImage" | "throughImages"> = {},
) {
    rec.reset();
    const Custom = pulumi.CustomResource as unknown as new (t: string, n: string, p: object) => pulumi.CustomResource;
    const pxe = new Custom("test:synology:PxeReady", `${name}-pxe`, {});
    const folder = new Custom("test:synology:BackupShare", `${name}-backupshare`, {});
    const built = new cluster.TalosCluster(name, {
        cluster: c,
        nodes: NODES,
        installerImage: pulumi.output(IMAGE(c.talosVersion)),
        schematicId: "0123abcd",
        pxeReady: pxe.id,
        ...rounds,
        beforeUpgrades: withBackups
            ? provider.etcdSnapshotBeforeUpgrades({
                  connection: { url: "https://127.3.0.6:5001", username: "admin" },
                  password: pulumi.secret(PASSWORD),
                  share: "talos-backups",
                  tftpShare: "pxe",
                  keep: 4,
                  clusterName: c.name,
                  after: [folder],
              })
            : undefined,
    });
    await valueOf(pulumi.all([built.kubeconfig, built.talosconfig, built.healthy]));
    if (built.upgrades) {
        const commands = [...built.upgrades.through, ...built.upgrades.nodes].map((x) => x.command.urn);
        await valueOf(pulumi.all([...commands, built.upgrades.kubernetes.urn]));
    }
    if (built.beforeUpgrades) await valueOf(built.beforeUpgrades.urn);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    return built;
}

const plain = (v: unknown) => (isSecretSentinel(v) ? v.value : v);

describe("in the graph", () => {
    test("with upgrades on: one snapshot, a child of the cluster, after the applies and the health check, before the first upgrade", async () => {
        const built = await build("lab", clusterConfig());
        const snap = rec.byName("lab-etcd-snapshot");
        expect(snap.type).toBe("pulumi-nodejs:dynamic/backups:EtcdSnapshot");
        expect(snap.parent).toBe(rec.byName("lab").urn);
        for (const h of ["cp-1", "cp-2", "w-1"]) expect(snap.dependencies).toContain(rec.byName(`lab-${h}-apply`).urn);
        expect(snap.dependencies).toContain(rec.byName("lab-bootstrap").urn);
        expect(snap.dependencies).toContain(rec.byName("lab-backupshare").urn); // its shared folder is made first
        expect(rec.byName("lab-cp-1-upgrade").dependencies).toContain(snap.urn);
        const health = rec.invokes.find((i) => i.token === "talos:cluster/getHealth:getHealth")!;
        expect(health.completedBefore).not.toContain("lab-etcd-snapshot");
        expect(snap.inputs.afterHealthCheck).toBe(true);
        expect(snap.inputs).toMatchObject({
            clusterName: "lab",
            share: "talos-backups",
            tftpShare: "pxe",
            keep: 4,
            installerImage: IMAGE("v1.12.0"),
            controlPlanes: [
                { hostname: "cp-1", ip: "127.3.0.11" },
                { hostname: "cp-2", ip: "127.3.0.12" },
            ],
            nodes: [
                { hostname: "cp-1", ip: "127.3.0.11" },
                { hostname: "cp-2", ip: "127.3.0.12" },
                { hostname: "w-1", ip: "127.3.0.21" },
            ],
        });
        expect(built.beforeUpgrades).toBeDefined();
    });

    test("with upgrade rounds (1.12 → 1.13.9 → 1.14): the snapshot first, then every node one round at a time", async () => {
        const built = await build("lab", clusterConfig({ talosVersion: "v1.14.0" }), true, {
            throughImages: [IMAGE("v1.13.9")],
        });
        const snap = rec.byName("lab-etcd-snapshot");
        const order = ["cp-1-upgrade-v1.13.9", "cp-2-upgrade-v1.13.9", "w-1-upgrade-v1.13.9"]
            .concat(["cp-1-upgrade", "cp-2-upgrade", "w-1-upgrade", "kubernetes-upgrade"])
            .map((n) => rec.byName(`lab-${n}`));
        expect(order[0].dependencies).toContain(snap.urn);
        for (let i = 1; i < order.length; i++) expect(order[i].dependencies).toContain(order[i - 1].urn);
        // ... and on none of the later ones (no round starts before the one before it is done).
        for (let i = 0; i < order.length; i++)
            for (const later of order.slice(i + 1))
                expect(rec.dependsOnTransitively(order[i].name, later.name)).toBe(false);
        const images = order.slice(0, 6).map((cmd) => /upgrade --image '([^']+)'/.exec(String(cmd.inputs.update))?.[1]);
        expect(images).toEqual([...Array(3).fill(IMAGE("v1.13.9")), ...Array(3).fill(IMAGE("v1.14.0"))]);
        // Each round's create upgrades only a node that does not run its release.
        expect(order[0].inputs.create).toMatch(/if \{ \[ "\$\(running_tag '[\d.]+'\)" = 'v1\.13\.9' \]/);
        expect(order[3].inputs.create).toMatch(/if \{ \[ "\$\(running_tag '[\d.]+'\)" = 'v1\.14\.0' \]/);
        // The snapshot is taken because the last round's commands are about to change (they carry the target).
        expect(snap.inputs.installerImage).toBe(IMAGE("v1.14.0"));
        expect(built.upgrades!.through.map((t) => `${t.hostname}@${t.release}`)).toEqual([
            "cp-1@v1.13.9",
            "cp-2@v1.13.9",
            "w-1@v1.13.9",
        ]);
    });

    test("the upgrade commands carry upgradeImage; the machine configs the installer image", async () => {
        const kept = "factory.talos.dev/installer/0123abcd:v1.12.0";
        await build("lab", clusterConfig(), true, { upgradeImage: kept });
        expect(rec.byName("lab-cp-1-upgrade").inputs.update).toContain(`upgrade --image '${kept}'`);
        expect(rec.byName("lab-etcd-snapshot").inputs.installerImage).toBe(kept);
        const config = rec.invokes.find((i) => i.token === "talos:machine/getConfiguration:getConfiguration")!;
        expect(JSON.stringify(config.inputs.configPatches)).toContain(IMAGE("v1.12.0"));
        expect(JSON.stringify(config.inputs.configPatches)).not.toContain(kept);
    });

    test("the DSM password and the talosconfig go in as secrets and come out as secrets", async () => {
        await build("lab", clusterConfig());
        const snap = rec.byName("lab-etcd-snapshot");
        expect(isSecretSentinel(snap.inputs.password)).toBe(true);
        expect(isSecretSentinel(snap.inputs.talosconfig)).toBe(true);
        expect(plain(snap.inputs.talosconfig)).toBe(TALOSCONFIG);
        expect(snap.additionalSecretOutputs).toEqual(expect.arrayContaining(["password", "talosconfig"]));
        const visible = JSON.stringify({
            ...snap.inputs,
            password: undefined,
            talosconfig: undefined,
            __provider: undefined,
        });
        expect(visible).not.toContain(PASSWORD);
        expect(visible).not.toContain(TALOSCONFIG);
    });

    test("none with upgrades off, or without a place for backups", async () => {
        await build("off", clusterConfig({ upgrades: false }));
        expect(rec.named(/etcd-snapshot/)).toEqual([]);
        await build("nowhere", clusterConfig(), false);
        expect(rec.named(/etcd-snapshot/)).toEqual([]);
        expect(rec.byName("nowhere-cp-1-upgrade").dependencies).not.toContain(expect.stringMatching(/etcd-snapshot/));
    });
});

describe("when it takes one: exactly when an upgrade command will run its update", () => {
    /** The snapshot resource's trigger inputs and each upgrade command's update text, for one configuration. */
    async function variant(c: ClusterConfig) {
        await build("v", c);
        const snap = rec.byName("v-etcd-snapshot").inputs as unknown as EtcdSnapshotInputs;
        const texts: Record<string, string> = {};
        for (const r of rec.resources.filter((x) => x.type === "command:local:Command"))
            texts[r.name] = String(r.inputs.update);
        return {
            snap: { ...snap, talosconfig: String(plain(snap.talosconfig)), password: String(plain(snap.password)) },
            texts,
        };
    }
    const commandsThatUpdate = (a: Record<string, string>, b: Record<string, string>) =>
        Object.keys(b).filter((k) => k in a && a[k] !== b[k]);

    test.each([
        ["a new Talos version", { talosVersion: "v1.12.1" }, true],
        ["a new Kubernetes version", { kubernetesVersion: "1.35.1" }, true],
        ["a new upgrade timeout (the commands' texts carry it)", { upgradeTimeout: "20m" }, true],
        ["a new health timeout (no command changes)", { healthTimeout: "5m" }, false],
        ["nothing", {}, false],
    ] as [string, Partial<ClusterConfig>, boolean][])("%s", async (_what, change, expected) => {
        const base = await variant(clusterConfig());
        const next = await variant(clusterConfig(change));
        const updating = commandsThatUpdate(base.texts, next.texts);
        const reason = provider.snapshotReasonOnUpdate(base.snap, next.snap);
        expect(updating.length > 0).toBe(expected);
        expect(reason !== undefined).toBe(expected);
        if (expected)
            expect(provider.diffEtcdSnapshot({ ...base.snap } as EtcdSnapshotOutputs, next.snap).changes).toBe(true);
        else
            expect(provider.diffEtcdSnapshot({ ...base.snap } as EtcdSnapshotOutputs, next.snap)).toEqual({
                changes: false,
                replaces: [],
                deleteBeforeReplace: false,
            });
    });

    test("the digests are those of the very texts createUpgradeCommands registers", async () => {
        const { snap, texts } = await variant(clusterConfig());
        const again = upgrades.upgradeDigests(NODES, IMAGE("v1.12.0"), "1.35.0", "15m");
        expect(snap.nodeUpgrades).toEqual(again.nodeUpgrades);
        const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
        for (const h of ["cp-1", "cp-2", "w-1"]) expect(snap.nodeUpgrades[h]).toBe(sha(texts[`v-${h}-upgrade`]));
        expect(snap.kubernetesUpgrade).toBe(sha(texts["v-kubernetes-upgrade"]));
    });

    test("a node added (its command is created, upgrading nothing on a fresh node) is no reason; a node's address change is", () => {
        const base = upgrades.upgradeDigests(NODES.slice(1), IMAGE("v1.12.0"), "1.35.0", "15m");
        const added = upgrades.upgradeDigests(NODES, IMAGE("v1.12.0"), "1.35.0", "15m");
        const moved = upgrades.upgradeDigests(
            [NODES[0], NODES[1], { ...NODES[2], ip: "127.3.0.14" }],
            IMAGE("v1.12.0"),
            "1.35.0",
            "15m",
        );
        const t = { talosconfig: "x" };
        expect(provider.snapshotReasonOnUpdate({ ...base, ...t }, { ...added, ...t })).toBeUndefined();
        // A worker's upgrade goes through the control planes: a control plane's new address changes its text too.
        expect(provider.snapshotReasonOnUpdate({ ...added, ...t }, { ...moved, ...t })).toBe(
            "the upgrade of cp-2, w-1 is about to run",
        );
        expect(provider.snapshotReasonOnUpdate({ ...added, ...t }, { ...added, talosconfig: "y" })).toMatch(
            /talosconfig changed/,
        );
        const next = upgrades.upgradeDigests(NODES, IMAGE("v1.12.1"), "1.35.1", "15m");
        expect(provider.snapshotReasonOnUpdate({ ...added, ...t }, { ...next, ...t })).toBe(
            "the upgrade of cp-1, cp-2, w-1, Kubernetes is about to run",
        );
    });

    test("on create: only when some node does not answer with the image's Talos version and schematic", () => {
        const all = (tag: string, schematic = "0123abcd") =>
            NODES.map((n) => ({ hostname: n.hostname, ip: n.ip, tag, schematic }));
        const image = (version: string) => ({ version, schematic: "0123abcd" });
        expect(provider.snapshotReasonOnCreate(image("v1.12.0"), all("v1.12.0"))).toBeUndefined();
        expect(provider.snapshotReasonOnCreate(image("v1.12.1"), all("v1.12.0"))).toBe(
            "w-1 runs v1.12.0, not v1.12.1; cp-1 runs v1.12.0, not v1.12.1; cp-2 runs v1.12.0, not v1.12.1",
        );
        // the same release with other extensions is an upgrade too (the node commands upgrade it)
        expect(
            provider.snapshotReasonOnCreate(image("v1.12.0"), [
                ...all("v1.12.0").slice(1),
                { hostname: "w-1", ip: "127.3.0.21", tag: "v1.12.0", schematic: "" },
            ]),
        ).toBe("w-1 runs schematic (none), not 0123abcd");
        expect(
            provider.snapshotReasonOnCreate(image("v1.12.0"), [
                ...all("v1.12.0").slice(1),
                { hostname: "cp-1", ip: "127.3.0.11", error: "refused" },
            ]),
        ).toBe("cp-1 did not say which Talos it runs (refused)");
    });

    test("the image of every upgrade command is the one the snapshot's check reads the version from", () => {
        expect(imageTag(IMAGE("v1.12.0"))).toBe("v1.12.0");
        expect(
            provider
                .checkEtcdSnapshot({
                    connection: { url: "https://127.3.0.6:5001", username: "" },
                    installerImage: "no-tag",
                })
                .map((f) => f.property),
        ).toEqual([
            "connection",
            "password",
            "keep",
            "talosconfig",
            "share",
            "clusterName",
            "controlPlanes",
            "installerImage",
        ]);
    });

    test("the snapshots' folder is never the TFTP root, whatever the case of its name", () => {
        const failures = provider.checkEtcdSnapshot({ share: "PXE", tftpShare: "pxe" });
        expect(failures.find((f) => f.property === "share")?.reason).toBe(
            'backups.share "PXE" is the TFTP root (synology.share), which anyone on the LAN can read: give the snapshots a shared folder of their own',
        );
        expect(
            provider.checkEtcdSnapshot({ share: "talos-backups", tftpShare: "pxe" }).map((f) => f.property),
        ).not.toContain("share");
    });

    test("a new folder is said once, and what is already stored stays where it is", () => {
        expect(provider.folderChangeMessage({ share: "pxe" }, { share: "talos-backups" })).toBe(
            "etcd snapshots: from now on they are stored in /talos-backups/etcd (backups.share), a shared folder of " +
                "their own. The ones an earlier version stored in /pxe/backups/etcd stay there (nothing was moved): that " +
                "is under the TFTP root, where any machine the NAS's TFTP service answers can read them without a " +
                "password. Move them to /talos-backups/etcd in File Station, or delete them; `npm run etcd-snapshot -- " +
                "--list` shows both folders",
        );
        expect(provider.folderChangeMessage({ share: "talos-backups", tftpShare: "pxe" }, { share: "vault" })).toBe(
            "etcd snapshots: from now on they are stored in /vault/etcd (backups.share); the ones in /talos-backups/etcd " +
                "stay there (nothing was moved), and `npm run etcd-snapshot` no longer lists them",
        );
        expect(
            provider.folderChangeMessage({ share: "talos-backups", tftpShare: "pxe" }, { share: "talos-backups" }),
        ).toBeUndefined();
    });
});

describe("the provider, run the engine's way (its stored text, a fresh node process)", () => {
    let sim: DsmSimulator;
    let standIn: TalosctlStandIn;
    const savedPath = process.env.PATH;
    const CP = { hostname: "cp-1", ip: "127.3.0.11" };
    const W = { hostname: "w-1", ip: "127.3.0.21" };

    beforeEach(async () => {
        sim = await startNasWithShare(PASSWORD, {
            state: { shares: { pxe: simShare("pxe"), "talos-backups": simShare("talos-backups") } },
        });
        standIn = TalosctlStandIn.create({
            [CP.ip]: { tag: "v1.12.0", schematic: "0123abcd", bytes: 32 * 1024 },
            [W.ip]: { tag: "v1.12.0", schematic: "0123abcd", etcd: false },
        });
        process.env.PATH = standIn.pathEnv(savedPath);
    });
    afterEach(async () => {
        process.env.PATH = savedPath;
        standIn.close();
        await sim.close();
    });

    function inputs(tag: string, keep = 2, k8s = "1.35.0"): EtcdSnapshotInputs {
        const nodes = [node("cp-1", CP.ip, "controlplane"), node("w-1", W.ip, "worker")];
        return {
            connection: { url: sim.url, username: "admin", allowHttp: true },
            password: PASSWORD,
            talosconfig: "context: lab\n",
            clusterName: "lab",
            share: "talos-backups",
            tftpShare: "pxe",
            keep,
            controlPlanes: [CP],
            nodes: [CP, W],
            installerImage: IMAGE(tag),
            ...upgrades.upgradeDigests(nodes, IMAGE(tag), k8s, "15m"),
        };
    }
    const stored = () => [...sim.state.files.keys()].filter((p) => p.startsWith("/talos-backups/etcd/")).sort();
    const underTftpRoot = () => [...sim.state.files.keys()].filter((p) => p.startsWith("/pxe/")).sort();

    test("create on a cluster at the image's version takes none; a new image takes one; a re-run none; keep alone takes none", async () => {
        const run = await runStoredText(
            provider.EtcdSnapshot.providerText,
            {
                A: inputs("v1.12.0"),
                B: inputs("v1.12.1"),
                C: inputs("v1.12.1", 1),
            },
            [
                { op: "check", news: "A" },
                { op: "create", inputs: "A" },
                { op: "diff", news: "A" },
                { op: "diff", news: "B" },
                { op: "update", news: "B" },
                { op: "read" },
                { op: "diff", news: "B" },
                { op: "diff", news: "C" },
                { op: "update", news: "C" },
                { op: "delete" },
            ],
        );
        expect(run.results.map((r) => `${r.op}:${r.ok ? "ok" : r.error}`)).toEqual([
            "check:ok",
            "create:ok",
            "diff:ok",
            "diff:ok",
            "update:ok",
            "read:ok",
            "diff:ok",
            "diff:ok",
            "update:ok",
            "delete:ok",
        ]);
        const res = run.results.map((r) => r.result as Record<string, any>);
        expect(res[0].failures as unknown[]).toEqual([]);
        expect(res[1].outs.lastReason).toBe(
            `every node already runs ${IMAGE("v1.12.0")}: no upgrade will run, no snapshot taken`,
        );
        expect(res[1].outs.lastSnapshot).toBe("");
        expect([res[2].changes, res[3].changes, res[6].changes, res[7].changes]).toEqual([false, true, false, true]);
        expect(res[4].outs.lastReason).toBe("the upgrade of cp-1, w-1 is about to run");
        expect(res[4].outs.lastSnapshot).toMatch(/^\/talos-backups\/etcd\/lab-\d{8}T\d{6}Z-v1\.12\.0\.db$/);
        expect(underTftpRoot()).toEqual([]);
        expect(res[4].outs.lastSnapshotNode).toBe("cp-1 (127.3.0.11)");
        expect(stored()).toEqual([res[4].outs.lastSnapshot]);
        expect(sim.getFile(res[4].outs.lastSnapshot)!.bytes!.equals(standInSnapshotBytes(CP.ip, 32 * 1024, 1))).toBe(
            true,
        );
        // keep 2 → 1 changed nothing to take; the one snapshot stays, and so it does after delete.
        expect(res[8].outs.lastSnapshot).toBe(res[4].outs.lastSnapshot);
        expect(standIn.calls().filter((c) => c.command.startsWith("etcd snapshot"))).toHaveLength(1);
        expect(stored()).toHaveLength(1);
        expect(
            JSON.stringify(
                run.results.map((r) => ({
                    ...(r.result as object),
                    outs: undefined,
                    inputs: undefined,
                    props: undefined,
                })),
            ),
        ).not.toContain(PASSWORD);
    });

    test("a state from a version that stored them under the TFTP root: one update moves new snapshots to the new folder, moving no file", async () => {
        const legacy = "/pxe/backups/etcd/lab-20240101T000000Z-v1.11.0.db";
        for (const d of ["/pxe/backups", "/pxe/backups/etcd"])
            sim.state.files.set(d, { isdir: true, size: 0, md5: "", mtime: 0 });
        sim.putFile(legacy, Buffer.from("an older snapshot"));
        const { tftpShare: _t, ...before } = { ...inputs("v1.12.0"), share: "pxe" }; // what the earlier version stored
        const run = await runStoredText(
            provider.EtcdSnapshot.providerText,
            { OLD: before, A: inputs("v1.12.0"), B: inputs("v1.12.1") },
            [
                { op: "create", inputs: "OLD" },
                { op: "diff", news: "A" },
                { op: "update", news: "A" },
                { op: "update", news: "B" },
            ],
        );
        expect(run.results.map((r) => `${r.op}:${r.ok ? "ok" : r.error}`)).toEqual([
            "create:ok",
            "diff:ok",
            "update:ok",
            "update:ok",
        ]);
        const res = run.results.map((r) => r.result as Record<string, any>);
        expect(res[1]).toMatchObject({ changes: true, replaces: [] });
        expect(res[2].outs).toMatchObject({ share: "talos-backups", tftpShare: "pxe", lastSnapshot: "" });
        expect(res[3].outs.lastSnapshot).toMatch(/^\/talos-backups\/etcd\/lab-\d{8}T\d{6}Z-v1\.12\.0\.db$/);
        expect(stored()).toEqual([res[3].outs.lastSnapshot]);
        expect(underTftpRoot()).toEqual(["/pxe/backups", "/pxe/backups/etcd", legacy]);
        expect(sim.getFile(legacy)!.bytes!.toString()).toBe("an older snapshot");
        expect(standIn.calls().filter((c) => c.command.startsWith("etcd snapshot"))).toHaveLength(1);
    });

    test("create takes one when a node runs another version (upgrades turned on for a cluster behind the image)", async () => {
        standIn.set(W.ip, { tag: "v1.11.6", schematic: "0123abcd" });
        const run = await runStoredText(provider.EtcdSnapshot.providerText, { A: inputs("v1.12.0") }, [
            { op: "create", inputs: "A" },
        ]);
        expect(run.results[0].ok).toBe(true);
        const outs = (run.results[0].result as { outs: EtcdSnapshotOutputs }).outs;
        expect(outs.lastReason).toBe("w-1 runs v1.11.6, not v1.12.0");
        expect(stored()).toEqual([outs.lastSnapshot]);
    });

    test("create takes one when a node runs the image's version with another schematic (its extensions change)", async () => {
        standIn.set(W.ip, { tag: "v1.12.0", schematic: "0ld5chema" });
        const run = await runStoredText(provider.EtcdSnapshot.providerText, { A: inputs("v1.12.0") }, [
            { op: "create", inputs: "A" },
        ]);
        expect(run.results[0].ok).toBe(true);
        const outs = (run.results[0].result as { outs: EtcdSnapshotOutputs }).outs;
        expect(outs.lastReason).toBe("w-1 runs schematic 0ld5chema, not 0123abcd");
        expect(stored()).toEqual([outs.lastSnapshot]);
    });

    test("an update whose snapshot cannot be stored fails (so no upgrade starts), names the cause, and leaves nothing on the NAS", async () => {
        const vol = sim.state.volumes["/volume1"];
        vol.used = vol.total - 1000;
        const run = await runStoredText(
            provider.EtcdSnapshot.providerText,
            { A: inputs("v1.12.0"), B: inputs("v1.12.1") },
            [
                { op: "create", inputs: "A" },
                { op: "update", news: "B" },
            ],
        );
        expect(run.results[0].ok).toBe(true);
        expect(run.results[1].ok).toBe(false);
        expect(run.results[1].error).toMatch(
            /^etcd snapshot before the upgrades: upload of \/talos-backups\/etcd\/lab-.*\.part-[0-9a-f]{8} failed after \d+ of 32800 bytes: .*416/,
        );
        expect(run.results[1].error).not.toContain(PASSWORD);
        expect(stored()).toEqual([]);
    });
});
