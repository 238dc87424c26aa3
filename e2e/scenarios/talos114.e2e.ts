/**
 * Talos 1.14 end to end (issue 23): two stacks, one after the other, on the real engine
 * with the real Talos and command providers, against node stand-ins that answer as the Talos version they run
 * (e2e/talos-node internal/talosver: its Kubernetes range, its upgrade rules, the config document kinds it knows),
 * the DSM simulator and the Image Factory stand-in. Talos' half of the health check only: no Kubernetes runs.
 *   1 a fresh stack at v1.14.0: one apply per node, each with Talos 1.14's SecurityProfileConfig (workload
 *     isolation, on by default for a stack made at 1.14), which a 1.12/1.13 node would refuse (figure
 *     talos114Applies)
 *   2 a stack of three control planes and a worker made at v1.12.1, then `talosVersion: v1.14.0`: an etcd snapshot,
 *     then two rounds, every node to v1.13.9 (MachineService.Upgrade), then every node to v1.14.0
 *     (LifecycleService.Upgrade, which talosctl uses from Talos 1.13 on, draining the node through Kubernetes with a
 *     kubeconfig from the endpoint: so this stack's stand-in runs Kubernetes, and the worker is reached through the
 *     control planes), one node at a time; the nodes end at v1.14.0 (figure upgradeHops); a third up that changes
 *     every upgrade command's text (`upgradeTimeout`) runs them all and upgrades (reboots) no node, each already
 *     running the image's version and schematic (`talosctl version`, `get extensions`)
 */
import { changingSteps, diagnostics, urnName } from "../support/events";
import { startSnapshotStack, upgradingCluster } from "../support/backups";
import { recordFigures } from "../support/figures";
import { defaultStandIn, Harness, SEED_NAS_VALUES } from "../support/scenario";
import type { StandInCall } from "../support/talos-node";
import type { NasTftp } from "../../tests/support/nas-tftp";
import { DEFAULT_VERSIONS } from "../../tests/support/factory-server";

const DSM_PASSWORD = "dsm-talos114-Pa55-e2e";
/** The releases the scenario runs (the upgrade path's stops): offered by the factory, with their config schemas. */
const RELEASES = ["v1.12.1", "v1.13.9", "v1.14.0"];
const NODES = [
    {
        hostname: "cp-1",
        ip: "192.168.0.11",
        role: "controlplane",
        mac: "52:54:00:00:01:11",
        installDisk: "/dev/nvme0n1",
    },
    { hostname: "w-1", ip: "192.168.0.21", role: "worker", mac: "52:54:00:00:01:21", installDisk: "/dev/nvme0n1" },
];

/** Three control planes (etcd keeps its quorum while one upgrades) and a worker. */
const UPGRADED = [
    ...[1, 2, 3].map((i) => ({
        hostname: `cp-${i}`,
        ip: `192.168.0.1${i}`,
        role: "controlplane",
        mac: `52:54:00:00:01:1${i}`,
        installDisk: "/dev/nvme0n1",
    })),
    NODES[1],
];

let current: { h: Harness; tftp: NasTftp } | undefined;

/** A stack of its own (the two run one after the other on the same loopback addresses). */
async function startStack(
    name: string,
    cluster: Record<string, unknown>,
    nodes: typeof NODES,
    kubernetes = false,
): Promise<Harness> {
    await closeStack();
    current = await startSnapshotStack({
        // Kubernetes for talosctl alone (the health check stays Talos-only): from a node running Talos 1.13 on,
        // talosctl v1.13 upgrades through LifecycleService and drains the node through Kubernetes itself
        ...(kubernetes
            ? { standIn: (values, binDir) => ({ ...defaultStandIn(values, binDir), kubernetes: { binDir } }) }
            : {}),
        values: {
            cluster: { ...upgradingCluster(name), ...cluster },
            image: { arch: "amd64", extensions: ["siderolabs/iscsi-tools"] },
            ...SEED_NAS_VALUES,
            nodes,
        },
        secrets: { synologyPassword: DSM_PASSWORD },
        servers: {
            dsm: { users: { admin: DSM_PASSWORD } },
            factory: { versions: [...DEFAULT_VERSIONS, ...RELEASES] },
            schemaVersions: RELEASES,
        },
        stack: name,
    });
    return current.h;
}

async function closeStack(): Promise<void> {
    const c = current;
    current = undefined;
    await c?.tftp.close();
    await c?.h.close();
}

afterAll(closeStack);

const up = (h: Harness) => h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
const errorsOf = (r: { events: Parameters<typeof diagnostics>[0] }) =>
    diagnostics(r.events, "error").map((d) => d.message);
const ips = (h: Harness) => (h.values.nodes as { ip: string }[]).map((n) => n.ip);
const callsOf = (h: Harness, method: string, since: number): StandInCall[] =>
    h
        .nodes!.calls()
        .slice(since)
        .filter((c) => c.method.endsWith(`/${method}`) && (c.code === undefined || c.code === "OK"));
/** The installer tag of an Upgrade call (its log detail: `image=<ref>`, for MachineService.Upgrade followed by its options). */
const targetOf = (c: StandInCall) => /image=\S+:(v\d+\.\d+\.\d+)(?:\s|$)/.exec(String(c.detail))?.[1];

test("1. a fresh stack at v1.14.0: one apply per node, each with Talos 1.14's SecurityProfileConfig", async () => {
    const h = await startStack("t114-new", { talosVersion: "v1.14.0", upgrades: false }, NODES);
    const r = await up(h);
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });

    const applies = callsOf(h, "ApplyConfiguration", 0);
    expect(applies.map((c) => c.node).sort()).toEqual(ips(h).sort());
    for (const ip of ips(h)) {
        const node = await h.nodes!.node(ip);
        expect({ mode: node.mode, talosVersion: node.talosVersion }).toEqual({
            mode: "configured",
            talosVersion: "v1.14.0",
        });
        // the document reached the node, which kept it as Talos 1.14 knows it (machinery 1.13 does not)
        expect(applies.find((c) => c.node === ip)!.apply?.kinds).toContain("SecurityProfileConfig");
        expect(node.recordedDocuments).toEqual([
            expect.objectContaining({
                kind: "SecurityProfileConfig",
                content: expect.objectContaining({ workloadIsolation: true }),
            }),
        ]);
    }
    recordFigures({ talos114Applies: applies.length });
    await closeStack();
});

test("2. a stack made at v1.12.1 upgraded to v1.14.0: two rounds, one node at a time, after an etcd snapshot; a new command text reboots nothing", async () => {
    // kubernetesVersion: the one the 1.12 stack runs, which 1.12, 1.13 and 1.14 all take (README "Upgrades follow
    // Talos' own rules")
    const h = await startStack("t114-up", { talosVersion: "v1.12.1", kubernetesVersion: "1.35.0" }, UPGRADED, true);
    const first = await up(h);
    expect({ code: first.code, errors: errorsOf(first) }).toEqual({ code: 0, errors: [] });
    for (const ip of ips(h)) expect((await h.nodes!.node(ip)).talosVersion).toBe("v1.12.1");

    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.cluster.talosVersion = "v1.14.0";
    h.setValues(v);
    const mark = h.nodes!.calls().length;
    const second = await up(h);
    expect({ code: second.code, errors: errorsOf(second) }).toEqual({ code: 0, errors: [] });

    const upgrades = callsOf(h, "Upgrade", mark);
    // every node to each release in turn, one at a time, the worker last (through a control plane, from 1.13 on)
    const rounds = ["v1.13.9", "v1.14.0"];
    expect(upgrades.map((c) => `${c.node} ${targetOf(c)}`)).toEqual(
        rounds.flatMap((v) => ips(h).map((ip) => `${ip} ${v}`)),
    );
    const snapshots = callsOf(h, "EtcdSnapshot", mark);
    expect(snapshots).toHaveLength(1);
    expect(Date.parse(String(snapshots[0].time))).toBeLessThan(Date.parse(String(upgrades[0].time)));
    for (const ip of ips(h)) expect((await h.nodes!.node(ip)).talosVersion).toBe("v1.14.0");
    const hops = ips(h).map((ip) => new Set(upgrades.filter((c) => c.node === ip).map(targetOf)).size);
    expect(new Set(hops)).toEqual(new Set([2]));
    recordFigures({ upgradeHops: hops[0] });

    // Every upgrade command's text changes (as when a new version of the program reaches the nodes another way):
    // each runs its update, finds its node on the image's version and schematic, and upgrades nothing.
    v.cluster.upgradeTimeout = "16m";
    h.setValues(v);
    const again = h.nodes!.calls().length;
    const third = await up(h);
    expect({ code: third.code, errors: errorsOf(third) }).toEqual({ code: 0, errors: [] });
    const steps = changingSteps(third.events).map((s) => `${s.op} ${urnName(s.urn)}`);
    for (const n of UPGRADED) {
        expect(steps).toContain(`update talos-${n.hostname}-upgrade`);
        // the first round's commands go (their round is behind the nodes; deleting one runs nothing)
        expect(steps).toContain(`delete talos-${n.hostname}-upgrade-v1.13.9`);
    }
    expect(callsOf(h, "Upgrade", again)).toEqual([]);
    expect(callsOf(h, "ApplyConfiguration", again)).toEqual([]);
    for (const ip of ips(h)) expect((await h.nodes!.node(ip)).talosVersion).toBe("v1.14.0");
});
