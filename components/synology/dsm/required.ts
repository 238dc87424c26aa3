/**
 * The DSM APIs this program calls: one list, read by the doctor (`nas.apis`) and by the pre-flight of
 * `pulumi preview`/`up` (../preflight.ts). A new API call in a provider belongs here too.
 */
import type { DiscoveredApis } from "./types";

/** APIs the program calls besides the DHCP family. */
export const REQUIRED_CORE_APIS = [
    "SYNO.API.Auth",
    "SYNO.Core.TFTP",
    "SYNO.Core.Share",
    "SYNO.FileStation.List",
    "SYNO.FileStation.CreateFolder",
    "SYNO.FileStation.Upload",
    "SYNO.FileStation.Rename",
    "SYNO.FileStation.Delete",
    "SYNO.FileStation.MD5",
];

/** Of REQUIRED_CORE_APIS, those the program writes with (set/create/upload/rename/delete). */
export const WRITTEN_CORE_APIS = [
    "SYNO.Core.TFTP",
    "SYNO.Core.Share",
    "SYNO.FileStation.Upload",
    "SYNO.FileStation.Rename",
    "SYNO.FileStation.Delete",
];

/** The DHCP Server package's APIs under the discovered prefix. */
export function requiredDhcpApis(prefix: string): string[] {
    return [prefix, `${prefix}.Reservation`, `${prefix}.PXE`];
}

/** Of those, the ones the program writes: reservations and PXE always, the server object only when it manages it. */
export function writtenDhcpApis(prefix: string, manageServer: boolean): string[] {
    return [...(manageServer ? [prefix] : []), `${prefix}.Reservation`, `${prefix}.PXE`];
}

/** An API the program needs that the NAS does not offer in a version this client speaks. */
export interface MissingApi {
    api: string;
    /** `read`: absent, or no version this client reads with; `write`: readable, but no version it writes with. */
    need: "read" | "write";
}

/**
 * What is missing from the discovered APIs for this program (the DHCP family only when its package is
 * there: a missing package is its own problem). Pure.
 */
export function missingApis(apis: DiscoveredApis, manageServer: boolean): MissingApi[] {
    const prefix = apis.dhcpPrefix;
    const needed = [...REQUIRED_CORE_APIS, ...(prefix ? requiredDhcpApis(prefix) : [])];
    const written = [...WRITTEN_CORE_APIS, ...(prefix ? writtenDhcpApis(prefix, manageServer) : [])];
    const out: MissingApi[] = [];
    for (const api of needed) {
        if (!(api in apis.versions)) out.push({ api, need: "read" });
        else if (written.includes(api) && apis.writeVersions !== undefined && !(api in apis.writeVersions)) out.push({ api, need: "write" });
    }
    return out;
}
