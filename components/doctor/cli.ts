/**
 * `npm run doctor -- --stack <name> [options]`: checks, before machines are powered on, that the LAN
 * will PXE-boot them. Reads the stack config as every stack command does (../cli/stack.ts: the pulumi
 * CLI when it is installed and logged in, else Pulumi.<stack>.yaml with the encrypted secrets taken from
 * DSM_PASSWORD, UPS_PASSWORD). Exit code 1 when a check fails, 2 on bad usage or config, 0 for --help.
 */
import { StackConfig } from "../config";
import type { DsmApi } from "../synology/dsm/types";
import { positiveInt, readFlags, renderOptions, runMain, switchFlag, valueFlag } from "../cli/command";
import { STACK_FLAGS, stackOptions, StackOptions, stackCommand } from "../cli/stack";
import { stackDsmClient } from "../synology/connection";
import { CHECK_GROUPS, CheckGroup, DoctorDeps, runDoctor } from "./checks";
import { exitCodeOf, formatResult, planFromConfig } from "./plan";

export interface CliOptions extends StackOptions {
    only?: CheckGroup[];
    tftpHost?: string;
    tftpPort?: number;
    dhcp: boolean;
    dhcpWindowMs?: number;
    dhcpTarget?: string;
    mac?: string;
}

const FLAGS = {
    ...STACK_FLAGS,
    "--only": valueFlag("<a,b>", `run only these groups: ${CHECK_GROUPS.join(", ")}`),
    "--tftp-host": valueFlag("<host>", "TFTP server (default: the host of homelab:synology.url)"),
    "--tftp-port": valueFlag("<port>", "TFTP port (default 69)"),
    "--no-dhcp": switchFlag("skip the DHCP probe (it needs root to bind UDP port 68)"),
    "--dhcp-window": valueFlag("<ms>", "how long to collect DHCP offers (default 4000)"),
    "--dhcp-target": valueFlag("<addr>", "where to send the DISCOVER (default 255.255.255.255)"),
    "--mac": valueFlag("<mac>", "client MAC in the DISCOVER (default: random, locally administered)"),
};

export const USAGE = `usage: npm run doctor -- --stack <name> [options]

Checks that the LAN will PXE-boot the stack's nodes: NAS and DSM login, DHCP Server package,
TFTP service and boot file (also fetched over TFTP and checked by size and MD5), one DHCP server
offering the boot file, the Image Factory image, and each node's Talos API port.

${renderOptions(FLAGS)}`;

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

export const main = stackCommand("doctor", parseArgs, async (o, cfg, out) => {
    const results = await runDoctor(
        depsFromOptions(cfg, o, stackDsmClient(cfg.synology, cfg.synologyPassword, o.otp)),
        (r) => out(formatResult(r)),
    );
    const count = (s: string) => results.filter((r) => r.status === s).length;
    out(`doctor: ${count("PASS")} passed, ${count("FAIL")} failed, ${count("SKIP")} skipped, ${count("WAIT")} waiting`);
    return exitCodeOf(results);
});

if (require.main === module) void runMain(() => main(process.argv.slice(2)));
