/** The providers' pure parts: diffs, checks, write computation, redaction, the config → inputs mapping. */
import * as pulumi from "@pulumi/pulumi";
import {
    BootFileOutputs,
    checkBootFile,
    diffBootFile,
    SynologyBootFile,
} from "../../../components/synology/providers/bootfile";
import { checkConnection } from "../../../components/synology/kit/resource";
import { redactText, wrapError } from "../../../components/synology/kit/redact";
import { progressReporter } from "../../../components/synology/kit/upload";
import {
    dhcpServerChanges,
    DhcpServerOutputs,
    diffDhcpServer,
    prefixToNetmask,
} from "../../../components/synology/providers/dhcp";
import { diffPxe, PxeOutputs, pxeWrite, SynologyPxeSettings } from "../../../components/synology/providers/pxe";
import {
    checkReservations,
    diffReservations,
    ReservationsOutputs,
} from "../../../components/synology/providers/reservations";
import { checkShare, diffShare, ShareOutputs, SynologyShare } from "../../../components/synology/providers/share";
import {
    checkTftp,
    diffTftp,
    SynologyTftp,
    tftpChanges,
    TftpOutputs,
} from "../../../components/synology/providers/tftp";
import { connectionArgs } from "../../../components/synology/connection";
import { synologyResourceInputs } from "../../../components/synology/pxe";
import { dhcpConfig, synologyConfig } from "../../support/fixtures";

const conn = { connection: { url: "https://nas.invalid:5001", username: "admin" }, password: "pw" };

describe("share", () => {
    const wanted = { ...conn, name: "pxe", volume: "/volume1", desc: "d" };
    const olds: ShareOutputs = { ...wanted, created: true, exists: true, volPath: "/volume1" };
    test("no change → no diff; name/volume → replace; gone on the NAS → update", () => {
        expect(diffShare(olds, wanted)).toEqual({ changes: false });
        expect(diffShare(olds, { ...wanted, name: "tftp", volume: "/volume2" })).toEqual({
            changes: true,
            replaces: ["name", "volume"],
            deleteBeforeReplace: false,
        });
        expect(diffShare({ ...olds, exists: false }, wanted)).toEqual({ changes: true });
    });
    test("the provider adds what every DSM resource shares: a new password or connection → update", async () => {
        const p = SynologyShare.provider;
        expect(await p.diff!("pxe", olds, wanted)).toEqual({ changes: false });
        expect(await p.diff!("pxe", olds, { ...wanted, password: "new" })).toEqual({ changes: true });
        expect(
            await p.diff!("pxe", olds, { ...wanted, connection: { ...conn.connection, username: "other" } }),
        ).toEqual({ changes: true });
        expect(await p.diff!("pxe", olds, { ...wanted, name: "tftp" })).toMatchObject({
            changes: true,
            replaces: ["name"],
        });
    });
    test("check names the setting and the fix", () => {
        expect(checkShare({ ...conn, name: "a/b", volume: "volume1" }).map((f) => f.reason)).toEqual([
            expect.stringMatching(/^synology\.share "a\/b" must be 1–32 characters/),
            expect.stringMatching(/^synology\.volume "volume1" must look like \/volume1/),
        ]);
    });
});

describe("connection check", () => {
    test("rejects http without allowHttp, a URL with a path, and a missing password", () => {
        expect(
            checkConnection({ connection: { url: "http://nas:5000", username: "u" }, password: "x" })[0].reason,
        ).toMatch(/set synology\.allowHttp: true/);
        expect(
            checkConnection({ connection: { url: "https://nas:5001/", username: "u" }, password: "x" })[0].reason,
        ).toMatch(/without a path or trailing slash/);
        expect(checkConnection({ connection: { url: "https://nas:5001", username: "u" }, password: "" })[0]).toEqual({
            property: "password",
            reason: expect.stringMatching(/homelab:synologyPassword/),
        });
        expect(
            checkConnection({ connection: { url: "http://nas:5000", username: "u", allowHttp: true }, password: "x" }),
        ).toEqual([]);
    });
});

describe("tftp", () => {
    const actual = {
        enable: true,
        root_path: "/volume1/pxe",
        permission: "r",
        startip: "0.0.0.0",
        endip: "255.255.255.255",
    };
    const wanted = { ...conn, rootPath: "/volume1/pxe", permission: "r", startIp: "0.0.0.0", endIp: "255.255.255.255" };
    const olds = { ...wanted, previous: {}, actual } as unknown as TftpOutputs;
    test("drift in any managed field shows; equal means no diff", () => {
        expect(diffTftp(olds, wanted)).toEqual({ changes: false });
        expect(diffTftp({ ...olds, actual: { ...actual, enable: false } }, wanted)).toEqual({ changes: true });
        expect(diffTftp(olds, { ...wanted, permission: "rw" })).toEqual({ changes: true });
    });
    test("defaults (read-only, all clients) are filled in by check, the one place they are applied", async () => {
        const r = await SynologyTftp.provider.check!({}, { ...conn, rootPath: "/volume1/pxe" });
        expect(r).toEqual({ inputs: wanted, failures: [] });
        expect((await SynologyTftp.provider.check!({}, { ...wanted, permission: "rw" })).inputs).toMatchObject({
            permission: "rw",
        });
    });
    test("the partial set has exactly the fields that differ", () => {
        expect(
            tftpChanges(
                {
                    enable: false,
                    root_path: "",
                    permission: "r",
                    startip: "0.0.0.0",
                    endip: "255.255.255.255",
                    timeout: 3,
                },
                actual,
            ),
        ).toEqual({ enable: true, root_path: "/volume1/pxe" });
        expect(tftpChanges({ ...actual, timeout: 9 }, actual)).toBeUndefined();
    });
    test("check wants <volume>/<share>", () => {
        expect(checkTftp({ ...conn, rootPath: "pxe" })[0].reason).toMatch(/must be <volume>\/<share>/);
    });
});

describe("boot file", () => {
    const olds: BootFileOutputs = {
        ...conn,
        ukiUrl: "https://f/image/a/v1/metal-amd64-uki.efi",
        schematicId: "a",
        talosVersion: "v1",
        arch: "amd64",
        share: "pxe",
        fileName: "metal-amd64-uki.efi",
        path: "/pxe/metal-amd64-uki.efi",
        size: 10,
        md5: "m",
        present: true,
        actualSize: 10,
        actualMd5: "m",
    };
    const news = { ...olds } as Partial<BootFileOutputs>;
    for (const k of ["path", "size", "md5", "present", "actualSize", "actualMd5"] as const) delete news[k];
    test("schematic, version or arch change → replace (create before delete)", () => {
        expect(diffBootFile(olds, { ...olds, schematicId: "b", talosVersion: "v2" })).toEqual({
            changes: true,
            replaces: ["schematicId", "talosVersion"],
            deleteBeforeReplace: false,
        });
        expect(diffBootFile(olds, { ...olds, arch: "arm64", fileName: "metal-arm64-uki.efi" }).replaces).toEqual([
            "arch",
            "fileName",
        ]);
    });
    test("nothing changed → no diff; file missing, other size or other MD5 on the NAS → update", () => {
        expect(diffBootFile(olds, news as BootFileOutputs)).toEqual({ changes: false });
        expect(diffBootFile({ ...olds, present: false }, news as BootFileOutputs)).toEqual({ changes: true });
        expect(diffBootFile({ ...olds, actualSize: 11 }, news as BootFileOutputs)).toEqual({ changes: true });
        expect(diffBootFile({ ...olds, actualMd5: "x" }, news as BootFileOutputs)).toEqual({ changes: true });
    });
    test("check rejects a non-URL and a path as file name", () => {
        expect(checkBootFile({ ...news, ukiUrl: "factory", fileName: "../x" }).map((f) => f.property)).toEqual([
            "ukiUrl",
            "fileName",
        ]);
    });
    test("progress: one message per 10 %, with bytes and percent", () => {
        const lines: string[] = [];
        const report = progressReporter("up", 1000, (m) => lines.push(m));
        for (let b = 0; b <= 1000; b += 7) report(b); // 7-byte steps: 10 % first reached at 105
        report(1000);
        expect(lines).toHaveLength(10);
        expect(lines[0]).toBe("up: 105 of 1000 bytes (10%)");
        expect(lines[1]).toBe("up: 203 of 1000 bytes (20%)");
        expect(lines[9]).toBe("up: 1000 of 1000 bytes (100%)");
    });
});

describe("pxe", () => {
    const current = {
        enable: false,
        is_remote_tftp: "true",
        local_bootloader: "",
        remote_bootloader: "pxelinux.0",
        remote_tftp_server_ip: "10.0.0.3",
    };
    test("writes the whole object back with is_remote_tftp in DSM's own encoding", () => {
        expect(pxeWrite(current, { enable: true, remoteTftp: false, localBootloader: "boot.efi" })).toEqual({
            ...current,
            enable: true,
            is_remote_tftp: "false",
            local_bootloader: "boot.efi",
        });
        expect(
            pxeWrite({ ...current, is_remote_tftp: "1" }, { enable: true, remoteTftp: false, localBootloader: "b" })!
                .is_remote_tftp,
        ).toBe("0");
        expect(
            pxeWrite({ ...current, is_remote_tftp: 1 }, { enable: true, remoteTftp: false, localBootloader: "b" })!
                .is_remote_tftp,
        ).toBe(0);
        expect(
            pxeWrite(
                { ...current, enable: true, is_remote_tftp: "false", local_bootloader: "b" },
                { enable: true, remoteTftp: false, localBootloader: "b" },
            ),
        ).toBeUndefined();
    });
    test("diff compares what was read with what is wanted", () => {
        const olds = {
            ...conn,
            bootloader: "b",
            previous: current,
            actual: { enable: true, remoteTftp: false, localBootloader: "b" },
        } as PxeOutputs;
        expect(diffPxe(olds, { ...conn, bootloader: "b" })).toEqual({ changes: false });
        expect(
            diffPxe(
                { ...olds, actual: { ...olds.actual, localBootloader: "pxelinux.0" } },
                { ...conn, bootloader: "b" },
            ),
        ).toEqual({ changes: true });
    });
});

describe("reservations", () => {
    const e1 = { mac: "aa:bb:cc:00:00:01", ip: "10.0.0.1", hostname: "a" };
    const olds: ReservationsOutputs = {
        ...conn,
        ifname: "eth0",
        entries: [e1],
        managed: [e1],
        adopted: [],
        actual: [e1],
    };
    test("no change → none; entry changed on the NAS → update; interface → replace", () => {
        expect(diffReservations(olds, { ...conn, ifname: "eth0", entries: [e1] })).toEqual({ changes: false });
        expect(diffReservations({ ...olds, actual: [] }, { ...conn, ifname: "eth0", entries: [e1] })).toEqual({
            changes: true,
        });
        expect(diffReservations(olds, { ...conn, ifname: "eth0", entries: [{ ...e1, ip: "10.0.0.2" }] })).toEqual({
            changes: true,
        });
        expect(diffReservations(olds, { ...conn, ifname: "bond0", entries: [e1] }).replaces).toEqual(["ifname"]);
    });
    test("check reports duplicates before any remote call", () => {
        expect(
            checkReservations({ ...conn, ifname: "eth0", entries: [e1, { ...e1, hostname: "b", ip: "10.0.0.9" }] }).map(
                (f) => f.reason,
            ),
        ).toEqual([expect.stringMatching(/^entry 1 \(b\): mac aa:bb:cc:00:00:01 is listed twice$/)]);
        expect(checkReservations({ ...conn, ifname: "eth 0", entries: [e1] }).map((f) => f.property)).toEqual([
            "ifname",
        ]);
    });
});

describe("dhcp server", () => {
    const settings = {
        subnet: "10.1.0.0/16",
        rangeStart: "10.1.0.50",
        rangeEnd: "10.1.0.90",
        gateway: "10.1.0.1",
        dns: ["10.1.0.2", "1.1.1.1"],
        leaseTime: 3600,
        domain: "lab",
    };
    test("netmask from the prefix", () => {
        expect(prefixToNetmask("10.0.0.0/8")).toBe("255.0.0.0");
        expect(prefixToNetmask("192.168.1.0/27")).toBe("255.255.255.224");
        expect(prefixToNetmask("0.0.0.0/0")).toBe("0.0.0.0");
        expect(() => prefixToNetmask("10.0.0.0/33")).toThrow(
            /"10\.0\.0\.0\/33" has no prefix from \/0 to \/32 \(parseStackConfig checks dhcp\.subnet\)/,
        );
    });
    test("changes only known keys; DNS as the object's type; domain/lease only where a key exists", () => {
        expect(dhcpServerChanges({ enable: false, dns: "" }, settings)).toEqual({
            changes: {
                enable: true,
                startip: "10.1.0.50",
                endip: "10.1.0.90",
                gateway: "10.1.0.1",
                netmask: "255.255.0.0",
                dns: "10.1.0.2,1.1.1.1",
            },
            skipped: ["domain", "leaseTime"],
        });
        const r = dhcpServerChanges({ enable: 0, dns: [], domain_name: "", lease_time: "86400" }, settings);
        expect(r.changes).toMatchObject({ dns: ["10.1.0.2", "1.1.1.1"], domain_name: "lab", lease_time: "3600" });
        expect(r.skipped).toEqual([]);
    });
    test("check-only mode: a diff only when the server was seen disabled", () => {
        const olds = { ...conn, ifname: "eth0", manage: false, settings, enabled: true } as DhcpServerOutputs;
        expect(diffDhcpServer(olds, { ...conn, ifname: "eth0", manage: false, settings })).toEqual({ changes: false });
        expect(
            diffDhcpServer({ ...olds, enabled: false }, { ...conn, ifname: "eth0", manage: false, settings }),
        ).toEqual({ changes: true });
        expect(diffDhcpServer(olds, { ...conn, ifname: "eth0", manage: true, settings }).replaces).toEqual(["manage"]);
    });
});

describe("preview: inputs not known yet", () => {
    const U = pulumi.runtime.unknownValue;
    test("check leaves unknown values alone (they are checked once known) but still reports known bad ones", async () => {
        const bootFileProvider = SynologyBootFile.provider;
        const pxeProvider = SynologyPxeSettings.provider;
        const r = await bootFileProvider.check!(
            {},
            { ...conn, ukiUrl: U, schematicId: U, talosVersion: U, arch: "amd64", share: "pxe", fileName: "../bad" },
        );
        expect(r.failures!.map((f) => f.property)).toEqual(["fileName"]);
        expect((await pxeProvider.check!({}, { ...conn, bootloader: U })).failures).toEqual([]);
        expect((await pxeProvider.check!({}, { ...conn, bootloader: "a b" })).failures!.map((f) => f.property)).toEqual(
            ["bootloader"],
        );
    });
});

describe("redaction", () => {
    test("removes the password, also URL-encoded, and keeps nothing of the original error object", () => {
        expect(redactText("login pw=a&b% failed (a%26b%25)", ["a&b%"])).toBe("login pw=[redacted] failed ([redacted])");
        const original = Object.assign(new Error("bad a&b%"), { config: { data: "a&b%" } });
        const e = wrapError("TFTP", original, ["a&b%"]);
        expect(e.message).toBe("TFTP: bad [redacted]");
        expect(JSON.stringify(Object.entries(e))).not.toContain("a&b%");
    });
});

describe("config → inputs", () => {
    test("connection carries only what is set; TFTP root is <volume>/<share>; reservations nodes then extra", () => {
        expect(connectionArgs(synologyConfig({ url: "https://n:5001", username: "u" }))).toEqual({
            url: "https://n:5001",
            username: "u",
            allowHttp: false,
        });
        const i = synologyResourceInputs({
            synology: synologyConfig({
                url: "https://n:5001",
                username: "u",
                volume: "/volume2",
                share: "boot",
                interface: "bond0",
                tls: { insecureSkipVerify: true },
                deviceId: "d",
            }),
            dhcp: dhcpConfig({
                subnet: "10.0.0.0/24",
                rangeStart: "10.0.0.100",
                rangeEnd: "10.0.0.200",
                gateway: "10.0.0.1",
                dns: ["10.0.0.1"],
                leaseTime: 600,
                extraReservations: [{ mac: "52:54:00:6e:61:01", ip: "10.0.0.99", hostname: "x" }],
                manageServer: true,
            }),
            nodes: [{ hostname: "cp1", mac: "AA-BB-CC-00-00-01", ip: "10.0.0.11" }],
            image: {
                ukiUrl: "https://f/u",
                ukiFileName: "metal-arm64-uki.efi",
                schematicId: "s",
                talosVersion: "v1.12.1",
                arch: "arm64",
            },
            backupShare: "vault",
        });
        expect(i.tftp.rootPath).toBe("/volume2/boot");
        // The snapshots' folder: its own name, created (when missing) on the boot share's volume.
        expect(i.backupShare).toEqual({ connection: i.share.connection, name: "vault", volume: "/volume2" });
        expect(i.share.connection).toEqual({
            url: "https://n:5001",
            username: "u",
            allowHttp: false,
            tls: { insecureSkipVerify: true },
            deviceId: "d",
        });
        expect(i.reservations.entries).toEqual([
            { mac: "aa:bb:cc:00:00:01", ip: "10.0.0.11", hostname: "cp1" },
            { mac: "52:54:00:6e:61:01", ip: "10.0.0.99", hostname: "x" },
        ]);
        expect(i.pxe.bootloader).toBe("metal-arm64-uki.efi");
        expect(i.dhcp).toMatchObject({ ifname: "bond0", manage: true, settings: { leaseTime: 600 } });
        expect(JSON.stringify(i)).not.toMatch(/password/);
    });
});
