/**
 * `npm run dsm -- --url <url> --user <name> <API> <method> [key=value ...]`
 *
 * A probe for NASes that answer differently from what this client expects: calls one DSM API method with
 * this client's transport (discovery, Auth v7 login, SynoToken, JSON-encoded values) and prints the JSON
 * `data`, with secrets redacted. The password comes from the DSM_PASSWORD environment variable (never a
 * flag: flags end up in shell history). Exits non-zero with the error's meaning on failure.
 *
 * Options:
 *   --url <url>            DSM address, e.g. https://192.168.0.6:5001
 *   --user <name>          DSM account (an administrator)
 *   --otp <code>           2FA one-time code (prints the device id to keep, to skip the OTP next time)
 *   --device-id <id>       remembered 2FA device id (or DSM_DEVICE_ID)
 *   --fingerprint <sha256> pin the NAS's certificate by its SHA-256 fingerprint
 *   --ca-file <path>       trust this PEM (CA or the NAS's self-signed certificate)
 *   --insecure             skip TLS verification (warned about)
 *   --allow-http           allow an http:// URL
 *   --version <n>          API version (default: the highest this client supports on the NAS)
 *   --timeout <ms>         per-request timeout
 *
 * Values: `key=value` is parsed as JSON when it parses (`enable=true`, `ifname="eth0"`, `path=["/a"]`), else
 * taken as a string (`ifname=eth0`); the client JSON-encodes it for requestFormat=JSON APIs.
 * Examples:
 *   DSM_PASSWORD=... npm run dsm -- --url https://nas:5001 --user admin --fingerprint aa:bb:... SYNO.Network.DHCPServer get ifname=eth0
 *   DSM_PASSWORD=... npm run dsm -- --url https://nas:5001 --user admin --insecure SYNO.API.Info query query=all
 */
import * as fs from "fs";
import { DsmClient } from "./client";
import { redact, SECRET_PARAMS } from "./errors";
import type { DsmConnection } from "./types";

export interface CliIo {
    out: (s: string) => void;
    err: (s: string) => void;
}

const USAGE =
    "usage: npm run dsm -- --url <url> --user <name> [--otp <code>] [--device-id <id>] [--fingerprint <sha256> | --ca-file <pem> | --insecure] [--allow-http] [--version <n>] <API> <method> [key=value ...]   (password in DSM_PASSWORD)";

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
    const flags: Record<string, string | boolean> = {};
    const positional: string[] = [];
    const withValue = ["url", "user", "otp", "device-id", "fingerprint", "ca-file", "version", "timeout"];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a.startsWith("--")) {
            const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
            if (withValue.includes(name)) {
                const v = inline ?? argv[++i];
                if (v === undefined) {
                    io.err(`--${name} needs a value\n${USAGE}\n`);
                    return 2;
                }
                flags[name] = v;
            } else if (["insecure", "allow-http", "help"].includes(name)) flags[name] = true;
            else {
                io.err(`unknown option --${name}\n${USAGE}\n`);
                return 2;
            }
        } else positional.push(a);
    }
    if (flags.help) {
        io.out(`${USAGE}\n`);
        return 0;
    }
    const [api, method, ...kv] = positional;
    const problems: string[] = [];
    if (!flags.url) problems.push("--url is missing (e.g. https://192.168.0.6:5001)");
    if (!flags.user) problems.push("--user is missing");
    if (!env.DSM_PASSWORD)
        problems.push("DSM_PASSWORD is not set (export DSM_PASSWORD=... ; the password is never a flag)");
    if (!api || !method) problems.push("give the API and the method, e.g. SYNO.Network.DHCPServer get ifname=eth0");
    const params: Record<string, unknown> = {};
    for (const p of kv) {
        const i = p.indexOf("=");
        if (i <= 0) problems.push(`"${p}" is not key=value`);
        else params[p.slice(0, i)] = parseValue(p.slice(i + 1));
    }
    let caCertPem: string | undefined;
    if (typeof flags["ca-file"] === "string") {
        try {
            caCertPem = fs.readFileSync(flags["ca-file"], "utf8");
        } catch (e) {
            problems.push(`--ca-file: cannot read ${flags["ca-file"]}: ${(e as Error).message}`);
        }
    }
    if (problems.length) {
        io.err(`${problems.join("\n")}\n${USAGE}\n`);
        return 2;
    }
    const conn: DsmConnection = {
        url: String(flags.url).replace(/\/+$/, ""),
        username: String(flags.user),
        password: env.DSM_PASSWORD!,
        allowHttp: flags["allow-http"] === true,
        otpCode: typeof flags.otp === "string" ? flags.otp : undefined,
        deviceId: typeof flags["device-id"] === "string" ? flags["device-id"] : env.DSM_DEVICE_ID || undefined,
        tls: {
            caCertPem,
            fingerprintSha256: typeof flags.fingerprint === "string" ? flags.fingerprint : undefined,
            insecureSkipVerify: flags.insecure === true,
        },
    };
    const secrets = [conn.password, conn.otpCode ?? "", conn.deviceId ?? ""];
    let client: DsmClient | undefined;
    try {
        client = new DsmClient(conn, {
            log: (m) => io.err(`${m}\n`),
            timeoutMs: flags.timeout ? Number(flags.timeout) : undefined,
        });
        const version = typeof flags.version === "string" ? Number(flags.version) : undefined;
        const data = await client.call(api, method, params, version);
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
    main(process.argv.slice(2), process.env, {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
    }).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`${(e as Error)?.message ?? e}\n`);
            process.exit(1);
        },
    );
}
