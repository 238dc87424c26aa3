/**
 * How the program declares the DSM APIs it calls. A use (`DsmApiUse`, ./types.ts) names an API, the versions this
 * code reads and writes with, and whether the program needs it; it lives beside the code that calls it: the
 * client's own (login and File Station) here, a DSM object's in its resource file (`../providers/<name>.ts`, its
 * definition's `apis`). Calls pass the use (`client.call(use, method, params)`), the client picks the version from
 * it; the doctor (`nas.apis`) and the pre-flight of `pulumi preview`/`up` check the NAS against the program's uses
 * (`NAS_APIS` in ../pxe.ts). All pure.
 */
import type { DiscoveredApis, DsmApiUse, OfferedVersions } from "./types";

/** The DHCP Server package's API prefixes (DSM 7 moved it); its APIs are named relative to the prefix. */
export const DHCP_PREFIXES = ["SYNO.Network.DHCPServer", "SYNO.Core.Network.DHCPServer"];

export const AUTH_API = { api: "SYNO.API.Auth", read: 7, min: 3, need: "read" } as const satisfies DsmApiUse;

/** File Station, as the client's file operations use it (the boot file, the etcd snapshots). */
export const FILE_APIS = {
    list: { api: "SYNO.FileStation.List", read: 2, need: "read" },
    createFolder: { api: "SYNO.FileStation.CreateFolder", read: 2, write: 2, need: "read" },
    upload: { api: "SYNO.FileStation.Upload", read: 2, write: 2, min: 2, need: "write" },
    rename: { api: "SYNO.FileStation.Rename", read: 2, write: 2, need: "write" },
    delete: { api: "SYNO.FileStation.Delete", read: 2, write: 2, need: "write" },
    md5: { api: "SYNO.FileStation.MD5", read: 2, need: "read" },
    // `npm run etcd-snapshot -- --fetch` only (components/backups).
    download: { api: "SYNO.FileStation.Download", read: 2 },
} as const satisfies Record<string, DsmApiUse>;

/** The APIs the client itself calls: login and File Station. */
export const CLIENT_APIS: readonly DsmApiUse[] = [AUTH_API, ...Object.values(FILE_APIS)];

/** The DHCP Server package's prefix on a NAS offering `offered`; undefined when the package is not installed. */
export function dhcpPrefixOf(offered: Record<string, OfferedVersions>): string | undefined {
    return DHCP_PREFIXES.find((p) => offered[p]);
}

/** True for the DHCP Server package's (prefix-relative) APIs. */
export function isDhcpApi(use: DsmApiUse): boolean {
    return !use.api.startsWith("SYNO.");
}

/** The API's full name on this NAS; undefined for a DHCP API when the package is missing. */
export function apiName(use: DsmApiUse, dhcpPrefix: string | undefined): string | undefined {
    if (!isDhcpApi(use)) return use.api;
    return dhcpPrefix === undefined ? undefined : dhcpPrefix + use.api;
}

/** The highest version at most `want` that the NAS offers and this client accepts (`min`). */
function highestUpTo(offered: OfferedVersions, want: number | undefined, min = 1): number | undefined {
    if (want === undefined) return undefined;
    const v = Math.min(want, offered.maxVersion);
    return v >= offered.minVersion && v >= min ? v : undefined;
}

/**
 * The use among `uses` of the API named `name` in full (a DHCP API under either prefix), carrying that name; undefined
 * for an API none of them declares.
 */
export function useNamed(name: string, uses: readonly DsmApiUse[]): DsmApiUse | undefined {
    const use = uses.find((u) => (isDhcpApi(u) ? DHCP_PREFIXES.some((p) => p + u.api === name) : u.api === name));
    return use && { ...use, api: name };
}

/** The version a call uses: for a write method the use's write version when the NAS has one, else its read version. */
export function pickVersion(offered: OfferedVersions, use: DsmApiUse, write: boolean): number | undefined {
    return (write ? highestUpTo(offered, use.write, use.min) : undefined) ?? highestUpTo(offered, use.read, use.min);
}

/** Which versions the client will use for `uses` on a NAS offering `offered` (the `SYNO.API.Info` map). */
export function versionsFor(offered: Record<string, OfferedVersions>, uses: readonly DsmApiUse[]): DiscoveredApis {
    const dhcpPrefix = dhcpPrefixOf(offered);
    const versions: Record<string, number> = {};
    const writeVersions: Record<string, number> = {};
    for (const use of uses) {
        const name = apiName(use, dhcpPrefix);
        const info = name === undefined ? undefined : offered[name];
        if (name === undefined || !info) continue;
        const r = highestUpTo(info, use.read, use.min);
        const w = highestUpTo(info, use.write, use.min);
        if (r !== undefined) versions[name] = r;
        if (w !== undefined) writeVersions[name] = w;
    }
    return { dhcpPrefix, versions, writeVersions };
}

/** An API the program needs that the NAS does not offer in a version this client speaks. */
export interface MissingApi {
    api: string;
    /** `read`: absent, or no version this client reads with; `write`: readable, but no version it writes with. */
    need: "read" | "write";
}

/**
 * What is missing from the discovered APIs for the program's `uses` (the DHCP family only when its package is
 * there: a missing package is its own problem). `manageServer`: the DHCP server object is written. Pure.
 */
export function missingApis(apis: DiscoveredApis, uses: readonly DsmApiUse[], manageServer: boolean): MissingApi[] {
    const out: MissingApi[] = [];
    for (const use of uses) {
        const name = apiName(use, apis.dhcpPrefix);
        if (use.need === undefined || name === undefined) continue;
        const written = use.need === "write" || (use.need === "managed" && manageServer);
        if (!(name in apis.versions)) out.push({ api: name, need: "read" });
        else if (written && apis.writeVersions !== undefined && !(name in apis.writeVersions))
            out.push({ api: name, need: "write" });
    }
    return out;
}
