/**
 * DHCP reservations on one interface (`SYNO.Network.DHCPServer.Reservation`). DSM's `set` replaces the
 * whole list, so every write is a merge (../reservations.ts): entries this program does not manage are
 * kept as they are, conflicts are errors, and the outputs record exactly which entries are managed.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { DsmApi } from "../dsm/types";
import {
    managedOnNas,
    mergeReservations,
    releaseReservations,
    ReservationEntry,
    reservationListProblems,
    sameReservationSet,
} from "../reservations";
import { checkIfname, dsmResource, DsmResourceProps, logInfo } from "./common";

export interface ReservationsInputs extends DsmResourceProps {
    /** NAS interface, e.g. `eth0`. */
    ifname: string;
    /** The reservations this program wants (nodes, then extra ones). */
    entries: ReservationEntry[];
}

export interface ReservationsOutputs extends ReservationsInputs {
    /** Exactly the entries this program manages (written by it). */
    managed: ReservationEntry[];
    /** Entries that were on the NAS before this program took over their MAC, as found: put back on release. */
    adopted: ReservationEntry[];
    /** What the NAS had for the managed MACs at the last read (or right after the write). */
    actual: ReservationEntry[];
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
    client: DsmApi,
    inputs: ReservationsInputs,
    olds?: ReservationsOutputs,
): Promise<ReservationsOutputs> {
    const current = await client.reservationsGet(inputs.ifname);
    const merged = mergeReservations(inputs.ifname, current, olds?.managed ?? [], olds?.adopted ?? [], inputs.entries);
    if (merged.changed) {
        logInfo(
            `DHCP reservations on ${inputs.ifname}: writing ${merged.list.length} entries (${inputs.entries.length} managed)`,
        );
        await client.reservationsSet(inputs.ifname, merged.list);
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
    outputs: ["managed", "adopted", "actual"],
    what: (i) => `DHCP reservations on ${i.ifname}`,
    onDelete: "removing",
    id: (i) => `reservations-${i.ifname}`,
    check: checkReservations,
    diff: diffReservations,
    apply,
    read: async (client, props) => ({
        ...props,
        actual: managedOnNas(await client.reservationsGet(props.ifname), props.managed),
    }),
    async restore(client, props) {
        const released = releaseReservations(
            await client.reservationsGet(props.ifname),
            props.managed ?? [],
            props.adopted ?? [],
        );
        if (released.changed) {
            logInfo(`DHCP reservations on ${props.ifname}: removing ${props.managed.length} managed entries`);
            await client.reservationsSet(props.ifname, released.list);
        }
    },
}) {}
