/**
 * The real `talosctl`, run from TypeScript, and the reading of its answers: one home for the etcd snapshot
 * (components/backups/talosctl.ts) and the drift check (./node-state.ts). The upgrade commands run talosctl from a
 * shell script (./upgrades.ts) and read the same answers the same way (their `running_tag` and `running_schematic`).
 *
 * {@link execTalosctl} runs one call with a time limit and stoppable; its callers give it the talosconfig as a 0600
 * file in a 0700 folder ({@link privateFiles}), never on a command line. Errors carry talosctl's last error line only ({@link talosctlError}).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Said when talosctl is not on PATH. */
export const TALOSCTL_NOT_FOUND =
    "talosctl was not found on PATH: install talosctl (https://www.talos.dev/latest/talos-guides/install/talosctl/)";

/** The Talos tag of the server section of `talosctl version` output (empty when there is none). Pure. */
export function serverTag(output: string): string {
    let inServer = false;
    let tag = "";
    for (const line of output.split("\n").map((l) => l.trim())) {
        if (/^Server:/.test(line)) inServer = true;
        const m = /^Tag:\s*(\S+)/.exec(line);
        if (inServer && m) tag = m[1];
    }
    return tag;
}

/** The last meaningful line of talosctl's stderr (its error), without the usage text cobra may print. Pure. */
export function talosctlError(stderr: string): string {
    const lines = stderr
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !/^Usage:|^Flags:|^Global Flags:|^\s*-/.test(l));
    const error = lines.filter((l) => /^error/i.test(l));
    return (
        (error.length > 0 ? error[error.length - 1] : lines[lines.length - 1]) ?? "talosctl failed without a message"
    );
}

/**
 * The talosctl arguments that list a node's extensions as lines, each result of the path on a line of its own: an
 * extension's name, then its version (talosctl's `-o jsonpath=`, cmd/talosctl/cmd/talos/output/jsonpath.go at
 * v1.13.0, prints every result with a newline).
 */
export const SCHEMATIC_QUERY = ["get", "extensions", "-o", "jsonpath={.spec.metadata.name}{.spec.metadata.version}"];

/**
 * The schematic a node runs, from the output of {@link SCHEMATIC_QUERY}: the version of the extension named
 * `schematic`, which the Image Factory puts in every image it builds (empty when there is none: an image the factory
 * did not build). Pure; the upgrade scripts' `awk` does the same.
 */
export function schematicOfQuery(output: string): string {
    const lines = output.split("\n").map((l) => l.trim());
    let found = "";
    for (let i = 0; i + 1 < lines.length; i++) if (lines[i] === "schematic") found = lines[i + 1];
    return found;
}

/** A private folder for what talosctl is handed: the talosconfig and any other file it reads. */
export interface PrivateFiles {
    /** The folder (0700). */
    dir: string;
    /** Each file's path by its name (0600). */
    paths: Record<string, string>;
    /** Removes the folder and everything in it. */
    remove(): void;
}

/**
 * A new 0700 folder under `root` (default the system's temporary folder) named `<prefix>…`, with each of `files`
 * written 0600 in it: how a talosconfig (a secret) reaches talosctl without a command line or an open file mode.
 */
export function privateFiles(prefix: string, files: Record<string, string>, root = os.tmpdir()): PrivateFiles {
    const dir = fs.mkdtempSync(path.join(root, prefix));
    fs.chmodSync(dir, 0o700);
    const paths: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
        paths[name] = path.join(dir, name);
        fs.writeFileSync(paths[name], text, { mode: 0o600 });
        fs.chmodSync(paths[name], 0o600);
    }
    return { dir, paths, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One talosctl call. */
export interface TalosctlCall {
    /** Every argument (`--talosconfig <file>` among them). */
    args: string[];
    /** Time limit, ms: then talosctl is killed and the call fails saying so. */
    timeoutMs: number;
    /** What the call is, for its errors: `talosctl version on 192.168.0.11`. */
    what: string;
    /** talosctl to run; default `talosctl` from PATH. */
    talosctl?: string;
    env?: NodeJS.ProcessEnv;
    /**
     * While the call runs, its `stop` is in this set: `stop(reason)` kills talosctl and the call fails with
     * `reason` (an abort).
     */
    running?: Set<(reason: Error) => void>;
}

/** Runs talosctl; resolves to its stdout, fails with `what: <talosctl's error line>`. */
export function execTalosctl(call: TalosctlCall): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(call.talosctl ?? "talosctl", call.args, {
            stdio: ["ignore", "pipe", "pipe"],
            env: call.env ?? process.env,
        });
        let stdout = "";
        let stderr = "";
        let stopped: Error | undefined;
        const stop = (reason: Error) => {
            stopped ??= reason;
            child.kill("SIGKILL");
        };
        call.running?.add(stop);
        const timer = setTimeout(
            () =>
                stop(new Error(`${call.what}: talosctl gave no answer within ${Math.round(call.timeoutMs / 1000)} s`)),
            call.timeoutMs,
        );
        child.stdout.on("data", (d: Buffer) => {
            stdout += d.toString();
        });
        child.stderr.on("data", (d: Buffer) => {
            stderr = (stderr + d.toString()).slice(-64 * 1024);
        });
        const end = () => {
            clearTimeout(timer);
            call.running?.delete(stop);
        };
        child.on("error", (e: NodeJS.ErrnoException) => {
            end();
            reject(
                new Error(
                    e.code === "ENOENT" ? TALOSCTL_NOT_FOUND : `${call.what}: talosctl could not start: ${e.message}`,
                ),
            );
        });
        child.on("close", (code) => {
            end();
            if (stopped) reject(stopped);
            else if (code === 0) resolve(stdout);
            else reject(new Error(`${call.what}: ${talosctlError(stderr || stdout)}`));
        });
    });
}
