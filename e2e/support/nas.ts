/**
 * The DSM simulator's state as plain data, for "the NAS is as it was" and "nothing stray" checks (pure over
 * the simulator's state).
 */
import type { DsmSimulator } from "../../tests/support/dsm-simulator";

export interface NasSnapshot {
    tftp: Record<string, unknown>;
    shares: Record<string, unknown>;
    files: Record<string, { isdir: boolean; size: number; md5: string }>;
    reservations: Record<string, unknown>;
    dhcpServers: Record<string, unknown>;
    pxe: Record<string, unknown>;
}

/** A deep copy of what a user would see on the NAS (file modification times left out). */
export function snapshotNas(dsm: DsmSimulator): NasSnapshot {
    const files: NasSnapshot["files"] = {};
    for (const [p, f] of [...dsm.state.files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        files[p] = { isdir: f.isdir, size: f.size, md5: f.md5 };
    }
    const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
    return {
        tftp: copy(dsm.state.tftp),
        shares: copy(dsm.state.shares),
        files,
        reservations: copy(dsm.state.reservations),
        dhcpServers: copy(dsm.state.dhcpServers),
        pxe: copy(dsm.state.pxe),
    };
}

/** Files in a share other than the expected ones (temporary uploads, kept copies, partial files). */
export function strayFiles(snapshot: NasSnapshot, share: string, expected: readonly string[]): string[] {
    const prefix = `/${share}/`;
    return Object.keys(snapshot.files)
        .filter((p) => p.startsWith(prefix) && !snapshot.files[p].isdir)
        .map((p) => p.slice(prefix.length))
        .filter((name) => !expected.includes(name));
}
