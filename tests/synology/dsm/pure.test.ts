import * as util from "util";
import { DsmError, DsmShapeError, meaningOf, redact, isDsmError } from "../../../components/synology/dsm/errors";
import { canonicalMac } from "../../../components/net";
import {
    toBool,
    encodePxe,
    encodeLike,
    mergeDhcpServer,
    decodeReservations,
    decodeTftp,
    sameValue,
} from "../../../components/synology/dsm/shapes";
import { redactData } from "../../../components/synology/dsm/cli";
import { apiName, missingApis, pickVersion, versionsFor } from "../../../components/synology/dsm/apis";
import type { DsmApiUse } from "../../../components/synology/dsm/types";
import { NAS_APIS } from "../../../components/synology/pxe";

describe("shapes", () => {
    test("booleans in every DSM encoding", () => {
        for (const t of [true, 1, "1", "true", "yes"]) expect(toBool(t)).toBe(true);
        for (const f of [false, 0, "0", "false", "no", "", undefined, null]) expect(toBool(f)).toBe(false);
    });

    test("MACs normalised to lower case with colons", () => {
        expect(canonicalMac("AA-BB-CC-DD-EE-FF")).toBe("aa:bb:cc:dd:ee:ff");
        expect(canonicalMac("aabb.ccdd.eeff")).toBe("aa:bb:cc:dd:ee:ff");
    });

    test("PXE set body echoes is_remote_tftp in the encoding get used", () => {
        const wanted = {
            enable: true,
            is_remote_tftp: false,
            local_bootloader: "a.efi",
            remote_bootloader: "",
            remote_tftp_server_ip: "",
        };
        expect(encodePxe({ is_remote_tftp: "false" }, wanted).is_remote_tftp).toBe("false");
        expect(encodePxe({ is_remote_tftp: "0" }, { ...wanted, is_remote_tftp: true }).is_remote_tftp).toBe("1");
        expect(encodePxe({ is_remote_tftp: false }, { ...wanted, is_remote_tftp: "true" }).is_remote_tftp).toBe(true);
        expect(encodeLike(0, true)).toBe(1);
    });

    test("DHCP merge keeps unknown fields and DSM's boolean encoding", () => {
        const cur = { enable: "0", subnet_list: [{ a: 1 }], dns: "1.1.1.1" };
        expect(mergeDhcpServer(cur, { enable: true, dns: "9.9.9.9" })).toEqual({
            enable: "1",
            subnet_list: [{ a: 1 }],
            dns: "9.9.9.9",
        });
        expect(sameValue(true, "1")).toBe(true);
        expect(sameValue(3, "3")).toBe(true);
        expect(sameValue("a", "b")).toBe(false);
    });

    test("decoders report unexpected shapes with expected vs seen", () => {
        expect(() => decodeReservations({ list: [] })).toThrow(DsmShapeError);
        expect(() => decodeTftp({ enable: true })).toThrow(/Expected: enable, root_path.*Seen: enable/);
    });
});

describe("errors and redaction", () => {
    test("meanings depend on the API family (400 in Auth vs File Station)", () => {
        expect(meaningOf("SYNO.API.Auth", 400)).toMatch(/wrong password/);
        expect(meaningOf("SYNO.FileStation.List", 400)).toMatch(/invalid parameter/);
        expect(meaningOf("SYNO.FileStation.List", 408)).toMatch(/no such file/);
        expect(meaningOf("SYNO.Core.Share", 3301)).toMatch(/already exists/);
        expect(meaningOf("SYNO.Network.DHCPServer", 4302)).toMatch(/interface/);
        expect(meaningOf("SYNO.Core.TFTP", 119)).toMatch(/session/);
        expect(meaningOf("SYNO.Core.TFTP", 9999)).toMatch(/9999/);
    });

    test("DsmError carries api, method, code, meaning; secrets in details are redacted", () => {
        const e = new DsmError("SYNO.API.Auth", "login", 400, { passwd: "hunter22", note: "sid=abcdefgh123" }, [
            "hunter22",
        ]);
        expect(e).toMatchObject({ name: "DsmError", api: "SYNO.API.Auth", method: "login", code: 400 });
        expect(isDsmError(e, 400)).toBe(true);
        for (const t of [e.message, JSON.stringify(e), util.inspect(e)]) {
            expect(t).not.toContain("hunter22");
            expect(t).not.toContain("abcdefgh123");
        }
    });

    test("redact covers raw, URL-encoded and JSON-escaped forms and secret-named parameters", () => {
        const pw = 'p@ss "w/rd"&';
        const text = `passwd=${encodeURIComponent(pw)}&x=1 ${JSON.stringify({ p: pw })} raw ${pw} _sid=Sabc123&SynoToken=tok999 X-SYNO-TOKEN: tok999 Cookie: id=Sabcdefgh123`;
        const out = redact(text, [pw]);
        expect(out).not.toContain(pw);
        expect(out).not.toContain(encodeURIComponent(pw));
        expect(out).not.toContain("Sabc123");
        expect(out).not.toContain("tok999");
        expect(out).not.toContain("Sabcdefgh123");
        expect(out).toContain("x=1");
    });

    test("the probe's data redaction removes secret-named keys at any depth", () => {
        expect(redactData({ sid: "s", a: [{ synotoken: "t", did: "d", ok: 1 }] })).toEqual({
            sid: "***",
            a: [{ synotoken: "***", did: "***", ok: 1 }],
        });
    });
});

describe("DSM API uses: each declared beside its caller, the program's needs derived from them", () => {
    const names = (prefix: string, want: (u: DsmApiUse) => boolean) =>
        NAS_APIS.filter(want).map((u) => apiName(u, prefix));

    test("the program needs the client's own APIs and every resource's, the DHCP family under the prefix found", () => {
        expect(names("P", (u) => u.need !== undefined).sort()).toEqual(
            [
                "SYNO.API.Auth",
                "SYNO.Core.TFTP",
                "SYNO.Core.Share",
                "SYNO.Core.Share.Permission",
                "SYNO.FileStation.List",
                "SYNO.FileStation.CreateFolder",
                "SYNO.FileStation.Upload",
                "SYNO.FileStation.Rename",
                "SYNO.FileStation.Delete",
                "SYNO.FileStation.MD5",
                "P",
                "P.Reservation",
                "P.PXE",
            ].sort(),
        );
        expect(names("P", (u) => u.need === "write").sort()).toEqual(
            [
                "SYNO.Core.TFTP",
                "SYNO.Core.Share",
                "SYNO.Core.Share.Permission",
                "SYNO.FileStation.Upload",
                "SYNO.FileStation.Rename",
                "SYNO.FileStation.Delete",
                "P.Reservation",
                "P.PXE",
            ].sort(),
        );
    });

    test("a version is the highest both sides speak, never below the use's minimum; writes have their own", () => {
        const use: DsmApiUse = { api: "SYNO.X", read: 3, write: 2, min: 2 };
        expect(pickVersion({ minVersion: 1, maxVersion: 5 }, use, false)).toBe(3);
        expect(pickVersion({ minVersion: 1, maxVersion: 5 }, use, true)).toBe(2);
        expect(pickVersion({ minVersion: 1, maxVersion: 1 }, use, false)).toBeUndefined();
        expect(pickVersion({ minVersion: 4, maxVersion: 6 }, use, false)).toBeUndefined();
        // A write method on an API used read-only goes with the read version.
        expect(pickVersion({ minVersion: 1, maxVersion: 5 }, { api: "SYNO.Y", read: 2 }, true)).toBe(2);
    });

    test("discovery's versions: the DHCP prefix the NAS has, only the uses asked about", () => {
        const offered = {
            "SYNO.Core.Network.DHCPServer": { minVersion: 1, maxVersion: 3 },
            "SYNO.Core.Network.DHCPServer.PXE": { minVersion: 1, maxVersion: 1 },
            "SYNO.Core.TFTP": { minVersion: 1, maxVersion: 1 },
            "SYNO.Other": { minVersion: 1, maxVersion: 9 },
        };
        const uses: DsmApiUse[] = [
            { api: "", read: 3, write: 3 },
            { api: ".PXE", read: 1, write: 1 },
            { api: "SYNO.Core.TFTP", read: 1 },
        ];
        expect(versionsFor(offered, uses)).toEqual({
            dhcpPrefix: "SYNO.Core.Network.DHCPServer",
            versions: {
                "SYNO.Core.Network.DHCPServer": 3,
                "SYNO.Core.Network.DHCPServer.PXE": 1,
                "SYNO.Core.TFTP": 1,
            },
            writeVersions: { "SYNO.Core.Network.DHCPServer": 3, "SYNO.Core.Network.DHCPServer.PXE": 1 },
        });
    });

    test("missing: absent, or not writable where written; the server object only when managed; no prefix, no DHCP", () => {
        const versions = Object.fromEntries(NAS_APIS.map((u) => [apiName(u, "P") as string, 1]));
        const writeVersions = { ...versions };
        delete writeVersions["SYNO.Core.TFTP"];
        delete writeVersions["SYNO.FileStation.MD5"]; // read-only use: not a problem
        delete writeVersions["P"];
        delete versions["SYNO.FileStation.List"];
        expect(missingApis({ dhcpPrefix: "P", versions, writeVersions }, NAS_APIS, false)).toEqual([
            { api: "SYNO.FileStation.List", need: "read" },
            { api: "SYNO.Core.TFTP", need: "write" },
        ]);
        expect(missingApis({ dhcpPrefix: "P", versions, writeVersions }, NAS_APIS, true)).toContainEqual({
            api: "P",
            need: "write",
        });
        expect(missingApis({ versions: {} }, NAS_APIS, true).map((m) => m.api)).not.toContain("P.PXE");
    });
});
