/**
 * The doctor's checks. Each returns PASS/FAIL/SKIP/WAIT results with, when something is wrong, the
 * fix in words. The network clients are passed in (DSM client, TFTP/DHCP options, HTTP base URL), so
 * each check can be run against local servers in tests.
 *
 * Statuses: PASS, FAIL (something to fix), SKIP (could not be checked, with why), WAIT (a node that
 * does not answer yet: expected before it is powered on and PXE-booted; not a failure).
 */
import axios from "axios";
import * as net from "net";
import type { StackConfig } from "../config";
import type { Arch } from "../factory/config";
import { imageOfConfig } from "../factory/schematic";
import { missingApis } from "../synology/dsm/apis";
import { tftpSettingsGet } from "../synology/providers/tftp";
import { NAS_APIS } from "../synology/pxe";
import type { DiscoveredApis, DsmApi } from "../synology/dsm/types";
import type { NodeRole } from "../talos/config";
import { TALOS_API_PORT } from "../talos/node-wait";
import { DhcpOffer, DhcpProbeOptions, DhcpProbeResult, probeDhcp } from "./dhcp";
import { TftpError, tftpGet, TftpGetOptions } from "./tftp";

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

function errText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// NAS: answers, login, DHCP Server package, APIs

export interface NasCheckOutcome {
    results: CheckResult[];
    /** Logged in and the DSM-based checks can go on. */
    loggedIn: boolean;
    apis?: DiscoveredApis;
}

export async function checkNas(dsm: DsmApi, plan: Pick<DoctorPlan, "nasUrl">): Promise<NasCheckOutcome> {
    const results: CheckResult[] = [];
    let apis: DiscoveredApis;
    try {
        apis = await dsm.discover(NAS_APIS);
        results.push({ id: "nas.answers", status: "PASS", detail: `NAS answers at ${plan.nasUrl}` });
    } catch (e) {
        results.push({
            id: "nas.answers",
            status: "FAIL",
            detail: `NAS does not answer at ${plan.nasUrl}: ${errText(e)}`,
            fix:
                "check homelab:synology.url (DSM's https port is 5001), that DSM is running and that this machine is on the NAS's LAN; " +
                "for DSM's self-signed certificate pin it with synology.tls.fingerprintSha256 or synology.tls.caCertPem",
        });
        const labels: Array<[string, string]> = [
            ["nas.login", "DSM login"],
            ["nas.dhcpPackage", "DHCP Server package"],
            ["nas.apis", "DSM APIs"],
        ];
        for (const [id, label] of labels) {
            results.push({ id, status: "SKIP", detail: `${label}: not checked, the NAS does not answer` });
        }
        return { results, loggedIn: false };
    }
    let loggedIn = false;
    try {
        await dsm.login();
        loggedIn = true;
        results.push({ id: "nas.login", status: "PASS", detail: "DSM login works" });
    } catch (e) {
        results.push({
            id: "nas.login",
            status: "FAIL",
            detail: `DSM login failed: ${errText(e)}`,
            fix:
                "check homelab:synology.username and the DSM password (homelab:synologyPassword, or DSM_PASSWORD for doctor); " +
                "the user must be in the administrators group; with 2-factor authentication set synology.deviceId",
        });
    }
    if (apis.dhcpPrefix) {
        results.push({
            id: "nas.dhcpPackage",
            status: "PASS",
            detail: `DHCP Server package present (${apis.dhcpPrefix})`,
        });
    } else {
        results.push({
            id: "nas.dhcpPackage",
            status: "FAIL",
            detail: "DHCP Server package is not installed (no SYNO.Network.DHCPServer API)",
            fix: 'install "DHCP Server" from DSM Package Center',
        });
    }
    const missing = missingApis(apis, NAS_APIS, false).map((m) =>
        m.need === "write" ? `${m.api} (no version this client writes with)` : m.api,
    );
    if (missing.length === 0) {
        results.push({ id: "nas.apis", status: "PASS", detail: "needed DSM APIs present" });
    } else {
        results.push({
            id: "nas.apis",
            status: "FAIL",
            detail: `DSM lacks APIs this program uses: ${missing.join(", ")}`,
            fix: "update DSM to 7.x (Control Panel > Update & Restore) and the DHCP Server package; File Station must be enabled",
        });
    }
    return { results, loggedIn, apis };
}

// ---------------------------------------------------------------------------------------------
// TFTP service settings and the boot file on the NAS

function samePath(a: string, b: string): boolean {
    return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

export async function checkTftpSettings(dsm: DsmApi, plan: Pick<DoctorPlan, "tftpRoot">): Promise<CheckResult> {
    const fix = `run \`pulumi up\`, or in DSM Control Panel > File Services > Advanced enable TFTP with root folder ${plan.tftpRoot}`;
    try {
        const t = await tftpSettingsGet(dsm);
        if (!t.enable)
            return { id: "tftp.settings", status: "FAIL", detail: "TFTP service is disabled on the NAS", fix };
        if (!samePath(t.root_path, plan.tftpRoot)) {
            return {
                id: "tftp.settings",
                status: "FAIL",
                detail: `TFTP root is ${t.root_path || "(empty)"}, expected ${plan.tftpRoot}`,
                fix,
            };
        }
        return { id: "tftp.settings", status: "PASS", detail: `TFTP enabled, root ${t.root_path}` };
    } catch (e) {
        return { id: "tftp.settings", status: "FAIL", detail: `reading the TFTP settings failed: ${errText(e)}`, fix };
    }
}

export interface BootFileOnNas {
    result: CheckResult;
    size?: number;
    md5?: string;
}

/**
 * The boot file exists in the share, with `expectedSize` (the factory's Content-Length) when known.
 * Also asks DSM for its MD5 (used to check the TFTP download) unless `md5` is false.
 */
export async function checkBootFileOnNas(
    dsm: DsmApi,
    plan: Pick<DoctorPlan, "bootFilePath" | "ukiUrl">,
    expectedSize?: number,
    md5 = true,
): Promise<BootFileOnNas> {
    const id = "nas.bootFile";
    let info;
    try {
        [info] = await dsm.getInfo([plan.bootFilePath]);
    } catch (e) {
        return {
            result: {
                id,
                status: "FAIL",
                detail: `looking up ${plan.bootFilePath} failed: ${errText(e)}`,
                fix: "check the DSM user may use File Station and read the share",
            },
        };
    }
    if (!info || info.isdir) {
        return {
            result: {
                id,
                status: "FAIL",
                detail: `boot file ${plan.bootFilePath} is not on the NAS`,
                fix: `run \`pulumi up\` (it uploads the image), or download ${plan.ukiUrl} and put it in the share as ${plan.bootFilePath}`,
            },
        };
    }
    if (info.size === 0) {
        return {
            size: 0,
            result: {
                id,
                status: "FAIL",
                detail: `boot file ${plan.bootFilePath} is empty (0 bytes)`,
                fix: "the upload failed: delete the file and run `pulumi up` again",
            },
        };
    }
    if (expectedSize !== undefined && info.size !== expectedSize) {
        return {
            size: info.size,
            result: {
                id,
                status: "FAIL",
                detail: `boot file ${plan.bootFilePath} has ${info.size} bytes, the factory image has ${expectedSize}`,
                fix: "the upload was cut short or is another image: delete the file and run `pulumi up` again",
            },
        };
    }
    let sum: string | undefined;
    if (md5) {
        try {
            sum = await dsm.md5(plan.bootFilePath);
        } catch {
            sum = undefined;
        }
    }
    return {
        size: info.size,
        md5: sum,
        result: {
            id,
            status: "PASS",
            detail: `boot file ${plan.bootFilePath} present, ${info.size} bytes${expectedSize !== undefined ? " (as the factory's)" : ""}${sum ? `, md5 ${sum}` : ""}`,
        },
    };
}

// ---------------------------------------------------------------------------------------------
// The boot file over TFTP

export interface TftpCheckOptions extends Omit<TftpGetOptions, "keepData" | "maxBytes"> {
    file: string;
    /** Root the server should serve from (for the fix text). */
    tftpRoot?: string;
    expectedSize?: number;
    expectedMd5?: string;
}

export async function checkTftpTransfer(o: TftpCheckOptions): Promise<CheckResult> {
    const id = "tftp.transfer";
    const where = `tftp://${o.host}${o.port && o.port !== 69 ? `:${o.port}` : ""}/${o.file}`;
    try {
        const r = await tftpGet(o.file, { ...o, maxBytes: o.expectedSize !== undefined ? o.expectedSize : undefined });
        const how =
            Object.keys(r.negotiated).length > 0
                ? `blksize ${r.blksize} negotiated`
                : "server without options, 512-byte blocks";
        if (r.size === 0) {
            return {
                id,
                status: "FAIL",
                detail: `${where}: the server sent an empty file (0 bytes)`,
                fix: "the boot file in the TFTP root is empty: delete it and run `pulumi up` again",
            };
        }
        if (o.expectedSize !== undefined && r.size !== o.expectedSize) {
            return {
                id,
                status: "FAIL",
                detail: `${where}: ${r.size} bytes arrived, expected ${o.expectedSize}`,
                fix: "the file in the TFTP root is not the expected image: delete it and run `pulumi up` again",
            };
        }
        if (r.tsize !== undefined && r.tsize !== r.size) {
            return {
                id,
                status: "FAIL",
                detail: `${where}: server announced ${r.tsize} bytes (tsize) but sent ${r.size}`,
                fix: "the file changed during the transfer or the server is faulty: retry, then re-upload with `pulumi up`",
            };
        }
        if (o.expectedMd5 !== undefined && r.md5 !== o.expectedMd5.toLowerCase()) {
            return {
                id,
                status: "FAIL",
                detail: `${where}: MD5 ${r.md5} differs from the expected ${o.expectedMd5}`,
                fix: "the file in the TFTP root is corrupt or another image: delete it and run `pulumi up` again",
            };
        }
        return { id, status: "PASS", detail: `${where} comes over TFTP: ${r.size} bytes, md5 ${r.md5} (${how})` };
    } catch (e) {
        const root = o.tftpRoot ? ` (root ${o.tftpRoot})` : "";
        if (e instanceof TftpError && e.kind === "server" && e.tftpCode === 1) {
            return {
                id,
                status: "FAIL",
                detail: `${where}: file not found on the TFTP server${root}`,
                fix: `put ${o.file} in the TFTP root${root} with \`pulumi up\`; check that the TFTP root and the PXE boot loader name match`,
            };
        }
        if (e instanceof TftpError && e.kind === "server" && e.tftpCode === 2) {
            return {
                id,
                status: "FAIL",
                detail: `${where}: access violation`,
                fix: "let the TFTP service read the shared folder (DSM: the share's permissions), and TFTP permission at least read-only",
            };
        }
        if (e instanceof TftpError && e.kind === "protocol" && /more than/.test(e.message)) {
            return {
                id,
                status: "FAIL",
                detail: `${where}: more than the expected ${o.expectedSize} bytes`,
                fix: "the file in the TFTP root is another image: delete it and run `pulumi up` again",
            };
        }
        if (e instanceof TftpError && e.kind === "timeout") {
            return {
                id,
                status: "FAIL",
                detail: `${where}: ${e.message}`,
                fix: "enable the NAS's TFTP service (Control Panel > File Services > Advanced) and allow UDP 69 and the TFTP data ports in the NAS firewall",
            };
        }
        return {
            id,
            status: "FAIL",
            detail: `${where}: ${errText(e)}`,
            fix: "check the NAS's TFTP service and firewall",
        };
    }
}

// ---------------------------------------------------------------------------------------------
// DHCP: one server, offering the boot file

export interface DhcpExpectation {
    bootFile: string;
    /** Expected TFTP server (next-server / option 66), usually the NAS's address. */
    tftpServer?: string;
    /** For the fix text. */
    dhcpInterface?: string;
    windowMs?: number;
}

function describeOffer(o: DhcpOffer): string {
    return `${o.serverId} (${o.proxy ? "proxyDHCP" : `offers ${o.yiaddr}`}, boot file ${o.bootFile ?? "none"}${o.tftpServer ? ` from ${o.tftpServer}` : ""})`;
}

/** Judges the OFFERs one probe collected. Pure. */
export function judgeDhcpOffers(probe: Pick<DhcpProbeResult, "offers">, want: DhcpExpectation): CheckResult {
    const id = "dhcp.offer";
    const servers = probe.offers.filter((o) => !o.proxy);
    const proxies = probe.offers.filter((o) => o.proxy);
    const proxyNote = proxies.length ? `; proxyDHCP also answered: ${proxies.map(describeOffer).join(", ")}` : "";
    const window = want.windowMs !== undefined ? ` within ${(want.windowMs / 1000).toFixed(1)} s` : "";
    if (servers.length === 0) {
        return {
            id,
            status: "FAIL",
            detail: `no DHCP server answered the PXE DISCOVER${window}${proxyNote}`,
            fix: `enable the DHCP server on ${want.dhcpInterface ?? "the NAS's LAN interface"} in the DHCP Server package (or run \`pulumi up\`), and run doctor from a machine on the same LAN segment`,
        };
    }
    if (servers.length > 1) {
        return {
            id,
            status: "FAIL",
            detail: `${servers.length} DHCP servers answered: ${servers.map(describeOffer).join(", ")}${proxyNote}`,
            fix: "keep exactly one DHCP server on the LAN: turn off the other one (usually the router's DHCP), or PXE clients may take an offer without the boot file",
        };
    }
    const s = servers[0];
    if (!s.bootFile) {
        return {
            id,
            status: "FAIL",
            detail: `the DHCP server ${s.serverId} offers no boot file to PXE clients`,
            fix: `enable PXE in the DHCP Server package (PXE tab: local TFTP server, boot loader ${want.bootFile}), or run \`pulumi up\``,
        };
    }
    if (s.bootFile.replace(/^\/+/, "") !== want.bootFile) {
        return {
            id,
            status: "FAIL",
            detail: `the DHCP server ${s.serverId} names boot file ${s.bootFile}, expected ${want.bootFile}`,
            fix: `set the PXE boot loader to ${want.bootFile} (DHCP Server > PXE), or run \`pulumi up\``,
        };
    }
    // No option 66 and no next-server (siaddr 0.0.0.0): UEFI PXE firmware (EDK2) then fetches the boot
    // file from the DHCP server itself (option 54), so that is the TFTP server to compare.
    const tftpServer = s.tftpServer ?? s.serverId;
    if (want.tftpServer && tftpServer !== want.tftpServer) {
        const how = s.tftpServer ? "" : " (it names no TFTP server, so PXE firmware asks the DHCP server itself)";
        return {
            id,
            status: "FAIL",
            detail: `the DHCP server ${s.serverId} sends PXE clients to TFTP server ${tftpServer}${how}, expected ${want.tftpServer}`,
            fix: 'choose "Local TFTP server" in DHCP Server > PXE (or the NAS\'s address as remote TFTP server)',
        };
    }
    return { id, status: "PASS", detail: `one DHCP server answered: ${describeOffer(s)}${proxyNote}` };
}

export async function checkDhcp(probe: DhcpProbeOptions, want: DhcpExpectation): Promise<CheckResult> {
    let r: DhcpProbeResult;
    try {
        r = await probeDhcp(probe);
    } catch (e) {
        const code = (e as { code?: string }).code;
        const fix =
            code === "EACCES"
                ? "run doctor as root (sudo npm run doctor -- …), or skip this check with --no-dhcp"
                : code === "ENETUNREACH"
                  ? "connect this machine to the LAN, or pass --dhcp-target <the subnet's broadcast address>"
                  : "run doctor on a machine on the LAN with no DHCP client bound to port 68, or skip with --no-dhcp";
        return { id: "dhcp.offer", status: "SKIP", detail: `DHCP probe could not run: ${errText(e)}`, fix };
    }
    return judgeDhcpOffers(r, { ...want, windowMs: probe.windowMs ?? 4000 });
}

// ---------------------------------------------------------------------------------------------
// Talos API port on each node

export type PortState = "open" | "refused" | "silent";

/** What a failed connect means: a refusal is a host that is up, anything else is "not there (yet)". */
export function classifyConnectError(code: string | undefined): PortState {
    return code === "ECONNREFUSED" ? "refused" : "silent";
}

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<PortState> {
    return new Promise((resolve) => {
        const s = net.connect({ host, port });
        const done = (state: PortState) => {
            s.removeAllListeners();
            s.on("error", () => undefined);
            s.destroy();
            resolve(state);
        };
        s.setTimeout(timeoutMs, () => done("silent"));
        s.once("connect", () => done("open"));
        s.once("error", (e: NodeJS.ErrnoException) => done(classifyConnectError(e.code)));
    });
}

export async function checkTalosNodes(
    nodes: DoctorPlan["nodes"],
    opts: { port?: number; timeoutMs?: number } = {},
): Promise<CheckResult[]> {
    const port = opts.port ?? TALOS_API_PORT;
    const timeoutMs = opts.timeoutMs ?? 3000;
    return Promise.all(
        nodes.map(async (n): Promise<CheckResult> => {
            const id = `node.${n.hostname}`;
            const state = await probeTcp(n.ip, port, timeoutMs);
            const who = `node ${n.hostname} (${n.role}) ${n.ip}:${port}`;
            if (state === "open")
                return { id, status: "PASS", detail: `${who} answers: Talos API up (maintenance mode or configured)` };
            if (state === "refused") {
                return {
                    id,
                    status: "FAIL",
                    detail: `${who} refuses the connection: the machine is up but not running Talos`,
                    fix: "make it boot from the network (PXE/UEFI network boot first in the firmware) and check its MAC in homelab:nodes matches its reservation",
                };
            }
            return {
                id,
                status: "WAIT",
                detail: `${who} does not answer yet`,
                fix: "power it on with network boot (or set wakeOnLan: true); it answers here once Talos runs in maintenance mode",
            };
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// Image Factory

export interface FactoryCheckOutcome {
    result: CheckResult;
    /** Content-Length of the UKI when the factory answered. */
    size?: number;
}

export async function checkFactory(
    plan: Pick<DoctorPlan, "factoryUrl" | "schematicId" | "talosVersion" | "ukiUrl">,
    timeoutMs = 15000,
): Promise<FactoryCheckOutcome> {
    const id = "factory.image";
    const base = plan.factoryUrl.replace(/\/+$/, "");
    const http = axios.create({
        timeout: timeoutMs,
        maxRedirects: 0,
        validateStatus: () => true,
        responseType: "text",
        transitional: { clarifyTimeoutError: true },
    });
    const netFix = `this machine (and the one running \`pulumi up\`) needs HTTPS access to ${base}`;
    try {
        const s = await http.get(`${base}/schematics/${plan.schematicId}`);
        if (s.status === 404) {
            return {
                result: {
                    id,
                    status: "FAIL",
                    detail: `the factory ${base} does not know schematic ${plan.schematicId} yet`,
                    fix: `run \`pulumi up\` (it registers the schematic), or POST it: curl -X POST --data-binary @schematic.yaml ${base}/schematics`,
                },
            };
        }
        if (s.status !== 200) {
            return {
                result: {
                    id,
                    status: "FAIL",
                    detail: `the factory answered ${s.status} for schematic ${plan.schematicId}: ${String(s.data).trim()}`,
                    fix: netFix,
                },
            };
        }
        let h;
        try {
            h = await http.head(plan.ukiUrl);
        } catch (e) {
            const code = (e as { code?: string }).code;
            if (code !== "ETIMEDOUT" && code !== "ECONNABORTED") throw e;
            // The factory answered for the schematic, so it is reachable: it builds an image on the first
            // request for it (HEAD included), which can take minutes. Not a failure of the setup.
            return {
                result: {
                    id,
                    status: "SKIP",
                    detail: `the factory knows schematic ${plan.schematicId} but did not answer HEAD ${plan.ukiUrl} within ${timeoutMs / 1000} s (it builds an image on its first request)`,
                    fix: "run doctor again in a few minutes, once the factory has built the image",
                },
            };
        }
        if (h.status === 200) {
            const len = Number(h.headers["content-length"]);
            const size = Number.isFinite(len) ? len : undefined;
            return {
                size,
                result: {
                    id,
                    status: "PASS",
                    detail: `factory serves ${plan.ukiUrl}${size !== undefined ? ` (${size} bytes)` : ""}`,
                },
            };
        }
        if (h.status === 404) {
            return {
                result: {
                    id,
                    status: "FAIL",
                    detail: `the factory has no Talos ${plan.talosVersion} (HEAD ${plan.ukiUrl} answered 404)`,
                    fix: `set homelab:cluster.talosVersion to a released version listed at ${base}/versions`,
                },
            };
        }
        if (h.status === 400) {
            return {
                result: {
                    id,
                    status: "FAIL",
                    detail: `the factory refuses the image for ${plan.talosVersion} (400): an extension is not available for this version`,
                    fix: `check homelab:image.extensions against ${base}/version/${plan.talosVersion}/extensions/official`,
                },
            };
        }
        return {
            result: {
                id,
                status: "FAIL",
                detail: `HEAD ${plan.ukiUrl} answered ${h.status}`,
                fix: `retry later; if it persists check ${base} is reachable`,
            },
        };
    } catch (e) {
        return {
            result: { id, status: "FAIL", detail: `the factory ${base} does not answer: ${errText(e)}`, fix: netFix },
        };
    }
}

// ---------------------------------------------------------------------------------------------
// All together

export type CheckGroup = "nas" | "tftp" | "factory" | "dhcp" | "nodes";
export const CHECK_GROUPS: CheckGroup[] = ["nas", "tftp", "factory", "dhcp", "nodes"];

export interface DoctorDeps {
    plan: DoctorPlan;
    /** DSM client; undefined → DSM checks are skipped with `dsmUnavailable` as the reason. */
    dsm?: DsmApi;
    dsmUnavailable?: string;
    /** TFTP server (default: the NAS host, port 69) and client knobs. */
    tftp?: Omit<TftpCheckOptions, "file" | "expectedSize" | "expectedMd5">;
    /** DHCP probe options; false skips the DHCP check. */
    dhcp?: DhcpProbeOptions | false;
    /** Talos API port (default {@link TALOS_API_PORT}) and connect timeout. */
    talos?: { port?: number; timeoutMs?: number };
    /** Groups to run (default all). */
    only?: CheckGroup[];
    factoryTimeoutMs?: number;
}

/** Runs the checks in order, calling `onResult` as each result is known. */
export async function runDoctor(
    deps: DoctorDeps,
    onResult: (r: CheckResult) => void = () => undefined,
): Promise<CheckResult[]> {
    const { plan } = deps;
    const on = new Set(deps.only ?? CHECK_GROUPS);
    const out: CheckResult[] = [];
    const emit = (r: CheckResult) => {
        out.push(r);
        onResult(r);
    };

    let loggedIn = false;
    if (on.has("nas") || on.has("tftp")) {
        if (!deps.dsm) {
            emit({
                id: "nas.answers",
                status: "SKIP",
                detail: `NAS checks skipped: ${deps.dsmUnavailable ?? "no DSM client"}`,
            });
        } else {
            const nas = await checkNas(deps.dsm, plan);
            nas.results.forEach(emit);
            loggedIn = nas.loggedIn;
        }
    }

    let factorySize: number | undefined;
    if (on.has("factory")) {
        const f = await checkFactory(plan, deps.factoryTimeoutMs);
        emit(f.result);
        factorySize = f.size;
    }

    if (on.has("tftp")) {
        let nasSize: number | undefined;
        let nasMd5: string | undefined;
        if (deps.dsm && loggedIn) {
            emit(await checkTftpSettings(deps.dsm, plan));
            const b = await checkBootFileOnNas(deps.dsm, plan, factorySize);
            emit(b.result);
            nasSize = b.size;
            nasMd5 = b.md5;
        } else {
            emit({
                id: "tftp.settings",
                status: "SKIP",
                detail: "TFTP settings and boot file on the NAS not checked: no DSM login",
            });
        }
        emit(
            await checkTftpTransfer({
                host: plan.nasHost,
                tftpRoot: plan.tftpRoot,
                ...deps.tftp,
                file: plan.bootFile,
                expectedSize: factorySize ?? nasSize,
                expectedMd5: nasMd5,
            }),
        );
    }

    if (on.has("dhcp")) {
        if (deps.dhcp === false) emit({ id: "dhcp.offer", status: "SKIP", detail: "DHCP check skipped (--no-dhcp)" });
        else
            emit(
                await checkDhcp(
                    { arch: plan.arch, ...deps.dhcp },
                    {
                        bootFile: plan.bootFile,
                        tftpServer: net.isIPv4(plan.nasHost) ? plan.nasHost : undefined,
                        dhcpInterface: plan.dhcpInterface,
                    },
                ),
            );
    }

    if (on.has("nodes")) (await checkTalosNodes(plan.nodes, deps.talos)).forEach(emit);

    if (deps.dsm && loggedIn) {
        try {
            await deps.dsm.logout();
        } catch {
            /* best effort */
        }
    }
    return out;
}
