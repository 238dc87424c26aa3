/**
 * The doctor's checks of the NAS through DSM: it answers, the login works, the DHCP Server package and the APIs the
 * program calls are there; the TFTP service's settings; the boot file in the share. The DSM client is passed in.
 */
import { missingApis } from "../synology/dsm/apis";
import type { DiscoveredApis, DsmApi } from "../synology/dsm/types";
import { tftpSettingsGet } from "../synology/providers/tftp";
import { NAS_APIS } from "../synology/pxe";
import { CheckResult, DoctorPlan, errText } from "./plan";

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
