/**
 * The DSM APIs this client speaks, in one table: the versions it reads and writes with, and whether the program
 * needs each. The client's discovery (./client.ts), the doctor (`nas.apis`) and the pre-flight of `pulumi
 * preview`/`up` (../preflight.ts) all read it. A new API call in a provider is one line here.
 */
import type { DiscoveredApis } from "./types";

/** How this client uses one DSM API. */
export interface DsmApiUse {
    /** Highest version it reads with. */
    read: number;
    /** Highest version it writes with (set/create/delete/...), for an API it writes. */
    write?: number;
    /** Lowest version it accepts. */
    min?: number;
    /**
     * What the program needs of it: `read`, `write`, or `managed` (written with `dhcp.manageServer`, read otherwise).
     * None: optional (the doctor's extra checks, the pre-flight's space and group checks).
     */
    need?: "read" | "write" | "managed";
}

/** The DHCP Server package's API prefixes (DSM 7 moved it); its APIs below are named relative to the prefix. */
export const DHCP_PREFIXES = ["SYNO.Network.DHCPServer", "SYNO.Core.Network.DHCPServer"];

/** Every API this client speaks. Names not starting with `SYNO.` are the DHCP package's, relative to its prefix. */
export const DSM_APIS: Record<string, DsmApiUse> = {
    "SYNO.API.Auth": { read: 7, min: 3, need: "read" },
    "SYNO.Core.TFTP": { read: 1, write: 1, need: "write" },
    "SYNO.Core.Share": { read: 1, write: 1, need: "write" },
    "SYNO.FileStation.List": { read: 2, need: "read" },
    "SYNO.FileStation.CreateFolder": { read: 2, write: 2, need: "read" },
    "SYNO.FileStation.Upload": { read: 2, write: 2, min: 2, need: "write" },
    "SYNO.FileStation.Rename": { read: 2, write: 2, need: "write" },
    "SYNO.FileStation.Delete": { read: 2, write: 2, need: "write" },
    "SYNO.FileStation.MD5": { read: 2, need: "read" },
    // `npm run etcd-snapshot -- --fetch` only (components/backups).
    "SYNO.FileStation.Download": { read: 2 },
    "SYNO.Core.Network.Ethernet": { read: 2 },
    // Read by the pre-flight only (../preflight.ts): administrators' membership and volume space.
    "SYNO.Core.Group.Member": { read: 1 },
    "SYNO.Storage.CGI.Storage": { read: 1 },
    "": { read: 3, write: 3, need: "managed" },
    ".Reservation": { read: 3, write: 2, need: "write" },
    ".PXE": { read: 1, write: 1, need: "write" },
    ".ClientList": { read: 2 },
    ".Vendor": { read: 1, write: 1 },
};

const needed = (dhcp: boolean, want: (u: DsmApiUse) => boolean): string[] =>
    Object.entries(DSM_APIS)
        .filter(([name, u]) => name.startsWith("SYNO.") !== dhcp && want(u))
        .map(([name]) => name);

/** APIs the program calls besides the DHCP family. */
export const REQUIRED_CORE_APIS = needed(false, (u) => u.need !== undefined);

/** Of REQUIRED_CORE_APIS, those the program writes with (set/create/upload/rename/delete). */
export const WRITTEN_CORE_APIS = needed(false, (u) => u.need === "write");

/** The DHCP Server package's APIs under the discovered prefix. */
export function requiredDhcpApis(prefix: string): string[] {
    return needed(true, (u) => u.need !== undefined).map((s) => prefix + s);
}

/** Of those, the ones the program writes: reservations and PXE always, the server object only when it manages it. */
export function writtenDhcpApis(prefix: string, manageServer: boolean): string[] {
    return needed(true, (u) => u.need === "write" || (u.need === "managed" && manageServer)).map((s) => prefix + s);
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
        else if (written.includes(api) && apis.writeVersions !== undefined && !(api in apis.writeVersions))
            out.push({ api, need: "write" });
    }
    return out;
}
