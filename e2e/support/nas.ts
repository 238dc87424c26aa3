/**
 * The DSM simulator's state as plain data, for "the NAS is as it was" and "nothing stray" checks (pure over
 * the simulator's state).
 */
import type { DsmSimulator, SimState } from "../../tests/support/dsm-simulator";

/**
 * What of the simulator's state is not the NAS's settings or files, and why: left out of a snapshot. Every other key of
 * its state is in it, so an object the simulator gains for a new setting is compared without being listed here.
 */
const NOT_SETTINGS = {
    leases: "the DHCP server's leases come and go with the clients, not with the program",
    groups: "users and groups are the NAS's own, which the program only reads",
    volumes: "a volume's used space follows the files, which are compared one by one",
} as const;

/** The simulator's state as a user of the NAS sees it: its settings as they are, its files without their bytes. */
export type NasSnapshot = Omit<SimState, keyof typeof NOT_SETTINGS | "files"> & {
    files: Record<string, { isdir: boolean; size: number; md5: string }>;
};

/** A deep copy of what a user would see on the NAS (file modification times left out). */
export function snapshotNas(dsm: DsmSimulator): NasSnapshot {
    const files: NasSnapshot["files"] = {};
    for (const [p, f] of [...dsm.state.files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        files[p] = { isdir: f.isdir, size: f.size, md5: f.md5 };
    }
    const settings = Object.fromEntries(
        Object.entries(dsm.state).filter(([key]) => key !== "files" && !(key in NOT_SETTINGS)),
    );
    return { ...(JSON.parse(JSON.stringify(settings)) as Omit<NasSnapshot, "files">), files };
}

/** Files in a share other than the expected ones (temporary uploads, kept copies, partial files). */
export function strayFiles(snapshot: NasSnapshot, share: string, expected: readonly string[]): string[] {
    const prefix = `/${share}/`;
    return Object.keys(snapshot.files)
        .filter((p) => p.startsWith(prefix) && !snapshot.files[p].isdir)
        .map((p) => p.slice(prefix.length))
        .filter((name) => !expected.includes(name));
}
