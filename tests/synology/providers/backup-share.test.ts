/**
 * The etcd snapshots' shared folder (`homelab:backups.share`, components/synology/providers/backup-share.ts), as
 * policies, from the key through the inputs to the DSM simulator:
 * - missing: created on synology.volume with read/write for the DSM user and no access for guest, read back; when
 *   the NAS does not keep those permissions the error names the fields and the folder it had made goes again;
 * - there already: used as it is, wherever it lives, and never changed; refused, before any write, naming the fix,
 *   when guest could read it or the DSM user could not write to it;
 * - destroy deletes it only when the program created it and nothing is in it, and otherwise says what it kept;
 * - a second apply writes nothing.
 */
import { Checker } from "../../../components/checker";
import { parseBackups } from "../../../components/backups/config";
import {
    accessOf,
    accessProblems,
    BackupShareInputs,
    BackupShareOutputs,
    permissionEntry,
    shareAccess,
    SynologyBackupShare,
    unstuck,
    wantedPermissions,
} from "../../../components/synology/providers/backup-share";
import { synologyResourceInputs } from "../../../components/synology/pxe";
import { simShare } from "../../support/dsm-simulator";
import { applySynology, destroySynology, refreshAndDiff, upSynology } from "../../support/synology-engine";
import { Env, PASSWORD, spec, startEnv, writeCalls } from "./harness";

let env: Env;
afterEach(async () => {
    await env?.close();
});

const provider = () => SynologyBackupShare.providerWith(env.runtime);

/** The backup share's inputs for `homelab:backups` = `raw`, as index.ts hands them to SynologyPxe. */
function inputs(raw: unknown = undefined): BackupShareInputs {
    const c = new Checker();
    const backups = parseBackups(c, raw);
    expect(c.problems).toEqual([]);
    return {
        ...synologyResourceInputs(spec(env, { backupShare: backups.share })).backupShare,
        password: PASSWORD,
        desc: "etcd snapshots of the Talos cluster (managed by Pulumi)",
    };
}

const entry = permissionEntry;

describe("who may use it (pure)", () => {
    test("DSM's order: no access before read/write before read only, over the user's own and its groups'", () => {
        expect(accessOf(entry("a", { is_deny: true, inherit: "rw" }), "unknown")).toBe("none");
        expect(accessOf(entry("a", { inherit: "na" }), "unknown")).toBe("none");
        expect(accessOf(entry("a", { is_readonly: true, inherit: "rw" }), "unknown")).toBe("rw");
        expect(accessOf(entry("a", { is_readonly: true }), "unknown")).toBe("ro");
        expect(accessOf(entry("a", { inherit: "ro" }), "unknown")).toBe("ro");
        expect(accessOf(entry("a", { is_custom: true }), "unknown")).toBe("custom");
        expect(accessOf(entry("a", { inherit: "-" }), "unknown")).toBe("none");
        expect(accessOf(undefined, "unknown")).toBe("unknown");
    });

    test("the DSM user by name without case; guest not listed has no access", () => {
        expect(shareAccess([entry("Admin", { inherit: "rw" })], "admin")).toEqual({ user: "rw", guest: "none" });
        expect(shareAccess([entry("guest", { is_readonly: true })], "admin")).toEqual({ user: "unknown", guest: "ro" });
    });

    test("what is wrong is said in words, and nothing when all is well or not known", () => {
        expect(accessProblems("b", "admin", { user: "rw", guest: "none" })).toEqual([]);
        expect(accessProblems("b", "admin", { user: "unknown", guest: "none" })).toEqual([]);
        expect(accessProblems("b", "admin", { user: "ro", guest: "rw" })).toEqual([
            'guest may read and write shared folder "b", so anyone could read the etcd snapshots',
            'the DSM user "admin" may read shared folder "b", so it cannot store snapshots',
        ]);
    });

    test("what it writes, and the fields that did not stick", () => {
        const wanted = wantedPermissions("admin");
        expect(wanted).toEqual([entry("admin", { is_writable: true }), entry("guest", { is_deny: true })]);
        expect(unstuck(wanted, wanted)).toEqual([]);
        expect(unstuck(wanted, [entry("ADMIN", { is_writable: true })])).toEqual([
            { field: "guest.is_readonly", wanted: false, got: undefined },
            { field: "guest.is_writable", wanted: false, got: undefined },
            { field: "guest.is_deny", wanted: true, got: undefined },
        ]);
    });
});

describe("from the key to the NAS", () => {
    test("first apply makes talos-backups on synology.volume for the DSM user only; a second apply writes nothing", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        const s = spec(env); // backups.share's default, through the harness
        const state = await applySynology(s, PASSWORD);
        expect(sim.state.shares["talos-backups"]).toMatchObject({ name: "talos-backups", vol_path: "/volume1" });
        expect(sim.state.sharePermissions["talos-backups"]).toEqual({
            admin: { is_readonly: false, is_writable: true, is_deny: false, is_custom: false },
            guest: { is_readonly: false, is_writable: false, is_deny: true, is_custom: false },
        });
        expect(state.find((r) => r.key === "backupShare")!.outs).toMatchObject({
            name: "talos-backups",
            created: true,
            exists: true,
            volPath: "/volume1",
            access: { user: "rw", guest: "none" },
        });
        sim.resetCounters();
        const { diffs } = await refreshAndDiff(s, PASSWORD, state);
        expect(diffs.filter((d) => d.changes)).toEqual([]);
        expect(writeCalls(sim)).toEqual({});
        expect((await upSynology(s, PASSWORD, state)).actions.every((a) => a.action === "same")).toBe(true);
        expect(sim.counters.writes).toBe(0);
    });

    test("the key's own name reaches the NAS", async () => {
        env = await startEnv();
        const r = await provider().create(inputs({ share: "k8s-etcd" }));
        expect(r.id).toBe("k8s-etcd");
        expect(env.sim.state.shares["k8s-etcd"]).toBeDefined();
        expect(env.logs).toContain(
            "creating shared folder k8s-etcd on /volume1 for the etcd snapshots: read/write for admin, no access for guest",
        );
    });

    test("a folder of the user's, on another volume, is used as it is: no write, not created by the program", async () => {
        env = await startEnv({
            volumes: ["/volume1", "/volume2"],
            state: { shares: { "talos-backups": simShare("talos-backups", { vol_path: "/volume2" }) } },
        });
        const r = await provider().create(inputs());
        expect(r.outs).toMatchObject({ created: false, volPath: "/volume2", access: { user: "rw", guest: "none" } });
        expect(writeCalls(env.sim)).toEqual({});
        await provider().delete!("talos-backups", r.outs as BackupShareOutputs);
        expect(env.sim.state.shares["talos-backups"]).toBeDefined();
        expect(env.logs).toContain(
            "keeping shared folder talos-backups and the etcd snapshots in it: it was there before this program",
        );
    });

    test.each([
        [
            "guest may read it",
            { guest: { is_readonly: true, is_writable: false, is_deny: false, is_custom: false } },
            'guest may read shared folder "talos-backups", so anyone could read the etcd snapshots',
        ],
        [
            "the DSM user is denied",
            { admin: { is_readonly: false, is_writable: false, is_deny: true, is_custom: false } },
            'the DSM user "admin" has no access to shared folder "talos-backups", so it cannot store snapshots',
        ],
    ])("a folder that is there is refused when %s, naming the fix, and left unchanged", async (_what, perms, says) => {
        env = await startEnv({ state: { shares: { "talos-backups": simShare("talos-backups") } } });
        env.sim.state.sharePermissions["talos-backups"] = perms;
        await expect(provider().create(inputs())).rejects.toThrow(
            `shared folder talos-backups for the etcd snapshots: shared folder "talos-backups" (backups.share) is not fit for the etcd snapshots: ${says}. ` +
                'Fix: in DSM, Control Panel > Shared Folder > talos-backups > Edit > Permissions: guest "No access", admin "Read/Write"',
        );
        expect(env.sim.state.sharePermissions["talos-backups"]).toEqual(perms);
        expect(writeCalls(env.sim)).toEqual({});
    });

    test("permissions the NAS does not keep: an error naming the fields, and the folder it had just made goes again", async () => {
        env = await startEnv();
        env.sim.faults.ignoreWrites("SYNO.Core.Share.Permission.set", 1);
        const e = (await provider()
            .create(inputs())
            .catch((x: unknown) => x)) as Error;
        expect(e.message).toContain(
            "SYNO.Core.Share.Permission: after set, list returned different values for admin.is_writable (wanted true, got false); " +
                "guest.is_deny (wanted true, got false); the NAS may have ignored these fields. The shared folder " +
                "talos-backups it had just created was deleted again. Create it yourself in DSM (Control Panel > " +
                'Shared Folder > Create, named talos-backups; then Edit > Permissions: guest "No access", admin ' +
                '"Read/Write") and run again',
        );
        expect(env.sim.state.shares["talos-backups"]).toBeUndefined();
        expect([...env.sim.state.files.keys()]).toEqual([]);
    });
});

describe("destroy, and a folder gone or renamed", () => {
    test("deletes a folder it created when it is empty; keeps one holding snapshots and says so", async () => {
        env = await startEnv();
        const created = (await provider().create(inputs())).outs as BackupShareOutputs;
        env.sim.state.files.set("/talos-backups/etcd", { isdir: true, size: 0, md5: "", mtime: 0 });
        env.sim.putFile("/talos-backups/etcd/lab-20250101T000000Z-v1.12.0.db", Buffer.from("snapshot"));
        await provider().delete!("talos-backups", created);
        expect(env.sim.getFile("/talos-backups/etcd/lab-20250101T000000Z-v1.12.0.db")).toBeDefined();
        expect(env.logs.join("\n")).toContain(
            "keeping shared folder talos-backups although this program created it: it holds files the program does not " +
                "delete (/talos-backups/etcd/lab-20250101T000000Z-v1.12.0.db)",
        );
        env.sim.state.files.delete("/talos-backups/etcd/lab-20250101T000000Z-v1.12.0.db");
        await provider().delete!("talos-backups", created);
        expect(env.sim.state.shares["talos-backups"]).toBeUndefined();
        expect(env.sim.state.sharePermissions["talos-backups"]).toBeUndefined();
    });

    test("a folder deleted by hand is seen by refresh and made again by the next up", async () => {
        env = await startEnv();
        env.sim.state.dhcpServers.eth0.enable = true;
        const state = await applySynology(spec(env), PASSWORD);
        delete env.sim.state.shares["talos-backups"];
        env.sim.state.files.delete("/talos-backups");
        const up = await upSynology(spec(env), PASSWORD, state);
        expect(up.actions.filter((a) => a.action !== "same")).toEqual([{ key: "backupShare", action: "update" }]);
        expect(env.sim.state.shares["talos-backups"]).toBeDefined();
        expect(env.sim.state.sharePermissions["talos-backups"].guest.is_deny).toBe(true);
    });

    test("another name: the new folder is made, the old one goes only because the program made it and it is empty", async () => {
        env = await startEnv();
        env.sim.state.dhcpServers.eth0.enable = true;
        const state = await applySynology(spec(env), PASSWORD);
        const up = await upSynology(spec(env, { backupShare: "vault" }), PASSWORD, state);
        expect(up.actions.filter((a) => a.action !== "same")).toEqual([{ key: "backupShare", action: "replace" }]);
        expect(Object.keys(env.sim.state.shares).sort()).toEqual(["pxe", "vault"]);
        await destroySynology(up.state);
        expect(Object.keys(env.sim.state.shares)).toEqual([]);
    });
});
