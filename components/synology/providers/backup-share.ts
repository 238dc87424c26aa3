/**
 * The shared folder of the etcd snapshots (`homelab:backups.share`, default `talos-backups`): a folder of their own,
 * not the TFTP root, which any machine on the LAN can read without a password.
 *
 * - Missing: created on `synology.volume`, then its permissions set (`SYNO.Core.Share.Permission set`): read/write for
 *   the DSM user the program logs in as, no access for guest. That write's shape is known from two public clients, not
 *   from a NAS (docs/dsm-api.md 5.1), so the permissions are read back and a field that did not stick is an error naming
 *   it; the folder it had just created is then deleted again (it is empty), so that nothing half made stays.
 * - There already (wherever it lives, e.g. a folder of the user's on another volume): used as it is, and never changed,
 *   when guest cannot read it and the DSM user may write to it; otherwise refused, naming the fix (the pre-flight
 *   says so too, before anything is written).
 * - Destroy: deleted only when this program created it and no file is left in it; otherwise it stays, with the
 *   snapshots, and destroy says so.
 */
import type * as pulumi from "@pulumi/pulumi";
import { DsmShapeError } from "../dsm/errors";
import { asObject, toBool } from "../dsm/shapes";
import type { DsmApi, DsmApiUse } from "../dsm/types";
import { dsmResource, DsmResourceProps, DsmSession } from "../kit/resource";
import { deleteIfEmpty, shareCreate, shareDelete, shareGet, SHARE_API, SHARE_NAME } from "./share";

export const SHARE_PERMISSION_API = {
    api: "SYNO.Core.Share.Permission",
    read: 1,
    write: 1,
    need: "write",
} as const satisfies DsmApiUse;

/** DSM's built-in guest account. */
export const GUEST = "guest";

/** A local user's own permission on a shared folder, as `SYNO.Core.Share.Permission list` gives it. */
export interface PermissionEntry {
    name: string;
    is_readonly: boolean;
    is_writable: boolean;
    is_deny: boolean;
    is_custom: boolean;
    /** What the user's groups give it (`rw`, `ro`, `na`, `-`, …), when DSM says. */
    inherit?: string;
}

/** What a user may do on the folder, all things counted: read/write, read only, nothing, custom ACL, or not known. */
export type Access = "rw" | "ro" | "none" | "custom" | "unknown";

/** The DSM user's and guest's access to the folder, as last read. */
export interface ShareAccess {
    user: Access;
    guest: Access;
}

/**
 * A user's access from its entry (pure): DSM's rule is No access before Read/Write before Read only, over the user's
 * own permission and its groups' (`inherit`); a custom ACL cannot be judged from here. No entry: `missing`.
 */
export function accessOf(entry: PermissionEntry | undefined, missing: Access): Access {
    if (!entry) return missing;
    const inherit = (entry.inherit ?? "").toLowerCase();
    if (entry.is_deny || inherit === "na") return "none";
    if (entry.is_custom || inherit === "cu") return "custom";
    if (entry.is_writable || inherit === "rw") return "rw";
    if (entry.is_readonly || inherit === "ro" || inherit === "r") return "ro";
    return "none";
}

/** The access of the DSM user (names ignore case; not listed: unknown) and of guest (not listed: none). Pure. */
export function shareAccess(entries: readonly PermissionEntry[], user: string): ShareAccess {
    const find = (n: string) => entries.find((e) => e.name.toLowerCase() === n.toLowerCase());
    return { user: accessOf(find(user), "unknown"), guest: accessOf(find(GUEST), "none") };
}

const WORDS: Record<Access, string> = {
    rw: "may read and write",
    ro: "may read",
    none: "has no access to",
    custom: "has a custom (ACL) permission on",
    unknown: "is not listed in the permissions of",
};

/** What is wrong with a folder the snapshots are to go to (pure): guest may get in, or the DSM user may not write. */
export function accessProblems(share: string, user: string, access: ShareAccess): string[] {
    const problems: string[] = [];
    if (access.guest !== "none")
        problems.push(`guest ${WORDS[access.guest]} shared folder "${share}", so anyone could read the etcd snapshots`);
    if (access.user !== "rw" && access.user !== "unknown")
        problems.push(
            `the DSM user "${user}" ${WORDS[access.user]} shared folder "${share}", so it cannot store snapshots`,
        );
    return problems;
}

/** How to fix {@link accessProblems}, for messages. */
export function accessFix(share: string, user: string): string {
    return (
        `in DSM, Control Panel > Shared Folder > ${share} > Edit > Permissions: guest "No access", ${user} "Read/Write"; ` +
        "or set homelab:backups.share to another name (the program creates a missing folder with those permissions)"
    );
}

/** An entry for `name` with the flags given, the others false. */
export function permissionEntry(name: string, flags: Partial<PermissionEntry> = {}): PermissionEntry {
    return { name, is_readonly: false, is_writable: false, is_deny: false, is_custom: false, ...flags };
}

/** The permissions the program gives a folder it creates: read/write for the DSM user, no access for guest. */
export function wantedPermissions(user: string): PermissionEntry[] {
    return [permissionEntry(user, { is_writable: true }), permissionEntry(GUEST, { is_deny: true })];
}

/** The fields of `wanted` that the folder's permissions, read back, do not carry (pure). */
export function unstuck(
    wanted: readonly PermissionEntry[],
    got: readonly PermissionEntry[],
): Array<{ field: string; wanted: unknown; got: unknown }> {
    const out: Array<{ field: string; wanted: unknown; got: unknown }> = [];
    for (const w of wanted) {
        const g = got.find((e) => e.name.toLowerCase() === w.name.toLowerCase());
        for (const k of ["is_readonly", "is_writable", "is_deny"] as const)
            if (g?.[k] !== w[k]) out.push({ field: `${w.name}.${k}`, wanted: w[k], got: g?.[k] });
    }
    return out;
}

/** `items[i]` of a permission list, decoded; a shape this client does not know is a DsmShapeError. */
function decodeEntry(item: unknown, i: number): PermissionEntry {
    const o = item && typeof item === "object" ? (item as Record<string, unknown>) : {};
    if (typeof o.name !== "string")
        throw new DsmShapeError(
            SHARE_PERMISSION_API.api,
            `entry ${i} of the permission list`,
            ["name"],
            Object.keys(o),
        );
    return {
        name: o.name,
        is_readonly: toBool(o.is_readonly),
        is_writable: toBool(o.is_writable),
        is_deny: toBool(o.is_deny),
        is_custom: toBool(o.is_custom),
        ...(typeof o.inherit === "string" ? { inherit: o.inherit } : {}),
    };
}

/**
 * The local users' permissions on `share`: `list` (v1, `name`, `user_group_type: "local_user"`, `action: "enum"`,
 * `offset`, `limit`) answers `{items: [{name, is_readonly, is_writable, is_deny, is_custom, inherit, …}], total}`
 * (BATON and N4S4 agree; LIKELY), page by page.
 */
export async function sharePermissionsGet(client: DsmApi, share: string): Promise<PermissionEntry[]> {
    const out: PermissionEntry[] = [];
    for (;;) {
        const data = asObject(
            await client.call(SHARE_PERMISSION_API, "list", {
                name: share,
                user_group_type: "local_user",
                action: "enum",
                with_inherit: true,
                offset: out.length,
                limit: 200,
            }),
            SHARE_PERMISSION_API.api,
            "list",
        );
        if (!Array.isArray(data.items) || typeof data.total !== "number")
            throw new DsmShapeError(
                SHARE_PERMISSION_API.api,
                "the shared folder's permission list",
                ["items", "total"],
                Object.keys(data),
            );
        out.push(...data.items.map((item, i) => decodeEntry(item, out.length + i)));
        if (data.items.length === 0 || out.length >= data.total) return out;
    }
}

/** `set` (v1, `name`, `user_group_type`, `permissions`): the entries named, each with its three flags. */
export async function sharePermissionsSet(
    client: DsmApi,
    share: string,
    entries: readonly PermissionEntry[],
): Promise<void> {
    const permissions = entries.map((e) => ({
        name: e.name,
        is_readonly: e.is_readonly,
        is_writable: e.is_writable,
        is_deny: e.is_deny,
        is_custom: e.is_custom,
    }));
    await client.call(SHARE_PERMISSION_API, "set", { name: share, user_group_type: "local_user", permissions });
}

export interface BackupShareInputs extends DsmResourceProps {
    /** `backups.share`. */
    name: string;
    /** `synology.volume`: where it is created when missing. */
    volume: string;
    /** Description used when the folder is created. */
    desc: string;
}

export interface BackupShareOutputs extends BackupShareInputs {
    /** True when this program created the folder (then, and only then, destroy may delete it). */
    created: boolean;
    /** Whether the folder exists on the NAS (as of the last create/read). */
    exists: boolean;
    /** The volume DSM reports it on. */
    volPath: string;
    /** Who may use it, as of the last create/read. */
    access: ShareAccess;
}

export function checkBackupShare(news: Partial<BackupShareInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.name !== "string" || !SHARE_NAME.test(news.name))
        failures.push({ property: "name", reason: `backups.share "${String(news.name)}" is not a shared folder name` });
    if (typeof news.volume !== "string" || !/^\/volume[A-Za-z0-9_]+$/.test(news.volume))
        failures.push({
            property: "volume",
            reason: `synology.volume "${String(news.volume)}" must look like /volume1`,
        });
    return failures;
}

/**
 * Pure diff: another name → replace (the new folder first; the old one is deleted only when the program created it
 * and it is empty); the folder gone (seen by read) → update (created again); a new volume or description → update
 * (stored: they only matter when the folder is created).
 */
export function diffBackupShare(olds: BackupShareOutputs, news: BackupShareInputs): pulumi.dynamic.DiffResult {
    if (olds.name !== news.name) return { changes: true, replaces: ["name"], deleteBeforeReplace: false };
    return { changes: olds.exists === false || olds.volume !== news.volume || olds.desc !== news.desc };
}

async function ensureBackupShare(
    { client, log }: DsmSession,
    inputs: BackupShareInputs,
    previouslyCreated: boolean,
): Promise<BackupShareOutputs> {
    const user = inputs.connection.username;
    const existing = await shareGet(client, inputs.name);
    if (existing) {
        const access = shareAccess(await sharePermissionsGet(client, inputs.name), user);
        const problems = accessProblems(inputs.name, user, access);
        if (problems.length > 0)
            throw new Error(
                `shared folder "${inputs.name}" (backups.share) is not fit for the etcd snapshots: ${problems.join("; ")}. ` +
                    `Fix: ${accessFix(inputs.name, user)}`,
            );
        return { ...inputs, created: previouslyCreated, exists: true, volPath: existing.vol_path, access };
    }
    log(
        `creating shared folder ${inputs.name} on ${inputs.volume} for the etcd snapshots: read/write for ${user}, no access for guest`,
    );
    await shareCreate(client, inputs.name, inputs.volume, inputs.desc);
    const wanted = wantedPermissions(user);
    try {
        await sharePermissionsSet(client, inputs.name, wanted);
        const entries = await sharePermissionsGet(client, inputs.name);
        const diffs = unstuck(wanted, entries);
        if (diffs.length > 0)
            throw new Error(
                `${SHARE_PERMISSION_API.api}: after set, list returned different values for ${diffs
                    .map((d) => `${d.field} (wanted ${String(d.wanted)}, got ${String(d.got)})`)
                    .join("; ")}; the NAS may have ignored these fields`,
            );
        return {
            ...inputs,
            created: true,
            exists: true,
            volPath: inputs.volume,
            access: shareAccess(entries, user),
        };
    } catch (e) {
        await shareDelete(client, inputs.name).catch(() => undefined);
        throw new Error(
            `${(e as Error).message}. The shared folder ${inputs.name} it had just created was deleted again. Create it ` +
                `yourself in DSM (Control Panel > Shared Folder > Create, named ${inputs.name}; then Edit > Permissions: ` +
                `guest "No access", ${user} "Read/Write") and run again: a folder that is there is used as it is`,
        );
    }
}

/** The snapshots' shared folder as a Pulumi resource. */
export class SynologyBackupShare extends dsmResource<BackupShareInputs, BackupShareOutputs, "desc">({
    type: "BackupShare",
    file: __filename,
    apis: [SHARE_API, SHARE_PERMISSION_API],
    defaults: { desc: "etcd snapshots of the Talos cluster (managed by Pulumi)" },
    outputs: ["created", "exists", "volPath", "access"],
    what: (i) => `shared folder ${i.name} for the etcd snapshots`,
    onDelete: "deleting",
    id: (i) => i.name,
    check: checkBackupShare,
    diff: diffBackupShare,
    apply: (nas, inputs, olds) => ensureBackupShare(nas, inputs, olds?.created ?? false),
    async read({ client }, props) {
        const info = await shareGet(client, props.name);
        if (!info) return { ...props, exists: false };
        const access = shareAccess(await sharePermissionsGet(client, props.name), props.connection.username);
        return { ...props, exists: true, volPath: info.vol_path, access };
    },
    async restore(nas, props) {
        if (!(await shareGet(nas.client, props.name))) return;
        if (props.created) return deleteIfEmpty(nas, props.name, "created by this program for the etcd snapshots");
        nas.log(`keeping shared folder ${props.name} and the etcd snapshots in it: it was there before this program`);
    },
}) {}
