/**
 * `npm run etcd-snapshot -- --stack <name> [options]`: an etcd snapshot on demand, stored on the NAS exactly as
 * the one before the upgrades (same code, store.ts); `--list` shows what the NAS holds; `--fetch <name> --out
 * <file>` downloads one, verified, for a restore (README "Restoring etcd").
 *
 * The stack config is read as `npm run doctor` reads it (../cli/stack.ts: the pulumi CLI when it is there, else
 * Pulumi.<stack>.yaml with DSM_PASSWORD); the talosconfig from `--talosconfig <file>`, else `pulumi stack output
 * talosconfig --show-secrets`. Exit code 0 when done (or for --help), 1 when it failed, 2 on bad usage or config.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { readFlags, renderOptions, runMain, switchFlag, valueFlag } from "../cli/command";
import { STACK_FLAGS, stackOptions, StackOptions, stackCommand } from "../cli/stack";
import { stackDsmClient } from "../synology/connection";
import { redactText } from "../synology/kit/redact";
import { snapshotPlaces } from "./names";
import { fetchSnapshot, listSnapshots, takeEtcdSnapshot } from "./store";
import { talosctlApi } from "./talosctl";

export interface EtcdSnapshotCliOptions extends StackOptions {
    talosconfig?: string;
    list: boolean;
    fetch?: string;
    out?: string;
}

const FLAGS = {
    ...STACK_FLAGS,
    "--talosconfig": valueFlag(
        "<file>",
        "the cluster's talosconfig (default: `pulumi stack output talosconfig --show-secrets`)",
    ),
    "--list": switchFlag(
        "list the snapshots on the NAS instead (the snapshot folder and the legacy one under the TFTP root)",
    ),
    "--fetch": valueFlag("<name>", "download this snapshot (as --list names it) instead ..."),
    "--out": valueFlag("<file>", "... to this file (0600; must not exist)"),
};

export const USAGE = `usage: npm run etcd-snapshot -- --stack <name> [options]

Takes an etcd snapshot of the stack's cluster through the Talos API and stores it on the NAS in
<backups.share>/etcd/<cluster>-<UTC time>-<talos version>.db (streamed, MD5-checked, renamed
into place), keeping the newest backups.etcd.keep of them. --list and --fetch also find the snapshots
earlier versions stored under the TFTP root, in <synology.share>/backups/etcd.

${renderOptions(FLAGS)}`;

export function parseArgs(argv: string[], cwd = process.cwd()): EtcdSnapshotCliOptions {
    const f = readFlags(argv, FLAGS, USAGE);
    const problems: string[] = [];
    const o: EtcdSnapshotCliOptions = {
        ...stackOptions(f, cwd, problems),
        talosconfig: f.value("--talosconfig"),
        list: f.has("--list"),
        fetch: f.value("--fetch"),
        out: f.value("--out"),
    };
    if (o.list && o.fetch !== undefined) problems.push("--list and --fetch do not go together");
    if (o.fetch !== undefined && o.out === undefined) problems.push("--fetch needs --out <file>");
    if (o.out !== undefined && o.fetch === undefined) problems.push("--out goes with --fetch <name>");
    if (problems.length > 0) throw new Error(`${problems.join("; ")}\n\n${USAGE}`);
    return o;
}

/** The talosconfig text: `--talosconfig`, else the stack's output through the pulumi CLI. */
export function loadTalosconfig(o: EtcdSnapshotCliOptions, env: NodeJS.ProcessEnv = process.env): string {
    if (o.talosconfig !== undefined) {
        if (!fs.existsSync(o.talosconfig)) throw new Error(`--talosconfig ${o.talosconfig}: no such file`);
        return fs.readFileSync(o.talosconfig, "utf8");
    }
    const how =
        "give the cluster's talosconfig with --talosconfig <file> (e.g. saved from `pulumi stack output talosconfig --show-secrets`)";
    if (!o.usePulumi || !o.stack) throw new Error(`no talosconfig: ${how}`);
    const r = spawnSync("pulumi", ["stack", "output", "talosconfig", "--show-secrets", "--stack", o.stack], {
        cwd: o.cwd,
        encoding: "utf8",
        env,
    });
    if (r.error) throw new Error(`no talosconfig: the pulumi CLI was not found; ${how}`);
    if (r.status !== 0 || !r.stdout.trim()) {
        throw new Error(
            `no talosconfig: \`pulumi stack output talosconfig\` failed (${(r.stderr || "no output").trim().split("\n")[0]}); ${how}`,
        );
    }
    return r.stdout;
}

function human(bytes: number): string {
    if (bytes < 1024) return `${bytes} B`;
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let v = bytes / 1024;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
        v /= 1024;
        u++;
    }
    return `${v.toFixed(1)} ${units[u]}`;
}

export const main = stackCommand("etcd-snapshot", parseArgs, async (o, cfg, out, env) => {
    const secrets = [cfg.synologyPassword];
    const say = (m: string) => out(redactText(m, secrets));
    const made = stackDsmClient(cfg.synology, cfg.synologyPassword, o.otp);
    if (!made.dsm) {
        say(`etcd-snapshot: ${made.reason}`);
        return 2;
    }
    const dsm = made.dsm;
    const places = snapshotPlaces(cfg.backups.share, cfg.synology.share);
    const cluster = cfg.cluster.name;
    try {
        if (o.list) {
            for (const l of await listSnapshots(dsm, places, cluster)) {
                if (!l.exists && !l.legacy) say(`no etcd snapshots in ${l.dir}: it does not exist yet`);
                // The legacy folder is shown only when something is in it.
                if (!l.exists || (l.legacy && l.snapshots.length + l.others.length === 0)) continue;
                say(
                    l.legacy
                        ? `etcd snapshots of cluster ${cluster} in ${l.dir}, under the TFTP root (stored by an earlier version; ` +
                              `readable over TFTP without a password: move them to ${places.dir} or delete them; newest first):`
                        : `etcd snapshots of cluster ${cluster} in ${l.dir} (newest first; keeping the newest ${cfg.backups.etcd.keep}):`,
                );
                for (const s of l.snapshots)
                    say(`  ${s.name}  ${human(s.size)}  taken ${s.takenAt}  Talos ${s.talosVersion}`);
                if (l.snapshots.length === 0) say("  (none)");
                if (l.others.length > 0)
                    say(
                        `${l.others.length} other file(s) there, not this program's (never touched): ${l.others.join(", ")}`,
                    );
            }
            return 0;
        }
        if (o.fetch !== undefined) {
            const r = await fetchSnapshot(dsm, places, o.fetch, o.out as string);
            say(`fetched ${r.path} to ${o.out} (${r.size} bytes; MD5 ${r.md5}, the NAS's own)`);
            say(
                `restore (README "Restoring etcd"): reset a control plane, then \`talosctl -n <its ip> bootstrap --recover-from=${o.out}\``,
            );
            return 0;
        }
        let talosconfig: string;
        try {
            talosconfig = loadTalosconfig(o, env);
        } catch (e) {
            say(`etcd-snapshot: ${(e as Error).message}`);
            return 2;
        }
        secrets.push(talosconfig);
        const talos = talosctlApi(talosconfig);
        try {
            const r = await takeEtcdSnapshot(
                { dsm, talos, log: say },
                {
                    clusterName: cluster,
                    share: places.share,
                    keep: cfg.backups.etcd.keep,
                    controlPlanes: cfg.nodes
                        .filter((n) => n.role === "controlplane")
                        .map((n) => ({ hostname: n.hostname, ip: n.ip })),
                },
            );
            say(
                `etcd-snapshot: stored ${r.path} (${r.size} bytes, md5 ${r.md5}), taken through ${r.node} running Talos ${r.talosVersion}`,
            );
            if (r.deleted.length > 0)
                say(`etcd-snapshot: deleted older snapshots beyond backups.etcd.keep: ${r.deleted.join(", ")}`);
            if (r.retentionError) {
                say(`etcd-snapshot: could not delete older snapshots in ${places.dir}: ${r.retentionError}`);
                return 1;
            }
            return 0;
        } finally {
            talos.close();
        }
    } catch (e) {
        say(`etcd-snapshot: ${(e as Error).message}`);
        return 1;
    } finally {
        await dsm.logout().catch(() => undefined);
    }
});

if (require.main === module) void runMain(() => main(process.argv.slice(2)));
