/**
 * PXE (`SYNO.Network.DHCPServer.PXE`, global): enabled, local TFTP, `local_bootloader` the boot file.
 * Read-modify-write of the five-field object; what was found before the first create is written back on delete.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PxeSettings } from "../dsm/types";
import { checkConnection, connectionChanged, dsmClientFor, DsmResourceProps, guard, jsonEqual, logInfo, secretOutputOptions, knownFailures } from "./common";

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
    return { enable: isTrue(s.enable), remoteTftp: isTrue(s.is_remote_tftp), localBootloader: String(s.local_bootloader ?? "") };
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
        is_remote_tftp: target.remoteTftp === isTrue(current.is_remote_tftp) ? current.is_remote_tftp : (target.remoteTftp ? trueLike(current.is_remote_tftp) : falseLike(current.is_remote_tftp)),
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
    const drift = !olds.actual || !jsonEqual(olds.actual, desiredPxe(news));
    return { changes: drift || connectionChanged(olds, news) };
}

export function checkPxe(news: Partial<PxeInputs>): pulumi.dynamic.CheckFailure[] {
    const failures = checkConnection(news);
    if (typeof news.bootloader !== "string" || !/^[A-Za-z0-9._\-/]+$/.test(news.bootloader)) {
        failures.push({ property: "bootloader", reason: `PXE boot loader "${String(news.bootloader)}" must be a file name relative to the TFTP root` });
    }
    return failures;
}

async function apply(inputs: PxeInputs): Promise<{ before: PxeSettings; actual: PxeManaged }> {
    const client = dsmClientFor(inputs);
    const before = await client.pxeGet();
    const target = desiredPxe(inputs);
    const write = pxeWrite(before, target);
    if (write) {
        logInfo(`PXE: enable, local TFTP, boot loader ${inputs.bootloader}`);
        await client.pxeSet(write);
    }
    return { before, actual: target };
}

export const pxeProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: PxeInputs) {
        return { inputs: news, failures: knownFailures(news, checkPxe(news)) };
    },
    async diff(_id: string, olds: PxeOutputs, news: PxeInputs) {
        return diffPxe(olds, news);
    },
    async create(inputs: PxeInputs) {
        const { before, actual } = await guard(inputs, "PXE settings", () => apply(inputs));
        const outs: PxeOutputs = { ...inputs, previous: before, actual };
        return { id: "pxe", outs };
    },
    async read(id: string, props: PxeOutputs) {
        return guard(props, "reading PXE settings", async () => {
            const now = await dsmClientFor(props).pxeGet();
            return { id, props: { ...props, actual: managedPxe(now) } };
        });
    },
    async update(_id: string, olds: PxeOutputs, news: PxeInputs) {
        const { actual } = await guard(news, "PXE settings", () => apply(news));
        return { outs: { ...news, previous: olds.previous, actual } };
    },
    async delete(_id: string, props: PxeOutputs) {
        await guard(props, "restoring PXE settings", async () => {
            const client = dsmClientFor(props);
            const now = await client.pxeGet();
            if (!jsonEqual(now, props.previous)) {
                logInfo("PXE: restoring the settings found before");
                await client.pxeSet(props.previous);
            }
        });
    },
};

export interface PxeResourceArgs {
    connection: pulumi.Input<DsmResourceProps["connection"]>;
    password: pulumi.Input<string>;
    bootloader: pulumi.Input<string>;
}

/** The PXE settings as a Pulumi resource. */
export class SynologyPxeSettings extends pulumi.dynamic.Resource {
    declare readonly bootloader: pulumi.Output<string>;
    declare readonly actual: pulumi.Output<PxeManaged>;
    constructor(name: string, args: PxeResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super(pxeProvider, name, { ...args, password: pulumi.secret(args.password), previous: undefined, actual: undefined },
            secretOutputOptions(opts), "synology", "Pxe");
    }
}
