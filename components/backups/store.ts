/**
 * etcd snapshots on the NAS: take one and store it, list them, fetch one. Used by the dynamic provider that
 * runs before the rolling upgrades (provider.ts) and by `npm run etcd-snapshot` (cli.ts): the same code.
 *
 * Taking one, in this order:
 *  1. reads only: the snapshots' shared folder (`backups.share`) is on the NAS; a control plane answers the Talos API
 *     (`talosctl version`, in config order). Every problem of this step is reported at once, and nothing has been
 *     written yet.
 *  2. `talosctl etcd snapshot` from the first control plane that answered (the next one when it cannot: etcd
 *     not running there) into a 0600 file in a private temporary folder.
 *  3. into `/<backups.share>/etcd` (created when missing): streamed from the file through an MD5 counter into
 *     File Station under `<name>.part-<hex>` (an upload the NAS cuts is retried from the start of the file), then
 *     checked against the NAS (size, File Station's own MD5) and only then renamed to `<name>`. On any failure
 *     the temporary file is removed: there is never a partial snapshot under a snapshot's name.
 *  4. retention: the newest `keep` of this program's snapshots of this cluster in that folder stay, older ones are
 *     deleted; other names are never touched, nor the legacy folder under the TFTP root (names.ts).
 * Listing and fetching look in both places: the snapshot folder, and the legacy folder earlier versions wrote to.
 */
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Readable, Transform } from "stream";
import { pipeline } from "stream/promises";
import type { DsmApi, FileInfo } from "../synology/dsm/types";
import { bestEffortDelete, progressReporter, verifyUploaded } from "../synology/kit/upload";
import { keepProblem } from "./config";
import {
    isOurPartFile,
    ourSnapshots,
    partName,
    selectForDeletion,
    snapshotDir,
    snapshotFileName,
    SnapshotPlaces,
    SNAPSHOT_FOLDER,
} from "./names";
import type { TalosApi } from "./talosctl";

/** Where and what to snapshot. */
export interface SnapshotTarget {
    /** `cluster.name`: the first part of every snapshot's name. */
    clusterName: string;
    /** `backups.share`: the snapshots go to `/<share>/etcd`. */
    share: string;
    /** `backups.etcd.keep`. */
    keep: number;
    /** The control planes, in config order: the snapshot is taken through the first that works. */
    controlPlanes: { hostname: string; ip: string }[];
}

export interface SnapshotDeps {
    dsm: DsmApi;
    talos: TalosApi;
    /** Clock (tests). */
    now?: () => Date;
    log?: (message: string) => void;
    /** Set when the work is to stop (the engine went away): checked between steps. */
    stopped?: () => Error | undefined;
    /** Called with a function that stops the upload in flight. */
    onUpload?: (stop: (reason: Error) => void) => void;
}

/** A snapshot stored and verified. */
export interface StoredSnapshot {
    name: string;
    /** File Station path. */
    path: string;
    size: number;
    md5: string;
    /** The control plane it was taken through, `hostname (ip)`. */
    node: string;
    talosVersion: string;
    /** ISO time (UTC, to the second). */
    takenAt: string;
    /** Older snapshots retention removed. */
    deleted: string[];
    /** Set when retention could not delete (the snapshot itself is stored). */
    retentionError?: string;
}

/** Problems found before anything was written; `problems` lists them all. */
export class SnapshotPreconditionError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `etcd snapshot not taken, nothing was written to the NAS (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "SnapshotPreconditionError";
    }
}

const who = (n: { hostname: string; ip: string }) => `${n.hostname} (${n.ip})`;
const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split("\n")[0];

/** The control planes that answer, with the Talos version each runs; the others with their error. */
async function probeControlPlanes(
    talos: TalosApi,
    cps: SnapshotTarget["controlPlanes"],
): Promise<{ answering: { hostname: string; ip: string; tag: string }[]; failed: string[] }> {
    const answering: { hostname: string; ip: string; tag: string }[] = [];
    const failed: string[] = [];
    for (const cp of cps) {
        try {
            answering.push({ ...cp, tag: await talos.version(cp.ip) });
        } catch (e) {
            failed.push(`${who(cp)}: ${firstLine(e)}`);
        }
    }
    return { answering, failed };
}

/** A file opened for upload, hashed as it goes out. */
interface MeteredFile {
    stream: Readable;
    digest(): string;
    sent(): number;
    destroy(reason?: Error): void;
}

function openMetered(file: string, onBytes: (n: number) => void): MeteredFile {
    const hash = createHash("md5");
    let sent = 0;
    const source = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
    const meter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            sent += chunk.length;
            onBytes(sent);
            cb(null, chunk);
        },
    });
    source.on("error", (e) => meter.destroy(e));
    source.pipe(meter);
    return {
        stream: meter,
        digest: () => hash.digest("hex"),
        sent: () => sent,
        destroy: (reason) => {
            source.destroy();
            meter.destroy(reason);
        },
    };
}

/** Makes `/<share>/etcd` when it is not there. */
async function ensureSnapshotDir(dsm: DsmApi, share: string, present: FileInfo | undefined): Promise<void> {
    if (present?.isdir) return;
    if (present)
        throw new Error(
            `${snapshotDir(share)} is a file, not a folder: move it away so that snapshots can be stored there`,
        );
    await dsm.createFolder(`/${share}`, SNAPSHOT_FOLDER, true);
}

/** Upload `file` as `<dir>/<name>`: temporary name, verified, renamed. Returns its size and MD5. */
async function uploadVerified(
    deps: SnapshotDeps,
    dir: string,
    name: string,
    file: string,
): Promise<{ size: number; md5: string }> {
    const { dsm } = deps;
    const log = deps.log ?? (() => undefined);
    const size = fs.statSync(file).size;
    const tmpName = partName(name, randomBytes(4).toString("hex"));
    const tmpPath = `${dir}/${tmpName}`;
    const report = progressReporter(`uploading ${name}`, size, log);
    let current = openMetered(file, report);
    let attempts = 1;
    deps.onUpload?.((reason) => current.destroy(reason));
    const reopen = (): Readable => {
        current.destroy();
        attempts++;
        log(`uploading ${name}: the NAS cut the upload; sending it again from the start (attempt ${attempts})`);
        current = openMetered(file, report);
        return current.stream;
    };
    try {
        log(`uploading the etcd snapshot (${size} bytes) to ${tmpPath}`);
        try {
            await dsm.upload(dir, tmpName, current.stream, size, { overwrite: false, reopen });
        } catch (e) {
            throw (
                deps.stopped?.() ??
                new Error(
                    `upload of ${tmpPath} failed after ${current.sent()} of ${size} bytes` +
                        `${attempts > 1 ? ` (${attempts} attempts)` : ""}: ${(e as Error).message}`,
                )
            );
        }
        const md5 = current.digest();
        await verifyUploaded(dsm, tmpPath, { size, md5 }, { sender: "the snapshot file", hasher: "the upload" });
        const stop = deps.stopped?.();
        if (stop) throw stop;
        await dsm.rename(tmpPath, name);
        return { size, md5 };
    } catch (e) {
        current.destroy();
        await bestEffortDelete(dsm, tmpPath);
        throw e;
    }
}

/** Retention after a store: deletes the program's snapshots beyond the newest `keep`. */
export async function applyRetention(
    dsm: DsmApi,
    target: Pick<SnapshotTarget, "clusterName" | "share" | "keep">,
    log: (m: string) => void = () => undefined,
): Promise<string[]> {
    const dir = snapshotDir(target.share);
    const [info] = await dsm.getInfo([dir]);
    if (!info?.isdir) return [];
    const names = (await dsm.list(dir)).filter((f) => !f.isdir).map((f) => f.name);
    const doomed = selectForDeletion(target.clusterName, names, target.keep);
    if (doomed.length > 0) {
        log(`etcd snapshots: keeping the newest ${target.keep} (backups.etcd.keep); deleting ${doomed.join(", ")}`);
        await dsm.deletePaths(doomed.map((n) => `${dir}/${n}`));
    }
    return doomed;
}

/** Take an etcd snapshot and store it on the NAS, as described at the top. */
export async function takeEtcdSnapshot(deps: SnapshotDeps, target: SnapshotTarget): Promise<StoredSnapshot> {
    const { dsm, talos } = deps;
    const log = deps.log ?? (() => undefined);
    const now = deps.now ?? (() => new Date());
    const dir = snapshotDir(target.share);

    // 1. Reads only, every problem at once.
    const problems: string[] = [];
    const keep = keepProblem("backups.etcd.keep", target.keep);
    if (keep) problems.push(keep);
    const [shareInfo, dirInfo] = await dsm.getInfo([`/${target.share}`, dir]);
    if (!shareInfo?.isdir) {
        problems.push(
            `backups.share: the shared folder "${target.share}" is not on the NAS (File Station has no /${target.share}); ` +
                "run `pulumi up` first (it creates it), or set backups.share to the shared folder the snapshots go to",
        );
    }
    if (target.controlPlanes.length === 0) problems.push("nodes: no control plane to take an etcd snapshot from");
    const { answering, failed } = await probeControlPlanes(talos, target.controlPlanes);
    if (target.controlPlanes.length > 0 && answering.length === 0) {
        problems.push(
            `no control plane answered the Talos API: ${failed.join("; ")}. Check that they are powered on and that ` +
                "the talosconfig is the cluster's (`talosctl --nodes <ip> version`)",
        );
    }
    if (problems.length > 0) throw new SnapshotPreconditionError(problems);

    // 2. The snapshot, through the first control plane that can take one.
    let taken: { node: string; tag: string; name: string; at: Date; file: string } | undefined;
    const refused: string[] = [...failed];
    for (const cp of answering) {
        const at = now();
        const name = snapshotFileName(target.clusterName, at, cp.tag);
        const file = path.join(talos.workDir, name);
        try {
            log(`etcd snapshot: taking one through ${who(cp)} (Talos ${cp.tag})`);
            await talos.snapshot(cp.ip, file);
            taken = { node: who(cp), tag: cp.tag, name, at, file };
            break;
        } catch (e) {
            const stop = deps.stopped?.();
            if (stop) throw stop;
            refused.push(`${who(cp)}: ${firstLine(e)}`);
        }
    }
    if (!taken)
        throw new Error(
            `no control plane could take an etcd snapshot (${refused.join("; ")}); nothing was written to the NAS`,
        );

    // 3. Onto the NAS.
    try {
        await ensureSnapshotDir(dsm, target.share, dirInfo);
        const listing = await dsm.list(dir);
        const stray = listing.filter((f) => !f.isdir && isOurPartFile(target.clusterName, f.name)).map((f) => f.path);
        if (stray.length > 0) {
            log(
                `etcd snapshots: removing ${stray.length} upload(s) an interrupted earlier run left: ${stray.join(", ")}`,
            );
            await dsm.deletePaths(stray);
        }
        if (listing.some((f) => f.name === taken.name)) {
            throw new Error(`${dir}/${taken.name} already exists (a snapshot taken in the same second); run again`);
        }
        const { size, md5 } = await uploadVerified(deps, dir, taken.name, taken.file);
        log(`etcd snapshot ${dir}/${taken.name} stored (${size} bytes, md5 ${md5}, taken through ${taken.node})`);
        const stored: StoredSnapshot = {
            name: taken.name,
            path: `${dir}/${taken.name}`,
            size,
            md5,
            node: taken.node,
            talosVersion: taken.tag,
            takenAt: taken.at.toISOString().replace(/\.\d{3}Z$/, "Z"),
            deleted: [],
        };
        // 4. Retention. The snapshot is stored: a failure here is reported, not fatal.
        try {
            stored.deleted = await applyRetention(dsm, target, log);
        } catch (e) {
            stored.retentionError = firstLine(e);
            log(`etcd snapshots: could not delete older snapshots: ${stored.retentionError}`);
        }
        return stored;
    } finally {
        fs.rmSync(taken.file, { force: true });
    }
}

/** A folder's snapshots: the program's own of this cluster (newest first) and every other file. */
export interface SnapshotListing {
    dir: string;
    /** True for the folder under the TFTP root where earlier versions stored them (readable over TFTP). */
    legacy: boolean;
    /** False when the folder does not exist (no snapshot was ever stored there). */
    exists: boolean;
    snapshots: { name: string; size: number; takenAt: string; talosVersion: string }[];
    /** Files there that are not this program's snapshots of this cluster: never touched. */
    others: string[];
}

async function listFolder(dsm: DsmApi, dir: string, legacy: boolean, clusterName: string): Promise<SnapshotListing> {
    const [info] = await dsm.getInfo([dir]);
    if (!info?.isdir) return { dir, legacy, exists: false, snapshots: [], others: [] };
    const files = (await dsm.list(dir)).filter((f) => !f.isdir);
    const sizes = new Map(files.map((f) => [f.name, f.size]));
    const ours = ourSnapshots(
        clusterName,
        files.map((f) => f.name),
    );
    const mine = new Set(ours.map((s) => s.name));
    return {
        dir,
        legacy,
        exists: true,
        snapshots: ours.map((s) => ({
            name: s.name,
            size: sizes.get(s.name) ?? 0,
            takenAt: s.takenAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
            talosVersion: s.talosVersion,
        })),
        others: files
            .map((f) => f.name)
            .filter((n) => !mine.has(n))
            .sort(),
    };
}

/** Both places: the snapshot folder, then the legacy folder under the TFTP root. */
export async function listSnapshots(
    dsm: DsmApi,
    places: SnapshotPlaces,
    clusterName: string,
): Promise<[SnapshotListing, SnapshotListing]> {
    return [
        await listFolder(dsm, places.dir, false, clusterName),
        await listFolder(dsm, places.legacyDir, true, clusterName),
    ];
}

/**
 * Download the snapshot `name` to `out` (0600), from the snapshot folder or, when it is not there, from the legacy
 * folder under the TFTP root: streamed into `<out>.part-<hex>`, its byte count checked against the NAS's size and its
 * MD5 against File Station's own, then renamed to `out`. An existing `out` is never overwritten; on any failure
 * nothing is left at `out`.
 */
export async function fetchSnapshot(
    dsm: DsmApi,
    places: SnapshotPlaces,
    name: string,
    out: string,
): Promise<{ path: string; size: number; md5: string; legacy: boolean }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
        throw new Error(
            `"${name}" is not a snapshot's file name: give one as \`--list\` shows it (e.g. mycluster-20250102T030405Z-v1.12.1.db)`,
        );
    }
    if (fs.existsSync(out)) throw new Error(`${out} already exists: remove it or give another --out`);
    const candidates = [`${places.dir}/${name}`, `${places.legacyDir}/${name}`];
    const infos = await dsm.getInfo(candidates);
    const at = infos.findIndex((i) => i !== undefined && !i.isdir);
    if (at < 0) {
        throw new Error(
            `${name} is neither in ${places.dir} nor in ${places.legacyDir} on the NAS; ` +
                "`npm run etcd-snapshot -- --stack <name> --list` shows what is there",
        );
    }
    const remote = candidates[at];
    const info = infos[at]!;
    const tmp = `${out}.part-${randomBytes(4).toString("hex")}`;
    const hash = createHash("md5");
    let received = 0;
    try {
        const body = await dsm.download(remote);
        const meter = new Transform({
            transform(chunk: Buffer, _enc, cb) {
                hash.update(chunk);
                received += chunk.length;
                cb(null, chunk);
            },
        });
        await pipeline(body, meter, fs.createWriteStream(tmp, { flags: "wx", mode: 0o600 }));
        if (received !== info.size)
            throw new Error(`download of ${remote} gave ${received} bytes, the NAS lists ${info.size}`);
        const md5 = hash.digest("hex");
        const remoteMd5 = (await dsm.md5(remote)).toLowerCase();
        if (remoteMd5 !== md5)
            throw new Error(
                `verification failed: MD5 mismatch for ${remote}: the NAS computed ${remoteMd5}, the download hashed to ${md5}`,
            );
        fs.linkSync(tmp, out); // fails when `out` appeared meanwhile: never overwrite
        fs.rmSync(tmp, { force: true });
        return { path: remote, size: received, md5, legacy: at === 1 };
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
    }
}
