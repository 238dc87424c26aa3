/**
 * DHCP reservations: the desired list and the merge with what the NAS already has. Pure: no Pulumi, no I/O.
 *
 * DSM's `SYNO.Network.DHCPServer.Reservation set` replaces the whole IPv4 list of an interface, so every
 * write is a merge: entries this program does not manage are written back exactly as they were read, in
 * their place; entries it manages are replaced in place, new ones appended; an entry that existed before
 * this program took it over (same MAC and IP) is remembered as "adopted" and put back as it was found when
 * the program lets go of it.
 */

import { canonicalMac, isIpv4, normaliseMac } from "../net";

/**
 * One MAC → IP reservation with its hostname, wherever it is: a `dhcp.extraReservations` entry, a node's (a node
 * config is one), and an entry of DSM's list (read from `clid`, written as `mac`). The MAC is lower-case with
 * colons once normalised (the config's parser and this module's merge do it).
 */
export interface Reservation {
    mac: string;
    ip: string;
    hostname: string;
}

/** A desired reservation conflicts with one this program does not manage (an Error with `conflicts`). */
export interface ReservationConflictError extends Error {
    name: "ReservationConflictError";
    conflicts: string[];
}

/**
 * Builds the conflict error. A plain Error, not a subclass: classes extending Error do not survive
 * Pulumi's function serialisation (the provider host would see a non-Error object).
 */
export function reservationConflictError(ifname: string, conflicts: string[]): ReservationConflictError {
    const e = new Error(
        `DHCP reservations on ${ifname}: ${conflicts.length} conflict${conflicts.length === 1 ? "" : "s"} with ` +
            `reservations this program does not manage (nothing was changed):\n` +
            conflicts.map((c) => `  - ${c}`).join("\n") +
            `\nRemove or change the existing reservation in DSM (DHCP Server > Network Interface > Edit > ` +
            `Reserved IP), or change the node's mac/ip in the stack config.`,
    ) as ReservationConflictError;
    e.name = "ReservationConflictError";
    e.conflicts = conflicts;
    return e;
}

function norm(e: Reservation): Reservation {
    return { mac: canonicalMac(e.mac), ip: String(e.ip).trim(), hostname: e.hostname ?? "" };
}

/**
 * The reservations this program wants on the NAS: one per node (in node order), then the extra ones.
 * Throws a short internal error when the list is one the merge cannot handle (parseStackConfig refuses
 * such a config first, naming the keys).
 */
export function desiredReservations(nodes: readonly Reservation[], extra: readonly Reservation[] = []): Reservation[] {
    const list = [...nodes.map((n) => ({ mac: n.mac, ip: n.ip, hostname: n.hostname })), ...extra];
    const problems = reservationListProblems(list);
    if (problems.length > 0) {
        throw new Error(
            `desiredReservations: ${problems.join("; ")} (parseStackConfig checks nodes and dhcp.extraReservations)`,
        );
    }
    return list.map(norm);
}

/**
 * What the merge relies on: every MAC and IP well formed and listed once. Short internal messages, one per
 * entry at fault (by position); the words for users are the config layer's (Checker.mac/ipv4, checkAddresses).
 */
export function reservationListProblems(entries: Reservation[]): string[] {
    const problems: string[] = [];
    const seen = { mac: new Set<string>(), ip: new Set<string>() };
    entries.forEach((entry, i) => {
        const e = norm(entry);
        const at = `entry ${i} (${e.hostname})`;
        if (normaliseMac(e.mac) === undefined) problems.push(`${at}: mac "${entry.mac}" is malformed`);
        if (!isIpv4(e.ip)) problems.push(`${at}: ip "${entry.ip}" is malformed`);
        for (const field of ["mac", "ip"] as const) {
            if (seen[field].has(e[field])) problems.push(`${at}: ${field} ${e[field]} is listed twice`);
            seen[field].add(e[field]);
        }
    });
    return problems;
}

/** The result of a merge: the full list to write, and the adopted originals to remember. */
export interface MergeResult {
    /** The whole list for `reservationsSet`. */
    list: Reservation[];
    /** Entries that existed before this program managed their MAC, as they were found. */
    adopted: Reservation[];
    /** True when `list` differs from `current` (a write is needed). */
    changed: boolean;
}

function describeEntry(e: Reservation): string {
    return `${canonicalMac(e.mac)} → ${e.ip}${e.hostname ? ` (${e.hostname})` : ""}`;
}

/**
 * Merge the desired reservations into the NAS's current list.
 *
 * @param current the list DSM returned (entries not managed here are kept exactly as given)
 * @param managed the MACs this program managed after its last write (empty on create)
 * @param adopted originals of entries that existed before this program took over their MAC
 * @param desired what this program wants now
 * @throws ReservationConflictError when a desired MAC is reserved (by someone else) for another IP, or a
 *   desired IP is reserved (by someone else) for another MAC. Nothing should be written then.
 */
export function mergeReservations(
    ifname: string,
    current: Reservation[],
    managed: Reservation[],
    adopted: Reservation[],
    desired: Reservation[],
): MergeResult {
    const owned = new Set(managed.map((e) => canonicalMac(e.mac)));
    const want = new Map<string, Reservation>();
    for (const d of desired.map(norm)) {
        want.set(d.mac, d);
    }
    const adoptedByMac = new Map<string, Reservation>();
    for (const a of adopted) {
        adoptedByMac.set(canonicalMac(a.mac), a);
    }

    // Conflicts: only entries this program does not own count.
    const conflicts: string[] = [];
    for (const e of current) {
        const mac = canonicalMac(e.mac);
        if (owned.has(mac)) {
            continue;
        }
        for (const d of want.values()) {
            if (d.mac === mac && d.ip !== String(e.ip).trim()) {
                conflicts.push(
                    `MAC ${mac} is already reserved for ${describeEntry(e)}; this program wants ${describeEntry(d)}`,
                );
            } else if (d.mac !== mac && d.ip === String(e.ip).trim()) {
                conflicts.push(
                    `IP ${d.ip} is already reserved for another device, ${describeEntry(e)}; this program wants ${describeEntry(d)}`,
                );
            }
        }
    }
    if (conflicts.length > 0) {
        throw reservationConflictError(ifname, conflicts);
    }

    const list: Reservation[] = [];
    const placed = new Set<string>();
    const restored: Reservation[] = [];
    const newAdopted = new Map(adoptedByMac);
    for (const e of current) {
        const mac = canonicalMac(e.mac);
        const d = want.get(mac);
        if (d) {
            if (!owned.has(mac) && !newAdopted.has(mac)) {
                newAdopted.set(mac, e); // existed before, same MAC and IP: take it over, remember it
            }
            if (!placed.has(mac)) {
                list.push(d);
                placed.add(mac);
            }
        } else if (owned.has(mac)) {
            const original = newAdopted.get(mac);
            if (original && !placed.has(mac)) {
                list.push(original); // let go of it: back as it was found
                restored.push(original);
                placed.add(mac);
            }
            newAdopted.delete(mac);
        } else {
            list.push(e);
        }
    }
    for (const d of want.values()) {
        if (!placed.has(d.mac)) {
            list.push(d);
            placed.add(d.mac);
        }
    }
    // An entry put back as found must not hold an IP a desired entry now wants (e.g. a node's NIC swapped).
    for (const r of restored) {
        for (const d of want.values()) {
            if (d.ip === String(r.ip).trim()) {
                conflicts.push(
                    `IP ${d.ip} would be reserved twice: ${describeEntry(r)} was there before this program ` +
                        `took over ${canonicalMac(r.mac)} and is put back now that it is no longer managed, and this program ` +
                        `wants ${describeEntry(d)}. Apply once without that node (its old reservation comes back), remove that ` +
                        `reservation in DSM, then add the node again`,
                );
            }
        }
    }
    if (conflicts.length > 0) {
        throw reservationConflictError(ifname, conflicts);
    }
    // Adopted entries whose MAC is no longer wanted and is no longer on the NAS are forgotten.
    for (const mac of [...newAdopted.keys()]) {
        if (!want.has(mac)) {
            newAdopted.delete(mac);
        }
    }
    return { list, adopted: [...newAdopted.values()], changed: !sameReservationList(current, list) };
}

/**
 * The list after this program lets go of everything it manages: its own entries removed, adopted ones put
 * back as they were found, everything else untouched.
 */
export function releaseReservations(
    current: Reservation[],
    managed: Reservation[],
    adopted: Reservation[],
): { list: Reservation[]; changed: boolean } {
    const owned = new Set(managed.map((e) => canonicalMac(e.mac)));
    const adoptedByMac = new Map(adopted.map((a) => [canonicalMac(a.mac), a] as [string, Reservation]));
    const list: Reservation[] = [];
    for (const e of current) {
        const mac = canonicalMac(e.mac);
        if (!owned.has(mac)) {
            list.push(e);
        } else if (adoptedByMac.has(mac)) {
            list.push(adoptedByMac.get(mac)!);
            adoptedByMac.delete(mac);
        }
    }
    return { list, changed: !sameReservationList(current, list) };
}

/** The entries of `current` whose MAC is among `managed` (what is on the NAS for the managed MACs). */
export function managedOnNas(current: Reservation[], managed: Reservation[]): Reservation[] {
    const owned = new Set(managed.map((e) => canonicalMac(e.mac)));
    return current.filter((e) => owned.has(canonicalMac(e.mac))).map(norm);
}

/** Same entries in the same order (MACs compared normalised). */
export function sameReservationList(a: Reservation[], b: Reservation[]): boolean {
    if (a.length !== b.length) {
        return false;
    }
    return a.every((x, i) => {
        const y = b[i];
        return (
            canonicalMac(x.mac) === canonicalMac(y.mac) &&
            String(x.ip) === String(y.ip) &&
            (x.hostname ?? "") === (y.hostname ?? "")
        );
    });
}

/** Same set of entries, order ignored (MACs compared normalised). */
export function sameReservationSet(a: Reservation[], b: Reservation[]): boolean {
    const key = (e: Reservation) => `${canonicalMac(e.mac)}|${e.ip}|${e.hostname ?? ""}`;
    const sa = a.map(key).sort();
    const sb = b.map(key).sort();
    return sa.length === sb.length && sa.every((k, i) => k === sb[i]);
}
