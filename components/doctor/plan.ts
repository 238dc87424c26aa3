/**
 * What the doctor's checks share: their result (PASS/FAIL/SKIP/WAIT with the fix in words) and the plan, everything
 * the checks expect, derived from the stack config.
 *
 * Statuses: PASS, FAIL (something to fix), SKIP (could not be checked, with why), WAIT (a node that
 * does not answer yet: expected before it is powered on and PXE-booted; not a failure).
 */
import type { StackConfig } from "../config";
import type { Arch } from "../factory/config";
import { imageOfConfig } from "../factory/schematic";
import type { NodeRole } from "../talos/config";

export type CheckStatus = "PASS" | "FAIL" | "SKIP" | "WAIT";

export interface CheckResult {
    /** Stable id, e.g. `nas.login`, `tftp.transfer`, `node.talos-cp-1`. */
    id: string;
    status: CheckStatus;
    /** One line: what was checked and what was found. */
    detail: string;
    /** What to do about it (FAIL, SKIP and WAIT). */
    fix?: string;
}

/** `PASS  detail` and, for the others, an indented `fix:` line. */
export function formatResult(r: CheckResult): string {
    const head = `${r.status.padEnd(4)}  ${r.detail}`;
    return r.fix && r.status !== "PASS" ? `${head}\n      fix: ${r.fix}` : head;
}

/** Exit code: 1 when any check failed, else 0. */
export function exitCodeOf(results: CheckResult[]): number {
    return results.some((r) => r.status === "FAIL") ? 1 : 0;
}

/** Everything the checks expect, derived from the stack config. */
export interface DoctorPlan {
    nasUrl: string;
    /** Host part of synology.url (TFTP server, expected DHCP next-server). */
    nasHost: string;
    /** TFTP root DSM should have: `<volume>/<share>`. */
    tftpRoot: string;
    share: string;
    /** Boot file name relative to the TFTP root: `metal-<arch>-uki.efi`. */
    bootFile: string;
    /** File Station path of the boot file: `/<share>/<bootFile>`. */
    bootFilePath: string;
    dhcpInterface: string;
    arch: Arch;
    factoryUrl: string;
    schematicId: string;
    talosVersion: string;
    ukiUrl: string;
    nodes: Array<{ hostname: string; ip: string; role: NodeRole }>;
}

export function planFromConfig(cfg: StackConfig): DoctorPlan {
    const image = imageOfConfig(cfg.image, cfg.cluster.talosVersion);
    const bootFile = image.ukiFileName;
    const host = new URL(cfg.synology.url).hostname.replace(/^\[(.*)\]$/, "$1");
    return {
        nasUrl: cfg.synology.url,
        nasHost: host,
        tftpRoot: `${cfg.synology.volume}/${cfg.synology.share}`,
        share: cfg.synology.share,
        bootFile,
        bootFilePath: `/${cfg.synology.share}/${bootFile}`,
        dhcpInterface: cfg.synology.interface,
        arch: cfg.image.arch,
        factoryUrl: cfg.image.factoryUrl,
        schematicId: image.schematicId,
        talosVersion: cfg.cluster.talosVersion,
        ukiUrl: image.ukiUrl,
        nodes: cfg.nodes.map((n) => ({ hostname: n.hostname, ip: n.ip, role: n.role })),
    };
}

/** An error's message, for a check's detail. */
export function errText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}
