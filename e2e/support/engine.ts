/**
 * The real Pulumi engine, run the way a user runs it: the `pulumi` CLI in a project folder holding the
 * repository's own Pulumi.yaml, package.json, tsconfig.json and index.ts (copied) and its components/ and
 * node_modules/ (linked), through the Node.js language host, with a `Pulumi.<stack>.yaml` there; everything of the
 * engine lives in that temporary folder too: PULUMI_HOME (plugins installed from the built files), a file
 * backend, a passphrase secrets provider, no update check and no plugin download. Nothing is written into the
 * checkout. Every engine command writes the engine's event log, which the scenarios assert on.
 *
 * With HOMELAB_E2E_PULUMI=path (a user's machine with internet), that `pulumi` is used instead and the engine
 * may fetch the provider plugins itself.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { readToolchain } from "../toolchain/build";
import { EngineEvent, parseEventLog } from "./events";
import { ProcessOwner } from "./processes";

export const repoRoot = path.resolve(__dirname, "..", "..");

/** What a finished CLI command left behind. */
export interface RunResult {
    args: string[];
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    events: EngineEvent[];
    seconds: number;
    /** CPU seconds (user + system) of the command and every process it waited for; with `cpuTime` only. */
    cpuSeconds?: number;
}

export interface EngineOptions {
    /** Folder with `pulumi`, `pulumi-language-nodejs` and the plugins (the toolchain's bin folder). */
    binDir: string;
    /** Stack name (default `e2e`). */
    stack?: string;
    /** Passphrase of the passphrase secrets provider (default: random). */
    passphrase?: string;
    /** Extra folders put first on PATH (e.g. a recording talosctl). */
    pathPrefix?: string[];
    /** Extra environment. */
    env?: Record<string, string>;
    /** Keep the temporary folder after `dispose` (debugging). */
    keep?: boolean;
    /** Files written over the project folder's copies, by name (e.g. another index.ts: the bench's empty program). */
    files?: Record<string, string>;
    /**
     * Measure each command's CPU time too (`RunResult.cpuSeconds`), through /usr/bin/time: a figure that other work
     * on the machine disturbs far less than the wall time. Without /usr/bin/time, no figure.
     */
    cpuTime?: boolean;
}

/** One stack on a private file backend. */
export class Engine {
    readonly dir: string;
    /** The project folder the CLI runs in. */
    readonly projectDir: string;
    readonly home: string;
    readonly backendDir: string;
    readonly configFile: string;
    readonly stack: string;
    readonly passphrase: string;
    private readonly options: EngineOptions;
    private runs = 0;
    /** Every `pulumi` this engine starts, and what those start (language host, plugins, provider hosts). */
    private readonly processes = new ProcessOwner("engine");

    constructor(options: EngineOptions) {
        this.options = options;
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-e2e-"));
        this.projectDir = path.join(this.dir, "project");
        this.home = path.join(this.dir, "pulumi-home");
        this.backendDir = path.join(this.dir, "backend");
        this.stack = options.stack ?? "e2e";
        this.configFile = path.join(this.projectDir, `Pulumi.${this.stack}.yaml`);
        makeProjectDir(this.projectDir);
        for (const [name, text] of Object.entries(options.files ?? {}))
            fs.writeFileSync(path.join(this.projectDir, name), text);
        this.passphrase = options.passphrase ?? `e2e-${Math.random().toString(36).slice(2)}`;
        fs.mkdirSync(this.home, { recursive: true });
        fs.mkdirSync(this.backendDir, { recursive: true });
    }

    /** The `pulumi` binary this engine runs. */
    get pulumi(): string {
        return process.env.HOMELAB_E2E_PULUMI ?? path.join(this.options.binDir, "pulumi");
    }

    /** The environment of every command; an `extra` value of `undefined` removes that variable. */
    env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
        const userPulumi = process.env.HOMELAB_E2E_PULUMI !== undefined;
        const pathParts = [
            ...(this.options.pathPrefix ?? []),
            this.options.binDir,
            path.join(repoRoot, "node_modules", "@pulumi", "pulumi"),
            path.join(repoRoot, "node_modules", ".bin"),
            process.env.PATH ?? "",
        ];
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PATH: pathParts.join(path.delimiter),
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.backendDir}`,
            PULUMI_CONFIG_PASSPHRASE: this.passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
            // Makes `--event-log` available (the Automation API sets it too).
            PULUMI_DEBUG_COMMANDS: "true",
            // tsc --noEmit type-checks the program in CI; the engine runs need not do it again on every command.
            PULUMI_NODEJS_TRANSPILE_ONLY: process.env.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
            PULUMI_DISABLE_CI_DETECTION: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
            NO_COLOR: "1",
            ...(userPulumi ? {} : { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" }),
            ...this.options.env,
            ...extra,
        };
        delete env.PULUMI_ACCESS_TOKEN;
        delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
        for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
        return env;
    }

    /** Runs `pulumi <args>` in the project folder; never throws for a non-zero exit (the caller asserts). */
    run(
        args: string[],
        opts: {
            stdin?: string;
            timeoutMs?: number;
            env?: Record<string, string | undefined>;
            onStart?: (pid: number) => void;
        } = {},
    ): Promise<RunResult> {
        const eventLog = path.join(this.dir, `events-${++this.runs}.jsonl`);
        const engineCommand = ["preview", "up", "refresh", "destroy", "import"].includes(args[0]);
        const fullArgs = engineCommand ? [...args, "--event-log", eventLog] : args;
        const started = Date.now();
        const timeFile = path.join(this.dir, `time-${this.runs}.txt`);
        const timed = this.options.cpuTime === true && fs.existsSync(TIME_BIN);
        const [command, commandArgs] = timed
            ? [TIME_BIN, ["-q", "-f", "%U %S", "-o", timeFile, this.pulumi, ...fullArgs]]
            : [this.pulumi, fullArgs];
        return new Promise((resolve, reject) => {
            const child = this.processes.spawn(command, commandArgs, {
                cwd: this.projectDir,
                env: this.env(opts.env),
                stdio: ["pipe", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout!.on("data", (d: Buffer) => {
                stdout += d.toString();
            });
            child.stderr!.on("data", (d: Buffer) => {
                stderr += d.toString();
            });
            child.on("error", reject);
            // A command that overruns its time: its whole process group (the CLI, its language host and plugins).
            const timer = opts.timeoutMs
                ? setTimeout(() => {
                      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
                  }, opts.timeoutMs)
                : undefined;
            if (child.pid !== undefined) opts.onStart?.(child.pid);
            child.stdin!.end(opts.stdin ?? "");
            child.on("close", (code, signal) => {
                if (timer) clearTimeout(timer);
                const events = fs.existsSync(eventLog) ? parseEventLog(fs.readFileSync(eventLog, "utf8")) : [];
                const cpu =
                    timed && fs.existsSync(timeFile) ? fs.readFileSync(timeFile, "utf8").trim().split(/\s+/) : [];
                resolve({
                    args: fullArgs,
                    code,
                    signal,
                    stdout,
                    stderr,
                    events,
                    seconds: (Date.now() - started) / 1000,
                    cpuSeconds: cpu.length === 2 ? Number(cpu[0]) + Number(cpu[1]) : undefined,
                });
            });
        });
    }

    /** `run` that throws with the command's output when it fails. */
    async ok(args: string[], opts: Parameters<Engine["run"]>[1] = {}): Promise<RunResult> {
        const r = await this.run(args, opts);
        if (r.code !== 0) {
            throw new Error(
                `pulumi ${args.join(" ")} exited ${r.code ?? r.signal}:\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-4000)}`,
            );
        }
        return r;
    }

    /** Arguments that aim a command at this stack. */
    stackArgs(): string[] {
        return ["--stack", this.stack, "--non-interactive"];
    }

    /** Installs the toolchain's provider plugins into PULUMI_HOME (skipped with a user's own `pulumi`). */
    async installPlugins(): Promise<void> {
        if (process.env.HOMELAB_E2E_PULUMI) return;
        for (const entry of readToolchain(this.options.binDir)) {
            if (!entry.plugin) continue;
            await this.ok([
                "plugin",
                "install",
                entry.plugin.kind,
                entry.plugin.name,
                entry.version,
                "--file",
                path.join(this.options.binDir, entry.binaries[0]),
            ]);
        }
    }

    /** Creates the stack and writes its config file: plain values as YAML, secrets with `pulumi config set --secret`. */
    async init(values: Record<string, unknown>, secrets: Record<string, string>): Promise<void> {
        await this.installPlugins();
        await this.ok(["stack", "init", this.stack, "--secrets-provider", "passphrase", "--non-interactive"]);
        this.writeConfig(values);
        for (const [key, value] of Object.entries(secrets)) {
            // From stdin, as a user would type it: the secret never appears on a command line.
            await this.ok(["config", "set", "--secret", `homelab:${key}`, ...this.stackArgs()], { stdin: value });
        }
    }

    /** Rewrites the plain `homelab:*` values of the stack file, keeping what `pulumi config` wrote (secrets, salt). */
    writeConfig(values: Record<string, unknown>): void {
        const existing = fs.existsSync(this.configFile)
            ? ((YAML.parse(fs.readFileSync(this.configFile, "utf8")) as { config?: Record<string, unknown> } & Record<
                  string,
                  unknown
              >) ?? {})
            : {};
        const config: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(existing.config ?? {})) {
            if (v && typeof v === "object" && "secure" in (v as object)) config[k] = v;
        }
        for (const [k, v] of Object.entries(values)) config[`homelab:${k}`] = v;
        fs.writeFileSync(this.configFile, YAML.stringify({ ...existing, config }));
    }

    /** The stack's state as `pulumi stack export` gives it. */
    async exportState(showSecrets = false): Promise<{ text: string; deployment: StackDeployment }> {
        const r = await this.ok(["stack", "export", "--stack", this.stack, ...(showSecrets ? ["--show-secrets"] : [])]);
        return { text: r.stdout, deployment: JSON.parse(r.stdout) as StackDeployment };
    }

    /** Every file of the file backend, with its text (for the secrets-at-rest check). */
    backendFiles(): { file: string; text: string }[] {
        const out: { file: string; text: string }[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p);
                else out.push({ file: p, text: fs.readFileSync(p).toString("latin1") });
            }
        };
        walk(this.backendDir);
        return out;
    }

    /** Stops whatever this engine's commands left running (a plugin of a killed `pulumi`), then removes its folder. */
    async dispose(): Promise<void> {
        await this.processes.stop();
        if (!this.options.keep && !process.env.HOMELAB_E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** GNU time, for {@link EngineOptions.cpuTime}. */
const TIME_BIN = "/usr/bin/time";

/** Files of the repository a project folder copies (small, and read by the engine or ts-node). */
export const PROJECT_FILES = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"];
/** Folders it links (the program's code and its installed packages). */
export const PROJECT_LINKS = ["components", "node_modules"];

/** A project folder that runs the repository's program: its files copied, its code and packages linked. */
export function makeProjectDir(dir: string, root = repoRoot): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of PROJECT_FILES) fs.copyFileSync(path.join(root, f), path.join(dir, f));
    for (const l of PROJECT_LINKS) {
        if (!fs.existsSync(path.join(root, l)))
            throw new Error(`e2e: ${path.join(root, l)} is missing (run npm ci first)`);
        fs.symlinkSync(path.join(root, l), path.join(dir, l));
    }
}

/** The parts of `pulumi stack export` the scenarios read. */
export interface StackDeployment {
    version: number;
    deployment: {
        resources?: StateResource[];
        pending_operations?: { resource: StateResource; type: string }[];
    };
}

export interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    parent?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    dependencies?: string[];
}
