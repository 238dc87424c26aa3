/**
 * The backups side of the stack config: `homelab:backups` (pure; no Pulumi, no I/O). `share`: the shared folder the
 * etcd snapshots go to (into its `etcd` folder), a folder of their own that is not the TFTP root; `etcd.keep`: how
 * many of the program's snapshots stay there (the newest ones).
 */
import { Checker, describe, Json } from "../checker";
import { allKeys } from "../keys";
import { shareNameProblem } from "../synology/config";
import { DEFAULT_BACKUP_SHARE, DEFAULT_KEEP } from "./names";

/** `homelab:backups.etcd` */
export interface EtcdBackupsConfig {
    /** The newest this many snapshots of the program's own stay; older ones are deleted. Default 10. */
    keep: number;
}

/** `homelab:backups` */
export interface BackupsConfig {
    /**
     * The shared folder the snapshots go to (`/<share>/etcd`), default `talos-backups`: created on `synology.volume`
     * when missing, with read/write for the DSM user and no access for guest; never the TFTP root (`synology.share`).
     */
    share: string;
    etcd: EtcdBackupsConfig;
}

export const BACKUPS_KEYS = allKeys<BackupsConfig>()(["share", "etcd"]);
export const ETCD_BACKUPS_KEYS = allKeys<EtcdBackupsConfig>()(["keep"]);

/** The problem with a `keep` value, if any (also the dynamic provider's check and the snapshot code's). */
export function keepProblem(path: string, value: unknown): string | undefined {
    const n = typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === "number" && Number.isInteger(n) && n >= 1) return undefined;
    return `${path}: must be a whole number of snapshots to keep, at least 1 (e.g. ${DEFAULT_KEEP}, the default), got ${describe(value)}`;
}

/** `homelab:backups`, validated and with its defaults; problems go to `c`, each naming its key path and the fix. */
export function parseBackups(c: Checker, value: Json): BackupsConfig {
    const backups: BackupsConfig = { share: DEFAULT_BACKUP_SHARE, etcd: { keep: DEFAULT_KEEP } };
    const o = c.object("backups", value, false) ?? {};
    c.knownKeys("backups", o, BACKUPS_KEYS);
    const share = c.string("backups.share", o.share, false);
    const shareProblem = share === undefined ? undefined : shareNameProblem(share, DEFAULT_BACKUP_SHARE);
    if (shareProblem) c.add("backups.share", shareProblem);
    else if (share !== undefined) backups.share = share;
    const etcd = c.object("backups.etcd", o.etcd, false) ?? {};
    c.knownKeys("backups.etcd", etcd, ETCD_BACKUPS_KEYS);
    if (etcd.keep !== undefined && etcd.keep !== null) {
        const problem = keepProblem("backups.etcd.keep", etcd.keep);
        if (problem) c.problems.push(problem);
        else backups.etcd.keep = Number(etcd.keep);
    }
    return backups;
}

/** True when two names are the same shared folder (DSM's names ignore case). */
export function sameShare(a: string, b: string): boolean {
    return a.toLowerCase() === b.toLowerCase();
}

/**
 * The rule that joins `homelab:backups` and `homelab:synology` (parseStackConfig adds it): the snapshots' shared
 * folder is not the TFTP root, which answers anyone on the LAN without a password. Pure.
 */
export function snapshotShareProblem(backupShare: string, tftpShare: string): string | undefined {
    if (!sameShare(backupShare, tftpShare)) return undefined;
    return (
        `backups.share: "${backupShare}" is synology.share, the TFTP root: TFTP has no password, so any machine on the ` +
        "LAN could read the etcd snapshots (the whole cluster state) by guessing their names. Give backups.share a shared " +
        `folder of its own (remove the setting for the default, "${DEFAULT_BACKUP_SHARE}", which the program creates), ` +
        "or give synology.share another name"
    );
}
