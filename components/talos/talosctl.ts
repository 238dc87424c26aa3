/**
 * The real `talosctl`, run from TypeScript, and the reading of its answers: one home for the etcd snapshot
 * (components/backups/talosctl.ts) and the drift check (./node-state.ts). The upgrade commands run talosctl from a
 * shell script (./upgrades.ts) and read the same answers the same way (their `running_tag` and `running_schematic`).
 *
 * {@link execTalosctl} runs one call with a time limit and stoppable; its callers give it the talosconfig as a 0600
 * file, never on a command line. Errors carry talosctl's last error line only ({@link talosctlError}).
 */
import { spawn } from "child_process";

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
