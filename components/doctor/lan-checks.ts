/**
 * The doctor's checks over the LAN, each against what it is given (host, port, options), so each runs against local
 * servers in tests: the boot file fetched over TFTP, one DHCP server offering it to PXE clients, each node's Talos
 * API port, and the Image Factory's image.
 */
import axios from "axios";
import * as net from "net";
import { TALOS_API_PORT } from "../talos/node-wait";
import { DhcpOffer, DhcpProbeOptions, DhcpProbeResult, probeDhcp } from "./dhcp";
import { CheckResult, DoctorPlan, errText } from "./plan";
import { TftpError, tftpGet, TftpGetOptions } from "./tftp";

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
