/**
 * DHCP reservations on one interface (`SYNO.Network.DHCPServer.Reservation`). DSM's `set` replaces the
 * whole list, so every write is a merge (../reservations.ts): entries this program does not manage are
 * kept as they are, conflicts are errors, and the outputs record exactly which entries are managed.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    managedOnNas, mergeReservations, releaseReservations, ReservationEntry, sameReservationSet, validateReservations,
} from "../reservations";
import { checkConnection, connectionChanged, dsmClientFor, DsmResourceProps, guard, logInfo, secretOutputOptions, knownFailures } from "./common";

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
    const drift = !sameReservationSet(olds.actual ?? [], news.entries) || !sameReservationSet(olds.managed ?? [], news.entries);
    return { changes: drift || connectionChanged(olds, news) };
}

export function checkReservations(news: Partial<ReservationsInputs>): pulumi.dynamic.CheckFailure[] {
    const failures = checkConnection(news);
    if (typeof news.ifname !== "string" || !/^[A-Za-z0-9_.-]+$/.test(news.ifname)) {
        failures.push({ property: "ifname", reason: `synology.interface "${String(news.ifname)}" must be an interface name like eth0 or ovs_eth0` });
    }
    if (!Array.isArray(news.entries)) {
        failures.push({ property: "entries", reason: "entries must be a list of {mac, ip, hostname}" });
    } else {
        for (const p of validateReservations(news.entries.map((entry, i) => ({ key: `reservation ${i} (${entry?.hostname ?? ""})`, entry })))) {
            failures.push({ property: "entries", reason: p });
        }
    }
    return failures;
}

async function apply(inputs: ReservationsInputs, managed: ReservationEntry[], adopted: ReservationEntry[]):
    Promise<{ adopted: ReservationEntry[]; actual: ReservationEntry[] }> {
    const client = dsmClientFor(inputs);
    const current = await client.reservationsGet(inputs.ifname);
    const merged = mergeReservations(inputs.ifname, current, managed, adopted, inputs.entries);
    if (merged.changed) {
        logInfo(`DHCP reservations on ${inputs.ifname}: writing ${merged.list.length} entries (${inputs.entries.length} managed)`);
        await client.reservationsSet(inputs.ifname, merged.list);
    }
    return { adopted: merged.adopted, actual: managedOnNas(merged.list, inputs.entries) };
}

export const reservationsProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: ReservationsInputs) {
        return { inputs: news, failures: knownFailures(news, checkReservations(news)) };
    },
    async diff(_id: string, olds: ReservationsOutputs, news: ReservationsInputs) {
        return diffReservations(olds, news);
    },
    async create(inputs: ReservationsInputs) {
        const r = await guard(inputs, `DHCP reservations on ${inputs.ifname}`, () => apply(inputs, [], []));
        const outs: ReservationsOutputs = { ...inputs, managed: inputs.entries, adopted: r.adopted, actual: r.actual };
        return { id: `reservations-${inputs.ifname}`, outs };
    },
    async read(id: string, props: ReservationsOutputs) {
        return guard(props, `reading DHCP reservations on ${props.ifname}`, async () => {
            const current = await dsmClientFor(props).reservationsGet(props.ifname);
            return { id, props: { ...props, actual: managedOnNas(current, props.managed) } };
        });
    },
    async update(_id: string, olds: ReservationsOutputs, news: ReservationsInputs) {
        const r = await guard(news, `DHCP reservations on ${news.ifname}`, () => apply(news, olds.managed ?? [], olds.adopted ?? []));
        const outs: ReservationsOutputs = { ...news, managed: news.entries, adopted: r.adopted, actual: r.actual };
        return { outs };
    },
    async delete(_id: string, props: ReservationsOutputs) {
        await guard(props, `removing DHCP reservations on ${props.ifname}`, async () => {
            const client = dsmClientFor(props);
            const current = await client.reservationsGet(props.ifname);
            const released = releaseReservations(current, props.managed ?? [], props.adopted ?? []);
            if (released.changed) {
                logInfo(`DHCP reservations on ${props.ifname}: removing ${props.managed.length} managed entries`);
                await client.reservationsSet(props.ifname, released.list);
            }
        });
    },
};

export interface ReservationsResourceArgs {
    connection: pulumi.Input<DsmResourceProps["connection"]>;
    password: pulumi.Input<string>;
    ifname: pulumi.Input<string>;
    entries: pulumi.Input<pulumi.Input<ReservationEntry>[]>;
}

/** The managed DHCP reservations as a Pulumi resource. */
export class SynologyReservations extends pulumi.dynamic.Resource {
    declare readonly ifname: pulumi.Output<string>;
    declare readonly managed: pulumi.Output<ReservationEntry[]>;
    constructor(name: string, args: ReservationsResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super(reservationsProvider, name, { ...args, password: pulumi.secret(args.password), managed: undefined, adopted: undefined, actual: undefined },
            secretOutputOptions(opts), "synology", "Reservations");
    }
}
