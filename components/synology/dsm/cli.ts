/**
 * `npm run dsm -- --url <url> --user <name> <API> <method> [key=value ...]`
 *
 * A probe for NASes that answer differently from what this client expects: calls one DSM API method with
 * this client's transport (discovery, Auth v7 login, SynoToken, JSON-encoded values) and prints the JSON
 * `data`, with secrets redacted. The password comes from the DSM_PASSWORD environment variable (never a
 * flag: flags end up in shell history). Exits non-zero with the error's meaning on failure. Its options are FLAGS
 * below (`npm run dsm -- --help` prints them); `--name=value` works as well as `--name value`.
 *
 * Values: `key=value` is parsed as JSON when it parses (`enable=true`, `ifname="eth0"`, `path=["/a"]`), else
 * taken as a string (`ifname=eth0`); the client JSON-encodes it for requestFormat=JSON APIs.
 * Examples:
 *   DSM_PASSWORD=... npm run dsm -- --url https://nas:5001 --user admin --fingerprint aa:bb:... SYNO.Network.DHCPServer get ifname=eth0
 *   DSM_PASSWORD=... npm run dsm -- --url https://nas:5001 --user admin --insecure SYNO.API.Info query query=all
 */
import * as fs from "fs";
import type { Flags } from "../../cli/command";
import { FlagError, positiveInt, readFlags, renderOptions, runMain, switchFlag, valueFlag } from "../../cli/command";
import { NAS_APIS } from "../pxe";
import { useNamed } from "./apis";
import { DsmClient } from "./client";
import { redact, SECRET_PARAMS } from "./errors";
import type { DsmConnection } from "./types";

export interface CliIo {
    out: (s: string) => void;
    err: (s: string) => void;
}

const FLAGS = {
    "--url": valueFlag("<url>", "DSM address, e.g. https://192.168.0.6:5001"),
    "--user": valueFlag("<name>", "DSM account (an administrator)"),
    "--otp": valueFlag("<code>", "2FA one-time code (prints the device id to keep, to skip the OTP next time)"),
    "--device-id": valueFlag("<id>", "remembered 2FA device id (or DSM_DEVICE_ID)"),
    "--fingerprint": valueFlag("<sha256>", "pin the NAS's certificate by its SHA-256 fingerprint"),
    "--ca-file": valueFlag("<pem>", "trust this PEM (CA or the NAS's self-signed certificate)"),
    "--insecure": switchFlag("skip TLS verification (warned about)"),
    "--allow-http": switchFlag("allow an http:// URL"),
    "--version": valueFlag(
        "<n>",
        "API version (default: the one the program uses for its APIs, else the NAS's highest)",
    ),
    "--timeout": valueFlag("<ms>", "per-request timeout"),
};

const USAGE = `usage: npm run dsm -- --url <url> --user <name> [--otp <code>] [--device-id <id>] [--fingerprint <sha256> | --ca-file <pem> | --insecure] [--allow-http] [--version <n>] <API> <method> [key=value ...]   (password in DSM_PASSWORD)

${renderOptions(FLAGS)}`;

/** Remove secret-named keys from any JSON value (sid, synotoken, did, device_id, passwords). */
export function redactData(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(redactData);
    if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v))
            out[k] = SECRET_PARAMS.some((s) => s.toLowerCase() === k.toLowerCase()) ? "***" : redactData(x);
        return out;
    }
    return v;
}

function parseValue(s: string): unknown {
    try {
        return JSON.parse(s);
    } catch {
        return s;
    }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
    let f: Flags<keyof typeof FLAGS>;
    try {
        f = readFlags(argv, FLAGS, USAGE, { positional: true });
    } catch (e) {
        const help = e instanceof FlagError && e.helpAsked;
        (help ? io.out : io.err)((e as Error).message);
        return help ? 0 : 2;
    }
    const [api, method, ...kv] = f.positional;
    const problems: string[] = [];
    const url = f.value("--url");
    const user = f.value("--user");
    if (!url) problems.push("--url is missing (e.g. https://192.168.0.6:5001)");
    if (!user) problems.push("--user is missing");
    if (!env.DSM_PASSWORD)
        problems.push("DSM_PASSWORD is not set (export DSM_PASSWORD=... ; the password is never a flag)");
    if (!api || !method) problems.push("give the API and the method, e.g. SYNO.Network.DHCPServer get ifname=eth0");
    const params: Record<string, unknown> = {};
    for (const p of kv) {
        const i = p.indexOf("=");
        if (i <= 0) problems.push(`"${p}" is not key=value`);
        else params[p.slice(0, i)] = parseValue(p.slice(i + 1));
    }
    const int = (flag: "--timeout" | "--version"): number | undefined => {
        const v = f.value(flag);
        if (v === undefined) return undefined;
        try {
            return positiveInt(v, flag);
        } catch (e) {
            problems.push((e as Error).message);
            return undefined;
        }
    };
    const timeoutMs = int("--timeout");
    const version = int("--version");
    let caCertPem: string | undefined;
    const caFile = f.value("--ca-file");
    if (caFile !== undefined) {
        try {
            caCertPem = fs.readFileSync(caFile, "utf8");
        } catch (e) {
            problems.push(`--ca-file: cannot read ${caFile}: ${(e as Error).message}`);
        }
    }
    if (problems.length) {
        io.err(`${problems.join("\n")}\n${USAGE}`);
        return 2;
    }
    const conn: DsmConnection = {
        url: url!.replace(/\/+$/, ""),
        username: user!,
        password: env.DSM_PASSWORD!,
        allowHttp: f.has("--allow-http"),
        otpCode: f.value("--otp"),
        deviceId: f.value("--device-id") ?? (env.DSM_DEVICE_ID || undefined),
        tls: {
            caCertPem,
            fingerprintSha256: f.value("--fingerprint"),
            insecureSkipVerify: f.has("--insecure"),
        },
    };
    const secrets = [conn.password, conn.otpCode ?? "", conn.deviceId ?? ""];
    let client: DsmClient | undefined;
    try {
        client = new DsmClient(conn, {
            log: (m) => io.err(`${m}\n`),
            timeoutMs,
        });
        // An API the program calls goes with the version the program uses (what it would see); others the highest.
        const data = await client.call(useNamed(api, NAS_APIS) ?? api, method, params, version);
        io.out(`${redact(JSON.stringify(redactData(data ?? null), null, 2), secrets)}\n`);
        if (conn.otpCode && client.rememberedDeviceId) {
            io.err(
                `2FA: DSM remembered this device; to skip the OTP next time use --device-id (or synology.deviceId): ${client.rememberedDeviceId}\n`,
            );
        }
        return 0;
    } catch (e) {
        const err = e as { name?: string; message?: string };
        io.err(`${redact(`${err.name ?? "Error"}: ${err.message ?? String(e)}`, secrets)}\n`);
        return 1;
    } finally {
        await client?.logout().catch(() => undefined);
    }
}

if (require.main === module) {
    void runMain(() =>
        main(process.argv.slice(2), process.env, {
            out: (s) => process.stdout.write(s),
            err: (s) => process.stderr.write(s),
        }),
    );
}
