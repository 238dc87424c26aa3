/**
 * The shared folder holding the TFTP root (`SYNO.Core.Share`). Created if missing; an existing one is
 * adopted (`created: false`) and never deleted on destroy.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkConnection, connectionChanged, dsmClientFor, DsmResourceProps, guard, logInfo, secretOutputOptions, knownFailures } from "./common";

export interface ShareInputs extends DsmResourceProps {
    /** Shared folder name, e.g. `pxe`. */
    name: string;
    /** Volume path, e.g. `/volume1`. */
    volume: string;
    /** Description used when the folder is created. */
    desc?: string;
}

export interface ShareOutputs extends ShareInputs {
    /** True when this program created the folder (then, and only then, destroy deletes it). */
    created: boolean;
    /** Whether the folder exists on the NAS (as of the last create/read). */
    exists: boolean;
    /** The volume DSM reports the folder on. */
    volPath: string;
}

const SHARE_NAME = /^[^\\/:*?"<>|\s][^\\/:*?"<>|]{0,31}$/;

/** Check failures for the share inputs. */
export function checkShare(news: Partial<ShareInputs>): pulumi.dynamic.CheckFailure[] {
    const failures = checkConnection(news);
    if (typeof news.name !== "string" || !SHARE_NAME.test(news.name)) {
        failures.push({ property: "name", reason: `synology.share "${String(news.name)}" must be 1–32 characters without / \\ : * ? " < > | or spaces at the start` });
    }
    if (typeof news.volume !== "string" || !/^\/volume[A-Za-z0-9_]+$/.test(news.volume)) {
        failures.push({ property: "volume", reason: `synology.volume "${String(news.volume)}" must look like /volume1` });
    }
    return failures;
}

/** Pure diff: name or volume → replace; folder gone (seen by read) → update (re-create); connection → update. */
export function diffShare(olds: ShareOutputs, news: ShareInputs): pulumi.dynamic.DiffResult {
    const replaces: string[] = [];
    if (olds.name !== news.name) {
        replaces.push("name");
    }
    if (olds.volume !== news.volume) {
        replaces.push("volume");
    }
    if (replaces.length > 0) {
        return { changes: true, replaces, deleteBeforeReplace: false };
    }
    const changes = olds.exists === false || connectionChanged(olds, news);
    return { changes };
}

async function ensureShare(inputs: ShareInputs, previouslyCreated: boolean): Promise<ShareOutputs> {
    const client = dsmClientFor(inputs);
    const existing = await client.shareGet(inputs.name);
    if (existing) {
        if (existing.vol_path !== inputs.volume) {
            throw new Error(`shared folder "${inputs.name}" already exists on ${existing.vol_path}, but synology.volume is ` +
                `${inputs.volume}: set synology.volume to ${existing.vol_path} or choose another synology.share`);
        }
        return { ...inputs, created: previouslyCreated, exists: true, volPath: existing.vol_path };
    }
    logInfo(`creating shared folder ${inputs.name} on ${inputs.volume}`);
    await client.shareCreate(inputs.name, inputs.volume, inputs.desc);
    return { ...inputs, created: true, exists: true, volPath: inputs.volume };
}

export const shareProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: ShareInputs) {
        return { inputs: news, failures: knownFailures(news, checkShare(news)) };
    },
    async diff(_id: string, olds: ShareOutputs, news: ShareInputs) {
        return diffShare(olds, news);
    },
    async create(inputs: ShareInputs) {
        const outs = await guard(inputs, `shared folder ${inputs.name}`, () => ensureShare(inputs, false));
        return { id: inputs.name, outs };
    },
    async read(id: string, props: ShareOutputs) {
        return guard(props, `reading shared folder ${props.name}`, async () => {
            const info = await dsmClientFor(props).shareGet(props.name);
            const outs: ShareOutputs = { ...props, exists: info !== undefined, volPath: info ? info.vol_path : props.volPath };
            return { id, props: outs };
        });
    },
    async update(_id: string, olds: ShareOutputs, news: ShareInputs) {
        const outs = await guard(news, `shared folder ${news.name}`, () => ensureShare(news, olds.created));
        return { outs };
    },
    async delete(_id: string, props: ShareOutputs) {
        if (!props.created) {
            return; // adopted: it was there before, it stays
        }
        await guard(props, `deleting shared folder ${props.name}`, async () => {
            const client = dsmClientFor(props);
            if (await client.shareGet(props.name)) {
                logInfo(`deleting shared folder ${props.name} (created by this program)`);
                await client.shareDelete(props.name);
            }
        });
    },
};

export interface ShareResourceArgs {
    connection: pulumi.Input<DsmConnectionArgsInput>;
    password: pulumi.Input<string>;
    name: pulumi.Input<string>;
    volume: pulumi.Input<string>;
    desc?: pulumi.Input<string>;
}

/** Connection args as Pulumi inputs. */
export type DsmConnectionArgsInput = DsmResourceProps["connection"];

/** The shared folder as a Pulumi resource. */
export class SynologyShare extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;
    declare readonly volume: pulumi.Output<string>;
    declare readonly created: pulumi.Output<boolean>;
    declare readonly volPath: pulumi.Output<string>;
    constructor(name: string, args: ShareResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super(shareProvider, name, {
            ...args, password: pulumi.secret(args.password), created: undefined, exists: undefined, volPath: undefined,
        }, secretOutputOptions(opts), "synology", "Share");
    }
}
