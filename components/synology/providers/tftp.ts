/**
 * The TFTP service (`SYNO.Core.TFTP`): enabled, root `<volume>/<share>`, read-only, all clients.
 * The settings found before the first create are kept in the outputs and written back on delete.
 */
import * as pulumi from "@pulumi/pulumi";
import type { TftpSettings } from "../dsm/types";
import { checkConnection, connectionChanged, dsmClientFor, DsmResourceProps, guard, jsonEqual, logInfo, secretOutputOptions, knownFailures } from "./common";

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
    permission?: string;
    /** Allowed client range; default all clients. */
    startIp?: string;
    endIp?: string;
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
        permission: inputs.permission ?? "r",
        startip: inputs.startIp ?? "0.0.0.0",
        endip: inputs.endIp ?? "255.255.255.255",
    };
}

/** The managed fields of a TFTP object. */
export function managedTftp(s: Partial<TftpSettings>): TftpManaged {
    return { enable: s.enable === true, root_path: String(s.root_path ?? ""), permission: String(s.permission ?? ""),
        startip: String(s.startip ?? ""), endip: String(s.endip ?? "") };
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
    const drift = !olds.actual || !jsonEqual(olds.actual, desiredTftp(news));
    return { changes: drift || connectionChanged(olds, news) };
}

export function checkTftp(news: Partial<TftpInputs>): pulumi.dynamic.CheckFailure[] {
    const failures = checkConnection(news);
    if (typeof news.rootPath !== "string" || !/^\/volume[A-Za-z0-9_]+\/[^/].*$/.test(news.rootPath)) {
        failures.push({ property: "rootPath", reason: `TFTP root "${String(news.rootPath)}" must be <volume>/<share>, e.g. /volume1/pxe` });
    }
    if (news.permission !== undefined && news.permission !== "r" && news.permission !== "rw") {
        failures.push({ property: "permission", reason: `TFTP permission must be "r" or "rw"` });
    }
    return failures;
}

async function apply(inputs: TftpInputs): Promise<{ before: TftpSettings; actual: TftpManaged }> {
    const client = dsmClientFor(inputs);
    const before = await client.tftpGet();
    const target = desiredTftp(inputs);
    const changes = tftpChanges(before, target);
    if (changes) {
        logInfo(`TFTP: setting ${Object.keys(changes).join(", ")}`);
        await client.tftpSet(changes);
    }
    return { before, actual: target };
}

export const tftpProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: TftpInputs) {
        return { inputs: news, failures: knownFailures(news, checkTftp(news)) };
    },
    async diff(_id: string, olds: TftpOutputs, news: TftpInputs) {
        return diffTftp(olds, news);
    },
    async create(inputs: TftpInputs) {
        const { before, actual } = await guard(inputs, "TFTP service", () => apply(inputs));
        const outs: TftpOutputs = { ...inputs, previous: before, actual };
        return { id: "tftp", outs };
    },
    async read(id: string, props: TftpOutputs) {
        return guard(props, "reading TFTP settings", async () => {
            const now = await dsmClientFor(props).tftpGet();
            return { id, props: { ...props, actual: managedTftp(now) } };
        });
    },
    async update(_id: string, olds: TftpOutputs, news: TftpInputs) {
        const { actual } = await guard(news, "TFTP service", () => apply(news));
        const outs: TftpOutputs = { ...news, previous: olds.previous, actual };
        return { outs };
    },
    async delete(_id: string, props: TftpOutputs) {
        await guard(props, "restoring TFTP settings", async () => {
            const client = dsmClientFor(props);
            const now = await client.tftpGet();
            const changes = tftpChanges(now, managedTftp(props.previous));
            if (changes) {
                logInfo(`TFTP: restoring ${Object.keys(changes).join(", ")}`);
                await client.tftpSet(changes);
            }
        });
    },
};

export interface TftpResourceArgs {
    connection: pulumi.Input<DsmResourceProps["connection"]>;
    password: pulumi.Input<string>;
    rootPath: pulumi.Input<string>;
    permission?: pulumi.Input<string>;
    startIp?: pulumi.Input<string>;
    endIp?: pulumi.Input<string>;
}

/** The TFTP service settings as a Pulumi resource. */
export class SynologyTftp extends pulumi.dynamic.Resource {
    declare readonly rootPath: pulumi.Output<string>;
    declare readonly actual: pulumi.Output<TftpManaged>;
    constructor(name: string, args: TftpResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super(tftpProvider, name, { ...args, password: pulumi.secret(args.password), previous: undefined, actual: undefined },
            secretOutputOptions(opts), "synology", "Tftp");
    }
}
