/**
 * The pre-flight's part for the etcd snapshots (./preflight.ts runs it in its one login, before any write):
 * - the snapshots' shared folder (`homelab:backups.share`): when it exists, guest must not get in and the DSM user
 *   must be able to write (the program never changes the permissions of a folder that is there already); when it
 *   does not, ./preflight.ts checks the volume it will be created on, with the boot share's;
 * - the folder under the TFTP root where versions before issue 28 stored the snapshots: files there are readable over
 *   TFTP, so each run says so (a warning naming them); nothing is moved.
 * Reads only (`readSnapshotFolders`), then a pure judge (`judgeSnapshotFolders`).
 */
import type { DsmApi, ShareInfo } from "./dsm/types";
import { accessFix, accessProblems, PermissionEntry, shareAccess, sharePermissionsGet } from "./providers/backup-share";
import { shareGet } from "./providers/share";
import { Problem, read, Read, ReadFailure } from "./preflight-read";

/** Where the snapshots go and where earlier versions put them (index.ts computes it with components/backups). */
export interface SnapshotFolders {
    /** `backups.share`. */
    share: string;
    /** `/<backups.share>/etcd`. */
    dir: string;
    /** `/<synology.share>/backups/etcd`: under the TFTP root. */
    legacyDir: string;
}

export interface SnapshotFolderPlan {
    /** `homelab:backups.share`. */
    backupShare: string;
    username: string;
    /** Absent: the legacy folder is not looked at. */
    folders?: SnapshotFolders;
}

export interface SnapshotFolderFacts {
    /** The snapshots' shared folder, undefined when it does not exist. */
    backupShare?: Read<ShareInfo | undefined>;
    /** Its local users' permissions, when it exists. */
    backupAccess?: Read<PermissionEntry[]>;
    /** Files in the legacy folder under the TFTP root (none when it is not there), when the boot share exists. */
    legacyFiles?: Read<string[]>;
}

/** How many files of the legacy folder the warning names. */
const NAMED = 5;

async function filesIn(dsm: DsmApi, dir: string): Promise<string[]> {
    const [info] = await dsm.getInfo([dir]);
    if (!info?.isdir) return [];
    return (await dsm.list(dir)).filter((f) => !f.isdir).map((f) => f.name);
}

/** Reads only: the snapshots' shared folder and its permissions, and the legacy folder (when the boot share exists). */
export async function readSnapshotFolders(
    dsm: DsmApi,
    plan: SnapshotFolderPlan,
    bootShareExists: boolean,
): Promise<SnapshotFolderFacts> {
    const backupShare = await read(() => shareGet(dsm, plan.backupShare));
    const facts: SnapshotFolderFacts = { backupShare };
    if (backupShare.ok && backupShare.value)
        facts.backupAccess = await read(() => sharePermissionsGet(dsm, plan.backupShare));
    const legacy = plan.folders?.legacyDir;
    if (legacy && bootShareExists) facts.legacyFiles = await read(() => filesIn(dsm, legacy));
    return facts;
}

/** The reads a DSM refusal (105) may come from, for the not-an-administrator problem. */
export function snapshotReads(
    plan: SnapshotFolderPlan,
    facts: SnapshotFolderFacts,
): Array<[string, Read<unknown> | undefined]> {
    return [
        [`shared folder ${plan.backupShare}`, facts.backupShare],
        [`the permissions of shared folder ${plan.backupShare}`, facts.backupAccess],
        [plan.folders?.legacyDir ?? "the legacy snapshot folder", facts.legacyFiles],
    ];
}

const KEY = "homelab:backups.share";

/** Judge what was read (pure). A folder that does not exist yet is no problem here: it will be created. */
export function judgeSnapshotFolders(
    plan: SnapshotFolderPlan,
    facts: SnapshotFolderFacts,
    readFailure: ReadFailure,
): { problems: Problem[]; warnings: string[] } {
    const problems: Problem[] = [];
    const warnings: string[] = [];
    const share = plan.backupShare;
    if (facts.backupShare && !facts.backupShare.ok) readFailure(`shared folder ${share}`, facts.backupShare, KEY);
    const a = facts.backupAccess;
    if (a?.ok) {
        const access = shareAccess(a.value, plan.username);
        const found = accessProblems(share, plan.username, access);
        if (found.length > 0)
            problems.push({
                setting: KEY,
                problem: `shared folder "${share}", where the etcd snapshots go, is not fit for them: ${found.join("; ")}`,
                fix: accessFix(share, plan.username),
            });
        else if (access.user === "unknown")
            warnings.push(
                `could not tell whether the DSM user "${plan.username}" may write to shared folder "${share}" (it is not ` +
                    "among its local users' permissions); storing an etcd snapshot there will tell",
            );
    } else {
        readFailure(
            `the permissions of shared folder ${share}`,
            a,
            KEY,
            `could not check who may read shared folder ${share}, where the etcd snapshots go`,
        );
    }
    const l = facts.legacyFiles;
    if (l?.ok && l.value.length > 0 && plan.folders) {
        const { dir, legacyDir } = plan.folders;
        const names = [...l.value].sort();
        const listed =
            names.slice(0, NAMED).join(", ") + (names.length > NAMED ? `, and ${names.length - NAMED} more` : "");
        warnings.push(
            `etcd snapshots under the TFTP root: ${legacyDir} holds ${names.length} file${names.length === 1 ? "" : "s"} ` +
                `(${listed}), where earlier versions of this program stored the snapshots. TFTP has no password: any ` +
                "machine the NAS's TFTP service answers can read them by name. New snapshots go to " +
                `${dir} (homelab:backups.share); nothing was moved or deleted. Move them to ${dir} in File Station ` +
                "(there they count for backups.etcd.keep), or delete them; `npm run etcd-snapshot -- --list` shows both folders",
        );
    } else if (l && !l.ok) {
        readFailure(
            plan.folders?.legacyDir ?? "the legacy snapshot folder",
            l,
            KEY,
            "could not look for etcd snapshots left under the TFTP root",
        );
    }
    return { problems, warnings };
}
