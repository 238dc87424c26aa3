/**
 * What the pre-flight's reads give and what its judges say, shared by ./preflight.ts (the NAS, the boot share) and
 * ./preflight-snapshots.ts (the etcd snapshots' shared folder, and the snapshots left under the TFTP root).
 */

/** One read: its value, or the error it failed with (kept whole: the judge looks at codes and names). */
export type Read<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function read<T>(fn: () => Promise<T>): Promise<Read<T>> {
    try {
        return { ok: true, value: await fn() };
    } catch (error) {
        return { ok: false, error };
    }
}

export interface Problem {
    /** The setting: a stack key (`homelab:synology.interface`) or a place in DSM. */
    setting: string;
    problem: string;
    fix: string;
}

/**
 * How a judge reports a read that failed for another reason than permission (the NAS pre-flight's rule: a shape this
 * client does not know is a problem, an absent API a warning when `absentWarning` says what could not be checked).
 * True when it reported something.
 */
export type ReadFailure = (
    what: string,
    r: Read<unknown> | undefined,
    setting: string,
    absentWarning?: string,
) => boolean;
