/**
 * PXE (`SYNO.Network.DHCPServer.PXE`, global): enabled, local TFTP, `local_bootloader` the boot file.
 * Read-modify-write of the five-field object; what was found before the first create is written back on delete.
 */
import type * as pulumi from "@pulumi/pulumi";
import { asObject, decodePxe, encodePxe, PXE_FIELDS, sameValue } from "../dsm/shapes";
import type { DsmApi, DsmApiUse, PxeSettings } from "../dsm/types";
import { dsmResource, DsmResourceProps, jsonEqual, DsmSession, setAndVerify } from "../kit/resource";

export const PXE_API = { api: ".PXE", read: 1, write: 1, need: "write" } as const satisfies DsmApiUse;

/** The PXE object as DSM has it. */
export async function pxeGet(client: DsmApi): Promise<PxeSettings> {
    return decodePxe(await client.call(PXE_API, "get"));
}

/** Writes the whole object (read-modify-write: fields beyond the five kept as read), then re-reads and compares. */
export async function pxeSet(client: DsmApi, settings: PxeSettings): Promise<void> {
    const raw = asObject(await client.call(PXE_API, "get"), await client.resolve(PXE_API, "get"), "get");
    decodePxe(raw); // checks the five fields are there
    const body = encodePxe(raw, settings);
    if (PXE_FIELDS.every((k) => sameValue(body[k], raw[k]))) return;
    await setAndVerify(client, PXE_API, {}, body, Object.fromEntries(PXE_FIELDS.map((k) => [k, body[k]])));
}

export interface PxeInputs extends DsmResourceProps {
    /** Boot loader file name relative to the TFTP root, e.g. `metal-amd64-uki.efi`. */
    bootloader: string;
}

/** The PXE fields this resource manages, normalised. */
export interface PxeManaged {
    enable: boolean;
    remoteTftp: boolean;
    localBootloader: string;
}

export interface PxeOutputs extends PxeInputs {
    /** The PXE object found before the first create, as DSM returned it. */
    previous: PxeSettings;
    /** The managed fields as last read from (or written to) the NAS. */
    actual: PxeManaged;
}

/** DSM's `is_remote_tftp` in any of its encodings → boolean. */
export function isTrue(v: unknown): boolean {
    return v === true || v === 1 || v === "1" || v === "true";
}

/** `false` in the encoding `like` uses (DSM returns "false"/"true"; echo what it gave). */
export function falseLike(like: unknown): unknown {
    if (typeof like === "string") {
        return /^[01]$/.test(like) ? "0" : "false";
    }
    if (typeof like === "number") {
        return 0;
    }
    return false;
}

export function managedPxe(s: Partial<PxeSettings>): PxeManaged {
    return {
        enable: isTrue(s.enable),
        remoteTftp: isTrue(s.is_remote_tftp),
        localBootloader: String(s.local_bootloader ?? ""),
    };
}

export function desiredPxe(inputs: PxeInputs): PxeManaged {
    return { enable: true, remoteTftp: false, localBootloader: inputs.bootloader };
}

/** The whole object to write so that `current` becomes `target`; undefined when nothing differs. */
export function pxeWrite(current: PxeSettings, target: PxeManaged): PxeSettings | undefined {
    if (jsonEqual(managedPxe(current), target)) {
        return undefined;
    }
    return {
        ...current,
        enable: target.enable,
        is_remote_tftp:
            target.remoteTftp === isTrue(current.is_remote_tftp)
                ? current.is_remote_tftp
                : target.remoteTftp
                  ? trueLike(current.is_remote_tftp)
                  : falseLike(current.is_remote_tftp),
        local_bootloader: target.localBootloader,
    };
}

function trueLike(like: unknown): unknown {
    if (typeof like === "string") {
        return /^[01]$/.test(like) ? "1" : "true";
    }
    if (typeof like === "number") {
        return 1;
    }
    return true;
}

/** Pure diff: PXE as last read against what the inputs want. */
export function diffPxe(olds: PxeOutputs, news: PxeInputs): pulumi.dynamic.DiffResult {
    return { changes: !olds.actual || !jsonEqual(olds.actual, desiredPxe(news)) };
}

export function checkPxe(news: Partial<PxeInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.bootloader !== "string" || !/^[A-Za-z0-9._\-/]+$/.test(news.bootloader)) {
        failures.push({
            property: "bootloader",
            reason: `PXE boot loader "${String(news.bootloader)}" must be a file name relative to the TFTP root`,
        });
    }
    return failures;
}

async function apply({ client, log }: DsmSession, inputs: PxeInputs, olds?: PxeOutputs): Promise<PxeOutputs> {
    const before = await pxeGet(client);
    const target = desiredPxe(inputs);
    const write = pxeWrite(before, target);
    if (write) {
        log(`PXE: enable, local TFTP, boot loader ${inputs.bootloader}`);
        await pxeSet(client, write);
    }
    return { ...inputs, previous: olds?.previous ?? before, actual: target };
}

/** The PXE settings as a Pulumi resource. */
export class SynologyPxeSettings extends dsmResource<PxeInputs, PxeOutputs>({
    type: "Pxe",
    file: __filename,
    apis: [PXE_API],
    outputs: ["previous", "actual"],
    what: () => "PXE settings",
    onDelete: "restoring",
    id: () => "pxe",
    check: checkPxe,
    diff: diffPxe,
    apply,
    read: async ({ client }, props) => ({ ...props, actual: managedPxe(await pxeGet(client)) }),
    async restore({ client, log }, props) {
        if (!jsonEqual(await pxeGet(client), props.previous)) {
            log("PXE: restoring the settings found before");
            await pxeSet(client, props.previous);
        }
    },
}) {}
