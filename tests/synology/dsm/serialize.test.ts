/**
 * A state written before the stored-provider shim (components/dynamic.ts) carries serialised closures, each with
 * its own copy of the DSM client, which the provider host runs until the resource's next update. Do what the
 * engine does: serialise two separate closures that use `getDsmClient`, load both texts with require-from-string
 * in a fresh `node` process, and run operations against the simulator: they must work, share ONE login through
 * globalThis, and fail with readable errors (name, code, message) whose text carries no secret.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { Readable } from "stream";
import { getDsmClient } from "../../../components/synology/dsm/registry";
import type { DsmConnection } from "../../../components/synology/dsm/types";
import { dhcpServerGet } from "../../../components/synology/providers/dhcp";
import { pxeGet, pxeSet } from "../../../components/synology/providers/pxe";
import { reservationsGet, reservationsSet } from "../../../components/synology/providers/reservations";
import { shareCreate } from "../../../components/synology/providers/share";
import { startDsmSimulator, DsmSimulator } from "../../support/dsm-simulator";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const PASSWORD = "serialised-secret-pw";

const first = {
    async run(conn: DsmConnection): Promise<unknown> {
        const c = getDsmClient(conn, { retryBaseDelayMs: 1, md5PollMs: 1, log: () => undefined });
        await shareCreate(c, "pxe", "/volume1", "");
        await c.upload("/pxe", "boot.efi", Readable.from([Buffer.from("hello world")]), 11, { overwrite: true });
        const md5 = await c.md5("/pxe/boot.efi");
        await reservationsSet(c, "eth0", [{ mac: "aa:bb:cc:dd:ee:01", ip: "192.168.0.51", hostname: "cp1" }]);
        const p = await pxeGet(c);
        await pxeSet(c, { ...p, enable: true, local_bootloader: "boot.efi" });
        return { md5 };
    },
};

const second = {
    async run(conn: DsmConnection): Promise<unknown> {
        const c = getDsmClient(conn, { retryBaseDelayMs: 1, log: () => undefined });
        const reservations = await reservationsGet(c, "eth0");
        const errors: unknown[] = [];
        for (const f of [
            () => shareCreate(c, "pxe", "/volume1", ""),
            () => dhcpServerGet(c, "eth9"),
            () => c.call("SYNO.Nope", "get"),
        ]) {
            try {
                await f();
            } catch (e) {
                const err = e as { name: string; code: unknown; message: string; stack?: string };
                errors.push({
                    name: err.name,
                    code: err.code,
                    message: err.message,
                    text: String(e),
                    stack: String(err.stack),
                });
            }
        }
        return { reservations, errors };
    },
};

describe("the DSM client inside serialised dynamic providers", () => {
    let sim: DsmSimulator;
    let dir: string;
    beforeAll(async () => {
        sim = await startDsmSimulator({ users: { admin: PASSWORD } });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsm-ser-"));
    });
    afterAll(async () => {
        await sim.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test("two serialised closures work in a fresh node process and share one login", async () => {
        const a = await pulumi.runtime.serializeFunction(() => first, { allowSecrets: true });
        const b = await pulumi.runtime.serializeFunction(() => second, { allowSecrets: true });
        expect(a.text).not.toContain(PASSWORD);
        fs.writeFileSync(path.join(dir, "a.js"), a.text);
        fs.writeFileSync(path.join(dir, "b.js"), b.text);
        const driver = `
            const fs = require("fs");
            const rfs = require("require-from-string");
            const a = rfs(fs.readFileSync(process.argv[1], "utf8")).handler();
            const b = rfs(fs.readFileSync(process.argv[2], "utf8")).handler();
            const conn = JSON.parse(process.argv[3]);
            (async () => {
                const out = { a: await a.run(conn), b: await b.run(conn) };
                process.stdout.write(JSON.stringify(out));
            })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
        `;
        const conn: DsmConnection = { url: sim.url, username: "admin", password: PASSWORD, allowHttp: true };
        const out = await new Promise<string>((resolve, reject) =>
            execFile(
                process.execPath,
                ["-e", driver, path.join(dir, "a.js"), path.join(dir, "b.js"), JSON.stringify(conn)],
                { cwd: repoRoot, timeout: 60000 },
                (err, so, se) => (err ? reject(new Error(`${err.message}\n${se}`)) : resolve(so)),
            ),
        );
        const r = JSON.parse(out);
        expect(r.a.md5).toBe("5eb63bbbe01eeed093cb22bb8f5acdc3");
        expect(r.b.reservations).toEqual([{ mac: "aa:bb:cc:dd:ee:01", ip: "192.168.0.51", hostname: "cp1" }]);
        expect(sim.state.pxe).toMatchObject({ enable: true, local_bootloader: "boot.efi" });
        expect(sim.counters.logins).toBe(1);
        expect(r.b.errors).toHaveLength(3);
        expect(r.b.errors[0]).toMatchObject({ name: "DsmError", code: 3301 });
        expect(r.b.errors[0].message).toMatch(/already exists/);
        expect(r.b.errors[0].text).toMatch(/^DsmError: .*already exists/);
        expect(r.b.errors[0].stack).toMatch(/already exists/);
        expect(r.b.errors[1]).toMatchObject({ name: "DsmError", code: 4302 });
        expect(r.b.errors[2]).toMatchObject({ name: "DsmError", code: 102 });
        expect(out).not.toContain(PASSWORD);
    }, 90_000);
});
