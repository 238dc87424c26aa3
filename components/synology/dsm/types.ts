/**
 * The DSM client's public contract: what the dynamic providers (components/synology/providers/),
 * the `dsm` probe and `doctor` may rely on. The implementation lives beside this file.
 */
import type { Readable } from "stream";

/**
 * How to reach one NAS, without the password: what every DSM resource stores as its `connection` input (the
 * password is its own, secret, input). Built from `homelab:synology` by `connectionArgs` (../connection.ts).
 */
export interface DsmConnectionArgs {
    /** Base URL without trailing slash, e.g. `https://192.168.0.6:5001`. */
    url: string;
    username: string;
    tls?: {
        caCertPem?: string;
        fingerprintSha256?: string;
        insecureSkipVerify?: boolean;
    };
    /** Allow http:// URLs. */
    allowHttp?: boolean;
    /** 2FA: a device id remembered from an earlier login (skips the OTP). */
    deviceId?: string;
}

/** How to reach and log in to one NAS: the connection with the password (plain here) and the login's 2FA details. */
export interface DsmConnection extends DsmConnectionArgs {
    password: string;
    /** 2FA: a one-time code for this login. */
    otpCode?: string;
    /** Device name sent with device tokens. */
    deviceName?: string;
}

/** `SYNO.Core.TFTP` get: the whole object, booleans normalised. */
export interface TftpSettings {
    enable: boolean;
    root_path: string;
    /** `"r"` read-only, `"rw"` read/write. */
    permission: string;
    enable_log: boolean;
    startip: string;
    endip: string;
    timeout: number;
    /** Any other fields DSM returned, kept as they came. */
    [extra: string]: unknown;
}

/** `SYNO.Core.Share` get. */
export interface ShareInfo {
    name: string;
    vol_path: string;
    desc?: string;
    uuid?: string;
    [extra: string]: unknown;
}

/** `SYNO.FileStation.List` getinfo entry of an existing file. */
export interface FileInfo {
    /** File Station path, starting at the share name: `/pxe/metal-amd64-uki.efi`. */
    path: string;
    name: string;
    isdir: boolean;
    size: number;
    /** Modification time, unix seconds. */
    mtime?: number;
}

/** `SYNO.Network.DHCPServer.PXE` get: the five known fields, as DSM returned them (booleans normalised). */
export interface PxeSettings {
    enable: boolean;
    /** DSM returns this as a string; kept in its raw form so that `set` can echo it. */
    is_remote_tftp: unknown;
    local_bootloader: string;
    remote_bootloader: string;
    remote_tftp_server_ip: string;
    [extra: string]: unknown;
}

export interface UploadOptions {
    /** Replace an existing file of the same name. */
    overwrite: boolean;
    /** Called as bytes go out. */
    onProgress?: (sentBytes: number, totalBytes: number) => void;
    /**
     * Give the same content again from the start. With it, an upload cut by a reset connection, a busy
     * answer or an expired session is retried; without it such an upload fails (the stream is consumed).
     */
    reopen?: () => Readable | Promise<Readable>;
}

/** Which API family and versions discovery chose. */
export interface DiscoveredApis {
    /** `SYNO.Network.DHCPServer` or `SYNO.Core.Network.DHCPServer`; undefined when the package is missing. */
    dhcpPrefix?: string;
    /** API name → version this client will use. */
    versions: Record<string, number>;
    /** API name → version used for writing methods (set/create/delete/...), where it differs from `versions`. */
    writeVersions?: Record<string, number>;
}

/** The DSM Web API client. One instance per NAS and user per process (see `getDsmClient`). */
export interface DsmApi {
    /** The versions this client will use for `uses` on this NAS (SYNO.API.Info, read once and cached). */
    discover(uses: readonly DsmApiUse[]): Promise<DiscoveredApis>;
    /** The API's full name on this NAS (the DHCP package's prefix resolved); DSM error 102 when it is not there. */
    resolve(use: DsmApiUse, method: string): Promise<string>;
    /** Log in if not logged in (one login shared by all callers). */
    login(): Promise<void>;
    logout(): Promise<void>;
    /**
     * One API method: the version from `api`'s use (an API named by a string no use declares: the highest the NAS
     * offers), params JSON-encoded when the API's requestFormat is JSON. Returns `data`.
     */
    call<T = unknown>(
        api: string | DsmApiUse,
        method: string,
        params?: Record<string, unknown>,
        version?: number,
    ): Promise<T>;

    createFolder(parentPath: string, name: string, forceParent?: boolean): Promise<void>;
    /** One entry per path, undefined where DSM answered 408 (no such file). */
    getInfo(paths: string[]): Promise<Array<FileInfo | undefined>>;
    /** The entries of a folder (File Station list, every page), files and folders. */
    list(folderPath: string): Promise<FileInfo[]>;
    /** Streams `body` (exactly `size` bytes) as `<dir>/<filename>`; blSkip is an error. */
    upload(dir: string, filename: string, body: Readable, size: number, opts: UploadOptions): Promise<void>;
    rename(path: string, newName: string): Promise<void>;
    deletePaths(paths: string[]): Promise<void>;
    /** File Station MD5 (start/status/stop), lower-case hex. */
    md5(path: string): Promise<string>;
    /** File Station Download of one file: its bytes as a stream (the caller reads or destroys it). */
    download(path: string): Promise<Readable>;
}

/** How this program uses one DSM API. */
export interface DsmApiUse {
    /**
     * The API's name. Names not starting with `SYNO.` are the DHCP Server package's, relative to the prefix
     * discovery finds (`""` is the server object itself, `.PXE` its PXE settings).
     */
    api: string;
    /** Highest version it reads with. */
    read: number;
    /** Highest version it writes with (set/create/delete/...), for an API it writes. */
    write?: number;
    /** Lowest version it accepts. */
    min?: number;
    /**
     * What the program needs of it: `read`, `write`, or `managed` (written with `dhcp.manageServer`, read otherwise).
     * None: optional (the pre-flight's space and group checks, `npm run etcd-snapshot -- --fetch`).
     */
    need?: "read" | "write" | "managed";
}

/** The versions the NAS offers of one API (`SYNO.API.Info`). */
export interface OfferedVersions {
    minVersion: number;
    maxVersion: number;
}
