/**
 * Pure helpers for DHCP reservations. DSM's Reservation `set` replaces the whole list of an interface, so
 * the program must write back the entries it does not manage (added by hand in DSM, or by other tools).
 */
import { fixErrorFields } from "./errors";
import { normaliseMac } from "./shapes";
import type { DsmReservation } from "./types";

export interface ReservationMergeInput {
    /** The list DSM has now (from `reservationsGet`). */
    current: DsmReservation[];
    /** The entries this program wants (one per node plus configured extras). */
    desired: DsmReservation[];
    /**
     * MACs this program wrote on an earlier run (from provider state). Entries with these MACs that are no
     * longer desired are removed; every other entry not in `desired` is kept as it is.
     */
    previouslyManaged?: string[];
}

export class ReservationConflictError extends Error {
    readonly conflicts: Array<{ ip: string; keptMac: string; wantedMac: string }>;

    constructor(conflicts: Array<{ ip: string; keptMac: string; wantedMac: string }>) {
        const message =
            "DHCP reservations conflict with entries this program does not manage: " +
            conflicts.map((c) => `${c.ip} is reserved for ${c.keptMac} in DSM but wanted for ${c.wantedMac}`).join("; ") +
            ". Remove or change the DSM entry (DHCP Server > Reserved IP), or choose another IP.";
        super(message);
        fixErrorFields(this, "ReservationConflictError", message);
        this.conflicts = conflicts;
    }
}

/**
 * The list to write: unmanaged entries in their current order, then the desired entries in their given
 * order. MACs compare case-insensitively (DSM returns upper case). A desired entry replaces a current entry
 * with the same MAC. An unmanaged entry holding an IP that a desired entry wants is a conflict: throws
 * ReservationConflictError rather than deleting someone else's reservation.
 */
export function mergeReservations(input: ReservationMergeInput): DsmReservation[] {
    const desired = input.desired.map(normaliseReservation);
    const wantedMacs = new Set(desired.map((r) => r.mac));
    const dropped = new Set((input.previouslyManaged ?? []).map(normaliseMac));
    const kept = input.current.map(normaliseReservation).filter((r) => !wantedMacs.has(r.mac) && !dropped.has(r.mac));
    const conflicts: Array<{ ip: string; keptMac: string; wantedMac: string }> = [];
    for (const d of desired) {
        const k = kept.find((r) => r.ip === d.ip);
        if (k) conflicts.push({ ip: d.ip, keptMac: k.mac, wantedMac: d.mac });
    }
    if (conflicts.length) throw new ReservationConflictError(conflicts);
    return [...kept, ...desired];
}

/** Same entries regardless of order and MAC case. */
export function sameReservations(a: DsmReservation[], b: DsmReservation[]): boolean {
    const key = (r: DsmReservation): string => {
        const n = normaliseReservation(r);
        return `${n.mac}|${n.ip}|${n.hostname}`;
    };
    const ka = a.map(key).sort();
    const kb = b.map(key).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

export function normaliseReservation(r: DsmReservation): DsmReservation {
    return { mac: normaliseMac(r.mac), ip: r.ip.trim(), hostname: r.hostname ?? "" };
}
