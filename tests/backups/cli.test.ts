/**
 * Policy for `npm run etcd-snapshot`: it reads the stack as `npm run doctor` does, takes and stores a snapshot
 * with the same code as the one before the upgrades, lists what the NAS holds, fetches one verified, and says
 * what is wrong (exit 2 for usage and config, 1 for a failure) without writing anything when input is bad. The
 * snapshots go to <backups.share>/etcd; --list and --fetch also find those earlier versions left under the TFTP
 * root (<synology.share>/backups/etcd) and say that they are readable over TFTP.
 * Runs against the DSM simulator (HTTPS, pinned) and stand-ins of talosctl and pulumi on PATH, on loopback only.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { main, parseArgs } from "../../components/backups/cli";
import { resetDsmClients } from "../support/synology-engine";
import { loopbackStackValues } from "../../e2e/support/loopback";
import { DsmSimulator, simShare, startNasWithShare } from "../support/dsm-simulator";
import { stackValues } from "../support/shared";
import { standInSnapshotBytes, TalosctlStandIn } from "./talosctl-standin";

jest.setTimeout(60_000);

const PASSWORD = "dsm-cli-Pa55!";
const TALOSCONFIG = "context: homelab-dev\ncontexts:\n  homelab-dev:\n    key: S0VZLWNsaQ==\n";
const CP = "127.3.0.2"; // the dev stack's control plane 192.168.0.2, on loopback
const DIR = "/talos-backups/etcd";
const LEGACY = "/pxe/backups/etcd";
const dirs = (...paths: string[]) => {
    for (const p of paths) sim.state.files.set(p, { isdir: true, size: 0, md5: "", mtime: 0 });
};

let sim: DsmSimulator;
let standIn: TalosctlStandIn;
let dir: string;
let stackFile: string;
let tcFile: string;
let lines: string[];
const savedPath = process.env.PATH;

function values(over: (v: Record<string, any>) => void = () => undefined): Record<string, unknown> {
    const v = stackValues("dev") as Record<string, any>;
    v.nodes[0].mac = "d8:3a:dd:5e:a0:01";
    delete v.synologyPassword;
    delete v.upsPassword;
    delete v.ups;
    const moved = loopbackStackValues(v, {
        dsmUrl: sim.url,
        dsmFingerprintSha256: sim.fingerprintSha256!,
        factoryUrl: "http://127.0.0.1:9",
        configSchemaUrl: "http://127.0.0.1:9/{version}",
        loopbackBase: "127.3.0.0",
    }) as Record<string, any>;
    over(moved);
    return moved;
}

function writeStack(v: Record<string, unknown>): void {
    const config: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) config[`homelab:${k}`] = x;
    fs.writeFileSync(stackFile, YAML.stringify({ config }));
}

const run = (...args: string[]) => main(args, (l) => lines.push(l), { ...process.env, DSM_PASSWORD: PASSWORD });
const fileArgs = () => ["--config-file", stackFile, "--no-pulumi", "--talosconfig", tcFile];

beforeEach(async () => {
    sim = await startNasWithShare(PASSWORD, {
        https: true,
        state: { shares: { pxe: simShare("pxe"), "talos-backups": simShare("talos-backups") } },
    });
    resetDsmClients();
    standIn = TalosctlStandIn.create({ [CP]: { tag: "v1.12.1", bytes: 16 * 1024 } });
    process.env.PATH = standIn.pathEnv(savedPath);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-cli-"));
    stackFile = path.join(dir, "Pulumi.dev.yaml");
    tcFile = path.join(dir, "talosconfig");
    fs.writeFileSync(tcFile, TALOSCONFIG, { mode: 0o600 });
    writeStack(values());
    lines = [];
});

afterEach(async () => {
    process.env.PATH = savedPath;
    resetDsmClients();
    standIn.close();
    fs.rmSync(dir, { recursive: true, force: true });
    await sim.close();
});

describe("arguments", () => {
    test.each([
        [[], /--stack is required/],
        [["--stack", "dev", "--fetch", "x.db"], /--fetch needs --out <file>/],
        [["--stack", "dev", "--out", "x.db"], /--out goes with --fetch <name>/],
        [["--stack", "dev", "--list", "--fetch", "a", "--out", "b"], /--list and --fetch do not go together/],
        [["--stack", "dev", "--keep", "3"], /unknown argument "--keep"/],
        [["--stack"], /--stack needs a value/],
        [["--fetch", "x.db"], /^--stack is required; --fetch needs --out <file>\n\nusage:/],
    ])("%j is refused: %s", (argv, message) => {
        expect(() => parseArgs(argv)).toThrow(message);
    });

    test("a usage error exits 2 with the usage text", async () => {
        expect(await run("--stack")).toBe(2);
        expect(lines.join("\n")).toContain("usage: npm run etcd-snapshot -- --stack <name>");
    });

    test("--help prints the usage, the stack flags' help among the command's own, and exits 0", async () => {
        expect(await run("--help")).toBe(0);
        const usage = lines.join("\n");
        expect(usage).toMatch(/\n {2}--otp <code> +DSM 2-factor code for this login\n/);
        expect(usage).toMatch(/\n {2}--fetch <name> +download this snapshot/);
    });
});

describe("taking, listing and fetching", () => {
    test("takes a snapshot, stores it on the NAS, lists it, and fetches it back byte for byte", async () => {
        expect(await run(...fileArgs())).toBe(0);
        const out = lines.join("\n");
        const stored =
            /stored (\/talos-backups\/etcd\/(homelab-dev-\d{8}T\d{6}Z-v1\.12\.1\.db)) \((\d+) bytes, md5 ([0-9a-f]{32})\), taken through talos-cp-1 \(127\.3\.0\.2\) running Talos v1\.12\.1/.exec(
                out,
            );
        expect(stored).not.toBeNull();
        const expected = standInSnapshotBytes(CP, 16 * 1024, 1);
        expect(sim.getFile(stored![1])!.bytes!.equals(expected)).toBe(true);

        lines = [];
        expect(await run("--config-file", stackFile, "--no-pulumi", "--list")).toBe(0);
        expect(lines.join("\n")).toMatch(
            new RegExp(
                `etcd snapshots of cluster homelab-dev in /talos-backups/etcd \\(newest first; keeping the newest 10\\):\\n  ${stored![2].replace(/\./g, "\\.")}  16\\.0 KiB  taken \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  Talos v1\\.12\\.1`,
            ),
        );

        lines = [];
        const target = path.join(dir, "restore.db");
        expect(await run("--config-file", stackFile, "--no-pulumi", "--fetch", stored![2], "--out", target)).toBe(0);
        expect(createHash("sha256").update(fs.readFileSync(target)).digest("hex")).toBe(
            createHash("sha256").update(expected).digest("hex"),
        );
        expect(lines.join("\n")).toContain(`talosctl -n <its ip> bootstrap --recover-from=${target}`);
    });

    test("takes the stack config and the talosconfig from the pulumi CLI when it is there", async () => {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        const cfg: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(values()))
            cfg[`homelab:${k}`] =
                typeof v === "object" ? { objectValue: v, secret: false } : { value: v, secret: false };
        cfg["homelab:synologyPassword"] = { value: PASSWORD, secret: true };
        fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(cfg));
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            `#!/bin/sh
echo "$*" >> '${path.join(dir, "pulumi.log")}'
case "$*" in
  "config --json --show-secrets --stack lab") cat '${path.join(dir, "config.json")}';;
  "stack output talosconfig --show-secrets --stack lab") cat '${tcFile}';;
  *) echo "error: unexpected $*" >&2; exit 1;;
esac
`,
            { mode: 0o755 },
        );
        process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
        expect(await main(["--stack", "lab"], (l) => lines.push(l), { ...process.env })).toBe(0);
        expect(lines[0]).toBe("etcd-snapshot: stack lab (config from pulumi config)");
        expect(fs.readFileSync(path.join(dir, "pulumi.log"), "utf8").trim().split("\n")).toEqual([
            "config --json --show-secrets --stack lab",
            "stack output talosconfig --show-secrets --stack lab",
        ]);
        expect(standIn.calls().every((c) => c.talosconfigText === TALOSCONFIG && c.talosconfigMode === "600")).toBe(
            true,
        );
        expect(lines.join("\n")).not.toContain(PASSWORD);
    });

    test("keeps the newest backups.etcd.keep and says which ones it deleted", async () => {
        writeStack(values((v) => (v.backups = { etcd: { keep: 1 } })));
        dirs(DIR, "/pxe/backups", LEGACY);
        sim.putFile(`${DIR}/homelab-dev-20200101T000000Z-v1.11.0.db`, Buffer.from("old"));
        sim.putFile(`${DIR}/notes.txt`, Buffer.from("mine"));
        sim.putFile(`${LEGACY}/homelab-dev-20190101T000000Z-v1.10.0.db`, Buffer.from("older, elsewhere"));
        expect(await run(...fileArgs())).toBe(0);
        expect(lines.join("\n")).toContain(
            "deleted older snapshots beyond backups.etcd.keep: homelab-dev-20200101T000000Z-v1.11.0.db",
        );
        const left = [...sim.state.files.keys()].filter((p) => p.startsWith(`${DIR}/`));
        expect(left).toHaveLength(2);
        expect(left).toContain(`${DIR}/notes.txt`);
        // The legacy folder is neither counted nor pruned.
        expect(sim.getFile(`${LEGACY}/homelab-dev-20190101T000000Z-v1.10.0.db`)).toBeDefined();
    });

    test("--list and --fetch find the snapshots an earlier version left under the TFTP root, and say who can read them", async () => {
        const old = "homelab-dev-20240102T030405Z-v1.11.0.db";
        dirs("/pxe/backups", LEGACY);
        sim.putFile(`${LEGACY}/${old}`, Buffer.from("legacy snapshot"));
        expect(await run("--config-file", stackFile, "--no-pulumi", "--list")).toBe(0);
        expect(lines.slice(1)).toEqual([
            "no etcd snapshots in /talos-backups/etcd: it does not exist yet",
            "etcd snapshots of cluster homelab-dev in /pxe/backups/etcd, under the TFTP root (stored by an earlier " +
                "version; readable over TFTP without a password: move them to /talos-backups/etcd or delete them; newest first):",
            `  ${old}  15 B  taken 2024-01-02T03:04:05Z  Talos v1.11.0`,
        ]);
        lines = [];
        const target = path.join(dir, "old.db");
        expect(await run("--config-file", stackFile, "--no-pulumi", "--fetch", old, "--out", target)).toBe(0);
        expect(fs.readFileSync(target, "utf8")).toBe("legacy snapshot");
        expect(lines.join("\n")).toContain(`fetched ${LEGACY}/${old} to ${target}`);
        expect(sim.getFile(`${LEGACY}/${old}`)).toBeDefined();
        expect(sim.counters.writes).toBe(0);
    });
});

describe("bad input: said clearly, nothing written", () => {
    test("keep that is not a positive integer: exit 2 naming backups.etcd.keep, no call to the NAS or the nodes", async () => {
        writeStack(values((v) => (v.backups = { etcd: { keep: 0 } })));
        expect(await run(...fileArgs())).toBe(2);
        expect(lines.join("\n")).toContain(
            "backups.etcd.keep: must be a whole number of snapshots to keep, at least 1",
        );
        expect(sim.counters.loginAttempts).toBe(0);
        expect(standIn.calls()).toEqual([]);
    });

    test("no control plane answers: exit 1, the node named, nothing written", async () => {
        standIn.set(CP, { answers: false });
        expect(await run(...fileArgs())).toBe(1);
        expect(lines.join("\n")).toMatch(
            /etcd snapshot not taken, nothing was written to the NAS \(1 problem\):\n {2}- no control plane answered the Talos API: talos-cp-1 \(127\.3\.0\.2\): /,
        );
        expect(sim.counters.writes).toBe(0);
    });

    test("the snapshots' shared folder missing: exit 1 naming backups.share, nothing written", async () => {
        writeStack(values((v) => (v.backups = { share: "gone" })));
        expect(await run(...fileArgs())).toBe(1);
        expect(lines.join("\n")).toContain('backups.share: the shared folder "gone" is not on the NAS');
        expect(sim.counters.writes).toBe(0);
    });

    test("backups.share naming the TFTP root: exit 2 naming both keys, no call to the NAS", async () => {
        writeStack(values((v) => (v.backups = { share: v.synology.share })));
        expect(await run(...fileArgs())).toBe(2);
        expect(lines.join("\n")).toContain('backups.share: "pxe" is synology.share, the TFTP root');
        expect(sim.counters.loginAttempts).toBe(0);
    });

    test("no talosconfig (no pulumi, no --talosconfig): exit 2 saying how to give one", async () => {
        expect(await run("--config-file", stackFile, "--no-pulumi")).toBe(2);
        expect(lines.join("\n")).toContain("no talosconfig: give the cluster's talosconfig with --talosconfig <file>");
        expect(sim.counters.writes).toBe(0);
    });
});
