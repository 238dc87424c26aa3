/**
 * The Talos API calls a snapshot needs, through the real `talosctl` (as the upgrades use it): `version`
 * (does the node answer, and which Talos does it run), `get extensions` (which Image Factory schematic) and
 * `etcd snapshot <file>` (EtcdSnapshot, streamed by
 * talosctl into `<file>.part`, checked for etcd's SHA-256 trailer, then renamed to `<file>`).
 *
 * The talosconfig is written to a 0600 file inside a 0700 temporary folder and never appears on a command line;
 * the folder (with any snapshot file) is removed by `close()`. Each call has a time limit and can be aborted.
 */
import * as fs from "fs";
import { execTalosctl, privateFiles, SCHEMATIC_QUERY, schematicOfQuery, serverTag } from "../talos/talosctl";

/** What the snapshot code needs of the Talos API (the real one runs talosctl; tests may run a stand-in of it). */
export interface TalosApi {
    /** The Talos version (`Tag`) the node's server reports; throws with talosctl's error when it does not answer. */
    version(ip: string): Promise<string>;
    /** The Image Factory schematic the node runs (empty when none); throws with talosctl's error. */
    schematic(ip: string): Promise<string>;
    /** Writes an etcd snapshot taken through `ip` to `file` (0600); throws with talosctl's error. */
    snapshot(ip: string, file: string): Promise<void>;
    /** A private (0700) folder for the snapshot file, removed by close(). */
    readonly workDir: string;
    /** Stops a running call (talosctl is killed); the call throws `reason`. */
    abort(reason: Error): void;
    /** Removes the talosconfig and the work folder. */
    close(): void;
}

export interface TalosctlOptions {
    /** talosctl to run; default `talosctl` from PATH. */
    talosctl?: string;
    /** Time limit of `version`, ms. Default 30 000. */
    versionTimeoutMs?: number;
    /** Time limit of `etcd snapshot`, ms. Default 30 minutes. */
    snapshotTimeoutMs?: number;
    /** Where the private folder goes. Default the system's temporary folder. */
    tmpRoot?: string;
    env?: NodeJS.ProcessEnv;
}

/** A {@link TalosApi} on the real talosctl with `talosconfig` (the text of one). */
export function talosctlApi(talosconfig: string, opts: TalosctlOptions = {}): TalosApi {
    if (!talosconfig.trim()) throw new Error("no talosconfig: the cluster's talosconfig is empty");
    const folder = privateFiles("homelab-etcd-", { talosconfig }, opts.tmpRoot);
    const workDir = folder.dir;
    const configFile = folder.paths.talosconfig;
    const running = new Set<(reason: Error) => void>();
    let aborted: Error | undefined;

    const run = (args: string[], timeoutMs: number, what: string): Promise<string> =>
        aborted
            ? Promise.reject(aborted)
            : execTalosctl({
                  args: ["--talosconfig", configFile, ...args],
                  timeoutMs,
                  what,
                  talosctl: opts.talosctl,
                  env: opts.env,
                  running,
              });

    return {
        workDir,
        async version(ip) {
            const out = await run(
                ["--nodes", ip, "--endpoints", ip, "version"],
                opts.versionTimeoutMs ?? 30_000,
                `talosctl version on ${ip}`,
            );
            const tag = serverTag(out);
            if (!tag) throw new Error(`talosctl version on ${ip}: the answer names no server Talos version`);
            return tag;
        },
        async schematic(ip) {
            const out = await run(
                ["--nodes", ip, "--endpoints", ip, ...SCHEMATIC_QUERY],
                opts.versionTimeoutMs ?? 30_000,
                `talosctl get extensions on ${ip}`,
            );
            return schematicOfQuery(out);
        },
        async snapshot(ip, file) {
            await run(
                ["--nodes", ip, "--endpoints", ip, "etcd", "snapshot", file],
                opts.snapshotTimeoutMs ?? 30 * 60_000,
                `talosctl etcd snapshot on ${ip}`,
            );
            fs.chmodSync(file, 0o600);
        },
        abort(reason) {
            aborted ??= reason;
            for (const stop of [...running]) stop(reason);
        },
        close() {
            folder.remove();
        },
    };
}
