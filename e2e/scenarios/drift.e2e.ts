/**
 * Drift (issue 23) on the real engine with the real Talos and command providers and the real talosctl, against the
 * node stand-ins and the DSM simulator. One stack (a control plane and a worker, `cluster.upgrades: true`, which
 * registers each node's TalosNodeState):
 *   1 a clean `pulumi refresh --preview-only --expect-no-changes` (the drift workflow's command) changes nothing
 *     and makes no call that writes, to the nodes or to DSM (figure driftOnCleanRefresh)
 *   2 a node changed by hand with talosctl (the worker: `apply-config` of another config; the control plane:
 *     `upgrade` to another Talos patch): the drift check fails naming both nodes and what drifted; `up --refresh`
 *     puts them back (one upgrade, one apply); the check is clean again (figure driftDetected)
 *   3 the NAS changed in DSM's UI behind the program's back (TFTP root, PXE boot file): the drift check fails naming
 *     those resources; `up --refresh` puts them back; a clean refresh makes no DSM write
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { startSnapshotStack, upgradingCluster } from "../support/backups";
import { diagnostics, EngineEvent, urnName } from "../support/events";
import { recordFigures } from "../support/figures";
import { Harness, SEED_NAS_VALUES } from "../support/scenario";
import type { NasTftp } from "../../tests/support/nas-tftp";
import { configDigest } from "../../components/talos/drift";

const DSM_PASSWORD = "dsm-drift-Pa55-e2e";
const NODES = [
    {
        hostname: "cp-1",
        ip: "192.168.0.11",
        role: "controlplane",
        mac: "52:54:00:00:02:11",
        installDisk: "/dev/nvme0n1",
    },
    { hostname: "w-1", ip: "192.168.0.21", role: "worker", mac: "52:54:00:00:02:21", installDisk: "/dev/nvme0n1" },
];
/** What the program declares (upgradingCluster's), and the patch a hand upgrade moves the control plane to. */
const DECLARED = "v1.12.0";
const BY_HAND = "v1.12.1";
/** Calls that change a node. */
const WRITES = ["ApplyConfiguration", "Upgrade", "Reboot", "Reset", "Shutdown", "Bootstrap"];

let h: Harness;
let tftp: NasTftp;

beforeAll(async () => {
    ({ h, tftp } = await startSnapshotStack({
        values: {
            cluster: upgradingCluster("drift"),
            image: { arch: "amd64", extensions: ["siderolabs/iscsi-tools"] },
            ...SEED_NAS_VALUES,
            nodes: NODES,
        },
        secrets: { synologyPassword: DSM_PASSWORD },
        servers: { dsm: { users: { admin: DSM_PASSWORD } } },
        stack: "drift",
    }));
    const first = await h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: first.code, errors: errorsOf(first) }).toEqual({ code: 0, errors: [] });
}, 600_000);

afterAll(async () => {
    await tftp?.close();
    await h?.close();
});

const errorsOf = (r: { events: Parameters<typeof diagnostics>[0] }) =>
    diagnostics(r.events, "error").map((d) => d.message);
const ip = (hostname: string) =>
    (h.values.nodes as { hostname: string; ip: string }[]).find((n) => n.hostname === hostname)!.ip;
/** The drift workflow's check (.github/workflows/drift.yml). */
const driftCheck = () =>
    // PULUMI_SKIP_CONFIRMATIONS means --yes, which --preview-only refuses (`--yes and --preview-only cannot be used
    // together`): the check runs without it, as the workflow does
    h.engine.run(["refresh", "--preview-only", "--expect-no-changes", "--diff", ...h.engine.stackArgs()], {
        env: { PULUMI_SKIP_CONFIRMATIONS: undefined },
    });
/** The resources a command changes, or a refresh finds changed (its outputs event says `update`, or `delete`). */
const changed = (r: { events: readonly EngineEvent[] }) =>
    [
        ...new Set(
            r.events
                .flatMap((e) => [e.resourcePreEvent?.metadata, e.resOutputsEvent?.metadata])
                .filter((m) => m !== undefined && !["same", "read", "refresh"].includes(m.op))
                .map((m) => urnName(m!.urn)),
        ),
    ].sort();
const nodeWrites = (since: number) =>
    h
        .nodes!.calls()
        .slice(since)
        .filter((c) => WRITES.some((m) => c.method.endsWith(`/${m}`)))
        .map((c) => `${c.node} ${c.method.slice(c.method.lastIndexOf("/") + 1)}`);
const dsmWrites = () => h.servers.dsm.counters.writes;

/** The real talosctl with the stack's talosconfig. */
async function talosctl(args: string[]): Promise<string> {
    const tc = path.join(h.engine.dir, "talosconfig");
    if (!fs.existsSync(tc)) {
        const out = await h.engine.ok(["stack", "output", "talosconfig", "--show-secrets", "--stack", h.engine.stack]);
        fs.writeFileSync(tc, out.stdout, { mode: 0o600 });
    }
    return new Promise<string>((resolve, reject) =>
        execFile(path.join(h.binDir, "talosctl"), ["--talosconfig", tc, ...args], { timeout: 120_000 }, (e, so, se) =>
            e ? reject(new Error(`talosctl ${args.join(" ")}: ${se || e.message}`)) : resolve(so),
        ),
    );
}

test("1. a clean drift check changes nothing and makes no call that writes", async () => {
    const mark = h.nodes!.calls().length;
    h.servers.dsm.resetCounters();
    const r = await driftCheck();
    expect({ code: r.code, changed: changed(r), errors: errorsOf(r) }).toEqual({ code: 0, changed: [], errors: [] });
    // it did read the nodes: the version and the running machine config of each
    const reads = h
        .nodes!.calls()
        .slice(mark)
        .filter((c) => c.method.endsWith("/Version"))
        .map((c) => c.node);
    expect(new Set(reads)).toEqual(new Set([ip("cp-1"), ip("w-1")]));
    expect({ nodeWrites: nodeWrites(mark), dsmWrites: dsmWrites() }).toEqual({ nodeWrites: [], dsmWrites: 0 });
    recordFigures({ driftOnCleanRefresh: changed(r).length });
});

test("2. nodes changed by hand with talosctl: the check names them, up --refresh puts them back", async () => {
    // the worker: another machine config (a sysctl), applied without a reboot, as someone at a terminal would
    const declared = await h.nodes!.config(ip("w-1"));
    const docs = YAML.parseAllDocuments(declared).map((d) => d.toJS() as Record<string, any>);
    docs[0].machine.sysctls = { ...(docs[0].machine.sysctls ?? {}), "vm.max_map_count": "262144" };
    const edited = path.join(h.engine.dir, "w-1-by-hand.yaml");
    fs.writeFileSync(edited, docs.map((d) => YAML.stringify(d)).join("---\n"), { mode: 0o600 });
    await talosctl([
        "--nodes",
        ip("w-1"),
        "--endpoints",
        ip("w-1"),
        "apply-config",
        "--file",
        edited,
        "--mode",
        "no-reboot",
    ]);
    // the control plane: another Talos patch
    const image = String((await h.nodes!.node(ip("cp-1"))).image);
    await talosctl([
        "--nodes",
        ip("cp-1"),
        "--endpoints",
        ip("cp-1"),
        "upgrade",
        "--image",
        image.replace(/:v[^:]+$/, `:${BY_HAND}`),
        "--preserve",
        "--wait",
        "--timeout",
        "2m",
    ]);
    expect((await h.nodes!.node(ip("cp-1"))).talosVersion).toBe(BY_HAND);
    expect(configDigest(await h.nodes!.config(ip("w-1")))).not.toBe(configDigest(declared));

    const check = await driftCheck();
    expect(check.code).not.toBe(0);
    expect(changed(check)).toEqual(["talos-cp-1-state", "talos-w-1-state"]);
    // what drifted, in the check's own output
    const out = check.stdout + check.stderr;
    expect(out).toMatch(new RegExp(`observedTag\\s*:\\s*"${DECLARED}"\\s*=>\\s*"${BY_HAND}"`));
    expect(out).toMatch(/observedDigest\s*:\s*"sha256:[0-9a-f]{64}"\s*=>\s*"sha256:[0-9a-f]{64}"/);
    recordFigures({ driftDetected: check.code !== 0 && changed(check).length === 2 });

    const mark = h.nodes!.calls().length;
    const up = await h.engine.run(["up", "--refresh", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: up.code, errors: errorsOf(up) }).toEqual({ code: 0, errors: [] });
    expect(nodeWrites(mark).sort()).toEqual([`${ip("cp-1")} Upgrade`, `${ip("w-1")} ApplyConfiguration`].sort());
    expect((await h.nodes!.node(ip("cp-1"))).talosVersion).toBe(DECLARED);
    expect(configDigest(await h.nodes!.config(ip("w-1")))).toBe(configDigest(declared));

    const clean = await driftCheck();
    expect({ code: clean.code, changed: changed(clean) }).toEqual({ code: 0, changed: [] });
});

test("3. the NAS changed in DSM's UI: the check names the TFTP and PXE settings, up --refresh puts them back", async () => {
    const { dsm } = h.servers;
    const tftpRoot = dsm.state.tftp.root_path;
    const bootFile = dsm.state.pxe.local_bootloader;
    dsm.state.tftp = { ...dsm.state.tftp, root_path: "/volume1/elsewhere" };
    dsm.state.pxe = { ...dsm.state.pxe, local_bootloader: "pxelinux.0" };

    const check = await driftCheck();
    expect(check.code).not.toBe(0);
    expect(changed(check)).toEqual(["nas-pxe", "nas-tftp"]);
    expect(check.stdout).toMatch(/~ root_path\s*: "\/volume1\/pxe" => "\/volume1\/elsewhere"/);
    expect(check.stdout).toMatch(/~ localBootloader\s*: "[^"]+" => "pxelinux\.0"/);

    const up = await h.engine.run(["up", "--refresh", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: up.code, errors: errorsOf(up) }).toEqual({ code: 0, errors: [] });
    expect({ root: dsm.state.tftp.root_path, boot: dsm.state.pxe.local_bootloader }).toEqual({
        root: tftpRoot,
        boot: bootFile,
    });

    dsm.resetCounters();
    const mark = h.nodes!.calls().length;
    const clean = await driftCheck();
    expect({ code: clean.code, changed: changed(clean) }).toEqual({ code: 0, changed: [] });
    expect({ nodeWrites: nodeWrites(mark), dsmWrites: dsmWrites() }).toEqual({ nodeWrites: [], dsmWrites: 0 });
});
