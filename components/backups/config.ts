/**
 * The backups side of the stack config: `homelab:backups` (pure; no Pulumi, no I/O). Today one setting,
 * `etcd.keep`: how many of the etcd snapshots the program wrote stay in `<synology.share>/backups/etcd`
 * (the newest ones).
 */
import { Checker, describe, Json } from "../checker";
import { allKeys } from "../keys";
import { DEFAULT_KEEP } from "./names";

/** `homelab:backups.etcd` */
export interface EtcdBackupsConfig {
    /** The newest this many snapshots of the program's own stay; older ones are deleted. Default 10. */
    keep: number;
}

/** `homelab:backups` */
export interface BackupsConfig {
    etcd: EtcdBackupsConfig;
}

export const BACKUPS_KEYS = allKeys<BackupsConfig>()(["etcd"]);
export const ETCD_BACKUPS_KEYS = allKeys<EtcdBackupsConfig>()(["keep"]);

/** The problem with a `keep` value, if any (also the dynamic provider's check and the snapshot code's). */
export function keepProblem(path: string, value: unknown): string | undefined {
    const n = typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === "number" && Number.isInteger(n) && n >= 1) return undefined;
    return `${path}: must be a whole number of snapshots to keep, at least 1 (e.g. ${DEFAULT_KEEP}, the default), got ${describe(value)}`;
}

/** `homelab:backups`, validated and with its defaults; problems go to `c`, each naming its key path and the fix. */
export function parseBackups(c: Checker, value: Json): BackupsConfig {
    const backups: BackupsConfig = { etcd: { keep: DEFAULT_KEEP } };
    const o = c.object("backups", value, false) ?? {};
    c.knownKeys("backups", o, BACKUPS_KEYS);
    const etcd = c.object("backups.etcd", o.etcd, false) ?? {};
    c.knownKeys("backups.etcd", etcd, ETCD_BACKUPS_KEYS);
    if (etcd.keep !== undefined && etcd.keep !== null) {
        const problem = keepProblem("backups.etcd.keep", etcd.keep);
        if (problem) c.problems.push(problem);
        else backups.etcd.keep = Number(etcd.keep);
    }
    return backups;
}
