/**
 * Policy for storing etcd snapshots on the NAS (the DSM simulator, a talosctl stand-in):
 * - the stored file is byte for byte what the control plane streamed, under <cluster>-<UTC>-<talos>.db, written
 *   under a temporary name, checked against the NAS's own MD5 and only then renamed; never a partial file;
 * - bad input (share missing, no control plane answering) is reported, all at once, before anything is written;
 * - they go to <backups.share>/etcd; listing and fetching also find the ones earlier versions left under the TFTP
 *   root (<synology.share>/backups/etcd), which nothing here ever moves or deletes;
 * - retention keeps the newest `keep` of the program's own snapshots and touches no other file;
 * - fetching one back is streamed and verified, and never leaves a damaged file behind.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { snapshotFileName, snapshotPlaces } from "../../components/backups/names";
import {
    fetchSnapshot,
    listSnapshots,
    SnapshotPreconditionError,
    SnapshotTarget,
    takeEtcdSnapshot,
} from "../../components/backups/store";
import { TalosApi, talosctlApi } from "../../components/backups/talosctl";
import { DsmClient } from "../../components/synology/dsm/client";
import { DsmSimulator, simShare, startNasWithShare } from "../support/dsm-simulator";
import { standInSnapshotBytes, TalosctlStandIn } from "./talosctl-standin";

jest.setTimeout(60_000);

const PASSWORD = "dsm-Pa55-backups!";
const TALOSCONFIG =
    "context: lab\ncontexts:\n  lab:\n    ca: c2VjcmV0LWNh\n    crt: c2VjcmV0LWNydA==\n    key: c2VjcmV0LWtleQ==\n";
const CP1 = { hostname: "cp-1", ip: "127.3.0.11" };
const CP2 = { hostname: "cp-2", ip: "127.3.0.12" };
const DIR = "/talos-backups/etcd";
const LEGACY = "/pxe/backups/etcd";
const PLACES = snapshotPlaces("talos-backups", "pxe");
const T0 = new Date("2025-05-06T07:08:09Z");

let sim: DsmSimulator;
let dsm: DsmClient;
let standIn: TalosctlStandIn;
let talos: TalosApi;
let logs: string[];

const target = (over: Partial<SnapshotTarget> = {}): SnapshotTarget => ({
    clusterName: "lab",
    share: "talos-backups",
    keep: 10,
    controlPlanes: [CP1, CP2],
    ...over,
});
const take = (over: Partial<SnapshotTarget> = {}, now = () => T0) =>
    takeEtcdSnapshot({ dsm, talos, log: (m) => logs.push(m), now }, target(over));
const filesIn = (dir: string) =>
    [...sim.state.files.keys()]
        .filter((p) => p.startsWith(`${dir}/`))
        .map((p) => p.slice(dir.length + 1))
        .sort();
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
/** A file of an earlier version's under the TFTP root, with the folders File Station would show. */
const putLegacy = (name: string, bytes: Buffer) => {
    for (const d of ["/pxe/backups", LEGACY]) sim.state.files.set(d, { isdir: true, size: 0, md5: "", mtime: 0 });
    sim.putFile(`${LEGACY}/${name}`, bytes);
};

beforeEach(async () => {
    sim = await startNasWithShare(PASSWORD, {
        state: { shares: { pxe: simShare("pxe"), "talos-backups": simShare("talos-backups") } },
    });
    dsm = new DsmClient(
        { url: sim.url, username: "admin", password: PASSWORD, allowHttp: true },
        { md5PollMs: 5, retryBaseDelayMs: 5, retryMaxDelayMs: 20, log: () => undefined },
    );
    standIn = TalosctlStandIn.create({
        [CP1.ip]: { tag: "v1.12.0", bytes: 64 * 1024 },
        [CP2.ip]: { tag: "v1.12.0", bytes: 64 * 1024 },
    });
    talos = talosctlApi(TALOSCONFIG, { talosctl: standIn.bin });
    logs = [];
});

afterEach(async () => {
    talos.close();
    standIn.close();
    await sim.close();
});

describe("taking a snapshot", () => {
    test("stores exactly the bytes the control plane streamed, named <cluster>-<UTC>-<talos>.db, via a temporary name and the NAS's MD5", async () => {
        const r = await take();
        const name = "lab-20250506T070809Z-v1.12.0.db";
        const expected = standInSnapshotBytes(CP1.ip, 64 * 1024, 1);
        expect(r).toMatchObject({
            name,
            path: `${DIR}/${name}`,
            size: expected.length,
            md5: md5(expected),
            node: "cp-1 (127.3.0.11)",
            talosVersion: "v1.12.0",
            takenAt: "2025-05-06T07:08:09Z",
            deleted: [],
        });
        const stored = sim.getFile(`${DIR}/${name}`)!;
        expect(sha(stored.bytes!)).toBe(sha(expected));
        expect(filesIn(DIR)).toEqual([name]);
        // Uploaded under <name>.part-<hex>, checked with File Station's MD5 of that file, then renamed.
        const renames = sim.requests
            .filter((q) => q.api === "SYNO.FileStation.Rename")
            .map((q) => [JSON.parse(q.params.path)[0], JSON.parse(q.params.name)[0]]);
        expect(renames).toEqual([
            [expect.stringMatching(new RegExp(`^${DIR}/${name.replace(/\./g, "\\.")}\\.part-[0-9a-f]{8}$`)), name],
        ]);
        const md5Of = sim.requests
            .filter((q) => q.api === "SYNO.FileStation.MD5" && q.method === "start")
            .map((q) => JSON.parse(q.params.file_path));
        expect(md5Of).toEqual([renames[0][0]]);
        // The upload refuses to overwrite anything.
        expect(sim.requests.find((q) => q.api === "SYNO.FileStation.Upload")!.params.overwrite).toBe("false");
    });

    test("hands talosctl the talosconfig only as a 0600 file, never on the command line, and removes it afterwards", async () => {
        await take();
        const calls = standIn.calls();
        expect(calls.map((c) => c.command)).toEqual(["version", "version", expect.stringMatching(/^etcd snapshot \//)]);
        for (const c of calls) {
            expect(c.talosconfigMode).toBe("600");
            expect(c.talosconfigText).toBe(TALOSCONFIG);
            expect(c.args.join(" ")).not.toContain("c2VjcmV0");
        }
        const workDir = talos.workDir;
        expect((fs.statSync(workDir).mode & 0o777).toString(8)).toBe("700");
        expect(fs.readdirSync(workDir)).toEqual(["talosconfig"]); // the snapshot file is gone already
        talos.close();
        expect(fs.existsSync(workDir)).toBe(false);
    });

    test("creates <backups.share>/etcd when it is missing, and uses it as it is otherwise; nothing under the TFTP root", async () => {
        expect(sim.getFile(DIR)).toBeUndefined();
        await take();
        expect(sim.getFile(DIR)?.isdir).toBe(true);
        expect([...sim.state.files.keys()].filter((p) => p.startsWith("/pxe/"))).toEqual([]);
        sim.resetCounters();
        await take({}, () => new Date(T0.getTime() + 1000));
        expect(sim.counters.calls["SYNO.FileStation.CreateFolder.create"]).toBeUndefined();
    });

    test("goes to the next control plane when the first does not answer, or cannot take a snapshot (etcd down, stream cut)", async () => {
        standIn.set(CP1.ip, { answers: false });
        expect((await take()).node).toBe("cp-2 (127.3.0.12)");
        standIn.set(CP1.ip, { answers: true, etcd: false });
        expect((await take({}, () => new Date(T0.getTime() + 1000))).node).toBe("cp-2 (127.3.0.12)");
        standIn.set(CP1.ip, { etcd: true, cutAfter: 1000 });
        const r = await take({}, () => new Date(T0.getTime() + 2000));
        expect(r.node).toBe("cp-2 (127.3.0.12)");
        expect(sha(sim.getFile(r.path)!.bytes!)).toBe(sha(standInSnapshotBytes(CP2.ip, 64 * 1024, 3)));
    });

    test("names the Talos version the node runs, not the one an upgrade is about to install", async () => {
        standIn.set(CP1.ip, { tag: "v1.11.5" });
        expect((await take()).name).toBe("lab-20250506T070809Z-v1.11.5.db");
    });
});

describe("bad input: a clear error before anything is written", () => {
    test("no control plane answers: every one is named with talosctl's error, and the NAS sees no write", async () => {
        standIn.set(CP1.ip, { answers: false });
        standIn.set(CP2.ip, { answers: false });
        const e = await take().catch((x) => x);
        expect(e).toBeInstanceOf(SnapshotPreconditionError);
        expect(e.message).toMatch(/^etcd snapshot not taken, nothing was written to the NAS \(1 problem\)/);
        expect(e.message).toContain(
            "no control plane answered the Talos API: cp-1 (127.3.0.11): talosctl version on 127.3.0.11: error getting version: " +
                "rpc error: code = Unavailable desc = connection error",
        );
        expect(e.message).toContain("; cp-2 (127.3.0.12): talosctl version on 127.3.0.12: ");
        expect(sim.counters.writes).toBe(0);
        expect(standIn.calls().filter((c) => c.command.startsWith("etcd"))).toEqual([]);
    });

    test("the share is missing, and no control plane answers: both reported at once, nothing written, no snapshot taken", async () => {
        standIn.set(CP1.ip, { answers: false });
        standIn.set(CP2.ip, { answers: false });
        const e = (await take({ share: "gone" }).catch((x) => x)) as SnapshotPreconditionError;
        expect(e.problems).toEqual([
            expect.stringMatching(
                /^backups\.share: the shared folder "gone" is not on the NAS .*run `pulumi up` first/,
            ),
            expect.stringMatching(/^no control plane answered the Talos API/),
        ]);
        expect(sim.counters.writes).toBe(0);
    });

    test.each([[0], [2.5], [-1]])("keep = %s", async (keep) => {
        const e = (await take({ keep }).catch((x) => x)) as SnapshotPreconditionError;
        expect(e.problems).toEqual([expect.stringMatching(/^backups\.etcd\.keep: must be a whole number/)]);
        expect(sim.counters.writes).toBe(0);
        expect(standIn.calls().filter((c) => c.command.startsWith("etcd"))).toEqual([]);
    });

    test("every control plane answers but none can take a snapshot: nothing is written", async () => {
        standIn.set(CP1.ip, { etcd: false });
        standIn.set(CP2.ip, { cutAfter: 10 });
        const e = (await take().catch((x) => x)) as Error;
        expect(e.message).toMatch(
            /^no control plane could take an etcd snapshot \(cp-1 \(127\.3\.0\.11\): .*failed reading etcd snapshot.*; cp-2 \(127\.3\.0\.12\): .*unexpected EOF\); nothing was written to the NAS$/,
        );
        expect(sim.counters.writes).toBe(0);
    });
});

describe("never a partial or unverified snapshot under a snapshot's name", () => {
    test("the NAS refuses the upload (volume full): the error says so, and nothing is left in the folder", async () => {
        const vol = sim.state.volumes["/volume1"];
        vol.used = vol.total - 10_000;
        const e = (await take().catch((x) => x)) as Error;
        expect(e.message).toMatch(
            /^upload of \/talos-backups\/etcd\/lab-20250506T070809Z-v1\.12\.0\.db\.part-[0-9a-f]{8} failed after \d+ of 65568 bytes: .*416/,
        );
        expect(filesIn(DIR)).toEqual([]);
    });

    test("the NAS's MD5 differs from what was sent: the temporary file is removed, nothing renamed", async () => {
        sim.faults.rewrite("SYNO.FileStation.MD5.status", (d) => ({ ...(d as object), md5: "0".repeat(32) }));
        const e = (await take().catch((x) => x)) as Error;
        expect(e.message).toMatch(
            /^verification failed: MD5 mismatch for .*\.part-[0-9a-f]{8}: the NAS computed 0{32}, the upload hashed to [0-9a-f]{32}$/,
        );
        expect(filesIn(DIR)).toEqual([]);
        expect(sim.counters.calls["SYNO.FileStation.Rename.rename"]).toBeUndefined();
    });

    test("a connection cut mid-upload is sent again from the start of the file, and the stored bytes are whole", async () => {
        sim.faults.resetUploadAfterBytes(20_000, 1);
        const r = await take();
        expect(sha(sim.getFile(r.path)!.bytes!)).toBe(sha(standInSnapshotBytes(CP1.ip, 64 * 1024, 1)));
        expect(logs.some((l) => /the NAS cut the upload; sending it again from the start \(attempt 2\)/.test(l))).toBe(
            true,
        );
        expect(filesIn(DIR)).toEqual([r.name]);
    });

    test("stopped mid-upload (the engine went away): the upload ends, the temporary file goes, nothing is stored", async () => {
        standIn.set(CP1.ip, { bytes: 2 * 1024 * 1024 });
        let stop: (e: Error) => void = () => undefined;
        let stopped: Error | undefined;
        const e = (await takeEtcdSnapshot(
            {
                dsm,
                talos,
                now: () => T0,
                stopped: () => stopped,
                onUpload: (s) => (stop = s),
                log: (m) => {
                    if (/^uploading lab-.*: \d+ of \d+ bytes \(\d+%\)/.test(m) && !stopped) {
                        stopped = new Error("the engine is gone");
                        stop(stopped);
                    }
                },
            },
            target(),
        ).catch((x) => x)) as Error;
        expect(e.message).toBe("the engine is gone");
        expect(filesIn(DIR).filter((n) => !n.includes(".part-"))).toEqual([]);
        await new Promise((r) => setTimeout(r, 100));
        expect(filesIn(DIR)).toEqual([]);
    });

    test("a same-second name already there is an error, not an overwrite", async () => {
        const name = snapshotFileName("lab", T0, "v1.12.0");
        await take();
        const before = sim.getFile(`${DIR}/${name}`)!.md5;
        const e = (await take().catch((x) => x)) as Error;
        expect(e.message).toContain(`${DIR}/${name} already exists (a snapshot taken in the same second)`);
        expect(sim.getFile(`${DIR}/${name}`)!.md5).toBe(before);
    });
});

describe("retention", () => {
    const older = (days: number, tag = "v1.11.0") =>
        snapshotFileName("lab", new Date(T0.getTime() - days * 86_400_000), tag);
    const foreign = [
        "notes.txt",
        "other-20200101T000000Z-v1.10.0.db",
        "lab-manual.db",
        `${older(30)}.bak`,
        "lab-20250101T000000Z-v1.12.0.db.old",
    ];

    beforeEach(() => {
        sim.state.files.set(DIR, { isdir: true, size: 0, md5: "", mtime: 0 });
        for (const n of [older(1), older(2), older(3), ...foreign]) sim.putFile(`${DIR}/${n}`, Buffer.from(n));
    });

    test("keeps the newest `keep` of the program's own snapshots, deletes the older ones, and never touches another file", async () => {
        const r = await take({ keep: 2 });
        expect(r.deleted.sort()).toEqual([older(2), older(3)].sort());
        expect(filesIn(DIR)).toEqual([r.name, older(1), ...foreign].sort());
        for (const n of foreign) expect(sim.getFile(`${DIR}/${n}`)!.bytes!.toString()).toBe(n);
    });

    test("never counts nor deletes the snapshots earlier versions left under the TFTP root", async () => {
        const legacy = [older(10), older(11), older(12)];
        for (const n of legacy) putLegacy(n, Buffer.from(n));
        const r = await take({ keep: 1 });
        expect(r.deleted.sort()).toEqual([older(1), older(2), older(3)].sort());
        expect(filesIn(LEGACY)).toEqual(legacy.sort());
    });

    test("removes temporary uploads an interrupted run of its own left, and only those", async () => {
        const stray = `${older(5)}.part-0a0b0c0d`;
        const userPart = "notes.txt.part-0a0b0c0d";
        sim.putFile(`${DIR}/${stray}`, Buffer.from("half"));
        sim.putFile(`${DIR}/${userPart}`, Buffer.from("mine"));
        await take({ keep: 10 });
        expect(filesIn(DIR)).not.toContain(stray);
        expect(filesIn(DIR)).toContain(userPart);
    });
});

describe("listing and fetching", () => {
    let tmp: string;
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-fetch-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    test("lists the program's snapshots newest first, and the other files apart, in both places", async () => {
        const none = { snapshots: [], others: [] };
        expect(await listSnapshots(dsm, PLACES, "lab")).toEqual([
            { dir: DIR, legacy: false, exists: false, ...none },
            { dir: LEGACY, legacy: true, exists: false, ...none },
        ]);
        const a = await take();
        const b = await take({}, () => new Date(T0.getTime() + 60_000));
        sim.putFile(`${DIR}/notes.txt`, Buffer.from("x"));
        const old = snapshotFileName("lab", new Date("2024-01-02T03:04:05Z"), "v1.11.0");
        putLegacy(old, Buffer.from("old"));
        const [l, legacy] = await listSnapshots(dsm, PLACES, "lab");
        expect(l.snapshots.map((s) => [s.name, s.size, s.takenAt, s.talosVersion])).toEqual([
            [b.name, b.size, "2025-05-06T07:09:09Z", "v1.12.0"],
            [a.name, a.size, "2025-05-06T07:08:09Z", "v1.12.0"],
        ]);
        expect(l.others).toEqual(["notes.txt"]);
        expect(legacy).toEqual({
            dir: LEGACY,
            legacy: true,
            exists: true,
            snapshots: [{ name: old, size: 3, takenAt: "2024-01-02T03:04:05Z", talosVersion: "v1.11.0" }],
            others: [],
        });
    });

    test("fetches a snapshot byte for byte into a 0600 file, checked against the NAS's MD5", async () => {
        const r = await take();
        const out = path.join(tmp, "etcd.db");
        const f = await fetchSnapshot(dsm, PLACES, r.name, out);
        expect(f).toEqual({ path: r.path, size: r.size, md5: r.md5, legacy: false });
        expect(sha(fs.readFileSync(out))).toBe(sha(standInSnapshotBytes(CP1.ip, 64 * 1024, 1)));
        expect((fs.statSync(out).mode & 0o777).toString(8)).toBe("600");
        expect(fs.readdirSync(tmp)).toEqual(["etcd.db"]);
    });

    test("fetches one an earlier version left under the TFTP root, and says so; the snapshot folder first", async () => {
        const old = snapshotFileName("lab", new Date("2024-01-02T03:04:05Z"), "v1.11.0");
        putLegacy(old, Buffer.from("old snapshot"));
        const f = await fetchSnapshot(dsm, PLACES, old, path.join(tmp, "old.db"));
        expect(f).toEqual({ path: `${LEGACY}/${old}`, size: 12, md5: md5(Buffer.from("old snapshot")), legacy: true });
        expect(fs.readFileSync(path.join(tmp, "old.db"), "utf8")).toBe("old snapshot");
        sim.putFile(`${DIR}/${old}`, Buffer.from("moved there"));
        expect((await fetchSnapshot(dsm, PLACES, old, path.join(tmp, "moved.db"))).legacy).toBe(false);
        expect(fs.readFileSync(path.join(tmp, "moved.db"), "utf8")).toBe("moved there");
        expect(sim.getFile(`${LEGACY}/${old}`)).toBeDefined(); // fetching moves nothing
    });

    test("a download damaged on the way fails the MD5 check and leaves no file behind", async () => {
        const r = await take();
        sim.faults.corruptDownloads(1);
        const out = path.join(tmp, "etcd.db");
        await expect(fetchSnapshot(dsm, PLACES, r.name, out)).rejects.toThrow(
            /verification failed: MD5 mismatch for .*: the NAS computed [0-9a-f]{32}, the download hashed to/,
        );
        expect(fs.readdirSync(tmp)).toEqual([]);
    });

    test("the DSM client's download logs in again when the session expired, and reports DSM's error for a missing file", async () => {
        const r = await take();
        sim.faults.expireSessions(119);
        const chunks: Buffer[] = [];
        for await (const c of await dsm.download(r.path)) chunks.push(c as Buffer);
        expect(Buffer.concat(chunks).equals(sim.getFile(r.path)!.bytes!)).toBe(true);
        const download = sim.requests.filter((q) => q.api === "SYNO.FileStation.Download").pop()!;
        expect(download.params).toMatchObject({ method: "download", path: r.path, mode: "download" });
        await expect(dsm.download(`${DIR}/missing.db`)).rejects.toThrow(/408/);
    });

    test("refuses a name that is not a plain file name, a snapshot that is not there, and an --out that exists", async () => {
        const r = await take();
        await expect(fetchSnapshot(dsm, PLACES, "../../etc/passwd", path.join(tmp, "x"))).rejects.toThrow(
            /is not a snapshot's file name/,
        );
        await expect(fetchSnapshot(dsm, PLACES, "lab-20000101T000000Z-v1.0.0.db", path.join(tmp, "x"))).rejects.toThrow(
            /^lab-20000101T000000Z-v1\.0\.0\.db is neither in \/talos-backups\/etcd nor in \/pxe\/backups\/etcd on the NAS; .*--list/,
        );
        fs.writeFileSync(path.join(tmp, "keep.db"), "mine");
        await expect(fetchSnapshot(dsm, PLACES, r.name, path.join(tmp, "keep.db"))).rejects.toThrow(
            /already exists: remove it or give another --out/,
        );
        expect(fs.readFileSync(path.join(tmp, "keep.db"), "utf8")).toBe("mine");
    });
});
