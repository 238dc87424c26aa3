/**
 * The shared folder holding the TFTP root (`SYNO.Core.Share`). Created if missing; an existing one is
 * adopted (`created: false`) and never deleted on destroy. One the program created is deleted on destroy only
 * when no file is left in it (the boot file is gone by then): files it does not delete, such as a file of the
 * user's or the etcd snapshots an earlier version stored under backups/etcd, keep it, and destroy says which.
 */
import type * as pulumi from "@pulumi/pulumi";
import { DsmConfigError } from "../dsm/errors";
import { scalarText } from "../dsm/shapes";
import type { DsmApi, DsmApiUse, ShareInfo } from "../dsm/types";
import { dsmResource, DsmResourceProps, DsmSession } from "../kit/resource";

export const SHARE_API = { api: "SYNO.Core.Share", read: 1, write: 1, need: "write" } as const satisfies DsmApiUse;

/** The shared folder named `name`, as `SYNO.Core.Share list` gives it; undefined when there is none. */
export async function shareGet(client: DsmApi, name: string): Promise<ShareInfo | undefined> {
    const data = await client.call<{ shares?: unknown[] }>(SHARE_API, "list", { shareType: "all", additional: [] });
    const shares = Array.isArray(data?.shares) ? (data.shares as Array<Record<string, unknown>>) : [];
    const s = shares.find((x) => x.name === name);
    if (!s) return undefined;
    return {
        ...s,
        name: String(s.name),
        vol_path: scalarText(s.vol_path, ""),
        desc: s.desc === undefined ? undefined : scalarText(s.desc, "null"),
    };
}

/** Creates a plain shared folder: no recycle bin, compression or quota (the whole `shareinfo` DSM wants). */
export async function shareCreate(client: DsmApi, name: string, volPath: string, desc = ""): Promise<void> {
    if (desc.length > 64)
        throw new DsmConfigError(`shared folder description is ${desc.length} characters; DSM allows at most 64`);
    const shareinfo = {
        name,
        vol_path: volPath,
        desc,
        hidden: false,
        enable_recycle_bin: false,
        recycle_bin_admin_only: false,
        enable_share_compress: false,
        enable_share_cow: false,
        share_quota: 0,
        name_org: "",
    };
    await client.call(SHARE_API, "create", { name, shareinfo });
}

export async function shareDelete(client: DsmApi, name: string): Promise<void> {
    await client.call(SHARE_API, "delete", { name: [name] });
}

export interface ShareInputs extends DsmResourceProps {
    /** Shared folder name, e.g. `pxe`. */
    name: string;
    /** Volume path, e.g. `/volume1`. */
    volume: string;
    /** Description used when the folder is created. */
    desc: string;
}

export interface ShareOutputs extends ShareInputs {
    /** True when this program created the folder (then, and only then, destroy deletes it). */
    created: boolean;
    /** Whether the folder exists on the NAS (as of the last create/read). */
    exists: boolean;
    /** The volume DSM reports the folder on. */
    volPath: string;
}

/** DSM's own folders inside a share (recycle bin, index metadata, snapshots): never counted as files kept. */
const DSM_FOLDERS = new Set(["#recycle", "@eaDir", "#snapshot"]);

/** How many kept files destroy names. */
const KEPT_LISTED = 5;

/**
 * Up to `limit` files below `folder` (File Station paths), breadth first; folders themselves do not count, nor
 * DSM's own folders. Empty when only (empty) folders are left.
 */
export async function filesBelow(client: Pick<DsmApi, "list">, folder: string, limit: number): Promise<string[]> {
    const found: string[] = [];
    const queue = [folder];
    while (queue.length > 0 && found.length < limit) {
        for (const e of await client.list(queue.shift() as string)) {
            if (e.isdir) {
                if (!DSM_FOLDERS.has(e.name)) queue.push(e.path);
            } else if (found.length < limit) found.push(e.path);
        }
    }
    return found;
}

/** What destroy says when it keeps a shared folder it created. Pure. */
export function keptShareMessage(name: string, kept: string[]): string {
    const listed = kept.join(", ") + (kept.length >= KEPT_LISTED ? ", …" : "");
    return (
        `keeping shared folder ${name} although this program created it: it holds files the program does not ` +
        `delete (${listed}). Fetch what you need (etcd snapshots: npm run etcd-snapshot -- --list / --fetch), then ` +
        `delete the folder in DSM (Control Panel > Shared Folder) if you no longer want it`
    );
}

/**
 * Destroy's end for a shared folder this program created: deleted when no file is left in it, else kept, saying what
 * it holds (`why`: for the message, e.g. `created by this program`).
 */
export async function deleteIfEmpty({ client, log }: DsmSession, name: string, why: string): Promise<void> {
    const kept = await filesBelow(client, `/${name}`, KEPT_LISTED);
    if (kept.length > 0) {
        log(keptShareMessage(name, kept));
        return;
    }
    log(`deleting shared folder ${name} (${why}, and empty)`);
    await shareDelete(client, name);
}

/** A shared folder name as DSM takes it. */
export const SHARE_NAME = /^[^\\/:*?"<>|\s][^\\/:*?"<>|]{0,31}$/;

/** Check failures for the share inputs. */
export function checkShare(news: Partial<ShareInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.name !== "string" || !SHARE_NAME.test(news.name)) {
        failures.push({
            property: "name",
            reason: `synology.share "${String(news.name)}" must be 1–32 characters without / \\ : * ? " < > | or spaces at the start`,
        });
    }
    if (typeof news.volume !== "string" || !/^\/volume[A-Za-z0-9_]+$/.test(news.volume)) {
        failures.push({
            property: "volume",
            reason: `synology.volume "${String(news.volume)}" must look like /volume1`,
        });
    }
    return failures;
}

/** Pure diff: name or volume → replace; folder gone (seen by read) → update (re-create). */
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
    return { changes: olds.exists === false };
}

async function ensureShare(
    { client, log }: DsmSession,
    inputs: ShareInputs,
    previouslyCreated: boolean,
): Promise<ShareOutputs> {
    const existing = await shareGet(client, inputs.name);
    if (existing) {
        if (existing.vol_path !== inputs.volume) {
            throw new Error(
                `shared folder "${inputs.name}" already exists on ${existing.vol_path}, but synology.volume is ` +
                    `${inputs.volume}: set synology.volume to ${existing.vol_path} or choose another synology.share`,
            );
        }
        return { ...inputs, created: previouslyCreated, exists: true, volPath: existing.vol_path };
    }
    log(`creating shared folder ${inputs.name} on ${inputs.volume}`);
    await shareCreate(client, inputs.name, inputs.volume, inputs.desc);
    return { ...inputs, created: true, exists: true, volPath: inputs.volume };
}

/** The shared folder as a Pulumi resource. */
export class SynologyShare extends dsmResource<ShareInputs, ShareOutputs, "desc">({
    type: "Share",
    file: __filename,
    apis: [SHARE_API],
    defaults: { desc: "Talos PXE boot files (managed by Pulumi)" },
    outputs: ["created", "exists", "volPath"],
    what: (i) => `shared folder ${i.name}`,
    onDelete: "deleting",
    id: (i) => i.name,
    check: checkShare,
    diff: diffShare,
    apply: (nas, inputs, olds) => ensureShare(nas, inputs, olds?.created ?? false),
    async read({ client }, props) {
        const info = await shareGet(client, props.name);
        return { ...props, exists: info !== undefined, volPath: info ? info.vol_path : props.volPath };
    },
    async restore(nas, props) {
        if (!props.created) return; // adopted: it was there before, it stays
        if (await shareGet(nas.client, props.name)) await deleteIfEmpty(nas, props.name, "created by this program");
    },
}) {}
