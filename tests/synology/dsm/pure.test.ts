import * as util from "util";
import fc from "fast-check";
import { mergeReservations, sameReservations, ReservationConflictError } from "../../../components/synology/dsm/reservations";
import { DsmError, DsmShapeError, meaningOf, redact, isDsmError } from "../../../components/synology/dsm/errors";
import { toBool, normaliseMac, encodePxe, encodeLike, mergeDhcpServer, decodeReservations, decodeTftp, sameValue } from "../../../components/synology/dsm/shapes";
import { redactData } from "../../../components/synology/dsm/cli";

describe("mergeReservations", () => {
    const printer = { mac: "00:11:22:33:44:55", ip: "192.168.0.5", hostname: "printer" };
    const cp1 = { mac: "aa:bb:cc:dd:ee:01", ip: "192.168.0.51", hostname: "cp1" };
    const cp2 = { mac: "aa:bb:cc:dd:ee:02", ip: "192.168.0.52", hostname: "cp2" };

    test("keeps entries this program does not manage, first, in their order", () => {
        expect(mergeReservations({ current: [printer], desired: [cp1, cp2] })).toEqual([printer, cp1, cp2]);
    });

    test("a desired entry replaces the current one with the same MAC (any case / separator)", () => {
        const current = [{ ...cp1, mac: "AA-BB-CC-DD-EE-01", ip: "192.168.0.99" }, printer];
        expect(mergeReservations({ current, desired: [cp1] })).toEqual([printer, cp1]);
    });

    test("entries managed earlier but no longer desired are removed; others stay", () => {
        expect(mergeReservations({ current: [printer, cp1, cp2], desired: [cp1], previouslyManaged: ["AA:BB:CC:DD:EE:02"] })).toEqual([printer, cp1]);
    });

    test("an unmanaged entry holding a wanted IP is a conflict, not silently deleted", () => {
        const squatter = { mac: "de:ad:be:ef:00:01", ip: cp1.ip, hostname: "old" };
        expect(() => mergeReservations({ current: [squatter], desired: [cp1] })).toThrow(ReservationConflictError);
        expect(() => mergeReservations({ current: [squatter], desired: [cp1] })).toThrow(/192\.168\.0\.51 is reserved for de:ad:be:ef:00:01/);
    });

    test("property: every unmanaged entry survives, every desired entry is present, merge is idempotent", () => {
        const mac = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((b) => b.map((x) => x.toString(16).padStart(2, "0")).join(":"));
        const entry = fc.record({ mac, ip: fc.integer({ min: 1, max: 254 }).map((n) => `10.0.0.${n}`), hostname: fc.string({ maxLength: 5 }) });
        fc.assert(
            fc.property(fc.array(entry, { maxLength: 8 }), fc.array(entry, { maxLength: 8 }), (cur, des) => {
                const uniq = <T extends { mac: string; ip: string }>(xs: T[]): T[] => xs.filter((x, i) => xs.findIndex((y) => y.mac === x.mac || y.ip === x.ip) === i);
                const current = uniq(cur);
                const desired = uniq(des);
                let merged;
                try {
                    merged = mergeReservations({ current, desired });
                } catch (e) {
                    expect(e).toBeInstanceOf(ReservationConflictError);
                    return;
                }
                for (const d of desired) expect(merged).toContainEqual(d);
                for (const c of current) if (!desired.some((d) => d.mac === c.mac)) expect(merged).toContainEqual(c);
                expect(sameReservations(mergeReservations({ current: merged, desired }), merged)).toBe(true);
            }),
        );
    });
});

describe("shapes", () => {
    test("booleans in every DSM encoding", () => {
        for (const t of [true, 1, "1", "true", "yes"]) expect(toBool(t)).toBe(true);
        for (const f of [false, 0, "0", "false", "no", "", undefined, null]) expect(toBool(f)).toBe(false);
    });

    test("MACs normalised to lower case with colons", () => {
        expect(normaliseMac("AA-BB-CC-DD-EE-FF")).toBe("aa:bb:cc:dd:ee:ff");
        expect(normaliseMac("aabb.ccdd.eeff")).toBe("aa:bb:cc:dd:ee:ff");
    });

    test("PXE set body echoes is_remote_tftp in the encoding get used", () => {
        const wanted = { enable: true, is_remote_tftp: false, local_bootloader: "a.efi", remote_bootloader: "", remote_tftp_server_ip: "" };
        expect(encodePxe({ is_remote_tftp: "false" }, wanted).is_remote_tftp).toBe("false");
        expect(encodePxe({ is_remote_tftp: "0" }, { ...wanted, is_remote_tftp: true }).is_remote_tftp).toBe("1");
        expect(encodePxe({ is_remote_tftp: false }, { ...wanted, is_remote_tftp: "true" }).is_remote_tftp).toBe(true);
        expect(encodeLike(0, true)).toBe(1);
    });

    test("DHCP merge keeps unknown fields and DSM's boolean encoding", () => {
        const cur = { enable: "0", subnet_list: [{ a: 1 }], dns: "1.1.1.1" };
        expect(mergeDhcpServer(cur, { enable: true, dns: "9.9.9.9" })).toEqual({ enable: "1", subnet_list: [{ a: 1 }], dns: "9.9.9.9" });
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
        const e = new DsmError("SYNO.API.Auth", "login", 400, { passwd: "hunter22", note: "sid=abcdefgh123" }, ["hunter22"]);
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
        expect(redactData({ sid: "s", a: [{ synotoken: "t", did: "d", ok: 1 }] })).toEqual({ sid: "***", a: [{ synotoken: "***", did: "***", ok: 1 }] });
    });
});
