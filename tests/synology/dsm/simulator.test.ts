/**
 * The DSM simulator answers other clients as DSM does (issue 24): what public DSM clients checked against a live
 * DSM 7 rely on, asked over HTTP the way they ask it, not through this program's client. The program's own encoding
 * is asserted on the requests it made (`sim.notJsonEncoded()`), never enforced by refusing them.
 */
import axios from "axios";
import { DsmClient } from "../../../components/synology/dsm/client";
import { rawLogin, startDsmSimulator, DsmSimulator, simShare } from "../../support/dsm-simulator";
import { caught } from "../../support/rejection";

const PASSWORD = "pw";
let sim: DsmSimulator;

beforeEach(async () => {
    sim = await startDsmSimulator({ users: { admin: PASSWORD }, state: { shares: { pxe: simShare("pxe") } } });
    sim.putFile("/pxe/a.bin", Buffer.from("abc"));
    sim.putFile("/pxe/b.bin", Buffer.from("defg"));
});
afterEach(async () => {
    await sim.close();
});

/** One call as a plain client sends it: form fields as given (raw unless the caller quoted them), session in the body. */
async function call(fields: Record<string, string>): Promise<{ success: boolean; data?: any; error?: any }> {
    const { sid, synotoken } = await rawLogin(sim, "admin", PASSWORD);
    const res = await axios.post(
        `${sim.url}/webapi/entry.cgi`,
        new URLSearchParams({ ...fields, _sid: sid, SynoToken: synotoken }).toString(),
    );
    return res.data;
}

test("a parameter value that is not JSON is taken as the raw string (not refused with 101)", async () => {
    const r = await call({ api: "SYNO.Core.TFTP", version: "1", method: "set", root_path: "/volume1/pxe" });
    expect(r).toEqual({ success: true });
    expect(sim.state.tftp.root_path).toBe("/volume1/pxe");
    expect(await call({ api: "SYNO.Core.Share", version: "1", method: "get", name: "pxe" })).toMatchObject({
        success: true,
        data: { name: "pxe", vol_path: "/volume1" },
    });
    expect(
        await call({ api: "SYNO.Network.DHCPServer.Reservation", version: "3", method: "get", ifname: "eth0" }),
    ).toMatchObject({ success: true, data: { reservationList: { ipv4: [], ipv6: [] } } });
    // The JSON form still means the same.
    expect(await call({ api: "SYNO.Core.Share", version: "1", method: "get", name: '"pxe"' })).toMatchObject({
        success: true,
    });
});

test("File Station getinfo reports a missing path with an empty name", async () => {
    const r = await call({
        api: "SYNO.FileStation.List",
        version: "2",
        method: "getinfo",
        path: '["/pxe/a.bin","/pxe/nothere.bin"]',
    });
    expect(r.data.files).toEqual([
        { isdir: false, name: "a.bin", path: "/pxe/a.bin" },
        { code: 408, name: "", path: "/pxe/nothere.bin" },
    ]);
});

test("additional may be one comma-separated list, raw or JSON-quoted, as well as a JSON array", async () => {
    for (const additional of ["real_path,size", '"real_path,size"', '["real_path","size"]']) {
        const r = await call({
            api: "SYNO.FileStation.List",
            version: "2",
            method: "getinfo",
            path: "/pxe/b.bin",
            additional,
        });
        expect(r.data.files[0].additional).toEqual({ real_path: "/volume1/pxe/b.bin", size: 4 });
    }
    const list = await call({
        api: "SYNO.FileStation.List",
        version: "2",
        method: "list",
        folder_path: "/pxe",
        additional: "size",
    });
    expect(list.data.files.map((f: { additional: unknown }) => f.additional)).toEqual([{ size: 3 }, { size: 4 }]);
});

test.each([1, 2, 3])("SYNO.Core.System info answers on version %i, listed in SYNO.API.Info", async (version) => {
    const info = await axios.get(
        `${sim.url}/webapi/query.cgi?api=SYNO.API.Info&version=1&method=query&query=SYNO.Core.System`,
    );
    expect(info.data.data["SYNO.Core.System"]).toMatchObject({ minVersion: 1, maxVersion: 3, path: "entry.cgi" });
    const r = await call({ api: "SYNO.Core.System", version: String(version), method: "info" });
    expect(r).toMatchObject({
        success: true,
        data: {
            model: expect.any(String),
            serial: expect.any(String),
            firmware_ver: expect.stringMatching(/^DSM 7\./),
        },
    });
});

test("SYNO.FileStation.Delete offers start/status (non-blocking) besides the blocking delete", async () => {
    const start = await call({ api: "SYNO.FileStation.Delete", version: "2", method: "start", path: '["/pxe/a.bin"]' });
    const taskid = start.data.taskid as string;
    expect(taskid).toMatch(/^FileStation_/);
    expect(sim.counters.writes).toBe(1);
    let status = await call({
        api: "SYNO.FileStation.Delete",
        version: "2",
        method: "status",
        taskid: JSON.stringify(taskid),
    });
    expect(status.data.finished).toBe(false);
    status = await call({ api: "SYNO.FileStation.Delete", version: "2", method: "status", taskid });
    expect(status.data).toMatchObject({ finished: true, total: 1 });
    expect(sim.getFile("/pxe/a.bin")).toBeUndefined();
    expect(await call({ api: "SYNO.FileStation.Delete", version: "2", method: "stop", taskid })).toEqual({
        success: true,
    });
    expect(await call({ api: "SYNO.FileStation.Delete", version: "2", method: "status", taskid })).toMatchObject({
        success: false,
        error: { code: 599 },
    });

    // A missing path: the task starts, and its status says why it failed once it has run.
    const gone = await call({
        api: "SYNO.FileStation.Delete",
        version: "2",
        method: "start",
        path: "/pxe/nothere.bin",
    });
    const id = gone.data.taskid as string;
    await call({ api: "SYNO.FileStation.Delete", version: "2", method: "status", taskid: id });
    expect(await call({ api: "SYNO.FileStation.Delete", version: "2", method: "status", taskid: id })).toMatchObject({
        success: false,
        error: { code: 408 },
    });

    expect(
        await call({ api: "SYNO.FileStation.Delete", version: "2", method: "delete", path: '["/pxe/b.bin"]' }),
    ).toEqual({
        success: true,
    });
    expect(sim.getFile("/pxe/b.bin")).toBeUndefined();
});

test("notJsonEncoded names a raw value sent to a JSON API, and none of the program's client's", async () => {
    await call({ api: "SYNO.Core.Share", version: "1", method: "get", name: "pxe" });
    expect(sim.notJsonEncoded()).toEqual(["SYNO.Core.Share.get name=pxe"]);
    sim.resetCounters();
    const client = new DsmClient(
        { url: sim.url, username: "admin", password: PASSWORD, allowHttp: true },
        { log: () => undefined },
    );
    await client.getInfo(["/pxe/a.bin", "/pxe/nothere.bin"]);
    await client.call("SYNO.Core.Share", "get", { name: "pxe" });
    await client.deletePaths(["/pxe/a.bin"]);
    expect(sim.requests.length).toBeGreaterThan(3);
    expect(sim.notJsonEncoded()).toEqual([]);
});

describe("faults a run meets half way", () => {
    const conn = () => ({ url: sim.url, username: "admin", password: PASSWORD, allowHttp: true });
    const quiet = { log: () => undefined, retryBaseDelayMs: 1, retryMaxDelayMs: 2 };

    test("expireSessionsAfter: the session ends right after the named call; the client logs in again once and goes on", async () => {
        const client = new DsmClient(conn(), quiet);
        sim.faults.expireSessionsAfter("SYNO.Core.TFTP.set", 106);
        await client.call("SYNO.Core.TFTP", "set", { enable: true, root_path: "/volume1/pxe" });
        expect(sim.activeSessions()).toBe(0);
        await client.call("SYNO.Core.TFTP", "set", { enable_log: true });
        expect(sim.state.tftp).toMatchObject({ enable: true, root_path: "/volume1/pxe", enable_log: true });
        expect({ logins: sim.counters.logins, sessionErrors: sim.counters.sessionErrors }).toEqual({
            logins: 2,
            sessionErrors: 1,
        });
        // Armed once: later calls keep the new session.
        await client.call("SYNO.Core.TFTP", "set", { enable_log: false });
        expect(sim.counters.logins).toBe(2);
    });

    test("rotateCertificate: a client pinned to the old certificate refuses before it sends anything, naming both fingerprints", async () => {
        const tls = await startDsmSimulator({ https: true, users: { admin: PASSWORD } });
        try {
            const pinned = tls.fingerprintSha256!;
            const pin = { url: tls.url, username: "admin", password: PASSWORD, tls: { fingerprintSha256: pinned } };
            await new DsmClient(pin, quiet).login();
            const presented = await tls.rotateCertificate();
            expect(presented).not.toBe(pinned);
            expect(tls.fingerprintSha256).toBe(presented);
            tls.resetCounters();
            const e = await caught(new DsmClient(pin, quiet).login());
            expect(e).toMatchObject({ code: "CERT_FINGERPRINT_MISMATCH" });
            expect(e.message).toContain(`fingerprint ${presented}, not the pinned ${pinned}`);
            expect(tls.requests).toEqual([]);
            await new DsmClient({ ...pin, tls: { fingerprintSha256: presented } }, quiet).login();
            expect(tls.counters.logins).toBe(1);
        } finally {
            await tls.close();
        }
    });
});
