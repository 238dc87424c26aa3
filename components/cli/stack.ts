/**
 * What a command that reads a stack (`npm run doctor`, `npm run etcd-snapshot`) shares: the stack flags, reading the
 * stack's config with the pulumi CLI when it is installed and logged in (`pulumi config --json --show-secrets`), else
 * from Pulumi.<stack>.yaml with the encrypted secrets taken from the environment (DSM_PASSWORD, UPS_PASSWORD). The
 * DSM client for the stack's NAS is the NAS domain's (`stackDsmClient`, components/synology/connection.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { ConfigError } from "../checker";
import { CONFIG_NAMESPACE, parseStackConfig, SECRET_KEYS, StackConfig } from "../config";
import { FlagError, Flags, switchFlag, valueFlag } from "./command";

/** The flags of every command that reads a stack's config and logs in to the NAS. */
export const STACK_FLAGS = {
    "--stack": valueFlag("<name>", "the stack (reads `pulumi config`, or Pulumi.<name>.yaml)"),
    "--config-file": valueFlag("<path>", "read this stack file instead (secrets from DSM_PASSWORD / UPS_PASSWORD)"),
    "--no-pulumi": switchFlag("do not call the pulumi CLI even when it is installed"),
    "--otp": valueFlag("<code>", "DSM 2-factor code for this login"),
};

/** Where a command reads the stack from, and the DSM 2-factor code. */
export interface StackOptions {
    stack: string;
    cwd: string;
    configFile?: string;
    usePulumi: boolean;
    otp?: string;
}

/**
 * The stack options of the flags read. `--stack` (or `--config-file`) is required: without it the problem goes into
 * `problems`, beside the command's own, so that one message names them all.
 */
export function stackOptions(f: Flags<keyof typeof STACK_FLAGS>, cwd: string, problems: string[]): StackOptions {
    const o: StackOptions = {
        stack: f.value("--stack") ?? "",
        cwd,
        configFile: f.value("--config-file"),
        usePulumi: !f.has("--no-pulumi"),
        otp: f.value("--otp"),
    };
    if (!o.stack && !o.configFile) problems.push("--stack is required");
    return o;
}

/** Every stack-config key that holds a secret, and the environment variable a command reads it from. */
export const SECRET_ENV: Record<(typeof SECRET_KEYS)[number], string> = {
    synologyPassword: "DSM_PASSWORD",
    upsPassword: "UPS_PASSWORD",
};

export interface ConfigValues {
    values: Record<string, unknown>;
    /** Where they came from, for the first output line. */
    source: string;
    notes: string[];
}

function stripPrefix(raw: Record<string, unknown>, pick: (v: unknown) => unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
        if (k.startsWith(`${CONFIG_NAMESPACE}:`)) out[k.slice(CONFIG_NAMESPACE.length + 1)] = pick(v);
    }
    return out;
}

function applySecretEnv(values: Record<string, unknown>, env: NodeJS.ProcessEnv, notes: string[], file?: string): void {
    for (const [key, envName] of Object.entries(SECRET_ENV)) {
        const v = values[key];
        const encrypted = v !== null && typeof v === "object" && "secure" in v;
        if (env[envName]) values[key] = env[envName];
        else if (encrypted) {
            delete values[key];
            notes.push(
                `${CONFIG_NAMESPACE}:${key} is encrypted${file ? ` in ${file}` : ""}: set ${envName}, or install and log in the pulumi CLI`,
            );
        }
    }
}

/** The `homelab:*` values of a Pulumi.<stack>.yaml text; encrypted secrets come from `env`. Pure. */
export function valuesFromStackYaml(text: string, env: NodeJS.ProcessEnv, file = "the stack file"): ConfigValues {
    const doc = YAML.parse(text) as { config?: Record<string, unknown> } | null;
    const values = stripPrefix(doc?.config ?? {}, (v) => v);
    const notes: string[] = [];
    applySecretEnv(values, env, notes, file);
    return { values, source: file, notes };
}

/** The `homelab:*` values of `pulumi config --json --show-secrets` output. Pure. */
export function valuesFromPulumiJson(text: string, env: NodeJS.ProcessEnv = {}): ConfigValues {
    const raw = JSON.parse(text) as Record<string, { value?: unknown; objectValue?: unknown; secret?: boolean }>;
    const values = stripPrefix(raw, (v) => {
        const e = v as { value?: unknown; objectValue?: unknown };
        return e.objectValue !== undefined ? e.objectValue : e.value;
    });
    const notes: string[] = [];
    for (const [key, envName] of Object.entries(SECRET_ENV)) if (env[envName]) values[key] = env[envName];
    return { values, source: "pulumi config", notes };
}

/** Reads the stack's values: the pulumi CLI when usable, else the stack file. */
export function loadValues(
    o: Pick<StackOptions, "stack" | "cwd" | "configFile" | "usePulumi">,
    env: NodeJS.ProcessEnv = process.env,
): ConfigValues {
    const notes: string[] = [];
    if (!o.configFile && o.usePulumi) {
        const r = spawnSync("pulumi", ["config", "--json", "--show-secrets", "--stack", o.stack], {
            cwd: o.cwd,
            encoding: "utf8",
            env,
        });
        if (!r.error && r.status === 0) return valuesFromPulumiJson(r.stdout, env);
        notes.push(
            r.error
                ? "pulumi CLI not found: reading the stack file"
                : `pulumi config failed (${(r.stderr || "").trim().split("\n")[0]}): reading the stack file`,
        );
    }
    const file = o.configFile ?? path.join(o.cwd, `Pulumi.${o.stack}.yaml`);
    if (!fs.existsSync(file))
        throw new Error(
            `no stack file ${file}: create the stack with \`pulumi stack init ${o.stack}\` and set its config (see README)`,
        );
    const v = valuesFromStackYaml(fs.readFileSync(file, "utf8"), env, path.basename(file));
    return { ...v, notes: [...notes, ...v.notes] };
}

/** Where a command writes its lines (console.log unless a test gives its own). */
export type Out = (line: string) => void;

/**
 * The `main(argv, out, env)` of stack command `command` (e.g. "doctor"): its arguments through `parseArgs`, then the
 * stack's config, announced as `<command>: stack <name> (config from <source>)` with its notes, and parsed; then
 * `run`, whose result is the exit code. When the arguments or the config fail it prints why (the usage; the config's
 * problems, or `<command>: <what went wrong>`) and exits 2 (0 for `--help`) before `run`.
 */
export function stackCommand<O extends StackOptions>(
    command: string,
    parseArgs: (argv: string[]) => O,
    run: (o: O, cfg: StackConfig, out: Out, env: NodeJS.ProcessEnv) => Promise<number>,
): (argv: string[], out?: Out, env?: NodeJS.ProcessEnv) => Promise<number> {
    return async (argv, out = (l) => console.log(l), env = process.env) => {
        let o: O;
        try {
            o = parseArgs(argv);
        } catch (e) {
            out((e as Error).message);
            return e instanceof FlagError && e.helpAsked ? 0 : 2;
        }
        let cfg: StackConfig;
        try {
            const v = loadValues(o, env);
            out(`${command}: stack ${o.stack || o.configFile} (config from ${v.source})`);
            for (const n of v.notes) out(`note: ${n}`);
            cfg = parseStackConfig(v.values);
        } catch (e) {
            out(e instanceof ConfigError ? e.message : `${command}: ${(e as Error).message}`);
            return 2;
        }
        return run(o, cfg, out, env);
    };
}
