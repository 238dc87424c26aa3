/**
 * The TFTP service (`SYNO.Core.TFTP`): enabled, root `<volume>/<share>`, read-only, all clients.
 * The settings found before the first create are kept in the outputs and written back on delete.
 */
import type * as pulumi from "@pulumi/pulumi";
import { DsmVerifyError } from "../dsm/errors";
import { decodeTftp, sameValue } from "../dsm/shapes";
import type { DsmApi, DsmApiUse, TftpSettings } from "../dsm/types";
import { dsmResource, DsmResourceProps, jsonEqual, DsmSession } from "../kit/resource";

export const TFTP_API = { api: "SYNO.Core.TFTP", read: 1, write: 1, need: "write" } as const satisfies DsmApiUse;

/** The TFTP object as DSM has it (booleans normalised). */
export async function tftpSettingsGet(client: DsmApi): Promise<TftpSettings> {
    return decodeTftp(await client.call(TFTP_API, "get"));
}

/**
 * A partial `set` (only the fields given), then the object read back: a field that did not take fails, named. The
 * client range (`startip`/`endip`) is a write no public client has confirmed (README, "Writes no public client has
 * confirmed"); DSM answers success to fields it ignores.
 */
export async function tftpSettingsSet(client: DsmApi, changes: Partial<TftpSettings>): Promise<void> {
    const params = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    if (Object.keys(params).length === 0) return;
    await client.call(TFTP_API, "set", params);
    const after = await tftpSettingsGet(client);
    const diffs = Object.keys(params)
        .filter((k) => !sameValue(params[k], after[k]))
        .map((k) => ({ field: k, wanted: params[k], got: after[k] }));
    if (diffs.length) throw new DsmVerifyError(await client.resolve(TFTP_API, "set"), diffs);
}

/** The TFTP fields this resource manages. */
export interface TftpManaged {
    enable: boolean;
    root_path: string;
    permission: string;
    startip: string;
    endip: string;
}

export const TFTP_MANAGED_KEYS: Array<keyof TftpManaged> = ["enable", "root_path", "permission", "startip", "endip"];

export interface TftpInputs extends DsmResourceProps {
    /** TFTP root as DSM wants it: `<volume>/<share>`, e.g. `/volume1/pxe`. */
    rootPath: string;
    /** `"r"` (default) or `"rw"`. */
    permission: string;
    /** Allowed client range; default all clients. */
    startIp: string;
    endIp: string;
}

export interface TftpOutputs extends TftpInputs {
    /** The whole TFTP object read before the first create; written back (managed fields) on delete. */
    previous: TftpSettings;
    /** The managed fields as last read from (or written to) the NAS. */
    actual: TftpManaged;
}

/** The managed fields the inputs ask for. */
export function desiredTftp(inputs: TftpInputs): TftpManaged {
    return {
        enable: true,
        root_path: inputs.rootPath,
        permission: inputs.permission,
        startip: inputs.startIp,
        endip: inputs.endIp,
    };
}

/** The managed fields of a TFTP object. */
export function managedTftp(s: Partial<TftpSettings>): TftpManaged {
    return {
        enable: s.enable === true,
        root_path: String(s.root_path ?? ""),
        permission: String(s.permission ?? ""),
        startip: String(s.startip ?? ""),
        endip: String(s.endip ?? ""),
    };
}

/** The partial `set` that turns `current` into `target` (only fields that differ); undefined when equal. */
export function tftpChanges(current: Partial<TftpSettings>, target: TftpManaged): Partial<TftpSettings> | undefined {
    const cur = managedTftp(current);
    const changes: Partial<TftpSettings> = {};
    for (const k of TFTP_MANAGED_KEYS) {
        if (cur[k] !== target[k]) {
            (changes as Record<string, unknown>)[k] = target[k];
        }
    }
    return Object.keys(changes).length > 0 ? changes : undefined;
}

/** Pure diff: the NAS's managed fields (as last read) against what the inputs want. */
export function diffTftp(olds: TftpOutputs, news: TftpInputs): pulumi.dynamic.DiffResult {
    return { changes: !olds.actual || !jsonEqual(olds.actual, desiredTftp(news)) };
}

export function checkTftp(news: Partial<TftpInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.rootPath !== "string" || !/^\/volume[A-Za-z0-9_]+\/[^/].*$/.test(news.rootPath)) {
        failures.push({
            property: "rootPath",
            reason: `TFTP root "${String(news.rootPath)}" must be <volume>/<share>, e.g. /volume1/pxe`,
        });
    }
    if (news.permission !== undefined && news.permission !== "r" && news.permission !== "rw") {
        failures.push({ property: "permission", reason: `TFTP permission must be "r" or "rw"` });
    }
    return failures;
}

async function apply({ client, log }: DsmSession, inputs: TftpInputs, olds?: TftpOutputs): Promise<TftpOutputs> {
    const before = await tftpSettingsGet(client);
    const target = desiredTftp(inputs);
    const changes = tftpChanges(before, target);
    if (changes) {
        log(`TFTP: setting ${Object.keys(changes).join(", ")}`);
        await tftpSettingsSet(client, changes);
    }
    return { ...inputs, previous: olds?.previous ?? before, actual: target };
}

/** The TFTP service settings as a Pulumi resource. */
export class SynologyTftp extends dsmResource<TftpInputs, TftpOutputs, "permission" | "startIp" | "endIp">({
    type: "Tftp",
    file: __filename,
    apis: [TFTP_API],
    defaults: { permission: "r", startIp: "0.0.0.0", endIp: "255.255.255.255" },
    outputs: ["previous", "actual"],
    what: () => "TFTP settings",
    onDelete: "restoring",
    id: () => "tftp",
    check: checkTftp,
    diff: diffTftp,
    apply,
    read: async ({ client }, props) => ({ ...props, actual: managedTftp(await tftpSettingsGet(client)) }),
    async restore({ client, log }, props) {
        const changes = tftpChanges(await tftpSettingsGet(client), managedTftp(props.previous));
        if (changes) {
            log(`TFTP: restoring ${Object.keys(changes).join(", ")}`);
            await tftpSettingsSet(client, changes);
        }
    },
}) {}
