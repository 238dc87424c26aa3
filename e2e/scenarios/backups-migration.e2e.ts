/**
 * A stack made by the version of the program before issue 28, whose etcd snapshots went under the TFTP root
 * (/pxe/backups/etcd), taken over by this version, on the real engine (the real Talos and command providers, talosctl,
 * the Talos node stand-in, the DSM simulator, the NAS's TFTP service over UDP). The earlier program is that commit's
 * code, taken from the repository's history with `git archive` into a folder of its own; the stack's project folder
 * runs it, then this checkout's code, as a user's checkout does after `git pull`. Without the history (a copy of the
 * checkout without .git, as .ci/run makes) the scenarios are skipped, saying why. In order:
 *   1 the earlier program: a fresh cluster, then a Talos upgrade; its snapshot lands under the TFTP root, and any
 *     machine can read it over TFTP
 *   2 the first `up` of this program with nothing changed: it makes the snapshots' shared folder and updates the
 *     snapshot resource in place, and creates the node's drift check (talos-cp-1-state, which only reads), nothing else; it warns that the earlier snapshot is readable over TFTP, naming it,
 *     and moves nothing; a re-run changes nothing
 *   3 the next upgrade stores its snapshot in /talos-backups/etcd (not over TFTP); the earlier one stays where it was;
 *     `npm run etcd-snapshot -- --list` shows both folders and `--fetch` brings the earlier one back
 *   4 destroy keeps both shared folders, each holding a snapshot, and says so
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_VERSIONS } from "../../tests/support/factory-server";
import type { NasTftp } from "../../tests/support/nas-tftp";
import { PROJECT_FILES, PROJECT_LINKS, repoRoot } from "../support/engine";
import { changingSteps, diagnostics, EngineEvent, urnName } from "../support/events";
import { etcdSnapshotCli, overTftp, startSnapshotStack, upgradingCluster } from "../support/backups";
import { recordFigures } from "../support/figures";
import { Harness, SEED_NAS_VALUES } from "../support/scenario";

/** main before issue 28: the last version whose snapshots went to <synology.share>/backups/etcd. */
const BEFORE = "49616b0492ac8d2cac8f7172898daf3e029ac00a";
const DSM_PASSWORD = "dsm-migrate-Pa55-e2e";
const CLUSTER = "e2e-migrate";
const LEGACY = "/pxe/backups/etcd";
const DIR = "/talos-backups/etcd";
const SNAPSHOT = new RegExp(`^${CLUSTER}-\\d{8}T\\d{6}Z-v\\d+\\.\\d+\\.\\d+\\.db$`);

/** Why the earlier program cannot be had here, or undefined when it can. */
function historyMissing(): string | undefined {
    try {
        execFileSync("git", ["-C", repoRoot, "cat-file", "-e", `${BEFORE}^{commit}`], { stdio: "ignore" });
        return undefined;
    } catch {
        return `commit ${BEFORE} (the program before issue 28) is not in this checkout's git history (no .git, or a shallow clone)`;
    }
}
const missing = historyMissing();
if (missing) console.warn(`backups-migration.e2e.ts: SKIPPING the scenarios: ${missing}`);
const scenario = missing ? describe.skip : describe;

let h: Harness;
let tftp: NasTftp;
let before: string;
const legacyNames: string[] = [];

/** The earlier program's files in a folder of their own, with this checkout's node_modules (the same lock file). */
function extractBefore(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-before-28-"));
    const tar = path.join(dir, "program.tar");
    execFileSync("git", ["-C", repoRoot, "archive", "--format=tar", "-o", tar, BEFORE, ...PROJECT_FILES, "components"]);
    execFileSync("tar", ["-xf", tar, "-C", dir]);
    fs.rmSync(tar);
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/** The stack's project folder runs the program in `root` (its files copied, its code linked), as after a checkout. */
function useProgram(root: string): void {
    const dir = h.engine.projectDir;
    for (const f of PROJECT_FILES) fs.copyFileSync(path.join(root, f), path.join(dir, f));
    for (const l of PROJECT_LINKS) {
        fs.rmSync(path.join(dir, l), { force: true });
        fs.symlinkSync(path.join(root, l), path.join(dir, l));
    }
}

const up = () => h.engine.run(["up", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
const errorsOf = (events: EngineEvent[]) => diagnostics(events, "error").map((d) => d.message);
const filesIn = (dir: string) =>
    [...h.servers.dsm.state.files.keys()]
        .filter((p) => p.startsWith(`${dir}/`))
        .map((p) => p.slice(dir.length + 1))
        .sort();
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const setTalos = (version: string) => {
    const v = JSON.parse(JSON.stringify(h.values)) as Record<string, any>;
    v.cluster.talosVersion = version;
    h.setValues(v);
};
/** Everything a run said: diagnostics (warnings, infos, the providers' messages) and the CLI's own output. */
const said = (r: { events: EngineEvent[]; stdout: string; stderr: string }) =>
    [...diagnostics(r.events).map((d) => d.message), r.stdout, r.stderr].join("\n");

scenario("a stack of the program before issue 28, taken over by this one", () => {
    beforeAll(async () => {
        before = extractBefore();
        ({ h, tftp } = await startSnapshotStack({
            values: {
                cluster: upgradingCluster(CLUSTER),
                image: { arch: "amd64", extensions: [] },
                ...SEED_NAS_VALUES,
                nodes: [
                    {
                        hostname: "cp-1",
                        ip: "192.168.0.11",
                        role: "controlplane",
                        mac: "52:54:00:00:02:11",
                        installDisk: "/dev/nvme0n1",
                    },
                ],
            },
            secrets: { synologyPassword: DSM_PASSWORD },
            servers: {
                dsm: { users: { admin: DSM_PASSWORD }, keepBytesUpTo: 8 * 1024 * 1024 },
                factory: { versions: [...DEFAULT_VERSIONS, "v1.12.2"] },
                schemaVersions: ["v1.12.0", "v1.12.1", "v1.12.2"],
            },
            stack: "migrate",
        }));
    }, 300_000);

    afterAll(async () => {
        await tftp?.close();
        await h?.close();
        if (before) fs.rmSync(before, { recursive: true, force: true });
    });

    test("1. the earlier program: an upgrade's snapshot lands under the TFTP root, readable over TFTP", async () => {
        useProgram(before);
        const first = await up();
        expect({ code: first.code, errors: errorsOf(first.events) }).toEqual({ code: 0, errors: [] });
        setTalos("v1.12.1");
        const r = await up();
        expect({ code: r.code, errors: errorsOf(r.events) }).toEqual({ code: 0, errors: [] });
        legacyNames.push(...filesIn(LEGACY));
        expect(legacyNames).toEqual([expect.stringMatching(SNAPSHOT)]);
        expect(h.servers.dsm.state.shares["talos-backups"]).toBeUndefined();
        const f = h.servers.dsm.getFile(`${LEGACY}/${legacyNames[0]}`)!;
        expect(await overTftp(tftp, `backups/etcd/${legacyNames[0]}`)).toEqual({ size: f.size, md5: f.md5 });
    });

    test("2. the first up of this program: the new folder is made and the snapshot resource updated, nothing else; a warning names the old snapshot; nothing moved", async () => {
        useProgram(repoRoot);
        const legacy = h.servers.dsm.getFile(`${LEGACY}/${legacyNames[0]}`)!;
        const mark = h.nodes!.calls().length;
        const preview = await h.engine.run(["preview", ...h.engine.stackArgs()]);
        expect(preview.code).toBe(0);
        const planned = changingSteps(preview.events).map((s) => `${s.op} ${urnName(s.urn)}`);
        const r = await up();
        expect({ code: r.code, errors: errorsOf(r.events) }).toEqual({ code: 0, errors: [] });
        const done = changingSteps(r.events).map((s) => `${s.op} ${urnName(s.urn)}`);
        // and the node's drift check, which this program adds with cluster.upgrades (it only reads the node)
        expect(done).toEqual(["create nas-backupshare", "update talos-etcd-snapshot", "create talos-cp-1-state"]);
        expect(planned).toEqual(done);
        const snapStep = changingSteps(r.events).find((s) => urnName(s.urn) === "talos-etcd-snapshot")!;
        const [olds, news] = [snapStep.old?.inputs ?? {}, snapStep.new?.inputs ?? {}];
        const changedInputs = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter(
            (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
        );
        expect(changedInputs.sort()).toEqual(["share", "tftpShare"]);
        expect([olds.share, news.share, news.tftpShare]).toEqual(["pxe", "talos-backups", "pxe"]);

        // (The engine's own warnings, "using pulumi-… from $PATH" and the like, left out.)
        const warnings = diagnostics(r.events, "warning")
            .map((d) => d.message)
            .filter((m) => !/^using \S+ from \$PATH|^Undefined value/.test(m));
        expect(warnings).toEqual([
            expect.stringContaining(
                `NAS pre-flight: etcd snapshots under the TFTP root: ${LEGACY} holds 1 file (${legacyNames[0]}), where ` +
                    "earlier versions of this program stored the snapshots. TFTP has no password",
            ),
        ]);
        expect(said(r)).toContain(
            `etcd snapshots: from now on they are stored in ${DIR} (backups.share), a shared folder of their own. The ` +
                `ones an earlier version stored in ${LEGACY} stay there (nothing was moved)`,
        );
        // What a user sees, for the record (README, the report).
        console.log(
            [
                "first up after the program upgrade:",
                `  preview: ${planned.join(", ")}`,
                `  up: ${done.join(", ")}`,
                ...warnings.map((w) => `  warning: ${w.trim()}`),
                ...diagnostics(r.events)
                    .filter((d) => d.severity.startsWith("info"))
                    .filter((d) => /etcd snapshots:|shared folder/.test(d.message))
                    .map((d) => `  ${d.severity}: ${d.message.trim()}`),
            ].join("\n"),
        );

        expect(
            h
                .nodes!.calls()
                .slice(mark)
                .filter((c) => /EtcdSnapshot|Upgrade/.test(c.method)),
        ).toEqual([]);
        expect(filesIn(LEGACY)).toEqual(legacyNames);
        expect(h.servers.dsm.getFile(`${LEGACY}/${legacyNames[0]}`)!.md5).toBe(legacy.md5);
        expect(h.servers.dsm.state.sharePermissions["talos-backups"]?.guest?.is_deny).toBe(true);

        const again = await up();
        expect(again.code).toBe(0);
        expect(changingSteps(again.events)).toEqual([]);
        recordFigures({ firstUpAfterProgramUpgrade: done.join("; "), legacySnapshotsMoved: 0 });
    });

    test("3. the next upgrade's snapshot goes to the new folder; --list shows both folders; --fetch brings the old one back", async () => {
        const expected = await h.nodes!.snapshotDigest((h.values.nodes as { ip: string }[])[0].ip);
        setTalos("v1.12.2");
        const r = await up();
        expect({ code: r.code, errors: errorsOf(r.events) }).toEqual({ code: 0, errors: [] });
        const fresh = filesIn(DIR);
        expect(fresh).toEqual([expect.stringMatching(SNAPSHOT)]);
        expect(sha256(h.servers.dsm.getFile(`${DIR}/${fresh[0]}`)!.bytes!)).toBe(expected.sha256);
        expect(filesIn(LEGACY)).toEqual(legacyNames);
        expect(await overTftp(tftp, fresh[0])).toEqual({ refused: expect.stringMatching(/^TFTP server error 1 /) });
        expect(await overTftp(tftp, `backups/etcd/${fresh[0]}`)).toEqual({
            refused: expect.stringMatching(/^TFTP server error 1 /),
        });

        const list = await etcdSnapshotCli(h, ["--list"]);
        expect(list.code).toBe(0);
        expect(list.out).toContain(
            `etcd snapshots of cluster ${CLUSTER} in ${DIR} (newest first; keeping the newest 10):`,
        );
        expect(list.out).toContain(`  ${fresh[0]}  `);
        expect(list.out).toContain(
            `etcd snapshots of cluster ${CLUSTER} in ${LEGACY}, under the TFTP root (stored by an earlier version; ` +
                `readable over TFTP without a password: move them to ${DIR} or delete them; newest first):\n  ${legacyNames[0]}  `,
        );
        const out = path.join(h.engine.dir, "legacy.db");
        const fetched = await etcdSnapshotCli(h, ["--fetch", legacyNames[0], "--out", out]);
        expect(fetched.code).toBe(0);
        expect(sha256(fs.readFileSync(out))).toBe(sha256(h.servers.dsm.getFile(`${LEGACY}/${legacyNames[0]}`)!.bytes!));
        recordFigures({ snapshotsUnderTftpRootAfterProgramUpgrade: filesIn(LEGACY).length });
    });

    test("4. destroy keeps both shared folders, each with its snapshot, and says so", async () => {
        const r = await h.engine.run(["destroy", "--yes", "--skip-preview", ...h.engine.stackArgs()]);
        expect({ code: r.code, errors: errorsOf(r.events) }).toEqual({ code: 0, errors: [] });
        const dsm = h.servers.dsm;
        expect(Object.keys(dsm.state.shares).sort()).toEqual(["pxe", "talos-backups"]);
        expect(filesIn(LEGACY)).toEqual(legacyNames);
        expect(filesIn(DIR)).toHaveLength(1);
        expect(said(r)).toContain("keeping shared folder pxe although this program created it");
        expect(said(r)).toContain("keeping shared folder talos-backups although this program created it");
    });
});
