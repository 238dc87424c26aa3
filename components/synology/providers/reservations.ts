/**
 * DHCP reservations on one interface (`SYNO.Network.DHCPServer.Reservation`). DSM's `set` replaces the
 * whole list, so every write is a merge (../reservations.ts): entries this program does not manage are
 * kept as they are, conflicts are errors, and the outputs record exactly which entries are managed.
 */
import type * as pulumi from "@pulumi/pulumi";
import { DsmVerifyError } from "../dsm/errors";
import { decodeReservations, encodeReservations } from "../dsm/shapes";
import type { DsmApi, DsmApiUse } from "../dsm/types";
import { canonicalMac } from "../../net";
import {
    managedOnNas,
    mergeReservations,
    releaseReservations,
    Reservation,
    reservationListProblems,
    sameReservationSet,
} from "../reservations";
import { checkIfname, dsmResource, DsmResourceProps, DsmSession } from "../kit/resource";

export const RESERVATION_API = { api: ".Reservation", read: 3, write: 2, need: "write" } as const satisfies DsmApiUse;

/** The interface's IPv4 reservations. */
export async function reservationsGet(client: DsmApi, ifname: string): Promise<Reservation[]> {
    return decodeReservations(await client.call(RESERVATION_API, "get", { ifname }));
}

/**
 * Replaces the interface's whole IPv4 list (DSM's `set`, a write no public client has confirmed on DSM 7's DHCP Server
 * package), then re-reads it and fails naming every entry and field that did not take.
 */
export async function reservationsSet(client: DsmApi, ifname: string, list: Reservation[]): Promise<void> {
    await client.call(RESERVATION_API, "set", { ifname, reservationData: encodeReservations(list) });
    const after = await reservationsGet(client, ifname);
    if (!sameReservationSet(after, list)) {
        const name = await client.resolve(RESERVATION_API, "set");
        throw new DsmVerifyError(name, reservationDifferences(list, after));
    }
}

/** What `got` (read back) lacks or has otherwise than `wanted`, per MAC and field: `reservation <mac>.ip`, … */
export function reservationDifferences(
    wanted: readonly Reservation[],
    got: readonly Reservation[],
): Array<{ field: string; wanted: unknown; got: unknown }> {
    const byMac = (l: readonly Reservation[]) => new Map(l.map((r) => [canonicalMac(r.mac), r]));
    const w = byMac(wanted);
    const g = byMac(got);
    const out: Array<{ field: string; wanted: unknown; got: unknown }> = [];
    for (const [mac, r] of w) {
        const seen = g.get(mac);
        if (!seen) {
            out.push({ field: `reservation ${mac}`, wanted: { ip: r.ip, hostname: r.hostname }, got: undefined });
            continue;
        }
        if (seen.ip !== r.ip) out.push({ field: `reservation ${mac}.ip`, wanted: r.ip, got: seen.ip });
        if ((seen.hostname ?? "") !== (r.hostname ?? ""))
            out.push({ field: `reservation ${mac}.hostname`, wanted: r.hostname, got: seen.hostname });
    }
    for (const [mac, r] of g) {
        if (!w.has(mac))
            out.push({ field: `reservation ${mac}`, wanted: undefined, got: { ip: r.ip, hostname: r.hostname } });
    }
    return out;
}

export interface ReservationsInputs extends DsmResourceProps {
    /** NAS interface, e.g. `eth0`. */
    ifname: string;
    /** The reservations this program wants (nodes, then extra ones). */
    entries: Reservation[];
}

export interface ReservationsOutputs extends ReservationsInputs {
    /** Exactly the entries this program manages (written by it). */
    managed: Reservation[];
    /** Entries that were on the NAS before this program took over their MAC, as found: put back on release. */
    adopted: Reservation[];
    /** What the NAS had for the managed MACs at the last read (or right after the write). */
    actual: Reservation[];
}

/** Pure diff: the NAS's entries for the managed MACs against the wanted ones; interface change → replace. */
export function diffReservations(olds: ReservationsOutputs, news: ReservationsInputs): pulumi.dynamic.DiffResult {
    if (olds.ifname !== news.ifname) {
        return { changes: true, replaces: ["ifname"], deleteBeforeReplace: true };
    }
    return {
        changes:
            !sameReservationSet(olds.actual ?? [], news.entries) ||
            !sameReservationSet(olds.managed ?? [], news.entries),
    };
}

export function checkReservations(news: Partial<ReservationsInputs>): pulumi.dynamic.CheckFailure[] {
    const failures = checkIfname(news.ifname);
    if (!Array.isArray(news.entries)) {
        failures.push({ property: "entries", reason: "entries must be a list of {mac, ip, hostname}" });
    } else {
        for (const p of reservationListProblems(news.entries)) {
            failures.push({ property: "entries", reason: p });
        }
    }
    return failures;
}

/** Merge the wanted entries into the NAS's list (../reservations.ts) and write it when it changed. */
async function apply(
    { client, log }: DsmSession,
    inputs: ReservationsInputs,
    olds?: ReservationsOutputs,
): Promise<ReservationsOutputs> {
    const current = await reservationsGet(client, inputs.ifname);
    const merged = mergeReservations(inputs.ifname, current, olds?.managed ?? [], olds?.adopted ?? [], inputs.entries);
    if (merged.changed) {
        log(
            `DHCP reservations on ${inputs.ifname}: writing ${merged.list.length} entries (${inputs.entries.length} managed)`,
        );
        await reservationsSet(client, inputs.ifname, merged.list);
    }
    return {
        ...inputs,
        managed: inputs.entries,
        adopted: merged.adopted,
        actual: managedOnNas(merged.list, inputs.entries),
    };
}

/** The managed DHCP reservations as a Pulumi resource. */
export class SynologyReservations extends dsmResource<ReservationsInputs, ReservationsOutputs>({
    type: "Reservations",
    file: __filename,
    apis: [RESERVATION_API],
    outputs: ["managed", "adopted", "actual"],
    what: (i) => `DHCP reservations on ${i.ifname}`,
    onDelete: "removing",
    id: (i) => `reservations-${i.ifname}`,
    check: checkReservations,
    diff: diffReservations,
    apply,
    read: async ({ client }, props) => ({
        ...props,
        actual: managedOnNas(await reservationsGet(client, props.ifname), props.managed),
    }),
    async restore({ client, log }, props) {
        const released = releaseReservations(
            await reservationsGet(client, props.ifname),
            props.managed ?? [],
            props.adopted ?? [],
        );
        if (released.changed) {
            log(`DHCP reservations on ${props.ifname}: removing ${props.managed.length} managed entries`);
            await reservationsSet(client, props.ifname, released.list);
        }
    },
}) {}
