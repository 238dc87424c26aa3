/**
 * The DHCP server on the NAS interface (`SYNO.Network.DHCPServer`, per interface).
 *
 * Its write shape is not publicly known (docs/dsm-api.md 3.2/9), so managing it is opt-in (`dhcp.manageServer`):
 * - managed: read-modify-write of the object DSM returned (read once, the changes merged once, written whole, read
 *   back): `enable` and the subnet/range/gateway/DNS fields under the keys the client knows (../dsm/shapes.ts),
 *   domain and lease time only when the object has a key for them; everything else as it was. Delete writes back
 *   the object found before the first create.
 * - not managed: a check only. Create/update fail with instructions when the server is not enabled on the
 *   interface; delete does nothing.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { DhcpConfig } from "../config";
import type { DsmApi, DsmApiUse } from "../dsm/types";
import { asObject, checkDhcpServerObject, mergeDhcpServer, sameValue, toBool } from "../dsm/shapes";
import { checkIfname, dsmResource, DsmResourceProps, jsonEqual, DsmSession, setAndVerify } from "../kit/resource";

/** The server object of one interface; written only with `dhcp.manageServer`. */
export const DHCP_SERVER_API = { api: "", read: 3, write: 3, need: "managed" } as const satisfies DsmApiUse;

/** The interface's DHCP server object, whole, as DSM returned it (checked for the fields the program reads). */
export async function dhcpServerGet(client: DsmApi, ifname: string): Promise<Record<string, unknown>> {
    const name = await client.resolve(DHCP_SERVER_API, "get");
    const o = asObject(await client.call(DHCP_SERVER_API, "get", { ifname }), name, "get");
    checkDhcpServerObject(name, o);
    return o;
}

/**
 * The write half of a read-modify-write: `settings` merged once into `current` (the object as
 * {@link dhcpServerGet} just read it), written whole, then read back and compared. Only the settings that differ
 * from `current` count; with none, nothing is written.
 */
export async function dhcpServerSet(
    client: DsmApi,
    ifname: string,
    current: Record<string, unknown>,
    settings: Record<string, unknown>,
): Promise<void> {
    const name = await client.resolve(DHCP_SERVER_API, "set");
    const changing = Object.keys(settings).filter((k) => k !== "ifname");
    checkDhcpServerObject(name, current, changing);
    const changes = Object.fromEntries(
        changing.filter((k) => !sameValue(settings[k], current[k])).map((k) => [k, settings[k]]),
    );
    if (Object.keys(changes).length === 0) return;
    const body = mergeDhcpServer(current, changes);
    delete body.ifname;
    await setAndVerify(client, DHCP_SERVER_API, { ifname }, body, changes);
}

/** The DHCP settings from `homelab:dhcp` that this resource applies (a new field there arrives here as it is). */
export type DhcpServerSettings = Omit<DhcpConfig, "extraReservations" | "manageServer">;

export interface DhcpServerInputs extends DsmResourceProps {
    ifname: string;
    /** Manage the server object (true) or only check that it is enabled (false). */
    manage: boolean;
    settings: DhcpServerSettings;
}

export interface DhcpServerOutputs extends DhcpServerInputs {
    /** Managed mode: the object found before the first create (written back on delete). */
    previous?: Record<string, unknown>;
    /** Whether the server was enabled on the interface at the last read/write. */
    enabled: boolean;
    /** Managed mode: the managed keys as last read (key → value as DSM returned it). */
    actual?: Record<string, unknown>;
    /** Managed mode: settings that could not be applied because the object has no key for them. */
    skipped?: string[];
}

/** Candidate keys for the settings whose key is not known for sure; the first one present is used. */
const DOMAIN_KEYS = ["domain", "domain_name", "domainname"];
const LEASE_KEYS = ["lease_time", "leasetime", "lease"];

/** `/24` → `255.255.255.0`. */
export function prefixToNetmask(cidr: string): string {
    const bits = Number(cidr.split("/")[1]);
    if (!Number.isInteger(bits) || bits < 0 || bits > 32) {
        throw new Error(
            `prefixToNetmask: "${cidr}" has no prefix from /0 to /32 (parseStackConfig checks dhcp.subnet)`,
        );
    }
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join(".");
}

/**
 * The changes to make to the object DSM returned, keyed by DSM's field names, and the settings that could
 * not be placed (no key for them in the object). Values take the type the object already uses.
 */
export function dhcpServerChanges(
    current: Record<string, unknown>,
    s: DhcpServerSettings,
): { changes: Record<string, unknown>; skipped: string[] } {
    const changes: Record<string, unknown> = {
        enable: true,
        startip: s.rangeStart,
        endip: s.rangeEnd,
        gateway: s.gateway,
        netmask: prefixToNetmask(s.subnet),
        dns: Array.isArray(current.dns) ? [...s.dns] : s.dns.join(","),
    };
    const skipped: string[] = [];
    if (s.domain !== undefined && s.domain !== "") {
        const k = DOMAIN_KEYS.find((key) => key in current);
        if (k) {
            changes[k] = s.domain;
        } else {
            skipped.push("domain");
        }
    }
    const lk = LEASE_KEYS.find((key) => key in current);
    if (lk) {
        changes[lk] = typeof current[lk] === "string" ? String(s.leaseTime) : s.leaseTime;
    } else {
        skipped.push("leaseTime");
    }
    return { changes, skipped };
}

/** The managed keys' values in `o`, booleans normalised (for drift comparison). */
export function managedValues(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of keys) {
        const v = o[k];
        out[k] = k === "enable" ? toBool(v) : v;
    }
    return out;
}

/** Pure diff. Check mode: changes when the server was seen disabled. Managed: drift of the managed keys. */
export function diffDhcpServer(olds: DhcpServerOutputs, news: DhcpServerInputs): pulumi.dynamic.DiffResult {
    if (olds.ifname !== news.ifname || olds.manage !== news.manage) {
        return {
            changes: true,
            replaces: olds.ifname !== news.ifname ? ["ifname"] : ["manage"],
            deleteBeforeReplace: true,
        };
    }
    if (!news.manage) {
        return { changes: !olds.enabled };
    }
    if (!olds.actual) {
        return { changes: true };
    }
    const wanted = managedValues(dhcpServerChanges(olds.actual, news.settings).changes, Object.keys(olds.actual));
    return {
        changes:
            !jsonEqual(wanted, managedValues(olds.actual, Object.keys(olds.actual))) ||
            !jsonEqual(olds.settings, news.settings),
    };
}

export function checkDhcpServer(news: Partial<DhcpServerInputs>): pulumi.dynamic.CheckFailure[] {
    const failures = checkIfname(news.ifname);
    if (news.manage) {
        try {
            prefixToNetmask(String(news.settings?.subnet));
        } catch (err) {
            failures.push({ property: "settings", reason: (err as Error).message });
        }
    }
    return failures;
}

/** How to turn the DHCP server on, for the check-only mode's error. */
export function notEnabledMessage(ifname: string): string {
    return (
        `the DHCP server is not enabled on ${ifname}. Enable it in DSM: Package Center → install "DHCP Server" ` +
        `if needed, open DHCP Server → Network Interface, select ${ifname}, Edit, tick "Enable DHCP server" and set ` +
        `the subnet (range, netmask, gateway, DNS), then apply again. Or set dhcp.manageServer: true to let this ` +
        `program manage it (its DSM write shape is not publicly confirmed).`
    );
}

async function applyManaged(
    { client, log }: DsmSession,
    inputs: DhcpServerInputs,
): Promise<{ before: Record<string, unknown>; actual: Record<string, unknown>; skipped: string[] }> {
    const before = await dhcpServerGet(client, inputs.ifname);
    const { changes, skipped } = dhcpServerChanges(before, inputs.settings);
    const keys = Object.keys(changes);
    const missing = keys.filter((k) => !(k in before));
    if (missing.length > 0) {
        throw new Error(
            `the DHCP server object DSM returned for ${inputs.ifname} has no ${missing.join(", ")} ` +
                `(expected ${keys.join(", ")}; seen ${Object.keys(before).join(", ")}). Capture it with ` +
                `\`npm run dsm -- --url <url> --user <name> SYNO.Network.DHCPServer get ifname=${inputs.ifname}\` and report it, ` +
                `or set dhcp.manageServer: false and configure the server in DSM`,
        );
    }
    if (skipped.length > 0) {
        log(`DHCP server on ${inputs.ifname}: not setting ${skipped.join(", ")} (no known key in DSM's object)`);
    }
    const wanted = managedValues(changes, keys);
    if (!jsonEqual(wanted, managedValues(before, keys))) {
        log(`DHCP server on ${inputs.ifname}: setting ${keys.join(", ")}`);
        await dhcpServerSet(client, inputs.ifname, before, changes);
    }
    return { before, actual: { ...changes, enable: true }, skipped };
}

/** Managed: read-modify-write. Check-only: fails with instructions when the server is not enabled. */
async function apply(nas: DsmSession, inputs: DhcpServerInputs, olds?: DhcpServerOutputs): Promise<DhcpServerOutputs> {
    if (!inputs.manage) {
        if (!toBool((await dhcpServerGet(nas.client, inputs.ifname)).enable)) {
            throw new Error(notEnabledMessage(inputs.ifname));
        }
        return { ...inputs, enabled: true };
    }
    const r = await applyManaged(nas, inputs);
    return { ...inputs, previous: olds?.previous ?? r.before, enabled: true, actual: r.actual, skipped: r.skipped };
}

/** The DHCP server on the interface (managed or checked) as a Pulumi resource. */
export class SynologyDhcpServer extends dsmResource<DhcpServerInputs, DhcpServerOutputs>({
    type: "DhcpServer",
    file: __filename,
    apis: [DHCP_SERVER_API],
    outputs: ["previous", "enabled", "actual", "skipped"],
    what: (i) => `DHCP server on ${i.ifname}`,
    onDelete: "restoring",
    id: (i) => `dhcp-${i.ifname}`,
    check: checkDhcpServer,
    diff: diffDhcpServer,
    apply,
    async read({ client }, props) {
        const now = await dhcpServerGet(client, props.ifname);
        const outs: DhcpServerOutputs = { ...props, enabled: toBool(now.enable) };
        if (props.manage && props.actual) {
            const actual: Record<string, unknown> = {};
            for (const k of Object.keys(props.actual)) {
                actual[k] = k === "enable" ? toBool(now[k]) : now[k];
            }
            outs.actual = actual;
        }
        return outs;
    },
    async restore({ client, log }, props) {
        if (!props.manage || !props.previous) return; // check-only: nothing was changed
        const now = await dhcpServerGet(client, props.ifname);
        if (!jsonEqual(now, props.previous)) {
            log(`DHCP server on ${props.ifname}: restoring the settings found before`);
            await dhcpServerSet(client, props.ifname, now, props.previous);
        }
    },
}) {}
