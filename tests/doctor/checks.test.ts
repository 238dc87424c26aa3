/**
 * The doctor's checks against local servers on 127.0.0.1: the DSM simulator (tests/support/dsm-simulator)
 * through the real DSM client, the Image Factory simulator, a small TFTP server, and TCP ports standing
 * in for Talos nodes. Then the whole run (`runDoctor`) with everything wired as the CLI wires it.
 */
import * as crypto from "crypto";
import * as dgram from "dgram";
import * as http from "http";
import * as net from "net";
import { parseStackConfig, StackConfig } from "../../components/config";
import { runDoctor } from "../../components/doctor/checks";
import { checkFactory, checkTalosNodes, classifyConnectError } from "../../components/doctor/lan-checks";
import { checkBootFileOnNas, checkNas, checkTftpSettings } from "../../components/doctor/nas-checks";
import { CheckResult, DoctorPlan, exitCodeOf, formatResult, planFromConfig } from "../../components/doctor/plan";
import { FILE_APIS } from "../../components/synology/dsm/apis";
import { decodePacket, encodeError, OP_ACK, OP_RRQ } from "../../components/doctor/tftp";
import { encodeData } from "../support/tftp-server-packets";
import { schematicFromImage, schematicId } from "../../components/factory/schematic";
import { getDsmClient } from "../../components/synology/dsm/registry";
import type { DsmApi } from "../../components/synology/dsm/types";
import { DsmSimulator, startDsmSimulator } from "../support/dsm-simulator";
import { expectedAssetBytes, FactoryServer, startFactoryServer } from "../support/factory-server";
import { loopbackStackValues } from "../support/fixtures";

const PASSWORD = "s3cret-Pa55word!";
const VERSION = "v1.12.1";
const EXTENSIONS = ["siderolabs/i915", "siderolabs/iscsi-tools"];

function localConfig(dsmUrl: string, factoryUrl: string, over: Record<string, unknown> = {}): StackConfig {
    const v = loopbackStackValues(dsmUrl, factoryUrl);
    return parseStackConfig({
        ...v,
        cluster: { ...v.cluster, talosVersion: VERSION },
        image: { ...v.image, extensions: EXTENSIONS },
        synologyPassword: PASSWORD,
        ...over,
    });
}

/** Unique client per test: the DSM client registry is keyed by URL and user. */
function client(sim: DsmSimulator, password = PASSWORD): DsmApi {
    return getDsmClient(
        { url: sim.url, username: "admin", password, allowHttp: true },
        { retries: 0, md5PollMs: 20, timeoutMs: 5000 },
    );
}

const sims: DsmSimulator[] = [];
const factories: FactoryServer[] = [];
async function sim(opts: Parameters<typeof startDsmSimulator>[0] = {}): Promise<DsmSimulator> {
    const s = await startDsmSimulator({ users: { admin: PASSWORD }, ...opts });
    sims.push(s);
    return s;
}
async function factory(): Promise<FactoryServer> {
    const f = await startFactoryServer();
    factories.push(f);
    return f;
}
afterAll(async () => {
    for (const s of sims) await s.close();
    for (const f of factories) await f.close();
});

describe("plan from the stack config", () => {
    test("derives TFTP root, boot file, schematic and UKI URL", () => {
        const cfg = localConfig("http://127.0.0.1:5000", "http://127.0.0.1:8080");
        const plan = planFromConfig(cfg);
        const id = schematicId(schematicFromImage({ extensions: EXTENSIONS, extraKernelArgs: [] }));
        expect(plan).toMatchObject({
            nasHost: "127.0.0.1",
            tftpRoot: "/volume1/pxe",
            bootFile: "metal-amd64-uki.efi",
            bootFilePath: "/pxe/metal-amd64-uki.efi",
            schematicId: id,
            ukiUrl: `http://127.0.0.1:8080/image/${id}/${VERSION}/metal-amd64-uki.efi`,
            nodes: [{ hostname: "cp1", ip: "127.0.0.10", role: "controlplane" }],
        });
    });
});

describe("output", () => {
    test("one line per result, the fix indented under a failure, exit code 1 on FAIL only", () => {
        const pass: CheckResult = { id: "a", status: "PASS", detail: "ok thing", fix: "unused" };
        const fail: CheckResult = { id: "b", status: "FAIL", detail: "bad thing", fix: "do this" };
        const wait: CheckResult = { id: "c", status: "WAIT", detail: "later", fix: "power on" };
        expect(formatResult(pass)).toBe("PASS  ok thing");
        expect(formatResult(fail)).toBe("FAIL  bad thing\n      fix: do this");
        expect(exitCodeOf([pass, wait])).toBe(0);
        expect(exitCodeOf([pass, fail])).toBe(1);
    });
});

describe("NAS checks (real DSM client against the simulator)", () => {
    const plan = { nasUrl: "" };

    test("healthy NAS: answers, login, DHCP package and APIs all PASS", async () => {
        const s = await sim();
        const r = await checkNas(client(s), { nasUrl: s.url });
        expect(r.results.map((x) => [x.id, x.status])).toEqual([
            ["nas.answers", "PASS"],
            ["nas.login", "PASS"],
            ["nas.dhcpPackage", "PASS"],
            ["nas.apis", "PASS"],
        ]);
        expect(r.loggedIn).toBe(true);
        expect(r.results[2].detail).toContain("SYNO.Network.DHCPServer");
    });

    test("wrong password → login FAIL with the fix, and the password is never printed", async () => {
        const s = await sim();
        const r = await checkNas(client(s, "wrong-password-xyz"), { nasUrl: s.url });
        const login = r.results.find((x) => x.id === "nas.login")!;
        expect(login.status).toBe("FAIL");
        expect(login.detail).toMatch(/400|wrong password/);
        expect(login.fix).toMatch(/synologyPassword|DSM_PASSWORD/);
        expect(JSON.stringify(r.results)).not.toContain("wrong-password-xyz");
        expect(r.loggedIn).toBe(false);
    });

    test("DHCP Server package missing → FAIL telling to install it", async () => {
        const s = await sim({ dhcp: "none" });
        const r = await checkNas(client(s), { nasUrl: s.url });
        expect(r.results.find((x) => x.id === "nas.dhcpPackage")).toMatchObject({
            status: "FAIL",
            fix: expect.stringMatching(/Package Center/),
        });
    });

    test("an API the program needs is missing → FAIL naming it", async () => {
        const s = await sim({ apiOverrides: { "SYNO.FileStation.MD5": null } });
        const r = await checkNas(client(s), { nasUrl: s.url });
        const apis = r.results.find((x) => x.id === "nas.apis")!;
        expect(apis.status).toBe("FAIL");
        expect(apis.detail).toContain("SYNO.FileStation.MD5");
        expect(FILE_APIS.md5).toMatchObject({ api: "SYNO.FileStation.MD5", need: "read" });
    });

    test("nothing listening → answers FAIL, the rest SKIP", async () => {
        const port = await closedPort();
        const dsm = getDsmClient(
            { url: `http://127.0.0.1:${port}`, username: "admin", password: PASSWORD, allowHttp: true },
            { retries: 0, md5PollMs: 20, timeoutMs: 5000 },
        );
        const r = await checkNas(dsm, { ...plan, nasUrl: `http://127.0.0.1:${port}` });
        expect(r.results.map((x) => x.status)).toEqual(["FAIL", "SKIP", "SKIP", "SKIP"]);
        expect(r.results[0].fix).toMatch(/synology\.url/);
    });
});

describe("TFTP settings and boot file on the NAS", () => {
    const plan = {
        tftpRoot: "/volume1/pxe",
        bootFilePath: "/pxe/metal-amd64-uki.efi",
        ukiUrl: "http://factory/image/x",
    };

    test("disabled, wrong root, right root", async () => {
        const s = await sim({ state: { shares: { pxe: { name: "pxe", vol_path: "/volume1" } as never } } });
        const dsm = client(s);
        await dsm.login();
        expect(await checkTftpSettings(dsm, plan)).toMatchObject({
            status: "FAIL",
            detail: "TFTP service is disabled on the NAS",
            fix: expect.stringMatching(/\/volume1\/pxe/),
        });
        s.state.tftp.enable = true;
        s.state.tftp.root_path = "/volume1/other";
        expect(await checkTftpSettings(dsm, plan)).toMatchObject({
            status: "FAIL",
            detail: "TFTP root is /volume1/other, expected /volume1/pxe",
        });
        s.state.tftp.root_path = "/volume1/pxe/";
        expect(await checkTftpSettings(dsm, plan)).toMatchObject({ status: "PASS" });
    });

    test("boot file: missing, wrong size, present with MD5", async () => {
        const s = await sim({ state: { shares: { pxe: { name: "pxe", vol_path: "/volume1" } as never } } });
        const dsm = client(s);
        await dsm.login();
        const missing = await checkBootFileOnNas(dsm, plan, 1000);
        expect(missing.result).toMatchObject({ status: "FAIL", fix: expect.stringMatching(/pulumi up/) });
        const body = crypto.randomBytes(1000);
        s.putFile(plan.bootFilePath, body.subarray(0, 600));
        const short = await checkBootFileOnNas(dsm, plan, 1000);
        expect(short.result).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/has 600 bytes, the factory image has 1000/),
        });
        // An empty file is broken even when the factory's size is unknown (factory unreachable).
        s.putFile(plan.bootFilePath, Buffer.alloc(0));
        const empty = await checkBootFileOnNas(dsm, plan);
        expect(empty.result).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/is empty \(0 bytes\)/),
            fix: expect.stringMatching(/pulumi up/),
        });
        s.putFile(plan.bootFilePath, body);
        const ok = await checkBootFileOnNas(dsm, plan, 1000);
        const sum = crypto.createHash("md5").update(body).digest("hex");
        expect(ok).toMatchObject({ size: 1000, md5: sum, result: { status: "PASS" } });
    });
});

describe("Image Factory", () => {
    test("unregistered schematic → FAIL; registered → PASS with the UKI's size", async () => {
        const f = await factory();
        const plan = planFromConfig(localConfig("http://127.0.0.1:5000", f.url));
        const before = await checkFactory(plan);
        expect(before.result).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/does not know schematic/),
            fix: expect.stringMatching(/pulumi up/),
        });
        f.register(schematicFromImage({ extensions: EXTENSIONS, extraKernelArgs: [] }));
        const after = await checkFactory(plan);
        expect(after.result.status).toBe("PASS");
        expect(after.size).toBe(f.assetSize(plan.schematicId, VERSION, "metal-amd64-uki.efi"));
        expect(f.calls.imageHead).toBe(1);
    });

    test("unknown Talos version → FAIL pointing at /versions; extension not offered → FAIL pointing at the extension list", async () => {
        const f = await factory();
        const plan = planFromConfig(
            localConfig("http://127.0.0.1:5000", f.url, {
                cluster: {
                    name: "lab",
                    endpoint: "https://127.0.0.10:6443",
                    talosVersion: "v1.99.0",
                    kubernetesVersion: "1.40.0",
                },
            }),
        );
        f.register(schematicFromImage({ extensions: EXTENSIONS, extraKernelArgs: [] }));
        expect((await checkFactory(plan)).result).toMatchObject({
            status: "FAIL",
            fix: expect.stringMatching(/\/versions/),
        });
        const plan2 = planFromConfig(
            localConfig("http://127.0.0.1:5000", f.url, {
                image: { arch: "amd64", extensions: ["siderolabs/not-offered"], factoryUrl: f.url },
            }),
        );
        f.register(schematicFromImage({ extensions: ["siderolabs/not-offered"], extraKernelArgs: [] }));
        expect((await checkFactory(plan2)).result).toMatchObject({
            status: "FAIL",
            fix: expect.stringMatching(/extensions\/official/),
        });
    });

    test("schematic known but the image still building (HEAD does not answer in time) → SKIP saying to retry, not a network FAIL", async () => {
        const plan = planFromConfig(localConfig("http://127.0.0.1:5000", "http://127.0.0.1:1"));
        // A factory that knows the schematic and holds HEAD open, as the real one does while it builds.
        const held: http.ServerResponse[] = [];
        const srv = http.createServer((req, res) => {
            if (req.method === "GET" && req.url === `/schematics/${plan.schematicId}`) {
                res.writeHead(200, { "Content-Type": "application/yaml" }).end("customization: {}\n");
            } else held.push(res);
        });
        await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
        try {
            const url = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
            const p2 = planFromConfig(localConfig("http://127.0.0.1:5000", url));
            const r = await checkFactory(p2, 300);
            expect(held).toHaveLength(1);
            expect(r.result).toMatchObject({
                status: "SKIP",
                detail: expect.stringMatching(/knows schematic .* did not answer HEAD .* within 0\.3 s/),
                fix: expect.stringMatching(/again in a few minutes/),
            });
            expect(r.size).toBeUndefined();
        } finally {
            for (const res of held) res.destroy();
            await new Promise<void>((r) => srv.close(() => r()));
        }
    });

    test("factory down → FAIL asking for HTTPS access", async () => {
        const port = await closedPort();
        const plan = planFromConfig(localConfig("http://127.0.0.1:5000", `http://127.0.0.1:${port}`));
        expect((await checkFactory(plan, 2000)).result).toMatchObject({
            status: "FAIL",
            fix: expect.stringMatching(/needs HTTPS access/),
        });
    });
});

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
}

describe("Talos API port on each node", () => {
    test("listening → PASS; refused → FAIL (up, not Talos)", async () => {
        const srv = net.createServer((c) => c.destroy());
        await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
        const port = (srv.address() as net.AddressInfo).port;
        try {
            const [up] = await checkTalosNodes([{ hostname: "cp1", ip: "127.0.0.1", role: "controlplane" }], { port });
            expect(up).toMatchObject({ id: "node.cp1", status: "PASS" });
            expect(up.detail).toContain(`127.0.0.1:${port}`);
        } finally {
            await new Promise<void>((r) => srv.close(() => r()));
        }
        const closed = await closedPort();
        const [down] = await checkTalosNodes([{ hostname: "w1", ip: "127.0.0.1", role: "worker" }], { port: closed });
        expect(down).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/refuses/),
            fix: expect.stringMatching(/network/),
        });
    });

    test("no answer at all means WAIT (not yet powered on), not FAIL", () => {
        expect(classifyConnectError("ECONNREFUSED")).toBe("refused");
        for (const c of ["ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", undefined])
            expect(classifyConnectError(c)).toBe("silent");
    });
});

// ------------------------------------------------------------------------------------------------
// The whole run

/** A plain RFC 1350 TFTP server (no options, 512-byte blocks) serving `files` on 127.0.0.1. */
async function tinyTftp(files: Record<string, Buffer>): Promise<{ port: number; close(): void }> {
    const main = dgram.createSocket("udp4");
    const socks: dgram.Socket[] = [main];
    main.on("message", (msg, peer) => {
        const p = decodePacket(msg);
        if (p.op !== OP_RRQ) return;
        const t = dgram.createSocket("udp4");
        socks.push(t);
        t.bind(0, "127.0.0.1", () => {
            const body = files[p.filename];
            if (!body) {
                t.send(encodeError(1, "File not found"), peer.port, peer.address);
                return;
            }
            const last = Math.floor(body.length / 512) + 1;
            const send = (n: number) =>
                t.send(encodeData(n, body.subarray((n - 1) * 512, n * 512)), peer.port, peer.address);
            t.on("message", (m) => {
                const a = decodePacket(m);
                if (a.op === OP_ACK && a.block < last) send(a.block + 1);
            });
            send(1);
        });
    });
    await new Promise<void>((r) => main.bind(0, "127.0.0.1", () => r()));
    return {
        port: main.address().port,
        close: () =>
            socks.forEach((s) => {
                try {
                    s.close();
                } catch {
                    /* closed */
                }
            }),
    };
}

describe("runDoctor end to end (DSM simulator, factory simulator, TFTP, a node port)", () => {
    let s: DsmSimulator;
    let f: FactoryServer;
    let plan: DoctorPlan;
    let uki: Buffer;
    let tftp: { port: number; close(): void };
    let node: net.Server;
    let nodePort: number;

    beforeAll(async () => {
        s = await sim({ state: { shares: { pxe: { name: "pxe", vol_path: "/volume1" } as never } } });
        f = await factory();
        f.setAssetSize("metal-amd64-uki.efi", 300_000);
        const cfg = localConfig(s.url, f.url);
        // Nodes may only be dialled on 127.0.0.1 here; the config itself needs a node address other than the NAS's.
        plan = { ...planFromConfig(cfg), nodes: [{ hostname: "cp1", ip: "127.0.0.1", role: "controlplane" }] };
        uki = expectedAssetBytes(plan.schematicId, VERSION, "metal-amd64-uki.efi", 300_000);
        node = net.createServer((c) => c.destroy());
        await new Promise<void>((r) => node.listen(0, "127.0.0.1", () => r()));
        nodePort = (node.address() as net.AddressInfo).port;
    });
    afterAll(async () => {
        tftp?.close();
        await new Promise<void>((r) => node.close(() => r()));
    });

    const run = (extra: Partial<Parameters<typeof runDoctor>[0]> = {}) => {
        const lines: string[] = [];
        return runDoctor(
            {
                plan,
                dsm: client(s),
                tftp: { host: "127.0.0.1", port: tftp.port, timeoutMs: 200, retries: 2 },
                dhcp: false,
                talos: { port: nodePort },
                ...extra,
            },
            (r) => lines.push(formatResult(r)),
        ).then((results) => ({ results, lines }));
    };

    test("before `pulumi up`: every missing piece is a FAIL with its fix", async () => {
        tftp = await tinyTftp({});
        const { results, lines } = await run();
        const by = Object.fromEntries(results.map((r) => [r.id, r.status]));
        expect(by).toMatchObject({
            "nas.answers": "PASS",
            "nas.login": "PASS",
            "nas.dhcpPackage": "PASS",
            "nas.apis": "PASS",
            "factory.image": "FAIL",
            "tftp.settings": "FAIL",
            "nas.bootFile": "FAIL",
            "tftp.transfer": "FAIL",
            "dhcp.offer": "SKIP",
            "node.cp1": "PASS",
        });
        expect(lines.filter((l) => l.startsWith("FAIL")).length).toBe(4);
        expect(lines.join("\n")).toMatch(/fix: /);
        expect(exitCodeOf(results)).toBe(1);
        expect(lines.join("\n")).not.toContain(PASSWORD);
    });

    test("after `pulumi up`: all PASS, sizes and MD5 agree across factory, NAS and TFTP", async () => {
        tftp.close();
        tftp = await tinyTftp({ "metal-amd64-uki.efi": uki });
        f.register(schematicFromImage({ extensions: EXTENSIONS, extraKernelArgs: [] }));
        s.state.tftp.enable = true;
        s.state.tftp.root_path = "/volume1/pxe";
        s.putFile(plan.bootFilePath, uki);
        const { results, lines } = await run();
        expect(results.filter((r) => r.status !== "PASS" && r.id !== "dhcp.offer")).toEqual([]);
        const sum = crypto.createHash("md5").update(uki).digest("hex");
        expect(lines.join("\n")).toContain(`300000 bytes, md5 ${sum}`);
        expect(exitCodeOf(results)).toBe(0);
    });

    test("a corrupt copy on the TFTP server is caught by MD5 even with the right size", async () => {
        tftp.close();
        const bad = Buffer.from(uki);
        bad[12345] ^= 0xff;
        tftp = await tinyTftp({ "metal-amd64-uki.efi": bad });
        const { results } = await run({ only: ["tftp"] });
        expect(results.find((r) => r.id === "tftp.transfer")).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/MD5 .* differs/),
        });
    });

    test("--only limits the groups that run", async () => {
        const { results } = await run({ only: ["nodes"] });
        expect(results.map((r) => r.id)).toEqual(["node.cp1"]);
    });
});
