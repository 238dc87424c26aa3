/**
 * Where etcd snapshots live on the NAS and what they are called (pure).
 *
 * A snapshot of cluster `<cluster>` taken at UTC time T from a node running Talos `<version>` is stored as
 * `/<backups.share>/etcd/<cluster>-<YYYYMMDDTHHMMSSZ>-<version>.db`: a shared folder of their own, not the TFTP root.
 * Versions of the program before issue 28 stored them under the TFTP root, in `/<synology.share>/backups/etcd`
 * (the legacy folder): those stay where they are, and are listed and fetched from there. Only names of exactly that
 * form, for this cluster, are the program's own: retention counts and deletes those (in the snapshot folder only)
 * and nothing else. An upload in flight is `<final name>.part-<8 hex>`; one left behind by an interrupted run is the
 * program's too and is cleaned up.
 */

/** The folder in `backups.share` the snapshots go to. */
export const SNAPSHOT_FOLDER = "etcd";

/** The default of `homelab:backups.share`. */
export const DEFAULT_BACKUP_SHARE = "talos-backups";

/** Where earlier versions put them, under `synology.share` (the TFTP root), as path parts. */
export const LEGACY_FOLDER = ["backups", "etcd"] as const;

/** The default of `homelab:backups.etcd.keep`. */
export const DEFAULT_KEEP = 10;

/** File Station path of the snapshot folder: `/<backups.share>/etcd`. */
export function snapshotDir(share: string): string {
    return `/${share}/${SNAPSHOT_FOLDER}`;
}

/** File Station path of the folder under the TFTP root where earlier versions stored them: `/<share>/backups/etcd`. */
export function legacySnapshotDir(tftpShare: string): string {
    return `/${tftpShare}/${LEGACY_FOLDER.join("/")}`;
}

/** The places snapshots of a stack may be: where they go now, and the legacy folder under the TFTP root. */
export interface SnapshotPlaces {
    /** `backups.share`. */
    share: string;
    /** `/<backups.share>/etcd`. */
    dir: string;
    /** `/<synology.share>/backups/etcd`: readable over TFTP. */
    legacyDir: string;
}

export function snapshotPlaces(backupShare: string, tftpShare: string): SnapshotPlaces {
    return { share: backupShare, dir: snapshotDir(backupShare), legacyDir: legacySnapshotDir(tftpShare) };
}

/** `20250102T030405Z`: the UTC time to the second, ISO 8601 basic format (sorts as text, no `:` in file names). */
export function utcStamp(at: Date): string {
    if (Number.isNaN(at.getTime())) throw new Error("utcStamp: invalid date");
    return at
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")
        .replace(/[-:]/g, "");
}

/** The Date of a {@link utcStamp}, or undefined when `stamp` is not one (or names no real time). */
export function parseUtcStamp(stamp: string): Date | undefined {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
    if (!m) return undefined;
    const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
    return Number.isNaN(d.getTime()) || utcStamp(d) !== stamp ? undefined : d;
}

const TALOS_TAG_RE = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?$/;
const CLUSTER_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The snapshot's file name. Throws on a cluster name or Talos tag that would not read back. */
export function snapshotFileName(cluster: string, at: Date, talosVersion: string): string {
    if (!CLUSTER_RE.test(cluster))
        throw new Error(`cluster name "${cluster}" cannot name a snapshot (lower-case letters, digits, hyphens)`);
    if (!TALOS_TAG_RE.test(talosVersion))
        throw new Error(`Talos version "${talosVersion}" is not a release tag like v1.12.1`);
    return `${cluster}-${utcStamp(at)}-${talosVersion}.db`;
}

/** A name of this program's, read back. */
export interface SnapshotName {
    name: string;
    stamp: string;
    takenAt: Date;
    talosVersion: string;
}

function escapeRe(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The parts of `name` when it is one of this program's snapshots of `cluster`; undefined for any other name. */
export function parseSnapshotName(cluster: string, name: string): SnapshotName | undefined {
    const m = new RegExp(`^${escapeRe(cluster)}-(\\d{8}T\\d{6}Z)-(v[0-9A-Za-z.-]+)\\.db$`).exec(name);
    if (!m || !TALOS_TAG_RE.test(m[2])) return undefined;
    const takenAt = parseUtcStamp(m[1]);
    return takenAt ? { name, stamp: m[1], takenAt, talosVersion: m[2] } : undefined;
}

/** The temporary name an upload of `finalName` runs under. */
export function partName(finalName: string, hex8: string): string {
    if (!/^[0-9a-f]{8}$/.test(hex8)) throw new Error(`partName: "${hex8}" is not 8 hex digits`);
    return `${finalName}.part-${hex8}`;
}

/** A temporary upload of this program's for `cluster` (left behind when a run was interrupted). */
export function isOurPartFile(cluster: string, name: string): boolean {
    const m = /^(.*)\.part-[0-9a-f]{8}$/.exec(name);
    return m !== null && parseSnapshotName(cluster, m[1]) !== undefined;
}

/** This program's snapshots of `cluster` among `names`, newest first (ties: by name, so the order is total). */
export function ourSnapshots(cluster: string, names: readonly string[]): SnapshotName[] {
    const ours = names.map((n) => parseSnapshotName(cluster, n)).filter((s): s is SnapshotName => s !== undefined);
    return ours.sort((a, b) =>
        a.stamp === b.stamp ? (a.name < b.name ? 1 : a.name > b.name ? -1 : 0) : a.stamp < b.stamp ? 1 : -1,
    );
}

/**
 * Retention: which of `names` (a folder's listing) go so that the newest `keep` of this program's snapshots of
 * `cluster` stay. Every other name is left alone, whatever it looks like.
 */
export function selectForDeletion(cluster: string, names: readonly string[], keep: number): string[] {
    if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be a positive integer, got ${keep}`);
    return ourSnapshots(cluster, [...new Set(names)])
        .slice(keep)
        .map((s) => s.name);
}
