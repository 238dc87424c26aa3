/**
 * `homelab:backups` (pure): what the program keeps on the NAS. Today one setting, `etcd.keep`: how many of the
 * etcd snapshots it wrote stay in `<synology.share>/backups/etcd` (the newest ones).
 */
import { closest } from "../words";
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

function describe(v: unknown): string {
    if (Array.isArray(v)) return "a list";
    if (v === null) return "null";
    if (typeof v === "object") return "an object";
    return `${typeof v} ${JSON.stringify(v)}`;
}

/** An object value (YAML mapping, or JSON text of one as `pulumi config` may store it), or a problem. */
function objectAt(path: string, value: unknown, problems: string[]): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    let v = value;
    if (typeof v === "string") {
        try {
            v = JSON.parse(v);
        } catch {
            problems.push(`${path}: must be an object (a YAML mapping), got text that is not JSON`);
            return undefined;
        }
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
        problems.push(`${path}: must be an object (a YAML mapping), got ${describe(v)}`);
        return undefined;
    }
    return v as Record<string, unknown>;
}

function unknownKeys(path: string, o: Record<string, unknown>, known: readonly string[], problems: string[]): void {
    for (const key of Object.keys(o)) {
        if (known.includes(key)) continue;
        const hint = closest(key, known);
        problems.push(`${path}.${key}: is not a known setting${hint ? ` — did you mean ${path}.${hint}?` : ` (known: ${known.join(", ")})`}`);
    }
}

/** The problem with a `keep` value, if any (also the dynamic provider's check). */
export function keepProblem(path: string, value: unknown): string | undefined {
    const n = typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === "number" && Number.isInteger(n) && n >= 1) return undefined;
    return `${path}: must be a whole number of snapshots to keep, at least 1 (e.g. ${DEFAULT_KEEP}, the default), got ${describe(value)}`;
}

/**
 * `homelab:backups` validated and with its defaults, plus every problem found (each naming its key path and the
 * fix). `parseStackConfig` adds the problems to its own.
 */
export function parseBackups(value: unknown): { backups: BackupsConfig; problems: string[] } {
    const problems: string[] = [];
    const backups: BackupsConfig = { etcd: { keep: DEFAULT_KEEP } };
    const o = objectAt("backups", value, problems);
    if (!o) return { backups, problems };
    unknownKeys("backups", o, ["etcd"], problems);
    const etcd = objectAt("backups.etcd", o.etcd, problems);
    if (!etcd) return { backups, problems };
    unknownKeys("backups.etcd", etcd, ["keep"], problems);
    if (etcd.keep !== undefined && etcd.keep !== null) {
        const problem = keepProblem("backups.etcd.keep", etcd.keep);
        if (problem) problems.push(problem);
        else backups.etcd.keep = Number(etcd.keep);
    }
    return { backups, problems };
}
