/**
 * `npm run doctor -- --stack <name> [options]`: checks, before machines are powered on, that the LAN
 * will PXE-boot them. Reads the stack config with the pulumi CLI when it is installed and logged in
 * (`pulumi config --json --show-secrets`), else from Pulumi.<stack>.yaml with the encrypted secrets
 * taken from the environment (DSM_PASSWORD, UPS_PASSWORD). Exit code 1 when a check fails, 2 on bad
 * usage or config.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { CONFIG_NAMESPACE, ConfigError, parseStackConfig, SECRET_KEYS, StackConfig } from "../config";
import { getDsmClient } from "../synology/dsm";
import { dsmConnectionOf } from "../synology/preflight";
import type { DsmApi, DsmConnection } from "../synology/dsm/types";
import { FlagKind, positiveInt, readFlags, STACK_FLAGS, stackOptions, StackOptions } from "../flags";
import { CHECK_GROUPS, CheckGroup, DoctorDeps, exitCodeOf, formatResult, planFromConfig, runDoctor } from "./checks";

/** Every stack-config key that holds a secret, and the environment variable doctor reads it from. */
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
        const encrypted = v !== null && typeof v === "object" && "secure" in (v as object);
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

export interface CliOptions extends StackOptions {
    only?: CheckGroup[];
    tftpHost?: string;
    tftpPort?: number;
    dhcp: boolean;
    dhcpWindowMs?: number;
    dhcpTarget?: string;
    mac?: string;
}

export const USAGE = `usage: npm run doctor -- --stack <name> [options]

Checks that the LAN will PXE-boot the stack's nodes: NAS and DSM login, DHCP Server package,
TFTP service and boot file (also fetched over TFTP and checked by size and MD5), one DHCP server
offering the boot file, the Image Factory image, and each node's Talos API port.

options:
  --stack <name>          stack to check (reads Pulumi.<name>.yaml or \`pulumi config\`)
  --config-file <path>    read this stack file instead (secrets from DSM_PASSWORD / UPS_PASSWORD)
  --no-pulumi             do not call the pulumi CLI even when it is installed
  --only <a,b>            run only these groups: ${CHECK_GROUPS.join(", ")}
  --tftp-host <host>      TFTP server (default: the host of homelab:synology.url)
  --tftp-port <port>      TFTP port (default 69)
  --no-dhcp               skip the DHCP probe (it needs root to bind UDP port 68)
  --dhcp-window <ms>      how long to collect DHCP offers (default 4000)
  --dhcp-target <addr>    where to send the DISCOVER (default 255.255.255.255)
  --mac <mac>             client MAC in the DISCOVER (default: random, locally administered)
  --otp <code>            DSM 2-factor code for this login
`;

const FLAGS = {
    ...STACK_FLAGS,
    "--only": "value",
    "--tftp-host": "value",
    "--tftp-port": "value",
    "--no-dhcp": "switch",
    "--dhcp-window": "value",
    "--dhcp-target": "value",
    "--mac": "value",
} as const satisfies Record<string, FlagKind>;

export function parseArgs(argv: string[], cwd = process.cwd()): CliOptions {
    const f = readFlags(argv, FLAGS, USAGE);
    const problems: string[] = [];
    const o: CliOptions = { ...stackOptions(f, cwd, problems), dhcp: !f.has("--no-dhcp") };
    if (problems.length > 0) throw new Error(`${problems.join("; ")}\n\n${USAGE}`);
    const only = f.value("--only");
    if (only !== undefined) {
        const groups = only
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean);
        const bad = groups.filter((g) => !(CHECK_GROUPS as string[]).includes(g));
        if (bad.length) throw new Error(`--only: unknown group ${bad.join(", ")}; use ${CHECK_GROUPS.join(", ")}`);
        o.only = groups as CheckGroup[];
    }
    const int = (flag: "--tftp-port" | "--dhcp-window"): number | undefined => {
        const v = f.value(flag);
        return v === undefined ? undefined : positiveInt(v, flag);
    };
    o.tftpHost = f.value("--tftp-host");
    o.tftpPort = int("--tftp-port");
    o.dhcpWindowMs = int("--dhcp-window");
    o.dhcpTarget = f.value("--dhcp-target");
    o.mac = f.value("--mac");
    return o;
}

/** Reads the stack's values: the pulumi CLI when usable, else the stack file. */
export function loadValues(
    o: Pick<CliOptions, "stack" | "cwd" | "configFile" | "usePulumi">,
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

/** The shared DSM client for the stack's NAS; a reason instead when it cannot be built from the config. */
export function makeDsmClient(cfg: StackConfig, otp?: string): { dsm?: DsmApi; reason?: string } {
    const conn: DsmConnection = dsmConnectionOf(cfg, { otpCode: otp, deviceName: "homelab-doctor" });
    try {
        return { dsm: getDsmClient(conn) };
    } catch (e) {
        return { reason: `the DSM client cannot be set up: ${(e as Error).message.split("\n")[0]}` };
    }
}

export function depsFromOptions(cfg: StackConfig, o: CliOptions, dsm: { dsm?: DsmApi; reason?: string }): DoctorDeps {
    const plan = planFromConfig(cfg);
    return {
        plan,
        dsm: dsm.dsm,
        dsmUnavailable: dsm.reason,
        tftp: { host: o.tftpHost ?? plan.nasHost, port: o.tftpPort },
        dhcp: o.dhcp ? { windowMs: o.dhcpWindowMs, target: o.dhcpTarget, mac: o.mac } : false,
        only: o.only,
    };
}

export async function main(
    argv: string[],
    out: (line: string) => void = (l) => console.log(l),
    env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
    let o: CliOptions;
    try {
        o = parseArgs(argv);
    } catch (e) {
        out((e as Error).message);
        return 2;
    }
    let cfg: StackConfig;
    try {
        const v = loadValues(o, env);
        out(`doctor: stack ${o.stack || o.configFile} (config from ${v.source})`);
        for (const n of v.notes) out(`note: ${n}`);
        cfg = parseStackConfig(v.values);
    } catch (e) {
        out(e instanceof ConfigError ? e.message : `doctor: ${(e as Error).message}`);
        return 2;
    }
    const results = await runDoctor(depsFromOptions(cfg, o, makeDsmClient(cfg, o.otp)), (r) => out(formatResult(r)));
    const count = (s: string) => results.filter((r) => r.status === s).length;
    out(`doctor: ${count("PASS")} passed, ${count("FAIL")} failed, ${count("SKIP")} skipped, ${count("WAIT")} waiting`);
    return exitCodeOf(results);
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            console.error(e);
            process.exitCode = 2;
        },
    );
}
