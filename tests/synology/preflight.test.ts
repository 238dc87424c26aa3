/**
 * The NAS pre-flight (components/synology/preflight.ts), as policies: it reads the NAS once and writes
 * nothing; every problem the NAS would raise half-way through an `up` comes out at once, before any write,
 * each naming the setting and the fix; what it cannot tell (an unknown answer shape) is a problem naming the
 * missing fields, not a guess; the password appears in no message. Against the DSM simulator and the local
 * Image Factory on 127.0.0.1, through the real DSM client.
 */
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackConfig } from "../../components/config";
import { schematicFromImage } from "../../components/factory/schematic";
import {
    BootFileSize,
    judgeNas,
    NasFacts,
    PreflightConfig,
    PreflightOutcome,
    preflightPlan,
    preflightSwitch,
    runNasPreflight,
} from "../../components/synology/preflight";
import { DsmError, DsmShapeError } from "../../components/synology/dsm/errors";
import { apiName } from "../../components/synology/dsm/apis";
import { NAS_APIS } from "../../components/synology/pxe";
import { DsmSimulator, DsmSimulatorOptions, startDsmSimulator, simShare } from "../support/dsm-simulator";
import { FactoryServer, startFactoryServer } from "../support/factory-server";
import { loopbackStackValues } from "../support/fixtures";
import { snapshotPlaces } from "../../components/backups/names";

const PASSWORD = "Pre-fl1ght-S3cret!";
const MIB = 1024 * 1024;
const UKI = 100 * MIB;

const servers: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
    for (const s of servers) await s.close();
});

async function nas(opts: DsmSimulatorOptions = {}): Promise<DsmSimulator> {
    const sim = await startDsmSimulator({ users: { admin: PASSWORD }, ...opts });
    servers.push(sim);
    return sim;
}

let factory: FactoryServer;
beforeAll(async () => {
    factory = await startFactoryServer();
    servers.push(factory);
    factory.setAssetSize("metal-amd64-uki.efi", UKI);
});

function config(
    sim: DsmSimulator,
    over: {
        synology?: Record<string, unknown>;
        dhcp?: Record<string, unknown>;
        factoryUrl?: string;
        password?: string;
    } = {},
): StackConfig {
    const v = loopbackStackValues(sim.url, over.factoryUrl ?? factory.url);
    const cfg = parseStackConfig({
        ...v,
        synology: { ...v.synology, ...over.synology },
        dhcp: { ...v.dhcp, ...over.dhcp },
        synologyPassword: over.password ?? PASSWORD,
    });
    factory.register(schematicFromImage(cfg.image));
    return cfg;
}

/** A NAS the program can set up: DHCP server enabled on eth0. */
async function readyNas(opts: DsmSimulatorOptions = {}): Promise<DsmSimulator> {
    const sim = await nas(opts);
    for (const ifname of Object.keys(sim.state.dhcpServers)) sim.state.dhcpServers[ifname].enable = true;
    return sim;
}

const quiet = { info: () => undefined, warn: () => undefined };
const fast = { retries: 0, retryBaseDelayMs: 5, timeoutMs: 5000 };

async function preflight(
    cfg: PreflightConfig,
    warnings: string[] = [],
): Promise<{ outcome?: PreflightOutcome; error?: Error }> {
    try {
        const outcome = await runNasPreflight(cfg, {
            engineConnected: true,
            env: {},
            clientOptions: fast,
            factoryTimeoutMs: 5000,
            log: { info: () => undefined, warn: (m) => warnings.push(m) },
        });
        return { outcome };
    } catch (error) {
        return { error: error as Error };
    }
}

/** Every call the simulator saw, as API.method, without duplicates. */
function calls(sim: DsmSimulator): string[] {
    return Object.keys(sim.counters.calls).sort();
}

describe("a NAS ready for the program", () => {
    test("passes with one login, reads only, and the boot file's exact size from the factory", async () => {
        const sim = await readyNas();
        const infos: string[] = [];
        const outcome = await runNasPreflight(config(sim), {
            engineConnected: true,
            env: {},
            clientOptions: fast,
            log: { info: (m) => infos.push(m), warn: (m) => infos.push(`WARN ${m}`) },
        });
        expect(outcome.ran).toBe(true);
        expect(outcome.verdict).toEqual({ problems: [], warnings: [] });
        expect(sim.counters).toMatchObject({ logins: 1, logouts: 1, writes: 0, uploadBytes: 0 });
        expect(calls(sim)).toEqual([
            "SYNO.API.Auth.login",
            "SYNO.API.Auth.logout",
            "SYNO.API.Info.query",
            "SYNO.Core.Group.Member.list",
            "SYNO.Core.Network.Ethernet.list",
            "SYNO.Core.Share.list",
            "SYNO.Network.DHCPServer.get",
            "SYNO.Storage.CGI.Storage.load_info",
        ]);
        expect(infos).toEqual([
            expect.stringMatching(
                /^NAS pre-flight passed: .* boot file 100 MiB, etcd snapshots in shared folder talos-backups$/,
            ),
        ]);
        expect(sim.activeSessions()).toBe(0);
    });

    test("with the share already there, also looks at the boot file under its final name", async () => {
        const sim = await readyNas({
            state: {
                shares: {
                    pxe: simShare("pxe"),
                },
            },
        });
        const { outcome } = await preflight(config(sim));
        expect(outcome?.verdict?.problems).toEqual([]);
        expect(sim.counters.calls["SYNO.FileStation.List.getinfo"]).toBe(1);
        expect(sim.counters.writes).toBe(0);
    });
});

describe("the failure seen on the real engine: DHCP server not enabled, manageServer off", () => {
    test("stops before any write, naming the interface, manageServer and how to enable it", async () => {
        const sim = await nas(); // the simulator's interfaces start with the DHCP server disabled, like a fresh package
        const { error } = await preflight(config(sim));
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(error!.message).toMatch(/^NAS pre-flight: 1 problem \(nothing was written to the NAS\):/);
        expect(error!.message).toContain(
            "homelab:synology.interface / homelab:dhcp.manageServer: the DHCP server is not enabled on interface eth0",
        );
        expect(error!.message).toContain(
            "Fix: enable it in DSM (DHCP Server > Network Interface > eth0 > Edit > Enable DHCP server, subnet 127.0.0.0/24, range 127.0.0.100-127.0.0.199)",
        );
        expect(error!.message).toContain("or set homelab:dhcp.manageServer to true");
        expect(sim.counters).toMatchObject({ writes: 0, uploadBytes: 0, logins: 1 });
    });

    test("is no problem when the program manages the DHCP server itself", async () => {
        const sim = await nas();
        const { outcome } = await preflight(config(sim, { dhcp: { manageServer: true } }));
        expect(outcome?.verdict?.problems).toEqual([]);
    });
});

describe("every problem at once", () => {
    test("missing interface, missing volume and a missing API come out in one error, each with its setting", async () => {
        const sim = await readyNas({ interfaces: ["eth0", "eth1"], apiOverrides: { "SYNO.FileStation.MD5": null } });
        const { error } = await preflight(config(sim, { synology: { interface: "eth9", volume: "/volume9" } }));
        const text = error!.message;
        expect(text).toMatch(/^NAS pre-flight: 3 problems/);
        expect(text).toContain("DSM version: DSM lacks APIs this program uses: SYNO.FileStation.MD5.");
        expect(text).toContain(
            'homelab:synology.interface: interface "eth9" does not exist on the NAS (DSM lists eth0, eth1).',
        );
        expect(text).toContain("homelab:synology.volume: volume /volume9 does not exist on the NAS (it has /volume1)");
        expect(text).toContain("Fix: set homelab:synology.volume to one of /volume1.");
        expect(sim.counters.writes).toBe(0);
    });

    test("a plain DSM user: not an administrator, with the reads DSM refused as evidence, and nothing else guessed", async () => {
        const sim = await readyNas({ users: { admin: PASSWORD, ops: PASSWORD }, administrators: ["admin"] });
        const { error } = await preflight(config(sim, { synology: { username: "ops" } }));
        const text = error!.message;
        expect(text).toMatch(/^NAS pre-flight: 1 problem/);
        expect(text).toContain(
            'homelab:synology.username: DSM user "ops" is not an administrator: DSM refused to let it read the administrators group, the volumes, shared folder pxe, the network interfaces, the DHCP server of eth0, shared folder talos-backups (error 105)',
        );
        expect(text).toContain(
            'Fix: add "ops" to the administrators group (Control Panel > User & Group > ops > Edit > User Groups)',
        );
        expect(sim.counters.writes).toBe(0);
    });

    test("the DHCP Server package missing: install it, and the interface is checked against DSM's Ethernet list", async () => {
        const sim = await nas({ dhcp: "none" });
        const { error } = await preflight(config(sim, { synology: { interface: "ovs_eth0" } }));
        const text = error!.message;
        expect(text).toMatch(/^NAS pre-flight: 2 problems/);
        expect(text).toContain(
            'DSM Package Center: the DHCP Server package is not installed (no SYNO.Network.DHCPServer API).\n    Fix: install "DHCP Server" from Package Center.',
        );
        expect(text).toContain(
            'homelab:synology.interface: interface "ovs_eth0" is not among the NAS\'s Ethernet interfaces (DSM lists eth0)',
        );
    });

    test("the share on another volume than configured", async () => {
        const sim = await readyNas({
            volumes: ["/volume1", "/volume2"],
            state: {
                shares: {
                    pxe: simShare("pxe", { vol_path: "/volume2" }),
                },
            },
        });
        const { error } = await preflight(config(sim));
        expect(error!.message).toContain(
            'homelab:synology.volume / homelab:synology.share: shared folder "pxe" already exists on /volume2, but homelab:synology.volume is /volume1',
        );
        expect(error!.message).toContain(
            "Fix: set homelab:synology.volume to /volume2, or choose another homelab:synology.share.",
        );
    });
});

describe("free space for the boot file", () => {
    test("too little space for the factory's exact size", async () => {
        const sim = await readyNas({
            volumeSpace: { "/volume1": { total: 10 * 1024 * MIB, used: 10 * 1024 * MIB - 60 * MIB } },
        });
        const { error } = await preflight(config(sim));
        expect(error!.message).toContain(
            `homelab:synology.volume: volume /volume1 has 60 MiB free; the boot file needs 100 MiB (the factory's size of ${factory.url}/image/`,
        );
        expect(sim.counters.uploadBytes).toBe(0);
    });

    test("without a size from the factory, an upper bound, and the message says so", async () => {
        const sim = await readyNas({
            volumeSpace: { "/volume1": { total: 10 * 1024 * MIB, used: 10 * 1024 * MIB - 300 * MIB } },
        });
        const other = await startFactoryServer(); // knows no schematic: HEAD answers 404
        servers.push(other);
        const cfg = config(sim, { factoryUrl: other.url });
        const { error } = await preflight(cfg);
        expect(error!.message).toMatch(
            /volume \/volume1 has 300 MiB free; the boot file needs 512 MiB \(an upper bound for a Talos UKI: the factory did not tell the size \(.*\)\)/,
        );
    });

    test("a read-only volume cannot take the share", async () => {
        const sim = await readyNas({ volumeWritable: { "/volume1": false } });
        const { error } = await preflight(config(sim));
        expect(error!.message).toContain(
            'homelab:synology.volume: volume /volume1 is read-only (status normal); shared folders "pxe" and "talos-backups" cannot be created there',
        );
    });
});

describe("the etcd snapshots' shared folder (homelab:backups.share), and snapshots left under the TFTP root", () => {
    const folders = snapshotPlaces("talos-backups", "pxe");
    const guestReads = { is_readonly: true, is_writable: false, is_deny: false, is_custom: false };

    test("one that is there and lets guest in is refused before any write, naming the key and the fix", async () => {
        const sim = await readyNas({
            state: { shares: { "talos-backups": simShare("talos-backups", { vol_path: "/volume1" }) } },
        });
        sim.state.sharePermissions["talos-backups"] = { guest: guestReads };
        const { error } = await preflight({ ...config(sim), snapshotFolders: folders });
        expect(error!.message).toContain(
            'homelab:backups.share: shared folder "talos-backups", where the etcd snapshots go, is not fit for them: ' +
                'guest may read shared folder "talos-backups", so anyone could read the etcd snapshots.\n' +
                '    Fix: in DSM, Control Panel > Shared Folder > talos-backups > Edit > Permissions: guest "No access", admin "Read/Write"',
        );
        expect(sim.counters.writes).toBe(0);
        expect(sim.counters.calls["SYNO.Core.Share.Permission.list"]).toBe(1);
    });

    test("one that is there, for the DSM user only, passes as it is, wherever it lives", async () => {
        const sim = await readyNas({
            volumes: ["/volume1", "/volume2"],
            state: { shares: { "talos-backups": simShare("talos-backups", { vol_path: "/volume2" }) } },
        });
        const { outcome } = await preflight({ ...config(sim), snapshotFolders: folders });
        expect(outcome?.verdict).toEqual({ problems: [], warnings: [] });
    });

    test("snapshots an earlier version stored under the TFTP root: a warning naming them and who can read them; nothing moved", async () => {
        const sim = await readyNas({ state: { shares: { pxe: simShare("pxe") } } });
        for (const d of ["/pxe/backups", "/pxe/backups/etcd"])
            sim.state.files.set(d, { isdir: true, size: 0, md5: "", mtime: 0 });
        const names = ["lab-20250101T000000Z-v1.11.0.db", "lab-20250201T000000Z-v1.12.0.db"];
        for (const n of names) sim.putFile(`/pxe/backups/etcd/${n}`, Buffer.from(n));
        const warnings: string[] = [];
        const { outcome } = await preflight({ ...config(sim), snapshotFolders: folders }, warnings);
        expect(outcome?.verdict?.problems).toEqual([]);
        expect(warnings).toEqual([
            "NAS pre-flight: etcd snapshots under the TFTP root: /pxe/backups/etcd holds 2 files " +
                `(${names.join(", ")}), where earlier versions of this program stored the snapshots. TFTP has no ` +
                "password: any machine the NAS's TFTP service answers can read them by name. New snapshots go to " +
                "/talos-backups/etcd (homelab:backups.share); nothing was moved or deleted. Move them to " +
                "/talos-backups/etcd in File Station (there they count for backups.etcd.keep), or delete them; " +
                "`npm run etcd-snapshot -- --list` shows both folders",
        ]);
        expect(sim.counters.writes).toBe(0);
        for (const n of names) expect(sim.getFile(`/pxe/backups/etcd/${n}`)).toBeDefined();
    });

    test("a volume that does not exist names both folders that cannot be made there, once", async () => {
        const sim = await readyNas();
        const { error } = await preflight(config(sim, { synology: { volume: "/volume9" } }));
        expect(error!.message).toContain(
            'homelab:synology.volume: volume /volume9 does not exist on the NAS (it has /volume1); shared folders "pxe" and "talos-backups" cannot be created there',
        );
        expect(error!.message.match(/cannot be created there/g)).toHaveLength(1);
    });
});

describe("answers this client does not know are problems naming the fields, never guesses", () => {
    test("a storage overview without sizes", async () => {
        const sim = await readyNas();
        sim.faults.rewrite("SYNO.Storage.CGI.Storage.load_info", (d) => ({
            ...(d as object),
            volumes: (d as { volumes: Array<Record<string, unknown>> }).volumes.map(({ size: _size, ...v }) => v),
        }));
        const { error } = await preflight(config(sim));
        expect(error!.message).toContain(
            "homelab:synology.volume: reading the volumes failed: SYNO.Storage.CGI.Storage: volume 0 of the storage overview does not have the fields this client expects. Expected: vol_path, size.total, size.used.",
        );
        expect(error!.message).toContain("Missing: size.total, size.used");
        expect(error!.message).toContain("HOMELAB_PREFLIGHT=off");
    });

    test("a DHCP server object without `enable`", async () => {
        const sim = await readyNas();
        sim.faults.rewrite("SYNO.Network.DHCPServer.get", (d) => {
            const { enable: _e, ...rest } = d as Record<string, unknown>;
            return { ...rest, enabled: true };
        });
        const { error } = await preflight(config(sim));
        expect(error!.message).toMatch(
            /homelab:synology\.interface: reading the DHCP server settings of eth0 failed: .*Expected: enable\. Seen: .*enabled.*Missing: enable\./,
        );
    });

    test("a member list in another shape", async () => {
        const sim = await readyNas();
        sim.faults.rewrite("SYNO.Core.Group.Member.list", (d) => ({ members: (d as { users: unknown[] }).users }));
        const { error } = await preflight(config(sim));
        expect(error!.message).toContain(
            "homelab:synology.username: reading the administrators group failed: SYNO.Core.Group.Member: the group's member list does not have the fields this client expects. Expected: users, total. Seen: members.",
        );
    });

    test("an API absent from this DSM: a warning that it could not be checked, not a failure", async () => {
        const sim = await readyNas({ apiOverrides: { "SYNO.Storage.CGI.Storage": null } });
        const warnings: string[] = [];
        const { outcome } = await preflight(config(sim), warnings);
        expect(outcome?.verdict?.problems).toEqual([]);
        expect(warnings).toEqual([
            expect.stringMatching(
                /^NAS pre-flight: could not check the volume and its free space: SYNO\.Storage\.CGI\.Storage load_info failed with DSM error 102/,
            ),
        ]);
    });
});

describe("login and reachability", () => {
    test("a wrong password: one problem naming the user and the password key; the password itself appears nowhere", async () => {
        const sim = await readyNas();
        const wrong = "Wr0ng-Pa55word-XYZ";
        const { error } = await preflight(config(sim, { password: wrong }));
        expect(error!.message).toContain(
            "homelab:synology.username / homelab:synologyPassword: the DSM login fails: SYNO.API.Auth login failed with DSM error 400",
        );
        expect(error!.message).not.toContain(wrong);
        expect(JSON.stringify(error)).not.toContain(wrong);
        expect(sim.counters.writes).toBe(0);
    });

    test("two-factor authentication without a remembered device: the fix names synology.deviceId", async () => {
        const sim = await readyNas({ twoFactor: { code: "123456" } });
        const { error } = await preflight(config(sim));
        expect(error!.message).toContain(
            "homelab:synology.deviceId: the DSM login fails: SYNO.API.Auth login failed with DSM error 403",
        );
    });

    test("nothing listening: one problem naming synology.url", async () => {
        const port = await new Promise<number>((resolve) => {
            const srv = net.createServer().listen(0, "127.0.0.1", () => {
                const p = (srv.address() as net.AddressInfo).port;
                srv.close(() => resolve(p));
            });
        });
        const sim = await readyNas();
        const cfg = config(sim, { synology: { url: `http://127.0.0.1:${port}` } });
        const { error } = await preflight(cfg);
        expect(error!.message).toMatch(/^NAS pre-flight: 1 problem/);
        expect(error!.message).toContain(`homelab:synology.url: the NAS does not answer at http://127.0.0.1:${port}`);
    });
});

describe("when it runs", () => {
    test("under the Pulumi engine by default, never under the mock runtime; HOMELAB_PREFLIGHT overrides both ways", () => {
        expect(preflightSwitch(undefined, true)).toEqual({ run: true, why: "the Pulumi engine runs the program" });
        expect(preflightSwitch(undefined, false)).toEqual({ run: false, why: "no Pulumi engine (mock runtime)" });
        expect(preflightSwitch("off", true).run).toBe(false);
        expect(preflightSwitch("0", true).run).toBe(false);
        expect(preflightSwitch("on", false).run).toBe(true);
        expect(() => preflightSwitch("maybe", true)).toThrow(/HOMELAB_PREFLIGHT="maybe" is neither on nor off/);
    });

    test("skipped runs touch nothing", async () => {
        const sim = await readyNas();
        const outcome = await runNasPreflight(config(sim), { engineConnected: false, env: {}, log: quiet });
        expect(outcome).toEqual({ ran: false, why: "no Pulumi engine (mock runtime)" });
        expect(sim.counters.calls).toEqual({});
    });
});

describe("the judge (pure)", () => {
    const judged = loopbackStackValues("http://127.0.0.1:2", "http://127.0.0.1:1");
    const plan = preflightPlan(
        parseStackConfig({ ...judged, synology: { ...judged.synology, username: "Admin" }, synologyPassword: "x" }),
    );
    const exact: BootFileSize = { bytes: 100 * MIB, exact: true, source: "the factory's size" };
    const ok = <T>(value: T) => ({ ok: true as const, value });
    const facts = (over: Partial<NasFacts> = {}): NasFacts => ({
        apis: {
            dhcpPrefix: "SYNO.Network.DHCPServer",
            // Every API the program needs, in version 1.
            versions: Object.fromEntries(NAS_APIS.map((u) => [apiName(u, "SYNO.Network.DHCPServer"), 1])),
        },
        admins: ok(["admin"]),
        volumes: ok([{ path: "/volume1", totalBytes: 1000 * MIB, usedBytes: 950 * MIB }]),
        share: ok({ name: "pxe", vol_path: "/volume1" }),
        interfaces: ok(["eth0"]),
        dhcpServer: ok({ enable: "1" }),
        bootFileOnNas: ok(undefined),
        ...over,
    });

    test("membership is compared without case; a member list without the user is a problem even when reads were allowed", () => {
        expect(judgeNas(plan, facts(), { ...exact, bytes: 10 * MIB }).problems).toEqual([]);
        const p = judgeNas(plan, facts({ admins: ok(["root", "backup"]) }), { ...exact, bytes: 10 * MIB }).problems;
        expect(p).toEqual([
            expect.objectContaining({
                setting: "homelab:synology.username",
                problem: expect.stringContaining('it is not a member of the "administrators" group'),
            }),
        ]);
    });

    test("a boot file already there with the factory's size needs no space (nothing to upload); an upper bound never counts as the same file", () => {
        const there = ok({
            path: "/pxe/metal-amd64-uki.efi",
            name: "metal-amd64-uki.efi",
            isdir: false,
            size: 100 * MIB,
        });
        expect(judgeNas(plan, facts({ bootFileOnNas: there }), exact).problems).toEqual([]);
        expect(judgeNas(plan, facts(), exact).problems).toEqual([
            expect.objectContaining({
                problem: "volume /volume1 has 50 MiB free; the boot file needs 100 MiB (the factory's size)",
            }),
        ]);
        const bound: BootFileSize = { bytes: 100 * MIB, exact: false, source: "an upper bound" };
        expect(judgeNas(plan, facts({ bootFileOnNas: there }), bound).problems).toHaveLength(1);
    });

    test("DSM answering 160 (an application privilege missing) also counts as not an administrator", () => {
        const denied = { ok: false as const, error: new DsmError("SYNO.Core.Share", "list", 160) };
        const p = judgeNas(plan, facts({ share: denied }), exact).problems;
        expect(p.map((x) => x.setting)).toEqual(["homelab:synology.username"]);
    });

    test("an unknown volume shape is a problem, never a silent pass", () => {
        const bad = {
            ok: false as const,
            error: new DsmShapeError("SYNO.Storage.CGI.Storage", "the storage overview", ["volumes"], ["pools"]),
        };
        expect(judgeNas(plan, facts({ volumes: bad }), exact).problems).toEqual([
            expect.objectContaining({
                setting: "homelab:synology.volume",
                problem: expect.stringContaining("Missing: volumes"),
            }),
        ]);
    });

    test("a write version missing is named as such", () => {
        const f = facts();
        f.apis!.writeVersions = { ...f.apis!.versions };
        delete f.apis!.writeVersions["SYNO.Network.DHCPServer.Reservation"];
        expect(judgeNas(plan, f, { ...exact, bytes: 1 }).problems).toEqual([
            expect.objectContaining({
                problem:
                    "DSM lacks APIs this program uses: SYNO.Network.DHCPServer.Reservation (no version this client writes with)",
            }),
        ]);
    });
});
