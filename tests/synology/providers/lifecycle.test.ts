/**
 * The DSM resources driven the engine's way (check → create; read → diff → update; delete) against the
 * DSM simulator and the local Image Factory, over real HTTP.
 */
import {
    applySynology,
    destroySynology,
    refreshAndDiff,
    StoredResource,
    upSynology,
} from "../../support/synology-engine";
import { expectedAssetDigest } from "../../support/factory-server";
import { dhcpConfig, Env, NODES, PASSWORD, snapshot, spec, startEnv, writeCalls } from "./harness";
import { simShare } from "../../support/dsm-simulator";
import { apiName } from "../../../components/synology/dsm/apis";
import { NAS_APIS } from "../../../components/synology/pxe";

let env: Env;
afterEach(async () => {
    await env?.close();
});

function outsOf(state: StoredResource[], key: StoredResource["key"]): Record<string, unknown> {
    return state.find((s) => s.key === key)!.outs;
}

describe("first apply from an empty NAS", () => {
    test("makes exactly the expected changes, and a second apply makes no writes and downloads nothing", async () => {
        env = await startEnv();
        const { sim, factory } = env;
        sim.state.dhcpServers.eth0.enable = true; // check-only mode needs the server on
        const s = spec(env);
        const size = factory.assetSize(env.schematicId, "v1.12.1", "metal-amd64-uki.efi");

        const state = await applySynology(s, PASSWORD);

        expect(sim.counters.logins).toBe(1); // one session shared by all the providers
        expect(sim.state.shares.pxe).toMatchObject({ name: "pxe", vol_path: "/volume1" });
        expect(sim.state.tftp).toEqual({
            enable: true,
            root_path: "/volume1/pxe",
            permission: "r",
            enable_log: false,
            startip: "0.0.0.0",
            endip: "255.255.255.255",
            timeout: 3,
        });
        const file = sim.getFile("/pxe/metal-amd64-uki.efi");
        expect(file).toBeDefined();
        expect(file!.size).toBe(size);
        expect(file!.md5).toBe(expectedAssetDigest(env.schematicId, "v1.12.1", "metal-amd64-uki.efi", size));
        expect([...sim.state.files.keys()].sort()).toEqual(["/pxe", "/pxe/metal-amd64-uki.efi", "/talos-backups"]); // no temp file left
        expect(sim.state.reservations.eth0).toEqual(
            NODES.map((n) => ({ clid: n.mac.toUpperCase(), ip: n.ip, hostname: n.hostname })),
        );
        expect(sim.state.pxe).toEqual({
            enable: true,
            is_remote_tftp: "false",
            local_bootloader: "metal-amd64-uki.efi",
            remote_bootloader: "",
            remote_tftp_server_ip: "",
        });
        expect(writeCalls(sim)).toEqual({
            "SYNO.Core.Share.create": 2, // the boot share, and the etcd snapshots' one
            "SYNO.Core.Share.Permission.set": 1,
            "SYNO.Core.TFTP.set": 1,
            "SYNO.FileStation.Upload.upload": 1,
            "SYNO.FileStation.Rename.rename": 1,
            "SYNO.Network.DHCPServer.Reservation.set": 1,
            "SYNO.Network.DHCPServer.PXE.set": 1,
        });
        expect(outsOf(state, "bootFile")).toMatchObject({ size, md5: file!.md5, path: "/pxe/metal-amd64-uki.efi" });
        expect(outsOf(state, "share")).toMatchObject({ created: true });
        expect(env.logs.some((l) => /uploading metal-amd64-uki\.efi: \d+ of \d+ bytes \(100%\)/.test(l))).toBe(true);

        // Second apply: read + diff, nothing changed.
        sim.resetCounters();
        const servedBefore = factory.bytesServed;
        const { diffs } = await refreshAndDiff(s, PASSWORD, state);
        expect(diffs.filter((d) => d.changes)).toEqual([]);
        expect(sim.counters.writes).toBe(0);
        expect(writeCalls(sim)).toEqual({});
        expect(factory.bytesServed).toBe(servedBefore);
        expect(factory.calls.imageGet).toBe(1);
        const up = await upSynology(s, PASSWORD, state);
        expect(up.actions.every((a) => a.action === "same")).toBe(true);
        expect(sim.counters.writes).toBe(0);
    });
});

describe("reservations follow the nodes", () => {
    test("one node's IP change updates only its reservation; removing a node removes only its reservation", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        const theirs = [{ clid: "00:11:22:33:44:55", ip: "192.168.0.50", hostname: "printer" }];
        sim.state.reservations.eth0 = [...theirs];
        let state = await applySynology(spec(env), PASSWORD);

        sim.resetCounters();
        const moved = NODES.map((n) => (n.hostname === "cp2" ? { ...n, ip: "192.168.0.13" } : n));
        let up = await upSynology(spec(env, { nodes: moved }), PASSWORD, state);
        state = up.state;
        expect(up.actions.filter((a) => a.action !== "same")).toEqual([{ key: "reservations", action: "update" }]);
        expect(writeCalls(sim)).toEqual({ "SYNO.Network.DHCPServer.Reservation.set": 1 });
        expect(sim.state.reservations.eth0).toEqual([
            theirs[0],
            { clid: "AA:BB:CC:00:00:01", ip: "192.168.0.11", hostname: "cp1" },
            { clid: "AA:BB:CC:00:00:02", ip: "192.168.0.13", hostname: "cp2" },
            { clid: "AA:BB:CC:00:00:03", ip: "192.168.0.21", hostname: "w1" },
        ]);

        sim.resetCounters();
        up = await upSynology(spec(env, { nodes: moved.filter((n) => n.hostname !== "w1") }), PASSWORD, state);
        expect(up.actions.filter((a) => a.action !== "same")).toEqual([{ key: "reservations", action: "update" }]);
        expect(writeCalls(sim)).toEqual({ "SYNO.Network.DHCPServer.Reservation.set": 1 });
        expect(sim.state.reservations.eth0).toEqual([
            theirs[0],
            { clid: "AA:BB:CC:00:00:01", ip: "192.168.0.11", hostname: "cp1" },
            { clid: "AA:BB:CC:00:00:02", ip: "192.168.0.13", hostname: "cp2" },
        ]);
        expect(outsOf(up.state, "reservations").managed).toEqual([
            { mac: "aa:bb:cc:00:00:01", ip: "192.168.0.11", hostname: "cp1" },
            { mac: "aa:bb:cc:00:00:02", ip: "192.168.0.13", hostname: "cp2" },
        ]);
    });

    test("a MAC or IP reserved for a different device is a clear error and nothing is overwritten", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        sim.state.reservations.eth0 = [{ clid: "00:11:22:33:44:55", ip: "192.168.0.12", hostname: "printer" }];
        const before = JSON.stringify(sim.state.reservations);
        await expect(applySynology(spec(env), PASSWORD)).rejects.toThrow(
            /DHCP reservations on eth0: .*IP 192\.168\.0\.12 is already reserved for another device, 00:11:22:33:44:55 → 192\.168\.0\.12 \(printer\); this program wants aa:bb:cc:00:00:02 → 192\.168\.0\.12 \(cp2\)/s,
        );
        expect(JSON.stringify(sim.state.reservations)).toBe(before);
        expect(sim.counters.calls["SYNO.Network.DHCPServer.Reservation.set"] ?? 0).toBe(0);
    });
});

describe("a NAS with settings of its own", () => {
    test("after create and destroy everything that was there before is back, byte for byte", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.shares.pxe = {
            name: "pxe",
            vol_path: "/volume1",
            desc: "mine",
            uuid: "u-1",
            hidden: false,
            enable_recycle_bin: true,
        };
        sim.putFile("/pxe", { size: 0, md5: "" });
        sim.state.files.get("/pxe")!.isdir = true;
        sim.putFile("/pxe/readme.txt", Buffer.from("hello"));
        sim.state.shares.other = simShare("other", { uuid: "u-2" });
        sim.state.tftp = {
            enable: true,
            root_path: "/volume1/other",
            permission: "rw",
            enable_log: true,
            startip: "192.168.0.2",
            endip: "192.168.0.9",
            timeout: 7,
        };
        sim.state.reservations.eth0 = [
            { clid: "00:11:22:33:44:55", ip: "192.168.0.50", hostname: "printer" },
            { clid: "AA:BB:CC:00:00:01", ip: "192.168.0.11", hostname: "handmade-cp1" },
        ];
        sim.state.pxe = {
            enable: true,
            is_remote_tftp: "true",
            local_bootloader: "",
            remote_bootloader: "pxelinux.0",
            remote_tftp_server_ip: "192.168.0.3",
        };
        sim.state.dhcpServers.eth0.enable = true;
        const before = snapshot(sim);

        const state = await applySynology(
            spec(env, {
                dhcp: dhcpConfig({
                    extraReservations: [{ mac: "52:54:00:6e:61:01", ip: "192.168.0.99", hostname: "extra" }],
                }),
            }),
            PASSWORD,
        );
        expect(outsOf(state, "share")).toMatchObject({ created: false });
        expect(sim.state.tftp).toMatchObject({
            enable: true,
            root_path: "/volume1/pxe",
            permission: "r",
            startip: "0.0.0.0",
            endip: "255.255.255.255",
            enable_log: true,
            timeout: 7,
        });
        expect(sim.state.pxe).toMatchObject({
            enable: true,
            is_remote_tftp: "false",
            local_bootloader: "metal-amd64-uki.efi",
        });
        expect(sim.state.reservations.eth0.map((r) => r.hostname)).toEqual(["printer", "cp1", "cp2", "w1", "extra"]);

        await destroySynology(state);
        expect(snapshot(sim)).toEqual(before);
        expect(sim.state.shares.pxe).toBeDefined();
    });

    test("a boot file of the user's own under the same name is kept aside on create and put back on destroy", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        sim.state.shares.pxe = simShare("pxe", { desc: "mine", uuid: "u-1" });
        sim.putFile("/pxe", { size: 0, md5: "" });
        sim.state.files.get("/pxe")!.isdir = true;
        sim.putFile("/pxe/metal-amd64-uki.efi", Buffer.from("the user's hand-uploaded boot file"));
        sim.state.pxe = {
            enable: true,
            is_remote_tftp: "false",
            local_bootloader: "metal-amd64-uki.efi",
            remote_bootloader: "",
            remote_tftp_server_ip: "",
        };
        const before = snapshot(sim);

        let state = await applySynology(spec(env), PASSWORD);
        const ours = sim.getFile("/pxe/metal-amd64-uki.efi")!;
        expect(ours.md5).toBe(expectedAssetDigest(env.schematicId, "v1.12.1", "metal-amd64-uki.efi", ours.size));
        // A replacement (new Talos version) must neither lose the user's file nor keep the old image around.
        state = (await upSynology(spec(env, {}, "v1.12.0"), PASSWORD, state)).state;
        expect([...sim.state.files.keys()].sort()).toEqual([
            "/pxe",
            "/pxe/metal-amd64-uki.efi",
            "/pxe/metal-amd64-uki.efi.before-homelab",
            "/talos-backups",
        ]);

        await destroySynology(state);
        expect(snapshot(sim)).toEqual(before);
    });

    test("a replaced boot file leaves no copy of the old image behind, through destroy", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        const before = snapshot(sim);
        let state = await applySynology(spec(env), PASSWORD);
        state = (await upSynology(spec(env, {}, "v1.12.0"), PASSWORD, state)).state;
        expect([...sim.state.files.keys()].sort()).toEqual(["/pxe", "/pxe/metal-amd64-uki.efi", "/talos-backups"]);
        await destroySynology(state);
        expect(snapshot(sim)).toEqual(before);
    });

    test("destroy deletes the shared folder only when this program created it", async () => {
        env = await startEnv();
        env.sim.state.dhcpServers.eth0.enable = true;
        const before = snapshot(env.sim);
        const state = await applySynology(spec(env), PASSWORD);
        expect(env.sim.state.shares.pxe).toBeDefined();
        await destroySynology(state);
        expect(env.sim.state.shares.pxe).toBeUndefined();
        expect(snapshot(env.sim)).toEqual(before);
    });

    test("destroy keeps a shared folder it created while files it does not delete are in it (etcd snapshots), and names them", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        const state = await applySynology(spec(env), PASSWORD);
        const dir = (path: string) => sim.state.files.set(path, { isdir: true, size: 0, md5: "", mtime: 1 });
        dir("/pxe/backups");
        dir("/pxe/backups/etcd");
        dir("/pxe/#recycle");
        sim.state.files.set("/pxe/backups/etcd/homelab-20260101T000000Z-v1.12.1.db", {
            isdir: false,
            size: 3,
            md5: "0".repeat(32),
            mtime: 1,
        });
        await destroySynology(state);
        expect(sim.state.shares.pxe).toBeDefined();
        expect(sim.state.files.has("/pxe/backups/etcd/homelab-20260101T000000Z-v1.12.1.db")).toBe(true);
        expect(sim.state.files.has("/pxe/metal-amd64-uki.efi")).toBe(false); // the program's own file went
        expect(env.logs.join("\n")).toMatch(
            /keeping shared folder pxe although this program created it: it holds files the program does not delete \(\/pxe\/backups\/etcd\/homelab-20260101T000000Z-v1\.12\.1\.db\)/,
        );
    });

    test("a shared folder it created with only empty folders (and DSM's own) left in it is deleted", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        const before = snapshot(sim);
        const state = await applySynology(spec(env), PASSWORD);
        for (const d of ["/pxe/backups", "/pxe/backups/etcd", "/pxe/@eaDir"]) {
            sim.state.files.set(d, { isdir: true, size: 0, md5: "", mtime: 1 });
        }
        sim.state.files.set("/pxe/@eaDir/thumb", { isdir: false, size: 1, md5: "0".repeat(32), mtime: 1 });
        await destroySynology(state);
        expect(sim.state.shares.pxe).toBeUndefined();
        expect(snapshot(sim)).toEqual(before);
    });
});

describe("DHCP server", () => {
    test("check-only mode fails with how to enable the server, before touching reservations or PXE", async () => {
        env = await startEnv();
        await expect(applySynology(spec(env), PASSWORD)).rejects.toThrow(
            /DHCP server is not enabled on eth0\. Enable it in DSM: .*DHCP Server → Network Interface, select eth0, Edit, tick "Enable DHCP server".*dhcp\.manageServer: true/s,
        );
        expect(env.sim.counters.calls["SYNO.Network.DHCPServer.Reservation.set"] ?? 0).toBe(0);
        expect(env.sim.counters.calls["SYNO.Network.DHCPServer.PXE.set"] ?? 0).toBe(0);
    });

    test("managed mode sets enable, range, gateway, netmask and DNS, keeps the rest, and restores it on delete", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0 = { ...sim.state.dhcpServers.eth0, desc: "keep me", enable_v6: true };
        const before = snapshot(sim);
        const s = spec(env, {
            dhcp: dhcpConfig({
                manageServer: true,
                subnet: "10.1.0.0/16",
                rangeStart: "10.1.0.50",
                rangeEnd: "10.1.0.90",
                gateway: "10.1.0.1",
                dns: ["10.1.0.2", "1.1.1.1"],
            }),
        });
        s.nodes = [{ hostname: "cp1", mac: "aa:bb:cc:00:00:01", ip: "10.1.0.11" }];
        const state = await applySynology(s, PASSWORD);
        expect(sim.state.dhcpServers.eth0).toEqual({
            enable: true,
            enable_v6: true,
            startip: "10.1.0.50",
            endip: "10.1.0.90",
            netmask: "255.255.0.0",
            gateway: "10.1.0.1",
            dns: "10.1.0.2,1.1.1.1",
            desc: "keep me",
            bootloader: "",
        });
        expect(outsOf(state, "dhcp").skipped).toEqual(["leaseTime"]);
        // The write reads the server object once and merges once: one read before it, one read back after it.
        expect(sim.counters.calls["SYNO.Network.DHCPServer.get"]).toBe(2);
        sim.resetCounters();
        const { diffs } = await refreshAndDiff(s, PASSWORD, state);
        expect(diffs.find((d) => d.key === "dhcp")!.changes).toBe(false);
        expect(sim.counters.writes).toBe(0);

        sim.state.dhcpServers.eth0.gateway = "10.1.0.254"; // changed by hand
        const drift = await refreshAndDiff(s, PASSWORD, state);
        expect(drift.diffs.find((d) => d.key === "dhcp")!.changes).toBe(true);

        await destroySynology(state);
        expect(snapshot(sim)).toEqual({
            ...(before as object),
            dhcpServers: (snapshot(sim) as { dhcpServers: unknown }).dhcpServers,
        });
        expect(sim.state.dhcpServers.eth0).toEqual(
            (before as { dhcpServers: Record<string, unknown> }).dhcpServers.eth0,
        );
    });
});

describe("the DSM APIs the resources call", () => {
    test("are all declared (NAS_APIS: what the doctor and the pre-flight check), written ones with a write version", async () => {
        env = await startEnv();
        const { sim } = env;
        const s = spec(env, { dhcp: dhcpConfig({ manageServer: true }) });
        const state = await applySynology(s, PASSWORD);
        await refreshAndDiff(s, PASSWORD, state);
        await destroySynology(state);
        const declared = new Map(NAS_APIS.map((u) => [apiName(u, "SYNO.Network.DHCPServer"), u]));
        const called = Object.keys(sim.counters.calls).map((k) => ({
            api: k.slice(0, k.lastIndexOf(".")),
            method: k.slice(k.lastIndexOf(".") + 1),
        }));
        expect(called.length).toBeGreaterThan(10);
        const undeclared = called.filter((c) => c.api !== "SYNO.API.Info" && !declared.has(c.api));
        expect(undeclared).toEqual([]);
        const writes = called.filter((c) => ["set", "create", "delete", "rename", "upload"].includes(c.method));
        expect(writes.map((c) => c.api)).toContain("SYNO.Network.DHCPServer");
        expect(writes.filter((c) => declared.get(c.api)?.write === undefined)).toEqual([]);
        // Every value they sent a requestFormat JSON API is JSON: DSM would take a raw one as a plain string.
        expect(sim.notJsonEncoded()).toEqual([]);
    });
});

describe("drift", () => {
    test("a boot file changed or deleted by hand, and PXE changed by hand, show in read/diff and are repaired", async () => {
        env = await startEnv();
        const { sim, factory } = env;
        sim.state.dhcpServers.eth0.enable = true;
        const s = spec(env);
        let state = await applySynology(s, PASSWORD);
        const good = sim.getFile("/pxe/metal-amd64-uki.efi")!;

        sim.putFile("/pxe/metal-amd64-uki.efi", Buffer.alloc(good.size, 7)); // same size, other content
        sim.state.pxe.local_bootloader = "pxelinux.0";
        const r = await refreshAndDiff(s, PASSWORD, state);
        expect(r.diffs.filter((d) => d.changes).map((d) => d.key)).toEqual(["bootFile", "pxe"]);
        expect(outsOf(r.state, "bootFile")).toMatchObject({ present: true, actualSize: good.size });
        expect(outsOf(r.state, "bootFile").actualMd5).not.toBe(good.md5);
        expect(outsOf(r.state, "pxe").actual).toEqual({
            enable: true,
            remoteTftp: false,
            localBootloader: "pxelinux.0",
        });

        const up = await upSynology(s, PASSWORD, state);
        state = up.state;
        expect(up.actions.filter((a) => a.action !== "same")).toEqual([
            { key: "bootFile", action: "update" },
            { key: "pxe", action: "update" },
        ]);
        expect(sim.getFile("/pxe/metal-amd64-uki.efi")!.md5).toBe(good.md5);
        expect(sim.state.pxe.local_bootloader).toBe("metal-amd64-uki.efi");

        sim.state.files.delete("/pxe/metal-amd64-uki.efi");
        const gets = factory.calls.imageGet;
        const r2 = await refreshAndDiff(s, PASSWORD, state);
        expect(outsOf(r2.state, "bootFile")).toMatchObject({ present: false });
        expect(r2.diffs.find((d) => d.key === "bootFile")!.changes).toBe(true);
        expect(factory.calls.imageGet).toBe(gets);
    });

    test("a new Talos version replaces the boot file: new bytes in place, old resource's delete leaves them", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        const state = await applySynology(spec(env), PASSWORD);
        const old = sim.getFile("/pxe/metal-amd64-uki.efi")!.md5;
        const up = await upSynology(spec(env, {}, "v1.12.0"), PASSWORD, state);
        expect(up.actions.filter((a) => a.action !== "same")).toEqual([{ key: "bootFile", action: "replace" }]);
        const now = sim.getFile("/pxe/metal-amd64-uki.efi")!;
        expect(now.md5).not.toBe(old);
        expect(now.md5).toBe(expectedAssetDigest(env.schematicId, "v1.12.0", "metal-amd64-uki.efi", now.size));
        expect([...sim.state.files.keys()].sort()).toEqual(["/pxe", "/pxe/metal-amd64-uki.efi", "/talos-backups"]);
    });
});

describe("secrets", () => {
    test("password, sid and SynoToken appear in no output (except the secret-marked password), no log line, no error", async () => {
        env = await startEnv();
        const { sim } = env;
        sim.state.dhcpServers.eth0.enable = true;
        const state = await applySynology(spec(env), PASSWORD);
        await refreshAndDiff(spec(env), PASSWORD, state);
        const sessionSecrets = new Set<string>();
        for (const r of sim.requests) {
            for (const k of ["_sid", "SynoToken"]) {
                if (r.params[k]) sessionSecrets.add(r.params[k]);
            }
            const h = r.headers["x-syno-token"];
            if (typeof h === "string" && h) sessionSecrets.add(h);
        }
        expect(sessionSecrets.size).toBeGreaterThan(0);
        for (const s of state) {
            expect(s.outs.password).toBe(PASSWORD);
            const rest = JSON.stringify({ ...s.outs, password: undefined });
            expect(rest).not.toContain(PASSWORD);
            for (const secret of sessionSecrets) expect(rest).not.toContain(secret);
            expect(Object.keys(s.outs)).not.toContain("__inputs");
        }
        const logText = env.logs.join("\n");
        expect(logText).not.toContain(PASSWORD);
        for (const secret of sessionSecrets) expect(logText).not.toContain(secret);

        // An error raised mid-way (the NAS answering 503 past every retry) carries none of them either.
        sim.faults.busy("SYNO.Core.TFTP.get", 50, "http503");
        const err = await refreshAndDiff(spec(env), PASSWORD, state).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err).toBeInstanceOf(Error);
        expect(err!.message).toMatch(/^reading TFTP settings: /);
        expect(err!.message).not.toContain(PASSWORD);
        for (const secret of sessionSecrets) expect(err!.message).not.toContain(secret);
    });
});
