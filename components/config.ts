/**
 * The stack configuration: types, validation and normalisation. Pure: no Pulumi, no I/O.
 *
 * `parseStackConfig(values)` takes the `homelab:*` keys without their prefix, as plain YAML/JSON
 * values (secrets as plain strings), and returns the typed, normalised config, or throws a
 * `ConfigError` listing every problem at once.
 */

export type Arch = "amd64" | "arm64";
export type NodeRole = "controlplane" | "worker";

/** `homelab:cluster` */
export interface ClusterConfig {
    /** Cluster name, e.g. `homelab-dev`. */
    name: string;
    /** Kubernetes API endpoint, `https://<host>:<port>`. */
    endpoint: string;
    /** Talos release, normalised with a leading `v`, e.g. `v1.12.1`. */
    talosVersion: string;
    /** Kubernetes version, normalised without a leading `v` (the Talos provider's form), e.g. `1.35.0`. */
    kubernetesVersion?: string;
    /** Opt-in rolling `talosctl upgrade` / `upgrade-k8s` when versions or the schematic change. Default false. */
    upgrades: boolean;
    /** How long an apply waits for a node to come up in maintenance mode (Go duration). Default `30m`. */
    applyTimeout: string;
    /** Reset (wipe) nodes on `pulumi destroy`. Default false. */
    resetOnDestroy: boolean;
    /** Broadcast address for Wake-on-LAN packets. Default: the broadcast address of `dhcp.subnet`. */
    wakeOnLanBroadcast: string;
    /** URL template of the Talos machine-config JSON schema; `{version}` is replaced by the Talos version. */
    configSchemaUrl: string;
}

/** `homelab:image` */
export interface ImageConfig {
    arch: Arch;
    /** Official system extensions, `owner/name`, in the order given (order changes the schematic ID). */
    extensions: string[];
    extraKernelArgs: string[];
    /** Image Factory base URL without trailing slash. Default `https://factory.talos.dev`. */
    factoryUrl: string;
}

/** How the DSM client trusts the NAS's certificate. */
export interface TlsConfig {
    /** PEM of the CA (or the self-signed certificate itself) to trust. */
    caCertPem?: string;
    /** SHA-256 fingerprint of the NAS's certificate, lower-case hex with colons. */
    fingerprintSha256?: string;
    /** Skip verification entirely (warned about). Default false. */
    insecureSkipVerify: boolean;
}

/** `homelab:synology` */
export interface SynologyConfig {
    /** DSM base URL without trailing slash, e.g. `https://192.168.0.6:5001`. */
    url: string;
    username: string;
    /** Volume path, e.g. `/volume1`. */
    volume: string;
    /** Shared folder name for the TFTP root, e.g. `pxe`. */
    share: string;
    /** NAS interface the DHCP server runs on: `eth0`, `ovs_eth0`, `bond0`, ... */
    interface: string;
    tls: TlsConfig;
    /** Allow a plain-http DSM URL. Default false. */
    allowHttp: boolean;
    /** A remembered 2FA device id from an earlier login. */
    deviceId?: string;
}

/** One MAC → IP reservation. MAC normalised lower-case with colons. */
export interface Reservation {
    mac: string;
    ip: string;
    hostname: string;
}

/** `homelab:dhcp` */
export interface DhcpConfig {
    /** IPv4 CIDR, normalised to its network address, e.g. `192.168.0.0/24`. */
    subnet: string;
    rangeStart: string;
    rangeEnd: string;
    gateway: string;
    dns: string[];
    /** Lease time in seconds. Default 86400. */
    leaseTime: number;
    domain?: string;
    extraReservations: Reservation[];
    /**
     * Manage the per-interface DHCP server object (subnet, range, gateway, DNS). Its write shape is
     * not publicly known, so this is opt-in; when off, the program only checks the server is enabled.
     * Default false.
     */
    manageServer: boolean;
}

/** `installDiskSelector`: Talos `machine.install.diskSelector`. */
export interface DiskSelector {
    size?: string;
    name?: string;
    model?: string;
    serial?: string;
    modalias?: string;
    uuid?: string;
    wwid?: string;
    type?: "ssd" | "hdd" | "nvme" | "sd";
    busPath?: string;
}

/** One entry of `homelab:nodes`. */
export interface NodeConfig {
    hostname: string;
    /** Lower-case, colon-separated. */
    mac: string;
    ip: string;
    role: NodeRole;
    /** Exactly one of installDisk / installDiskSelector is set. */
    installDisk?: string;
    installDiskSelector?: DiskSelector;
    /** The node's own Talos config patches (YAML strategic-merge or JSON 6902), applied last. */
    patches: string[];
    /** Send a Wake-on-LAN packet before applying the config. Default false. */
    wakeOnLan: boolean;
}

/** `homelab:ups` */
export interface UpsConfig {
    /** `<upsname>@<host>`, e.g. `ups@192.168.0.6`. */
    monitor: string;
    username: string;
}

/** `homelab:workloads.synologyCsi` */
export interface SynologyCsiConfig {
    enabled: boolean;
    /** Version of the driver image (synology/synology-csi). Default `v1.2.0`. */
    version: string;
    storageClassName: string;
    /** Volume the LUNs live on, e.g. `/volume1`. Default: `synology.volume`. */
    location: string;
    fsType: "ext4" | "btrfs" | "xfs";
    reclaimPolicy: "Delete" | "Retain";
    isDefault: boolean;
    protocol: "iscsi";
}

/** `homelab:workloads` */
export interface WorkloadsConfig {
    synologyCsi: SynologyCsiConfig;
}

/** The whole, validated stack config. */
export interface StackConfig {
    cluster: ClusterConfig;
    image: ImageConfig;
    synology: SynologyConfig;
    dhcp: DhcpConfig;
    nodes: NodeConfig[];
    ups?: UpsConfig;
    workloads: WorkloadsConfig;
    /** Plain here; index.ts wraps it in `pulumi.secret` before anything else sees it. */
    synologyPassword: string;
    /** Present exactly when `ups` is set. Plain here; wrapped in `pulumi.secret` by index.ts. */
    upsPassword?: string;
}

/** Every problem with the stack config, each naming the key path and the fix. */
export class ConfigError extends Error {
    readonly problems: string[];
    constructor(problems: string[]) {
        super(`Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
        this.problems = problems;
    }
}
