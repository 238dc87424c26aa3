import * as crypto from "crypto";
import * as util from "util";
import { Readable } from "stream";
import axios from "axios";
import { DsmClient } from "../../../components/synology/dsm/client";
import type { DsmClientOptions } from "../../../components/synology/dsm/transport";
import { getDsmClient, REGISTRY_KEY } from "../../../components/synology/dsm/registry";
import type { DsmConnection } from "../../../components/synology/dsm/types";
import { resetDsmClients } from "../../support/synology-engine";
import { dhcpServerGet, dhcpServerSet } from "../../../components/synology/providers/dhcp";
import { pxeGet, pxeSet } from "../../../components/synology/providers/pxe";
import { reservationsGet, reservationsSet } from "../../../components/synology/providers/reservations";
import { shareCreate, shareDelete, shareGet } from "../../../components/synology/providers/share";
import { tftpSettingsGet, tftpSettingsSet } from "../../../components/synology/providers/tftp";
import { NAS_APIS } from "../../../components/synology/pxe";
import {
    rawLogin as simLogin,
    startDsmSimulator,
    DsmSimulator,
    DsmSimulatorOptions,
    simShare,
} from "../../support/dsm-simulator";
import { caught } from "../../support/rejection";

const PASSWORD = 'pa$$ word&=/"x';
const FAST: DsmClientOptions = { retryBaseDelayMs: 1, retryMaxDelayMs: 2, md5PollMs: 1, log: () => undefined };

let sim: DsmSimulator;
async function start(o: DsmSimulatorOptions = {}): Promise<DsmSimulator> {
    sim = await startDsmSimulator({ users: { admin: PASSWORD }, ...o });
    return sim;
}
function conn(over: Partial<DsmConnection> = {}): DsmConnection {
    return { url: sim.url, username: "admin", password: PASSWORD, allowHttp: true, ...over };
}
function client(over: Partial<DsmConnection> = {}, opts: DsmClientOptions = {}): DsmClient {
    return new DsmClient(conn(over), { ...FAST, ...opts });
}
/** A login by hand, over HTTP, as DSM's own web UI does: its sid and SynoToken. */
const rawLogin = () => simLogin(sim, "admin", PASSWORD);
function lastRequest(
    api: string,
    method: string,
): { params: Record<string, string>; headers: Record<string, unknown> } {
    const r = [...sim.requests].reverse().find((x) => x.api === api && x.method === method);
    if (!r) throw new Error(`no ${api}.${method} request`);
    return r;
}
function sessionSecrets(): string[] {
    const out = new Set<string>();
    for (const r of sim.requests) {
        if (r.params._sid) out.add(r.params._sid);
        if (r.params.SynoToken) out.add(r.params.SynoToken);
    }
    return [...out];
}
function expectNoSecrets(e: unknown, extra: string[] = []): void {
    const texts = [
        String((e as Error).message),
        JSON.stringify(e),
        util.inspect(e, { depth: 10, showHidden: true }),
        String((e as Error).stack),
    ];
    for (const s of [PASSWORD, ...sessionSecrets(), ...extra]) {
        for (const t of texts) expect(t).not.toContain(s);
    }
}

afterEach(async () => {
    resetDsmClients();
    await sim?.close();
});

describe("discovery", () => {
    test("picks the highest supported version per API, write versions separately", async () => {
        await start();
        const d = await client().discover(NAS_APIS);
        expect(d.dhcpPrefix).toBe("SYNO.Network.DHCPServer");
        expect(d.versions["SYNO.API.Auth"]).toBe(7);
        expect(d.versions["SYNO.Network.DHCPServer"]).toBe(3);
        expect(d.versions["SYNO.Network.DHCPServer.Reservation"]).toBe(3);
        expect(d.writeVersions!["SYNO.Network.DHCPServer.Reservation"]).toBe(2);
        expect(d.writeVersions!["SYNO.Network.DHCPServer.PXE"]).toBe(1);
        expect(d.writeVersions!["SYNO.Core.TFTP"]).toBe(1);
        expect(d.versions["SYNO.FileStation.Upload"]).toBe(2);
    });

    test("writes use the write version on the wire (Reservation set v2, get v3)", async () => {
        await start();
        const c = client();
        await reservationsSet(c, "eth0", []);
        expect(lastRequest("SYNO.Network.DHCPServer.Reservation", "set").params.version).toBe("2");
        expect(lastRequest("SYNO.Network.DHCPServer.Reservation", "get").params.version).toBe("3");
    });

    test("a NAS with an older range gets the lower version", async () => {
        await start({ apiOverrides: { "SYNO.Network.DHCPServer.Reservation": { minVersion: 1, maxVersion: 1 } } });
        sim.state.reservations.eth0 = [{ clid: "AA:BB:CC:DD:EE:01", ip: "192.168.0.9", hostname: "x" }];
        const c = client();
        expect((await c.discover(NAS_APIS)).versions["SYNO.Network.DHCPServer.Reservation"]).toBe(1);
        // v1 answers a flat list with `mac`: decoded all the same.
        expect(await reservationsGet(c, "eth0")).toEqual([
            { mac: "aa:bb:cc:dd:ee:01", ip: "192.168.0.9", hostname: "x" },
        ]);
    });

    test("falls back to SYNO.Core.Network.DHCPServer* when only those names exist", async () => {
        await start({ dhcp: "core" });
        const c = client();
        expect((await c.discover(NAS_APIS)).dhcpPrefix).toBe("SYNO.Core.Network.DHCPServer");
        await reservationsSet(c, "eth0", [{ mac: "aa:bb:cc:dd:ee:ff", ip: "192.168.0.20", hostname: "n" }]);
        expect(sim.counters.calls["SYNO.Core.Network.DHCPServer.Reservation.set"]).toBe(1);
        expect((await pxeGet(c)).enable).toBe(false);
        expect(sim.counters.calls["SYNO.Core.Network.DHCPServer.PXE.get"]).toBe(1);
    });

    test("prefers SYNO.Network.* when both families exist", async () => {
        await start({ dhcp: "both" });
        const c = client();
        await pxeGet(c);
        expect(sim.counters.calls["SYNO.Network.DHCPServer.PXE.get"]).toBe(1);
        expect(sim.counters.calls["SYNO.Core.Network.DHCPServer.PXE.get"]).toBeUndefined();
    });

    test("without the DHCP Server package: a clear error, no DHCP call sent", async () => {
        await start({ dhcp: "none" });
        const c = client();
        expect((await c.discover(NAS_APIS)).dhcpPrefix).toBeUndefined();
        for (const p of [reservationsGet(c, "eth0"), pxeGet(c), dhcpServerGet(c, "eth0")]) {
            const e = await caught(p);
            expect(e.name).toBe("DsmError");
            expect(e.code).toBe(102);
            expect(e.message).toMatch(/DHCP Server package is not installed/);
        }
        expect(Object.keys(sim.counters.calls).filter((k) => k.includes("DHCP"))).toEqual([]);
    });

    test("unknown API → 102 and wrong version → 104 from the NAS, with meanings", async () => {
        await start();
        const c = client();
        const e1 = await caught(c.call("SYNO.Nope.Thing", "get"));
        expect(e1).toMatchObject({ name: "DsmError", code: 102 });
        expect(e1.message).toMatch(/does not exist/);
        const e2 = await caught(c.call("SYNO.Core.TFTP", "get", {}, 9));
        expect(e2).toMatchObject({ name: "DsmError", code: 104, api: "SYNO.Core.TFTP", method: "get" });
        expect(e2.message).toMatch(/version/);
        expect(sim.counters.calls["SYNO.Core.TFTP.get"]).toBe(1);
    });

    test("one SYNO.API.Info query (query=all) serves every API, declared or not (the probe's calls)", async () => {
        await start();
        const c = client();
        const data = await c.call<{ vendorList: unknown[] }>("SYNO.Network.DHCPServer.Vendor", "get");
        expect(data.vendorList).toEqual([]);
        await tftpSettingsGet(c);
        await pxeGet(c);
        expect(sim.counters.calls["SYNO.API.Info.query"]).toBe(1);
        expect(lastRequest("SYNO.API.Info", "query").params.query).toBe("all");
    });
});

describe("authentication and session", () => {
    test("Auth v7 login with format=sid and enable_syno_token=yes; sid, SynoToken, header and cookie on every call", async () => {
        await start();
        const c = client();
        await tftpSettingsGet(c);
        const login = lastRequest("SYNO.API.Auth", "login");
        expect(login.params).toMatchObject({
            version: "7",
            format: "sid",
            enable_syno_token: "yes",
            account: "admin",
            passwd: PASSWORD,
        });
        const call = lastRequest("SYNO.Core.TFTP", "get");
        expect(call.params._sid).toMatch(/^S/);
        expect(call.params.SynoToken).toBeTruthy();
        expect(call.headers["x-syno-token"]).toBe(call.params.SynoToken);
        expect(call.headers.cookie).toBe(`id=${call.params._sid}`);
    });

    test("a missing SynoToken is refused by the NAS with 119", async () => {
        await start();
        // Log in by hand to get a sid, then call without the token.
        const { sid: s, synotoken } = await rawLogin();
        const noTok = await axios.post(
            `${sim.url}/webapi/entry.cgi`,
            new URLSearchParams({ api: "SYNO.Core.TFTP", version: "1", method: "get", _sid: s }).toString(),
        );
        expect(noTok.data).toEqual({ error: { code: 119 }, success: false });
        const withTok = await axios.post(
            `${sim.url}/webapi/entry.cgi`,
            new URLSearchParams({
                api: "SYNO.Core.TFTP",
                version: "1",
                method: "get",
                _sid: s,
                SynoToken: synotoken,
            }).toString(),
        );
        expect(withTok.data.success).toBe(true);
    });

    test("one login per NAS and user, shared through getDsmClient, even for concurrent first calls", async () => {
        await start();
        const a = getDsmClient(conn(), FAST);
        const b = getDsmClient(conn(), FAST);
        expect(b).toBe(a);
        await Promise.all([tftpSettingsGet(a), pxeGet(b), reservationsGet(a, "eth0"), shareGet(b, "x")]);
        expect(sim.counters.logins).toBe(1);
        expect((globalThis as Record<string, unknown>)[REGISTRY_KEY]).toBeDefined();
        // Other settings for the same NAS+user replace the client.
        const c = getDsmClient(conn({ password: "other" }), FAST);
        expect(c).not.toBe(a);
    });

    test("a client of the older contract, shared by a serialised copy from an old state, is never handed out", async () => {
        await start();
        const key = `${sim.url}|admin`;
        const g = globalThis as Record<string, unknown>;
        type Registry = Record<string, { fingerprint: string; client: unknown }>;
        getDsmClient(conn(), FAST);
        const fingerprint = (g[REGISTRY_KEY] as Registry)[key].fingerprint; // the same settings' fingerprint
        resetDsmClients();
        const older = { tftpGet: () => undefined };
        g.__homelabDsmClients = { [key]: { fingerprint, client: older } };
        try {
            const c = getDsmClient(conn(), FAST);
            expect(c).toBeInstanceOf(DsmClient);
            await tftpSettingsGet(c);
            expect((g.__homelabDsmClients as Registry)[key].client).toBe(older);
        } finally {
            delete g.__homelabDsmClients;
        }
    });

    test("bad password → 400 with an actionable meaning, password not in the error", async () => {
        await start();
        const e = await caught(tftpSettingsGet(client({ password: "wrong-" + PASSWORD })));
        expect(e).toMatchObject({ name: "DsmError", api: "SYNO.API.Auth", method: "login", code: 400 });
        expect(e.message).toMatch(/wrong password/);
        expectNoSecrets(e, ["wrong-" + PASSWORD]);
        expect(sim.counters.calls["SYNO.Core.TFTP.get"]).toBeUndefined();
    });

    test("2FA: no code → 403, wrong code → 404, right code → logged in and device id remembered for later logins", async () => {
        await start({ twoFactor: { code: "123456" } });
        const e403 = await caught(tftpSettingsGet(client()));
        expect(e403).toMatchObject({ code: 403 });
        expect(e403.message).toMatch(/one-time code/);
        const e404 = await caught(tftpSettingsGet(client({ otpCode: "000000" })));
        expect(e404).toMatchObject({ code: 404 });
        expectNoSecrets(e404, ["000000"]);
        const c = client({ otpCode: "123456" });
        await tftpSettingsGet(c);
        expect(lastRequest("SYNO.API.Auth", "login").params).toMatchObject({
            otp_code: "123456",
            enable_device_token: "yes",
        });
        const did = c.rememberedDeviceId!;
        expect(did).toBeTruthy();
        // The session expires: the re-login uses the device id, not the spent OTP.
        sim.faults.expireSessions();
        await tftpSettingsGet(c);
        expect(lastRequest("SYNO.API.Auth", "login").params.device_id).toBe(did);
        expect(lastRequest("SYNO.API.Auth", "login").params.otp_code).toBeUndefined();
        // A new process with deviceId from config needs no OTP.
        await tftpSettingsGet(client({ deviceId: did }));
        expect(sim.counters.logins).toBe(3);
    });

    test("2FA enforced but not set up → 406", async () => {
        await start({ twoFactor: { enforcedNotSetUp: true } });
        const e = await caught(tftpSettingsGet(client()));
        expect(e).toMatchObject({ code: 406 });
        expect(e.message).toMatch(/not set up/);
    });

    test.each([119, 106, 107])("session error %i → one re-login and the call succeeds", async (code) => {
        await start();
        const c = client();
        await tftpSettingsGet(c);
        sim.faults.expireSessions(code);
        expect((await tftpSettingsGet(c)).permission).toBe("r");
        expect(sim.counters.logins).toBe(2);
        expect(sim.counters.calls["SYNO.Core.TFTP.get"]).toBe(3);
    });

    test("many concurrent calls on an expired session share one re-login", async () => {
        await start();
        const c = client();
        await tftpSettingsGet(c);
        sim.faults.expireSessions();
        const results = await Promise.all([
            tftpSettingsGet(c),
            pxeGet(c),
            reservationsGet(c, "eth0"),
            dhcpServerGet(c, "eth0"),
        ]);
        expect(results).toHaveLength(4);
        expect(sim.counters.logins).toBe(2);
    });

    test("a session error that persists after the re-login fails (no loop)", async () => {
        await start();
        const c = client();
        await tftpSettingsGet(c);
        sim.faults.busy("SYNO.Core.TFTP.get", 5, 119);
        const e = await caught(tftpSettingsGet(c));
        expect(e).toMatchObject({ name: "DsmError", code: 119 });
        expect(sim.counters.logins).toBe(2);
        expect(sim.counters.calls["SYNO.Core.TFTP.get"]).toBe(3);
        expectNoSecrets(e);
    });

    test("logout ends the session on the NAS", async () => {
        await start();
        const c = client();
        await tftpSettingsGet(c);
        expect(sim.activeSessions()).toBe(1);
        await c.logout();
        expect(sim.activeSessions()).toBe(0);
        expect(sim.counters.logouts).toBe(1);
        await tftpSettingsGet(c); // logs in again
        expect(sim.counters.logins).toBe(2);
    });

    test("plain http without allowHttp, a URL with a path, or no password: config error before any request", async () => {
        await start();
        expect(() => client({ allowHttp: false })).toThrow(/plain http.*allowHttp/);
        expect(() => client({ url: `${sim.url}/webapi` })).toThrow(/must not have a path/);
        expect(() => client({ password: "" })).toThrow(/password is empty/);
        expect(() => client({ tls: { fingerprintSha256: "abc" } })).toThrow(/64 hex digits/);
        expect(sim.counters.calls).toEqual({});
    });
});

describe("parameter encoding", () => {
    test("requestFormat JSON APIs get JSON-encoded values; Auth and the upload path stay raw", async () => {
        await start();
        sim.state.shares.pxe = simShare("pxe");
        sim.state.files.set("/pxe", { isdir: true, size: 0, md5: "", mtime: 1 });
        const c = client();
        await tftpSettingsSet(c, { enable: true, root_path: "/volume1/pxe", timeout: 10 });
        const set = lastRequest("SYNO.Core.TFTP", "set").params;
        expect(set.root_path).toBe('"/volume1/pxe"');
        expect(set.enable).toBe("true");
        expect(set.timeout).toBe("10");
        expect(set.permission).toBeUndefined(); // partial update: only the fields given
        await reservationsGet(c, "eth0");
        expect(lastRequest("SYNO.Network.DHCPServer.Reservation", "get").params.ifname).toBe('"eth0"');
        await c.upload("/pxe", "f.bin", Readable.from([Buffer.from("abc")]), 3, { overwrite: true });
        expect(lastRequest("SYNO.FileStation.Upload", "upload").params.path).toBe("/pxe");
        expect(lastRequest("SYNO.API.Auth", "login").params.account).toBe("admin");
    });
});

describe("the simulator is strict where DSM is (so the client tests mean something)", () => {
    async function raw(fields: Record<string, string>): Promise<Record<string, unknown>> {
        const { sid, synotoken } = await rawLogin();
        const res = await axios.post(
            `${sim.url}/webapi/entry.cgi`,
            new URLSearchParams({ ...fields, _sid: sid, SynoToken: synotoken }).toString(),
        );
        return res.data;
    }

    test("a method missing from the version → 103; DHCP server get without ifname → 4302", async () => {
        await start();
        expect(
            await raw({
                api: "SYNO.Network.DHCPServer.Reservation",
                version: "3",
                method: "set",
                ifname: '"eth0"',
                reservationData: "[]",
            }),
        ).toMatchObject({ success: false, error: { code: 103 } });
        expect(
            await raw({
                api: "SYNO.Network.DHCPServer.Reservation",
                version: "2",
                method: "set",
                ifname: '"eth0"',
                reservationData: "[]",
            }),
        ).toEqual({ success: true });
        expect(await raw({ api: "SYNO.Network.DHCPServer", version: "3", method: "get" })).toEqual({
            error: { code: 4302, errors: { desc: "no ifname parameter" } },
            success: false,
        });
    });

    test("the program's own encoding, asserted on what it sent (DSM, and the simulator, take a raw value as a string)", async () => {
        await start();
        sim.state.shares.pxe = simShare("pxe");
        sim.state.files.set("/pxe", { isdir: true, size: 0, md5: "", mtime: 1 });
        const c = client();
        await tftpSettingsSet(c, { enable: true, root_path: "/volume1/pxe", timeout: 10 });
        await reservationsSet(c, "eth0", [{ mac: "52:54:00:00:00:01", ip: "192.168.0.10", hostname: "n1" }]);
        await pxeSet(c, { ...(await pxeGet(c)), enable: true, local_bootloader: "boot.efi" });
        await shareGet(c, "pxe");
        await c.createFolder("/pxe", "sub");
        await c.getInfo(["/pxe/sub"]);
        await c.deletePaths(["/pxe/sub"]);
        expect(sim.requests.length).toBeGreaterThan(8);
        expect(sim.notJsonEncoded()).toEqual([]);
    });
});

describe("retries on busy answers and resets", () => {
    beforeEach(async () => {
        await start();
    });

    test.each([
        ["SYNO.Core.Share.create", 3328],
        ["SYNO.Core.Share.create", 3300],
        ["SYNO.Core.Share", 117],
        ["SYNO.Core.Share.create", "http503"],
        ["SYNO.Core.Share.create", "reset"],
    ] as const)("%s busy (%s) twice → retried, then succeeds", async (key, answer) => {
        const c = client();
        sim.faults.busy(key, 2, answer);
        await shareCreate(c, "pxe", "/volume1", "boot files");
        expect(sim.state.shares.pxe).toMatchObject({ name: "pxe", vol_path: "/volume1", desc: "boot files" });
        expect(sim.counters.calls["SYNO.Core.Share.create"]).toBe(3);
    });

    test("bounded: busy beyond the retries fails with the meaning and the attempt count", async () => {
        const c = client({}, { retries: 2 });
        sim.faults.busy("SYNO.Core.TFTP.get", 10, 117);
        const e = await caught(tftpSettingsGet(c));
        expect(e).toMatchObject({ name: "DsmError", code: 117 });
        expect(e.message).toMatch(/busy.*after 3 attempts/);
        expect(sim.counters.calls["SYNO.Core.TFTP.get"]).toBe(3);
    });

    test("bounded: resets beyond the retries fail as a transport error without secrets", async () => {
        const c = client({}, { retries: 1 });
        await c.login();
        sim.faults.busy("SYNO.Core.TFTP.get", 10, "reset");
        const e = await caught(tftpSettingsGet(c));
        expect(e.name).toBe("DsmTransportError");
        expect(e.code).toBe("ECONNRESET");
        expect(e.message).toMatch(/gave up after 2 attempts/);
        expect(e).not.toHaveProperty("config");
        expect(e).not.toHaveProperty("request");
        expectNoSecrets(e);
    });

    test("3300 (may be settling) is retried but bounded; 3301 (exists) is not retried", async () => {
        const c = client();
        const e = await caught(shareCreate(c, "pxe", "/volume9"));
        expect(e).toMatchObject({ code: 3300 }); // 3300 is retried (it also means "settling"), so it was tried several times...
        const before = sim.counters.calls["SYNO.Core.Share.create"];
        expect(before).toBe(6);
        await shareCreate(c, "pxe", "/volume1");
        const e2 = await caught(shareCreate(c, "pxe", "/volume1"));
        expect(e2).toMatchObject({ name: "DsmError", code: 3301 });
        expect(e2.message).toMatch(/already exists/);
        expect(sim.counters.calls["SYNO.Core.Share.create"]).toBe(before + 2);
    });

    test("slow answers: within the timeout they work; beyond it a clear timeout error (not retried)", async () => {
        const c = client({}, { timeoutMs: 100 });
        await c.login();
        sim.faults.delayMs = 10;
        expect((await tftpSettingsGet(c)).timeout).toBe(3);
        sim.faults.delayMs = 2000;
        const e = await caught(tftpSettingsGet(c));
        expect(e.name).toBe("DsmTransportError");
        expect(e.message).toMatch(/no answer .* within the timeout/);
        expect(sim.counters.calls["SYNO.Core.TFTP.get"]).toBe(2);
        expectNoSecrets(e);
        sim.faults.delayMs = 0;
    });
});

describe("TFTP", () => {
    test("real DSM 7 defaults, partial set, read back", async () => {
        await start();
        sim.state.shares.pxe = simShare("pxe");
        const c = client();
        expect(await tftpSettingsGet(c)).toEqual({
            enable: false,
            root_path: "",
            permission: "r",
            enable_log: false,
            startip: "0.0.0.0",
            endip: "255.255.255.255",
            timeout: 3,
        });
        await tftpSettingsSet(c, { enable: true, root_path: "/volume1/pxe" });
        expect(await tftpSettingsGet(c)).toMatchObject({
            enable: true,
            root_path: "/volume1/pxe",
            permission: "r",
            timeout: 3,
        });
        const e = await caught(tftpSettingsSet(c, { enable: true, root_path: "/volume1/nothere" }));
        expect(e).toMatchObject({ name: "DsmError", code: 101 });
        await tftpSettingsSet(c, {});
        expect(sim.counters.calls["SYNO.Core.TFTP.set"]).toBe(2);
    });

    test.each(["number", "string"] as const)("booleans sent as %s are normalised", async (boolStyle) => {
        await start({ boolStyle, state: { tftp: { enable: true, enable_log: false } } });
        const c = client();
        const t = await tftpSettingsGet(c);
        expect(t.enable).toBe(true);
        expect(t.enable_log).toBe(false);
        expect(sim.requests.length).toBeGreaterThan(0);
        const raw = await c.call<Record<string, unknown>>("SYNO.Core.TFTP", "get");
        expect(raw.enable).toBe(boolStyle === "number" ? 1 : "1");
        expect((await pxeGet(c)).enable).toBe(false);
    });
});

describe("shares", () => {
    test("create, get, delete; long description refused before any call", async () => {
        await start();
        const c = client();
        expect(await shareGet(c, "pxe")).toBeUndefined();
        await shareCreate(c, "pxe", "/volume1", "Talos PXE");
        const s = await shareGet(c, "pxe");
        expect(s).toMatchObject({ name: "pxe", vol_path: "/volume1", desc: "Talos PXE" });
        expect(s!.uuid).toBeTruthy();
        const create = lastRequest("SYNO.Core.Share", "create").params;
        expect(create.name).toBe('"pxe"');
        expect(JSON.parse(create.shareinfo)).toMatchObject({
            name: "pxe",
            vol_path: "/volume1",
            desc: "Talos PXE",
            enable_share_cow: false,
        });
        expect(sim.getFile("/pxe")?.isdir).toBe(true);
        await shareDelete(c, "pxe");
        expect(await shareGet(c, "pxe")).toBeUndefined();
        expect(JSON.parse(lastRequest("SYNO.Core.Share", "delete").params.name)).toEqual(["pxe"]);
        const calls = sim.counters.calls["SYNO.Core.Share.create"];
        await expect(shareCreate(c, "x", "/volume1", "d".repeat(65))).rejects.toThrow(/at most 64/);
        expect(sim.counters.calls["SYNO.Core.Share.create"]).toBe(calls);
    });
});

describe("File Station", () => {
    beforeEach(async () => {
        await start();
        await shareCreate(client(), "pxe", "/volume1");
    });

    test("createFolder, getInfo (per-entry 408 → undefined), rename, delete", async () => {
        const c = client();
        await c.createFolder("/pxe", "boot");
        await c.createFolder("/pxe/a/b", "c", true);
        expect(sim.getFile("/pxe/a/b/c")?.isdir).toBe(true);
        const e = await caught(c.createFolder("/pxe/nope", "x"));
        expect(e).toMatchObject({ name: "DsmError", code: 1100 });
        sim.putFile("/pxe/boot/x.efi", Buffer.from("12345"));
        const infos = await c.getInfo(["/pxe/boot/x.efi", "/pxe/boot/missing.efi", "/pxe/boot"]);
        expect(infos[0]).toMatchObject({ path: "/pxe/boot/x.efi", name: "x.efi", isdir: false, size: 5 });
        expect(typeof infos[0]!.mtime).toBe("number");
        expect(infos[1]).toBeUndefined();
        expect(infos[2]).toMatchObject({ isdir: true });
        await c.rename("/pxe/boot/x.efi", "y.efi");
        expect(sim.getFile("/pxe/boot/y.efi")?.size).toBe(5);
        expect(sim.getFile("/pxe/boot/x.efi")).toBeUndefined();
        sim.putFile("/pxe/boot/z.efi", Buffer.from("z"));
        const e414 = await caught(c.rename("/pxe/boot/z.efi", "y.efi"));
        expect(e414).toMatchObject({ code: 414 });
        expect(e414.message).toMatch(/already exists/);
        const e408 = await caught(c.rename("/pxe/boot/none", "q"));
        expect(e408).toMatchObject({ code: 408 });
        expect(e408.message).toMatch(/no such file/);
        await c.deletePaths(["/pxe/boot/y.efi", "/pxe/boot/gone.efi"]); // one already absent: still fine
        expect(sim.getFile("/pxe/boot/y.efi")).toBeUndefined();
        expect(sim.getFile("/pxe/boot/z.efi")).toBeDefined();
        await c.deletePaths(["/pxe/a"]);
        expect(sim.getFile("/pxe/a/b/c")).toBeUndefined();
    });

    test("md5 via start/status/stop", async () => {
        const c = client();
        const content = crypto.randomBytes(1000);
        sim.putFile("/pxe/f.bin", content);
        expect(await c.md5("/pxe/f.bin")).toBe(crypto.createHash("md5").update(content).digest("hex"));
        expect(sim.counters.calls["SYNO.FileStation.MD5.start"]).toBe(1);
        expect(sim.counters.calls["SYNO.FileStation.MD5.status"]).toBe(2);
        expect(sim.counters.calls["SYNO.FileStation.MD5.stop"]).toBe(1);
        expect(JSON.parse(lastRequest("SYNO.FileStation.MD5", "status").params.taskid)).toMatch(/^MD5_/);
        const e = await caught(c.md5("/pxe/none"));
        expect(e).toMatchObject({ code: 408 });
    });

    test("upload: multipart, text fields first and the file last, real Content-Length, progress, content stored", async () => {
        const c = client();
        const content = crypto.randomBytes(300_000);
        const progress: number[] = [];
        const chunks = [content.subarray(0, 100_000), content.subarray(100_000, 250_000), content.subarray(250_000)];
        await c.upload("/pxe", "boot.efi", Readable.from(chunks), content.length, {
            overwrite: false,
            onProgress: (s, t) => progress.push(s / t),
        });
        const f = sim.getFile("/pxe/boot.efi")!;
        expect(f.size).toBe(content.length);
        expect(f.bytes!.equals(content)).toBe(true);
        expect(progress[progress.length - 1]).toBe(1);
        expect(progress.length).toBeGreaterThan(1);
        const req = lastRequest("SYNO.FileStation.Upload", "upload");
        expect(Number(req.headers["content-length"])).toBeGreaterThan(content.length);
        expect(req.headers["transfer-encoding"]).toBeUndefined();
        expect(req.params).toMatchObject({
            api: "SYNO.FileStation.Upload",
            version: "2",
            method: "upload",
            overwrite: "false",
            path: "/pxe",
        });
        expect(req.params._sid).toBeTruthy(); // in the URL
        expect(req.params.SynoToken).toBeTruthy();
    });

    test("upload onto an existing file: overwrite=false → blSkip is an error; overwrite=true replaces", async () => {
        const c = client();
        sim.putFile("/pxe/boot.efi", Buffer.from("old"));
        const e = await caught(
            c.upload("/pxe", "boot.efi", Readable.from([Buffer.from("new!")]), 4, { overwrite: false }),
        );
        expect(e).toMatchObject({ name: "DsmError", code: 414 });
        expect(e.message).toMatch(/blSkip/);
        expect(sim.getFile("/pxe/boot.efi")!.bytes!.toString()).toBe("old");
        await c.upload("/pxe", "boot.efi", Readable.from([Buffer.from("new!")]), 4, { overwrite: true });
        expect(sim.getFile("/pxe/boot.efi")!.bytes!.toString()).toBe("new!");
    });

    test("upload whose stream gives fewer or more bytes than announced fails clearly", async () => {
        const c = client();
        const short = await caught(c.upload("/pxe", "a", Readable.from([Buffer.from("abc")]), 5, { overwrite: true }));
        expect(short.message).toMatch(/3 of the announced 5 bytes|ended/);
        const long = await caught(
            c.upload("/pxe", "b", Readable.from([Buffer.from("abcdefg")]), 5, { overwrite: true }),
        );
        expect(long.message).toMatch(/more than the announced 5 bytes/);
        expect(sim.getFile("/pxe/a")).toBeUndefined();
        expect(sim.getFile("/pxe/b")).toBeUndefined();
    });

    test("connection reset mid-upload: not retried without reopen; retried with reopen", async () => {
        const c = client();
        const content = crypto.randomBytes(2_000_000);
        const chunked = (): Readable =>
            Readable.from(Array.from({ length: 20 }, (_, i) => content.subarray(i * 100_000, (i + 1) * 100_000)));
        sim.faults.resetUploadAfterBytes(500_000);
        const source = chunked();
        const e = await caught(c.upload("/pxe", "big.bin", source, content.length, { overwrite: true }));
        expect(source.destroyed).toBe(true); // the caller's source is released
        expect(e.name).toBe("DsmTransportError");
        expect(e.message).toMatch(/not retried.*reopen/);
        expect(sim.getFile("/pxe/big.bin")).toBeUndefined();
        expectNoSecrets(e);
        sim.faults.resetUploadAfterBytes(500_000);
        let reopened = 0;
        await c.upload("/pxe", "big.bin", chunked(), content.length, {
            overwrite: true,
            reopen: () => {
                reopened++;
                return chunked();
            },
        });
        expect(reopened).toBe(1);
        expect(sim.getFile("/pxe/big.bin")!.md5).toBe(crypto.createHash("md5").update(content).digest("hex"));
        expect(await c.md5("/pxe/big.bin")).toBe(sim.getFile("/pxe/big.bin")!.md5);
    });

    test("upload after the session expired re-logs in (with reopen)", async () => {
        const c = client();
        await c.login();
        const logins = sim.counters.logins;
        sim.faults.expireSessions();
        await c.upload("/pxe", "x", Readable.from([Buffer.from("xyz")]), 3, {
            overwrite: true,
            reopen: () => Readable.from([Buffer.from("xyz")]),
        });
        expect(sim.getFile("/pxe/x")!.size).toBe(3);
        expect(sim.counters.logins).toBe(logins + 1);
    });

    test("1 GiB upload is streamed: stored as size+md5, memory stays flat", async () => {
        const size = Number(process.env.DSM_BIG_UPLOAD_BYTES ?? 1024 * 1024 * 1024);
        const chunk = crypto.randomBytes(1024 * 1024);
        const expected = crypto.createHash("md5");
        let produced = 0;
        const body = new Readable({
            read() {
                if (produced >= size) {
                    this.push(null);
                    return;
                }
                const n = Math.min(chunk.length, size - produced);
                const part = chunk.subarray(0, n);
                expected.update(part);
                produced += n;
                this.push(part);
            },
        });
        let peak = 0;
        const base = process.memoryUsage().rss;
        const c = client();
        await c.upload("/pxe", "huge.raw", body, size, {
            overwrite: true,
            onProgress: () => (peak = Math.max(peak, process.memoryUsage().rss - base)),
        });
        const f = sim.getFile("/pxe/huge.raw")!;
        expect(f.size).toBe(size);
        expect(f.md5).toBe(expected.digest("hex"));
        expect(f.bytes).toBeUndefined();
        expect(sim.counters.uploadBytes).toBe(size);
        // 1 GiB through a client that buffered it would need well over 1 GiB; streaming stays far below.
        expect(peak).toBeLessThan(256 * 1024 * 1024);
    }, 180_000);
});

describe("DHCP server (unknown shape: read-modify-write, verify)", () => {
    test("get returns the whole object; set writes the whole object back with only the named fields changed", async () => {
        await start();
        const c = client();
        const before = await dhcpServerGet(c, "eth0");
        expect(before).toMatchObject({ enable: false, startip: "192.168.0.100" });
        await dhcpServerSet(c, "eth0", before, { enable: true, dns: "192.168.0.53" });
        expect(sim.state.dhcpServers.eth0).toEqual({ ...before, enable: true, dns: "192.168.0.53" });
        const set = lastRequest("SYNO.Network.DHCPServer", "set").params;
        expect(
            Object.keys(set)
                .filter((k) => !["api", "version", "method", "_sid", "SynoToken"].includes(k))
                .sort(),
        ).toEqual(["ifname", ...Object.keys(before)].sort());
        expect(set.version).toBe("3");
        expect(sim.counters.calls["SYNO.Network.DHCPServer.get"]).toBe(2); // the read, the verify read: set reads nothing else
    });

    test("set with nothing to change makes no write", async () => {
        await start();
        const c = client();
        await dhcpServerSet(c, "eth0", await dhcpServerGet(c, "eth0"), { enable: false, startip: "192.168.0.100" });
        expect(sim.counters.writes).toBe(0);
        expect(sim.counters.calls["SYNO.Network.DHCPServer.set"]).toBeUndefined();
    });

    test("booleans are written back in DSM's encoding", async () => {
        await start({ boolStyle: "number" });
        const c = client();
        const before = await dhcpServerGet(c, "eth0");
        expect(before.enable).toBe(0);
        // The simulator requires the same JSON type back: 1 (number), not true.
        await expect(dhcpServerSet(c, "eth0", before, { enable: true })).resolves.toBeUndefined();
        expect(lastRequest("SYNO.Network.DHCPServer", "set").params.enable).toBe("1");
    });

    test("an object without the expected fields: error listing expected vs seen, nothing written", async () => {
        await start({ state: { dhcpServers: { eth0: { subnets: [{ start: "10.0.0.2" }], ifname: "eth0" } } } });
        const c = client();
        const e = await caught(dhcpServerGet(c, "eth0"));
        expect(e.name).toBe("DsmShapeError");
        expect(e.message).toMatch(/Expected: enable/);
        expect(e.message).toMatch(/Seen: subnets, ifname/);
        const e2 = await caught(
            dhcpServerSet(c, "eth0", sim.state.dhcpServers.eth0, { enable: true, startip: "10.0.0.100" }),
        );
        expect(e2.name).toBe("DsmShapeError");
        expect(e2.message).toMatch(/Missing: enable, startip/);
        expect(sim.counters.writes).toBe(0);
    });

    test("missing or bad ifname → 4302 with the meaning", async () => {
        await start();
        const c = client();
        const e = await caught(dhcpServerGet(c, "eth9"));
        expect(e).toMatchObject({ name: "DsmError", code: 4302 });
        expect(e.message).toMatch(/no such network interface.*ovs_eth0/);
        const e2 = await caught(c.call("SYNO.Network.DHCPServer", "get", {}));
        expect(e2).toMatchObject({ code: 4302 });
        expect(e2.message).toMatch(/no ifname parameter/);
    });
});

describe("writes verified by reading back", () => {
    test.each([
        [
            "SYNO.Network.DHCPServer",
            async (c: DsmClient) => dhcpServerSet(c, "eth0", await dhcpServerGet(c, "eth0"), { enable: true }),
            /enable \(wanted true, got false\)/,
        ],
        [
            "SYNO.Network.DHCPServer.PXE",
            (c: DsmClient) =>
                pxeSet(c, {
                    enable: true,
                    is_remote_tftp: "false",
                    local_bootloader: "a.efi",
                    remote_bootloader: "",
                    remote_tftp_server_ip: "",
                }),
            /enable.*local_bootloader/,
        ],
        [
            "SYNO.Network.DHCPServer.Reservation",
            (c: DsmClient) =>
                reservationsSet(c, "eth0", [{ mac: "aa:bb:cc:dd:ee:01", ip: "192.168.0.51", hostname: "x" }]),
            /reservation aa:bb:cc:dd:ee:01 \(wanted \{"ip":"192\.168\.0\.51","hostname":"x"\}, got undefined\)/,
        ],
        [
            "SYNO.Core.TFTP",
            (c: DsmClient) => tftpSettingsSet(c, { startip: "192.168.0.2", endip: "192.168.0.9" }),
            /startip \(wanted "192\.168\.0\.2", got "0\.0\.0\.0"\); endip \(wanted "192\.168\.0\.9", got "255\.255\.255\.255"\)/,
        ],
    ] as const)(
        "%s: a NAS that ignores the write is noticed, naming the fields that did not stick",
        async (api, op, detail) => {
            await start();
            sim.faults.ignoreWrites(`${api}.set`, 1);
            const e = await caught(op(client()));
            expect(e.name).toBe("DsmVerifyError");
            expect(e.message).toMatch(detail);
            expect(e.message).toMatch(/ignored or changed.*Writes no public client has confirmed/);
        },
    );

    test("a reservation that took otherwise is named by MAC and field", async () => {
        await start();
        const c = client();
        sim.faults.rewrite("SYNO.Network.DHCPServer.Reservation.get", (data) => {
            const d = data as { reservationList: { ipv4: Array<{ hostname: string }> } };
            for (const r of d.reservationList.ipv4) r.hostname = "";
            return d;
        });
        const e = await caught(
            reservationsSet(c, "eth0", [{ mac: "aa:bb:cc:dd:ee:01", ip: "192.168.0.51", hostname: "x" }]),
        );
        expect(e.message).toMatch(/reservation aa:bb:cc:dd:ee:01\.hostname \(wanted "x", got ""\)/);
        expect(e.message).not.toMatch(/\.ip /);
    });
});

describe("no secret in any error, even from a request that carried the password", () => {
    test("login that times out: the axios error (with the form body) is not what is thrown", async () => {
        await start();
        sim.faults.delayMs = 500;
        const e = await caught(tftpSettingsGet(client({}, { timeoutMs: 50 })));
        sim.faults.delayMs = 0;
        expect(e.name).toBe("DsmTransportError");
        expect(e.api).toBe("SYNO.API.Info");
        const e2 = await caught(
            (async () => {
                const c = client({}, { timeoutMs: 50 });
                await c.discover(NAS_APIS);
                sim.faults.delayMs = 500;
                return c.login();
            })(),
        );
        sim.faults.delayMs = 0;
        expect(e2).toMatchObject({ name: "DsmTransportError", api: "SYNO.API.Auth", method: "login" });
        for (const err of [e, e2]) {
            expect(err).not.toHaveProperty("config");
            expect(err).not.toHaveProperty("request");
            expect(err).not.toHaveProperty("response");
            expectNoSecrets(err);
            expect(util.inspect(err, { showHidden: true, depth: 20 })).not.toContain(encodeURIComponent(PASSWORD));
        }
    });
});

describe("reservations", () => {
    test("set replaces the list (MACs written upper-case), get returns lower-case; verified by re-reading", async () => {
        await start();
        sim.state.reservations.eth0 = [{ clid: "00:11:22:33:44:55", ip: "192.168.0.5", hostname: "printer" }];
        const c = client();
        expect(await reservationsGet(c, "eth0")).toEqual([
            { mac: "00:11:22:33:44:55", ip: "192.168.0.5", hostname: "printer" },
        ]);
        const list = [
            { mac: "00:11:22:33:44:55", ip: "192.168.0.5", hostname: "printer" },
            { mac: "aa-bb-cc-dd-ee-0f", ip: "192.168.0.51", hostname: "cp1" },
        ];
        await reservationsSet(c, "eth0", list);
        expect(sim.state.reservations.eth0).toEqual([
            { clid: "00:11:22:33:44:55", ip: "192.168.0.5", hostname: "printer" },
            { clid: "AA:BB:CC:DD:EE:0F", ip: "192.168.0.51", hostname: "cp1" },
        ]);
        expect(JSON.parse(lastRequest("SYNO.Network.DHCPServer.Reservation", "set").params.reservationData)[1]).toEqual(
            { mac: "AA:BB:CC:DD:EE:0F", ip: "192.168.0.51", hostname: "cp1" },
        );
        expect((await reservationsGet(c, "eth0"))[1]).toEqual({
            mac: "aa:bb:cc:dd:ee:0f",
            ip: "192.168.0.51",
            hostname: "cp1",
        });
        const dup = await caught(reservationsSet(c, "eth0", [list[1], { ...list[0], ip: "192.168.0.51" }]));
        expect(dup).toMatchObject({ name: "DsmError", code: 4300 });
        const bad = await caught(reservationsGet(c, "bond7"));
        expect(bad).toMatchObject({ code: 4302 });
    });
});

describe("PXE", () => {
    test("get decodes; set echoes is_remote_tftp as the string DSM uses, re-reads, no write when unchanged", async () => {
        await start();
        const c = client();
        const p = await pxeGet(c);
        expect(p).toEqual({
            enable: false,
            is_remote_tftp: "false",
            local_bootloader: "",
            remote_bootloader: "",
            remote_tftp_server_ip: "",
        });
        await pxeSet(c, { ...p, enable: true, local_bootloader: "metal-amd64-uki.efi" });
        const set = lastRequest("SYNO.Network.DHCPServer.PXE", "set").params;
        expect(set.is_remote_tftp).toBe('"false"');
        expect(set.enable).toBe("true");
        expect(set.local_bootloader).toBe('"metal-amd64-uki.efi"');
        expect(sim.state.pxe).toMatchObject({
            enable: true,
            local_bootloader: "metal-amd64-uki.efi",
            is_remote_tftp: "false",
        });
        const writes = sim.counters.writes;
        await pxeSet(c, { ...(await pxeGet(c)) });
        expect(sim.counters.writes).toBe(writes);
        await pxeSet(c, {
            ...(await pxeGet(c)),
            is_remote_tftp: true,
            remote_tftp_server_ip: "192.168.0.7",
            remote_bootloader: "x.efi",
        });
        expect(sim.state.pxe.is_remote_tftp).toBe("true");
        expect(lastRequest("SYNO.Network.DHCPServer.PXE", "set").params.is_remote_tftp).toBe('"true"');
    });

    test("a PXE object without the five fields: error listing expected vs seen, nothing written", async () => {
        await start({ state: { pxe: { enabled: 1, bootfile: "x" } } });
        sim.state.pxe = { enabled: 1, bootfile: "x" };
        const c = client();
        const e = await caught(
            pxeSet(c, {
                enable: true,
                is_remote_tftp: false,
                local_bootloader: "a",
                remote_bootloader: "",
                remote_tftp_server_ip: "",
            }),
        );
        expect(e.name).toBe("DsmShapeError");
        expect(e.message).toMatch(
            /Expected: enable, is_remote_tftp, local_bootloader, remote_bootloader, remote_tftp_server_ip/,
        );
        expect(e.message).toMatch(/Seen: enabled, bootfile/);
        expect(sim.counters.writes).toBe(0);
    });
});
