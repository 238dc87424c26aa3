/**
 * etcd snapshots on the NAS end to end (issues 16 and 28): a 1-control-plane + 1-worker stack with upgrades on and
 * backups.etcd.keep 2, on the real engine with the real Talos and command providers and the real talosctl, against
 * the Talos node stand-ins (which stream a real bbolt snapshot and tell its SHA-256), the DSM simulator, and the NAS's
 * TFTP service serving the simulator's TFTP root over UDP (tests/support/nas-tftp.ts), read with the doctor's client.
 * The snapshots go to the shared folder talos-backups (backups.share's default), not the TFTP root (pxe). In order:
 *   1 first up of a fresh cluster: the snapshots' shared folder is made, for the DSM user only (guest: no access);
 *     no upgrade will run, so no snapshot; a re-run takes none either
 *   2 a Talos version change while the NAS refuses the snapshot's upload (volume full): the up fails, naming it,
 *     and no Upgrade call reaches any stand-in; nothing is left in the backups folder but the user's files
 *   3 the same change with space again: the snapshot is stored (its bytes are the stand-in's snapshot) in
 *     /talos-backups/etcd, before the first Upgrade; then every node is upgraded; a re-run takes no snapshot and
 *     upgrades nothing; over TFTP the boot file is still served and the snapshot's name is not (figure
 *     snapshotsUnderTftpRoot: 0)
 *   4 `npm run etcd-snapshot` twice: retention keeps the newest 2 and never touches the user's files; `--list`
 *     shows them, `--fetch` brings one back byte for byte
 *   5 `pulumi destroy`: the boot file goes, and with it the boot share (the program made it, nothing is left in it);
 *     the snapshots and the user's files stay, and so does their shared folder, with a message naming what was kept
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseSnapshotName } from "../../components/backups/names";
import { NasTftp, tftpRootFolder } from "../../tests/support/nas-tftp";
import { changingSteps, diagnostics, urnName } from "../support/events";
import { etcdSnapshotCli, overTftp, startSnapshotStack, upgradingCluster } from "../support/backups";
import { recordFigures } from "../support/figures";
import { Harness, SEED_NAS_VALUES } from "../support/scenario";

const DSM_PASSWORD = "dsm-backups-Pa55-e2e";
const DIR = "/talos-backups/etcd";
const UKI = "metal-amd64-uki.efi";
const MiB = 1024 * 1024;
const SNAPSHOT_BYTES = 4 * MiB;
const FOREIGN = ["notes.txt", "other-cluster-20240101T000000Z-v1.11.0.db"];

let h: Harness;
let tftp: NasTftp;
const stored = new Set<string>();
const ipOf = (hostname: string) =>
    (h.values.nodes as { hostname: string; ip: string }[]).find((n) => n.hostname === hostname)!.ip;
const ips = () => (h.values.nodes as { ip: string }[]).map((n) => n.ip);
const up = () => h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
const errorsOf = (r: { events: Parameters<typeof diagnostics>[0] }) =>
    diagnostics(r.events, "error").map((d) => d.message);
const inBackups = () =>
    [...h.servers.dsm.state.files.keys()]
        .filter((p) => p.startsWith(`${DIR}/`))
        .map((p) => p.slice(DIR.length + 1))
        .sort();
const ours = () => inBackups().filter((n) => /^e2e-backups-\d{8}T\d{6}Z-v\d+\.\d+\.\d+\.db$/.test(n));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** Files anywhere under the TFTP root named like this cluster's snapshots: what TFTP would serve to anyone. */
const snapshotsUnderTftpRoot = () => {
    const root = tftpRootFolder(h.servers.dsm)!;
    return [...h.servers.dsm.state.files.keys()].filter(
        (p) => p.startsWith(`${root}/`) && parseSnapshotName("e2e-backups", path.posix.basename(p)) !== undefined,
    );
};
const callsOf = (method: string, since: number) =>
    h
        .nodes!.calls()
        .slice(since)
        .filter((c) => c.method.endsWith(`/${method}`));

beforeAll(async () => {
    ({ h, tftp } = await startSnapshotStack({
        values: {
            cluster: upgradingCluster("e2e-backups"),
            image: { arch: "amd64", extensions: ["siderolabs/iscsi-tools"] },
            ...SEED_NAS_VALUES,
            nodes: [
                {
                    hostname: "cp-1",
                    ip: "192.168.0.11",
                    role: "controlplane",
                    mac: "52:54:00:00:01:11",
                    installDisk: "/dev/nvme0n1",
                },
                {
                    hostname: "w-1",
                    ip: "192.168.0.21",
                    role: "worker",
                    mac: "52:54:00:00:01:21",
                    installDisk: "/dev/nvme0n1",
                },
            ],
            backups: { etcd: { keep: 2 } },
        },
        secrets: { synologyPassword: DSM_PASSWORD },
        servers: { dsm: { users: { admin: DSM_PASSWORD }, keepBytesUpTo: 2 * SNAPSHOT_BYTES } },
        stack: "backups",
    }));
}, 300_000);

afterAll(async () => {
    await tftp?.close();
    await h?.close();
});

test("1. a fresh cluster: the snapshots' folder is made for the DSM user only; no upgrade will run, so no snapshot; nor on a re-run", async () => {
    const r = await up();
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
    expect(h.nodes!.okCalls("EtcdSnapshot")).toEqual([]);
    expect(inBackups()).toEqual([]);
    const dsm = h.servers.dsm;
    expect(dsm.state.tftp).toMatchObject({ enable: true, root_path: "/volume1/pxe" });
    expect(dsm.state.shares["talos-backups"]).toMatchObject({ vol_path: "/volume1" });
    expect(dsm.state.sharePermissions["talos-backups"]).toEqual({
        admin: { is_readonly: false, is_writable: true, is_deny: false, is_custom: false },
        guest: { is_readonly: false, is_writable: false, is_deny: true, is_custom: false },
    });
    // The user's own files in the folder, which the program must never touch.
    dsm.state.files.set(DIR, { isdir: true, size: 0, md5: "", mtime: 0 });
    for (const f of FOREIGN) dsm.putFile(`${DIR}/${f}`, Buffer.from(`the user's ${f}`));

    const again = await up();
    expect(again.code).toBe(0);
    expect(changingSteps(again.events).map((s) => urnName(s.urn))).toEqual([]);
    expect(h.nodes!.okCalls("EtcdSnapshot")).toEqual([]);
});

test("2. a Talos upgrade while the NAS refuses the snapshot's upload does not upgrade anything", async () => {
    await h.nodes!.setSnapshotBytes(ipOf("cp-1"), SNAPSHOT_BYTES);
    const vol = h.servers.dsm.state.volumes["/volume1"];
    const usedBefore = vol.used;
    vol.used = vol.total - 2 * MiB; // room for the new boot file (about 1 MiB), not for a 4 MiB snapshot
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.cluster.talosVersion = "v1.12.1";
    h.setValues(v);
    const mark = h.nodes!.calls().length;
    let r;
    try {
        r = await up();
    } finally {
        vol.used = usedBefore;
    }
    expect(r.code).not.toBe(0);
    const message = errorsOf(r).join("\n");
    expect(message).toMatch(
        /etcd snapshot before the upgrades: upload of \/talos-backups\/etcd\/e2e-backups-\d{8}T\d{6}Z-v1\.12\.0\.db\.part-[0-9a-f]{8} failed after \d+ of \d+ bytes/,
    );
    expect(message).toMatch(/416/);
    expect(callsOf("EtcdSnapshot", mark).length).toBeGreaterThan(0); // it was taken, then refused by the NAS
    expect(callsOf("Upgrade", mark)).toEqual([]);
    for (const ip of ips()) expect((await h.nodes!.node(ip)).talosVersion).toBe("v1.12.0");
    expect(inBackups()).toEqual(FOREIGN);
    recordFigures({ upgradeBlockedWhenUploadRefused: true });
});

test("3. with room again: the snapshot is stored (the stand-in's bytes), before the first upgrade; a re-run does neither", async () => {
    const expected = await h.nodes!.snapshotDigest(ipOf("cp-1"));
    const mark = h.nodes!.calls().length;
    const r = await up();
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
    const snaps = ours();
    expect(snaps).toEqual([expect.stringMatching(/^e2e-backups-\d{8}T\d{6}Z-v1\.12\.0\.db$/)]);
    const file = h.servers.dsm.getFile(`${DIR}/${snaps[0]}`)!;
    expect({ size: file.size, sha256: sha256(file.bytes!) }).toEqual({ size: expected.bytes, sha256: expected.sha256 });
    snaps.forEach((n) => stored.add(n));
    expect(inBackups()).toEqual([...FOREIGN, ...snaps].sort());

    const snapshotCalls = callsOf("EtcdSnapshot", mark).filter((c) => c.code === undefined || c.code === "OK");
    const upgrades = callsOf("Upgrade", mark).filter((c) => c.code === undefined || c.code === "OK");
    expect(upgrades.map((c) => c.node)).toEqual([ipOf("cp-1"), ipOf("w-1")]);
    expect(snapshotCalls).toHaveLength(1);
    expect(Date.parse(String(snapshotCalls[0].time))).toBeLessThan(Date.parse(String(upgrades[0].time)));
    for (const ip of ips()) expect((await h.nodes!.node(ip)).talosVersion).toBe("v1.12.1");

    const again = h.nodes!.calls().length;
    const rerun = await up();
    expect(rerun.code).toBe(0);
    expect(callsOf("EtcdSnapshot", again)).toEqual([]);
    expect(callsOf("Upgrade", again)).toEqual([]);
    expect(ours()).toEqual(snaps);

    // What a machine on the LAN gets from the NAS over TFTP: the boot file, not the snapshot, by any name.
    const boot = h.servers.dsm.getFile(`/pxe/${UKI}`)!;
    expect(await overTftp(tftp, UKI)).toEqual({ size: boot.size, md5: boot.md5 });
    for (const name of [snaps[0], `backups/etcd/${snaps[0]}`, `../talos-backups/etcd/${snaps[0]}`])
        expect(await overTftp(tftp, name)).toEqual({ refused: expect.stringMatching(/^TFTP server error [12] /) });
    expect(snapshotsUnderTftpRoot()).toEqual([]);
    recordFigures({ snapshotsUnderTftpRoot: snapshotsUnderTftpRoot().length });
});

test("4. npm run etcd-snapshot: retention keeps the newest 2 and no file of the user's goes; --list and --fetch", async () => {
    const first = ours()[0];
    for (let i = 0; i < 2; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 1100)); // distinct names: the time in them is to the second
        const expected = await h.nodes!.snapshotDigest(ipOf("cp-1"));
        const r = await etcdSnapshotCli(h, []);
        expect({ code: r.code, out: r.out }).toEqual({
            code: 0,
            out: expect.stringMatching(
                /etcd-snapshot: stored \/talos-backups\/etcd\/e2e-backups-\d{8}T\d{6}Z-v1\.12\.1\.db \(\d+ bytes, md5 [0-9a-f]{32}\), taken through cp-1 \(/,
            ),
        });
        const name = /stored \/talos-backups\/etcd\/(\S+)/.exec(r.out)![1];
        stored.add(name);
        expect(sha256(h.servers.dsm.getFile(`${DIR}/${name}`)!.bytes!)).toBe(expected.sha256);
        if (i === 1) expect(r.out).toContain(`deleted older snapshots beyond backups.etcd.keep: ${first}`);
    }
    const kept = ours();
    expect(kept).toHaveLength(2);
    expect(kept).not.toContain(first);
    expect(inBackups()).toEqual([...FOREIGN, ...kept].sort());
    for (const f of FOREIGN) expect(h.servers.dsm.getFile(`${DIR}/${f}`)!.bytes!.toString()).toBe(`the user's ${f}`);

    const list = await etcdSnapshotCli(h, ["--list"]);
    expect(list.code).toBe(0);
    expect(list.out).toContain(`  ${kept[1]}  `);
    expect(list.out).toContain(`2 other file(s) there, not this program's (never touched): ${FOREIGN.join(", ")}`);

    const out = path.join(h.engine.dir, "restore.db");
    const fetched = await etcdSnapshotCli(h, ["--fetch", kept[1], "--out", out]);
    expect(fetched.code).toBe(0);
    expect(sha256(fs.readFileSync(out))).toBe(sha256(h.servers.dsm.getFile(`${DIR}/${kept[1]}`)!.bytes!));
    expect((fs.statSync(out).mode & 0o777).toString(8)).toBe("600");
    recordFigures({ etcdSnapshotsStored: stored.size, etcdSnapshotsKept: kept.length });
});

test("5. destroy keeps the snapshots, the user's files and so their shared folder, and says so; the empty boot share goes", async () => {
    const kept = ours();
    expect(kept.length).toBeGreaterThan(0);
    const r = await h.engine.run(["destroy", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
    expect({ code: r.code, errors: errorsOf(r) }).toEqual({ code: 0, errors: [] });
    const dsm = h.servers.dsm;
    expect(dsm.getFile(`/pxe/${UKI}`)).toBeUndefined();
    expect(dsm.state.shares.pxe).toBeUndefined(); // made by the program, and nothing of anyone's is left in it
    expect(dsm.state.shares["talos-backups"]).toBeDefined();
    expect(inBackups()).toEqual([...FOREIGN, ...kept].sort());
    const said = [...diagnostics(r.events).map((d) => d.message), r.stdout, r.stderr].join("\n");
    expect(said).toContain(
        "keeping shared folder talos-backups although this program created it: it holds files the program does not delete",
    );
});
