/**
 * The stack configuration: types, validation and normalisation. Pure: no Pulumi, no I/O.
 *
 * `parseStackConfig(values)` takes the `homelab:*` keys without their prefix, as plain YAML/JSON
 * values (secrets as plain strings), and returns the typed, normalised config, or throws a
 * `ConfigError` listing every problem at once.
 */

import {
    Cidr, hostRange, intToIp, ipInRange, ipToInt, isIpv4, isPlaceholderMac, macKind, normaliseMac, parseCidr,
    placeInCidr, specialIpv4,
} from "./net";
import { BackupsConfig, parseBackups } from "./backups/config";
import { describeRange, kubernetesSupport, kubernetesVersionVerdict } from "./talos/versions";
import { closest } from "./words";
import { MIN_TALOS_DRIVER_VERSION, synologyCsiConfigProblems } from "./workloads/render";

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
    /**
     * Kubernetes version, normalised without a leading `v` (the Talos provider's form), e.g. `1.35.0`. Always
     * set: default the Kubernetes version the Talos release ships with (components/talos/versions.ts); a
     * version set explicitly is inside the range that release supports.
     */
    kubernetesVersion: string;
    /** Opt-in rolling `talosctl upgrade` / `upgrade-k8s` when versions or the schematic change. Default false. */
    upgrades: boolean;
    /** How long an apply waits for a node to come up in maintenance mode (Go duration). Default `30m`. */
    applyTimeout: string;
    /**
     * How long the bootstrap waits for the first control plane (Go duration). After its apply a real node
     * installs Talos to disk and reboots before it answers again. Default `20m`.
     */
    bootstrapTimeout: string;
    /** How long the health check of every `up` waits for the cluster (Go duration). Default `10m`. */
    healthTimeout: string;
    /** Per node: `talosctl upgrade --wait --timeout <upgradeTimeout>` (Go duration). Default `15m`. */
    upgradeTimeout: string;
    /** What the health check covers. */
    healthChecks: HealthChecksConfig;
    /** Reset (wipe) nodes on `pulumi destroy`. Default false. */
    resetOnDestroy: boolean;
    /** Broadcast address for Wake-on-LAN packets. Default: the broadcast address of `dhcp.subnet`. */
    wakeOnLanBroadcast: string;
    /** URL template of the Talos machine-config JSON schema; `{version}` is replaced by the Talos version. */
    configSchemaUrl: string;
}

/** `homelab:cluster.healthChecks` */
export interface HealthChecksConfig {
    /**
     * Check Kubernetes too (nodes Ready, control-plane pods), not only Talos' own services and etcd. Default
     * true; false for a cluster without a CNI (`cni: none`) until one is installed, or without an API server.
     */
    kubernetes: boolean;
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
    /** Version of the driver image (synology/synology-csi). Default `v1.2.1`, the first with `--iscsiadm-path`. */
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
    /** `homelab:backups`: etcd snapshots on the NAS (components/backups/config.ts). */
    backups: BackupsConfig;
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

// ---------------------------------------------------------------------------------------------
// Validation. A `Checker` collects problems with their key path; `parseStackConfig` runs every
// check, so a user sees all problems at once.

type Json = unknown;
type Obj = Record<string, Json>;

const DEFAULT_FACTORY_URL = "https://factory.talos.dev";
/** Where the Talos machine-config JSON schema lives for a release tag. */
export const DEFAULT_CONFIG_SCHEMA_URL =
    "https://raw.githubusercontent.com/siderolabs/talos/{version}/pkg/machinery/config/schemas/config.schema.json";
export const NUT_CLIENT_EXTENSION = "siderolabs/nut-client";

const DNS_LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TALOS_VERSION_RE = /^v?(\d+)\.(\d+)\.(\d+)$/;
const K8S_VERSION_RE = /^v?\d+\.\d+\.\d+$/;
const EXTENSION_RE = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;
const SHARE_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$/;
const VOLUME_RE = /^\/volume\d+$/;
const INTERFACE_RE = /^(eth|ovs_eth|bond|ovs_bond)\d+$/;
const FINGERPRINT_RE = /^([0-9a-f]{2}:?){31}[0-9a-f]{2}$/i;
const DISK_SELECTOR_KEYS = ["size", "name", "model", "serial", "modalias", "uuid", "wwid", "type", "busPath"];
const DISK_TYPES = ["ssd", "hdd", "nvme", "sd"];

class Checker {
    readonly problems: string[] = [];

    add(path: string, message: string): void {
        this.problems.push(`${path}: ${message}`);
    }

    /** The value as an object, or undefined (with a problem unless optional and absent). */
    object(path: string, value: Json, required: boolean): Obj | undefined {
        if (value === undefined || value === null) {
            if (required) this.add(path, `is missing; set it with \`pulumi config set --path 'homelab:${path}...'\` (see README, config reference)`);
            return undefined;
        }
        if (typeof value === "string") {
            try {
                return this.object(path, JSON.parse(value), required);
            } catch {
                this.add(path, "must be an object (a YAML mapping), got text that is not JSON");
                return undefined;
            }
        }
        if (typeof value !== "object" || Array.isArray(value)) {
            this.add(path, `must be an object (a YAML mapping), got ${describe(value)}`);
            return undefined;
        }
        return value as Obj;
    }

    /** Reports keys of `obj` that are not in `known`, with a suggestion. */
    knownKeys(path: string, obj: Obj, known: readonly string[]): void {
        for (const key of Object.keys(obj)) {
            if (known.includes(key)) continue;
            const hint = closest(key, known);
            this.add(`${path}.${key}`, `is not a known setting${hint ? ` — did you mean ${path}.${hint}?` : ` (known: ${known.join(", ")})`}`);
        }
    }

    string(path: string, value: Json, required: boolean): string | undefined {
        if (value === undefined || value === null || value === "") {
            if (required) this.add(path, "is missing; it must be a non-empty string");
            return undefined;
        }
        if (typeof value !== "string") {
            this.add(path, `must be a string, got ${describe(value)}`);
            return undefined;
        }
        return value.trim();
    }

    boolean(path: string, value: Json, fallback: boolean): boolean {
        if (value === undefined || value === null) return fallback;
        if (typeof value === "boolean") return value;
        if (value === "true" || value === "false") return value === "true";
        this.add(path, `must be true or false, got ${describe(value)}`);
        return fallback;
    }

    list(path: string, value: Json, required: boolean): Json[] | undefined {
        if (value === undefined || value === null) {
            if (required) this.add(path, "is missing; it must be a list");
            return undefined;
        }
        if (typeof value === "string") {
            try {
                const parsed = JSON.parse(value);
                if (Array.isArray(parsed)) return parsed;
            } catch {
                /* reported below */
            }
        }
        if (!Array.isArray(value)) {
            this.add(path, `must be a list, got ${describe(value)}`);
            return undefined;
        }
        return value;
    }

    ipv4(path: string, value: Json, required: boolean): string | undefined {
        const s = this.string(path, value, required);
        if (s === undefined) return undefined;
        if (!isIpv4(s)) {
            this.add(path, `"${s}" is not an IPv4 address; write it as four numbers 0-255, e.g. 192.168.0.10`);
            return undefined;
        }
        return s;
    }

    /** A MAC a network card can carry: not a placeholder, not all zeros or ones, no group bit. */
    mac(path: string, value: Json): string | undefined {
        const s = this.string(path, value, true);
        if (s === undefined) return undefined;
        const mac = normaliseMac(s);
        if (!mac) {
            this.add(path, `"${s}" is not a MAC address; write six hex pairs, e.g. aa:bb:cc:dd:ee:ff`);
            return undefined;
        }
        const fix = "put the real MAC address of the machine's network card here (on the card's or the machine's label, " +
            "in its firmware setup, or from `ip link` on a running system)";
        const kind = macKind(mac);
        if (isPlaceholderMac(mac)) this.add(path, `${mac} is a placeholder, not the address of a real network card; ${fix}`);
        else if (kind === "zero") this.add(path, `${mac} is all zeros, which no network card carries; ${fix}`);
        else if (kind === "broadcast") this.add(path, `${mac} is the broadcast address, which no network card carries; ${fix}`);
        else if (kind === "multicast") {
            this.add(path, `${mac} is a multicast (group) address: the lowest bit of its first byte (${mac.slice(0, 2)}) is set, ` +
                `which no network card's own address has; check that byte for a typo, or ${fix}`);
        }
        return mac;
    }

    /** A Go duration (`30m`, `1h30m`, `90s`) longer than zero, or the fallback when absent. */
    duration(path: string, value: Json, fallback: string): string {
        const s = this.string(path, value, false) ?? fallback;
        const ms = parseGoDuration(s);
        if (ms === undefined) this.add(path, `"${s}" is not a duration; write one like 10m, 1h or 1h30m (units h, m, s, ms)`);
        else if (ms <= 0) this.add(path, `"${s}" must be longer than zero: it is how long to wait; e.g. ${fallback} (the default)`);
        return s;
    }

    hostname(path: string, value: Json): string | undefined {
        const s = this.string(path, value, true);
        if (s === undefined) return undefined;
        if (!DNS_LABEL_RE.test(s)) {
            this.add(path, `"${s}" is not a valid hostname; use 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen`);
            return undefined;
        }
        return s;
    }

    oneOf<T extends string>(path: string, value: Json, allowed: readonly T[], fallback?: T): T | undefined {
        if ((value === undefined || value === null) && fallback !== undefined) return fallback;
        const s = this.string(path, value, true);
        if (s === undefined) return undefined;
        if (!(allowed as readonly string[]).includes(s)) {
            this.add(path, `must be one of ${allowed.join(", ")}, got "${s}"`);
            return undefined;
        }
        return s as T;
    }
}

const DURATION_UNITS_MS: Record<string, number> = {
    ns: 1e-6, us: 1e-3, "\u00b5s": 1e-3, "\u03bcs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};

/**
 * Milliseconds of a Go duration (Go's time.ParseDuration grammar: an optional sign, then one or more
 * decimal numbers each with a unit ns, us, µs, ms, s, m or h, e.g. `1h30m`, `1.5h`, `300ms`; or `0`).
 * Undefined when Go would not parse it. Pulumi's custom timeouts and talosctl's --timeout take this form.
 */
export function parseGoDuration(text: string): number | undefined {
    let s = String(text).trim();
    let sign = 1;
    if (s.startsWith("-") || s.startsWith("+")) {
        if (s.startsWith("-")) sign = -1;
        s = s.slice(1);
    }
    if (s === "0") return 0;
    if (s === "") return undefined;
    const part = /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
    let total = 0;
    for (let at = 0; at < s.length; at = part.lastIndex) {
        part.lastIndex = at;
        const m = part.exec(s);
        if (!m) return undefined;
        total += Number(m[1]) * DURATION_UNITS_MS[m[2]];
    }
    return sign * total;
}

function describe(value: Json): string {
    if (Array.isArray(value)) return "a list";
    if (value === null) return "null";
    if (typeof value === "object") return "an object";
    return `${typeof value} ${JSON.stringify(value)}`;
}

/** Parses a URL; undefined when it is not one. */
function parseUrl(text: string): URL | undefined {
    try {
        return new URL(text);
    } catch {
        return undefined;
    }
}

function stripSlash(url: string): string {
    return url.replace(/\/+$/, "");
}

const ROOT_KEYS = ["cluster", "image", "synology", "dhcp", "nodes", "ups", "workloads", "backups", "synologyPassword", "upsPassword"];

/**
 * Validates and normalises the stack config. `values` holds the `homelab:*` keys without the prefix,
 * as YAML/JSON values (objects may also be given as JSON text, as `pulumi config` stores them).
 * Throws a `ConfigError` listing every problem.
 */
export function parseStackConfig(values: Record<string, unknown>): StackConfig {
    const c = new Checker();
    c.knownKeys("homelab", values as Obj, ROOT_KEYS);

    const dhcp = parseDhcp(c, values.dhcp);
    const cluster = parseCluster(c, values.cluster, dhcp);
    const image = parseImage(c, values.image);
    const synology = parseSynology(c, values.synology);
    const nodes = parseNodes(c, values.nodes, dhcp);
    const ups = parseUps(c, values.ups);
    const workloads = parseWorkloads(c, values.workloads, synology);
    const { backups, problems: backupProblems } = parseBackups(values.backups);
    c.problems.push(...backupProblems);

    const synologyPassword = c.string("synologyPassword", values.synologyPassword, false);
    if (synologyPassword === undefined) {
        c.add("synologyPassword", "is missing; set it with `pulumi config set --secret homelab:synologyPassword`");
    }
    const upsPassword = c.string("upsPassword", values.upsPassword, false);

    // Cross-field rules.
    if (ups) {
        if (upsPassword === undefined) {
            c.add("upsPassword", "is required when ups is set; set it with `pulumi config set --secret homelab:upsPassword`");
        }
        if (image && !image.extensions.includes(NUT_CLIENT_EXTENSION)) {
            c.add("image.extensions", `must include ${NUT_CLIENT_EXTENSION} when ups is set (the UPS client runs as that extension)`);
        }
    }
    if (workloads && image) c.problems.push(...synologyCsiConfigProblems(workloads.synologyCsi, image.extensions));
    if (nodes && dhcp) checkAddresses(c, nodes, dhcp, synology, cluster);
    const rawNodes = Array.isArray(values.nodes) ? (values.nodes as Obj[]) : [];
    if (nodes && rawNodes.length > 0 && !rawNodes.some((n) => n && n.role === "controlplane")) {
        c.add("nodes", 'needs at least one node with role: controlplane');
    }

    if (c.problems.length > 0) throw new ConfigError(c.problems);
    return {
        cluster: cluster!,
        image: image!,
        synology: synology!,
        dhcp: dhcp!,
        nodes: nodes!,
        ...(ups ? { ups, upsPassword } : {}),
        workloads: workloads!,
        backups,
        synologyPassword: synologyPassword!,
    };
}

const CLUSTER_KEYS = ["name", "endpoint", "talosVersion", "kubernetesVersion", "upgrades", "applyTimeout", "bootstrapTimeout",
    "healthTimeout", "upgradeTimeout", "healthChecks", "resetOnDestroy", "wakeOnLanBroadcast", "configSchemaUrl"];

function parseCluster(c: Checker, value: Json, dhcp: DhcpConfig | undefined): ClusterConfig | undefined {
    const o = c.object("cluster", value, true);
    if (!o) return undefined;
    c.knownKeys("cluster", o, CLUSTER_KEYS);
    const name = c.string("cluster.name", o.name, true);
    if (name !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
        c.add("cluster.name", `"${name}" must be lower-case letters, digits and hyphens (it names the cluster in kubeconfig and talosconfig)`);
    }
    const endpoint = c.string("cluster.endpoint", o.endpoint, true);
    if (endpoint !== undefined) {
        const u = parseUrl(endpoint);
        if (!u || u.protocol !== "https:" || !u.port || (u.pathname !== "/" && u.pathname !== "")) {
            c.add("cluster.endpoint", `"${endpoint}" must be https with a port and no path, e.g. https://192.168.0.2:6443`);
        }
    }
    const talos = c.string("cluster.talosVersion", o.talosVersion, true);
    let talosVersion: string | undefined;
    if (talos !== undefined) {
        if (!TALOS_VERSION_RE.test(talos)) {
            c.add("cluster.talosVersion", `"${talos}" is not a Talos release version; use one like v1.12.1 (no pre-release suffix)`);
        } else {
            talosVersion = talos.startsWith("v") ? talos : `v${talos}`;
        }
    }
    const kubernetesVersion = parseKubernetesVersion(c, o.kubernetesVersion, talosVersion);
    const hc = c.object("cluster.healthChecks", o.healthChecks, false) ?? {};
    c.knownKeys("cluster.healthChecks", hc, ["kubernetes"]);
    const cidr = dhcp ? parseCidr(dhcp.subnet) : undefined;
    const configSchemaUrl = c.string("cluster.configSchemaUrl", o.configSchemaUrl, false) ?? DEFAULT_CONFIG_SCHEMA_URL;
    if (!parseUrl(configSchemaUrl.replace("{version}", "v0.0.0"))) {
        c.add("cluster.configSchemaUrl", `"${configSchemaUrl}" is not a URL; use one with {version} where the Talos version goes`);
    }
    return {
        name: name ?? "",
        endpoint: endpoint ?? "",
        talosVersion: talosVersion ?? "",
        kubernetesVersion: kubernetesVersion ?? "",
        upgrades: c.boolean("cluster.upgrades", o.upgrades, false),
        applyTimeout: c.duration("cluster.applyTimeout", o.applyTimeout, "30m"),
        bootstrapTimeout: c.duration("cluster.bootstrapTimeout", o.bootstrapTimeout, "20m"),
        healthTimeout: c.duration("cluster.healthTimeout", o.healthTimeout, "10m"),
        upgradeTimeout: c.duration("cluster.upgradeTimeout", o.upgradeTimeout, "15m"),
        healthChecks: { kubernetes: c.boolean("cluster.healthChecks.kubernetes", hc.kubernetes, true) },
        resetOnDestroy: c.boolean("cluster.resetOnDestroy", o.resetOnDestroy, false),
        wakeOnLanBroadcast: c.ipv4("cluster.wakeOnLanBroadcast", o.wakeOnLanBroadcast, false) ?? (cidr ? intToIp(cidr.broadcast) : "255.255.255.255"),
        configSchemaUrl,
    };
}

/**
 * `cluster.kubernetesVersion`: the one given, if the Talos release accepts it, else the release's own
 * (components/talos/versions.ts). A Talos minor the table does not know needs it set explicitly.
 */
function parseKubernetesVersion(c: Checker, value: Json, talosVersion: string | undefined): string | undefined {
    const path = "cluster.kubernetesVersion";
    const given = c.string(path, value, false);
    if (given !== undefined && !K8S_VERSION_RE.test(given)) {
        c.add(path, `"${given}" is not a Kubernetes release version; use one like 1.35.0`);
        return undefined;
    }
    const k8s = given?.replace(/^v/, "");
    const support = talosVersion ? kubernetesSupport(talosVersion) : undefined;
    if (!support) return k8s; // talosVersion is reported already
    if (support.basis === "unknown") {
        if (k8s === undefined) {
            c.add(path, `is not set, and Talos ${support.talos} is a release this program does not know the Kubernetes versions of ` +
                `(components/talos/versions.ts covers Talos ${support.knownMinors.join(", ")}); set it explicitly to a Kubernetes version ` +
                `Talos ${support.talos} supports (see its release notes): \`pulumi config set --path homelab:${path} <version>\``);
        }
        return k8s;
    }
    if (k8s === undefined) return support.defaultKubernetes;
    const verdict = kubernetesVersionVerdict(k8s, support);
    if (verdict) {
        const basis = support.basis === "minor" ? ` (the range of Talos ${support.source.talos}'s minor release)` : "";
        c.add(path, `Kubernetes ${k8s} is ${verdict} for Talos ${support.talos}, which supports Kubernetes ${describeRange(support)}${basis}, ` +
            `and a node would refuse the config ("version of Kubernetes ${k8s} is ${verdict} to be used with Talos ${support.talos}"); ` +
            `set a version in that range, or remove ${path} to use Talos ${support.talos}'s own, ${support.defaultKubernetes}`);
    }
    return k8s;
}

function parseImage(c: Checker, value: Json): ImageConfig | undefined {
    const o = c.object("image", value, true);
    if (!o) return undefined;
    c.knownKeys("image", o, ["arch", "extensions", "extraKernelArgs", "factoryUrl"]);
    const arch = c.oneOf<Arch>("image.arch", o.arch, ["amd64", "arm64"], "amd64");
    const extensions: string[] = [];
    const list = c.list("image.extensions", o.extensions, false) ?? [];
    list.forEach((e, i) => {
        const s = c.string(`image.extensions[${i}]`, e, true);
        if (s === undefined) return;
        if (!EXTENSION_RE.test(s)) {
            c.add(`image.extensions[${i}]`, `"${s}" must look like owner/name, e.g. siderolabs/i915`);
        } else if (extensions.includes(s)) {
            c.add(`image.extensions[${i}]`, `"${s}" is listed twice; remove the duplicate`);
        } else {
            extensions.push(s);
        }
    });
    const extraKernelArgs: string[] = [];
    (c.list("image.extraKernelArgs", o.extraKernelArgs, false) ?? []).forEach((a, i) => {
        const s = c.string(`image.extraKernelArgs[${i}]`, a, true);
        if (s === undefined) return;
        if (/\s/.test(s)) c.add(`image.extraKernelArgs[${i}]`, `"${s}" contains white space; give one argument per list item`);
        else extraKernelArgs.push(s);
    });
    const factoryUrl = stripSlash(c.string("image.factoryUrl", o.factoryUrl, false) ?? DEFAULT_FACTORY_URL);
    const fu = parseUrl(factoryUrl);
    if (!fu || (fu.protocol !== "https:" && fu.protocol !== "http:")) {
        c.add("image.factoryUrl", `"${factoryUrl}" is not an http(s) URL; the default is ${DEFAULT_FACTORY_URL}`);
    }
    return { arch: arch ?? "amd64", extensions, extraKernelArgs, factoryUrl };
}

function parseSynology(c: Checker, value: Json): SynologyConfig | undefined {
    const o = c.object("synology", value, true);
    if (!o) return undefined;
    c.knownKeys("synology", o, ["url", "username", "volume", "share", "interface", "tls", "allowHttp", "deviceId"]);
    const allowHttp = c.boolean("synology.allowHttp", o.allowHttp, false);
    const rawUrl = c.string("synology.url", o.url, true);
    let url = "";
    if (rawUrl !== undefined) {
        const u = parseUrl(rawUrl);
        if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || (u.pathname !== "/" && u.pathname !== "")) {
            c.add("synology.url", `"${rawUrl}" must be the NAS's DSM address without a path, e.g. https://192.168.0.6:5001`);
        } else if (u.protocol === "http:" && !allowHttp) {
            c.add("synology.url", `"${rawUrl}" is plain http: the DSM password would cross the LAN in clear; use https://<nas>:5001, or set synology.allowHttp: true to accept that`);
        } else {
            url = stripSlash(rawUrl);
        }
    }
    const username = c.string("synology.username", o.username, true);
    const volume = c.string("synology.volume", o.volume, false) ?? "/volume1";
    if (!VOLUME_RE.test(volume)) c.add("synology.volume", `"${volume}" must be a DSM volume path like /volume1`);
    const share = c.string("synology.share", o.share, false) ?? "pxe";
    if (!SHARE_RE.test(share)) c.add("synology.share", `"${share}" is not a valid shared folder name; use up to 32 letters, digits, spaces, dots, hyphens or underscores`);
    const iface = c.string("synology.interface", o.interface, true);
    if (iface !== undefined && !INTERFACE_RE.test(iface)) {
        c.add("synology.interface", `"${iface}" is not a DSM interface name; use eth0, ovs_eth0 (with Virtual Machine Manager) or bond0`);
    }
    const tls: TlsConfig = { insecureSkipVerify: false };
    const t = c.object("synology.tls", o.tls, false);
    if (t) {
        c.knownKeys("synology.tls", t, ["caCertPem", "fingerprintSha256", "insecureSkipVerify"]);
        const pem = c.string("synology.tls.caCertPem", t.caCertPem, false);
        if (pem !== undefined) {
            if (!pem.includes("-----BEGIN CERTIFICATE-----")) c.add("synology.tls.caCertPem", "must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)");
            else tls.caCertPem = pem;
        }
        const fp = c.string("synology.tls.fingerprintSha256", t.fingerprintSha256, false);
        if (fp !== undefined) {
            if (!FINGERPRINT_RE.test(fp)) c.add("synology.tls.fingerprintSha256", "must be the certificate's SHA-256 fingerprint: 64 hex digits, colons optional");
            else tls.fingerprintSha256 = fp.replace(/:/g, "").toLowerCase().match(/../g)!.join(":");
        }
        tls.insecureSkipVerify = c.boolean("synology.tls.insecureSkipVerify", t.insecureSkipVerify, false);
        const chosen = [tls.caCertPem, tls.fingerprintSha256, tls.insecureSkipVerify || undefined].filter((x) => x !== undefined);
        if (chosen.length > 1) c.add("synology.tls", "set only one of caCertPem, fingerprintSha256 and insecureSkipVerify");
    }
    const deviceId = c.string("synology.deviceId", o.deviceId, false);
    return {
        url,
        username: username ?? "",
        volume,
        share,
        interface: iface ?? "",
        tls,
        allowHttp,
        ...(deviceId !== undefined ? { deviceId } : {}),
    };
}

function parseReservation(c: Checker, path: string, value: Json): Reservation | undefined {
    const o = c.object(path, value, true);
    if (!o) return undefined;
    c.knownKeys(path, o, ["mac", "ip", "hostname"]);
    const mac = c.mac(`${path}.mac`, o.mac);
    const ip = c.ipv4(`${path}.ip`, o.ip, true);
    const hostname = c.hostname(`${path}.hostname`, o.hostname);
    return mac && ip && hostname ? { mac, ip, hostname } : undefined;
}

function parseDhcp(c: Checker, value: Json): DhcpConfig | undefined {
    const o = c.object("dhcp", value, true);
    if (!o) return undefined;
    c.knownKeys("dhcp", o, ["subnet", "rangeStart", "rangeEnd", "gateway", "dns", "leaseTime", "domain", "extraReservations", "manageServer"]);
    const subnetText = c.string("dhcp.subnet", o.subnet, true);
    let cidr: Cidr | undefined;
    let subnet = "";
    if (subnetText !== undefined) {
        cidr = parseCidr(subnetText);
        if (!cidr) c.add("dhcp.subnet", `"${subnetText}" is not an IPv4 CIDR with a prefix from /8 to /30, e.g. 192.168.0.0/24`);
        else subnet = `${intToIp(cidr.network)}/${cidr.prefix}`;
    }
    if (cidr) {
        const special = specialIpv4(intToIp(cidr.network));
        if (special && special !== "loopback") {
            c.add("dhcp.subnet", `${subnet} is ${specialWords(special)}, not a LAN; give the subnet your NAS and nodes are on, e.g. 192.168.0.0/24`);
        }
    }
    const inside = (path: string, ip: string | undefined) => {
        const problem = ip && cidr ? hostAddressProblem(cidr, ip) : undefined;
        if (problem) c.add(path, problem);
    };
    const rangeStart = c.ipv4("dhcp.rangeStart", o.rangeStart, true);
    const rangeEnd = c.ipv4("dhcp.rangeEnd", o.rangeEnd, true);
    const gateway = c.ipv4("dhcp.gateway", o.gateway, true);
    inside("dhcp.rangeStart", rangeStart);
    inside("dhcp.rangeEnd", rangeEnd);
    inside("dhcp.gateway", gateway);
    if (rangeStart && rangeEnd && ipToInt(rangeStart) > ipToInt(rangeEnd)) {
        c.add("dhcp.rangeStart", `${rangeStart} is after dhcp.rangeEnd ${rangeEnd}; swap them`);
    }
    if (gateway && rangeStart && rangeEnd && ipToInt(gateway) >= ipToInt(rangeStart) && ipToInt(gateway) <= ipToInt(rangeEnd)) {
        c.add("dhcp.gateway", `${gateway} lies inside the DHCP range ${rangeStart}-${rangeEnd}; the server would lease the router's address`);
    }
    const dns: string[] = [];
    const dnsList = c.list("dhcp.dns", o.dns, true) ?? [];
    if (o.dns !== undefined && dnsList.length === 0) c.add("dhcp.dns", "needs at least one DNS server, e.g. [192.168.0.1]");
    dnsList.forEach((d, i) => {
        const path = `dhcp.dns[${i}]`;
        const ip = c.ipv4(path, d, true);
        if (!ip) return;
        const fix = `give the address of your router or DNS server${gateway ? `, e.g. ${gateway}` : ""}`;
        const special = specialIpv4(ip);
        const place = cidr ? placeInCidr(cidr, ip) : undefined;
        if (dns.includes(ip)) c.add(path, `${ip} is listed twice; remove the duplicate`);
        else if (special === "loopback" && !(cidr && specialIpv4(intToIp(cidr.network)) === "loopback")) {
            c.add(path, `${ip} is a loopback address: every machine that is handed it asks itself, and a node runs no DNS server for the LAN there; ${fix}`);
        } else if (special && special !== "loopback") c.add(path, `${ip} is ${specialWords(special)}, not a DNS server's; ${fix}`);
        else if (place === "network" || place === "broadcast") c.add(path, `${ip} is the ${place} address of dhcp.subnet ${subnet}, not a DNS server's; ${fix}`);
        dns.push(ip);
    });
    let leaseTime = 86400;
    if (o.leaseTime !== undefined) {
        const n = typeof o.leaseTime === "string" ? Number(o.leaseTime) : o.leaseTime;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 120) c.add("dhcp.leaseTime", `must be a whole number of seconds, at least 120 (e.g. 86400 for a day), got ${describe(o.leaseTime)}`);
        else leaseTime = n;
    }
    const domain = c.string("dhcp.domain", o.domain, false);
    if (domain !== undefined && !domain.split(".").every((l) => DNS_LABEL_RE.test(l))) {
        c.add("dhcp.domain", `"${domain}" is not a DNS domain name, e.g. home.arpa`);
    }
    const extraReservations: Reservation[] = [];
    (c.list("dhcp.extraReservations", o.extraReservations, false) ?? []).forEach((r, i) => {
        const path = `dhcp.extraReservations[${i}]`;
        const res = parseReservation(c, path, r);
        if (res) {
            inside(`${path}.ip`, res.ip);
            extraReservations.push(res);
        }
    });
    return {
        subnet,
        rangeStart: rangeStart ?? "",
        rangeEnd: rangeEnd ?? "",
        gateway: gateway ?? "",
        dns,
        leaseTime,
        ...(domain !== undefined ? { domain } : {}),
        extraReservations,
        manageServer: c.boolean("dhcp.manageServer", o.manageServer, false),
    };
}

function parseNodes(c: Checker, value: Json, dhcp: DhcpConfig | undefined): NodeConfig[] | undefined {
    const list = c.list("nodes", value, true);
    if (!list) return undefined;
    if (list.length === 0) {
        c.add("nodes", "is empty; list at least one node with hostname, mac, ip, role and installDisk");
        return undefined;
    }
    const cidr = dhcp ? parseCidr(dhcp.subnet) : undefined;
    const nodes: NodeConfig[] = [];
    list.forEach((v, i) => {
        const path = `nodes[${i}]`;
        const o = c.object(path, v, true);
        if (!o) return;
        c.knownKeys(path, o, ["hostname", "mac", "ip", "role", "installDisk", "installDiskSelector", "patches", "wakeOnLan"]);
        const hostname = c.hostname(`${path}.hostname`, o.hostname);
        const mac = c.mac(`${path}.mac`, o.mac);
        const ip = c.ipv4(`${path}.ip`, o.ip, true);
        const outside = ip && cidr ? hostAddressProblem(cidr, ip) : undefined;
        if (outside) c.add(`${path}.ip`, outside);
        const role = c.oneOf<NodeRole>(`${path}.role`, o.role, ["controlplane", "worker"]);
        const installDisk = c.string(`${path}.installDisk`, o.installDisk, false);
        const selector = c.object(`${path}.installDiskSelector`, o.installDiskSelector, false);
        if ((installDisk === undefined) === (selector === undefined)) {
            c.add(path, "set exactly one of installDisk (e.g. /dev/nvme0n1) and installDiskSelector (e.g. {type: nvme})");
        }
        if (installDisk !== undefined && !/^\/dev\/\S+$/.test(installDisk)) {
            c.add(`${path}.installDisk`, `"${installDisk}" must be a device path like /dev/nvme0n1 or /dev/sda`);
        }
        let installDiskSelector: DiskSelector | undefined;
        if (selector) {
            c.knownKeys(`${path}.installDiskSelector`, selector, DISK_SELECTOR_KEYS);
            installDiskSelector = {};
            for (const key of DISK_SELECTOR_KEYS) {
                const s = c.string(`${path}.installDiskSelector.${key}`, selector[key], false);
                if (s !== undefined) (installDiskSelector as Record<string, string>)[key] = s;
            }
            if (installDiskSelector.type !== undefined && !DISK_TYPES.includes(installDiskSelector.type)) {
                c.add(`${path}.installDiskSelector.type`, `must be one of ${DISK_TYPES.join(", ")}`);
            }
            if (Object.keys(installDiskSelector).length === 0) {
                c.add(`${path}.installDiskSelector`, `is empty; give at least one of ${DISK_SELECTOR_KEYS.join(", ")}`);
            }
        }
        const patches: string[] = [];
        (c.list(`${path}.patches`, o.patches, false) ?? []).forEach((p, j) => {
            const s = c.string(`${path}.patches[${j}]`, p, true);
            if (s !== undefined) patches.push(s);
        });
        const wakeOnLan = c.boolean(`${path}.wakeOnLan`, o.wakeOnLan, false);
        if (hostname && mac && ip && role) {
            nodes.push({
                hostname, mac, ip, role,
                ...(installDisk !== undefined ? { installDisk } : {}),
                ...(installDiskSelector ? { installDiskSelector } : {}),
                patches, wakeOnLan,
            });
        }
    });
    return nodes;
}

/** What a special IPv4 block is, in words. */
function specialWords(special: NonNullable<ReturnType<typeof specialIpv4>>): string {
    switch (special) {
        case "this-network": return "a \"this network\" address (0.0.0.0/8)";
        case "loopback": return "a loopback address (127.0.0.0/8)";
        case "link-local": return "a link-local address (169.254.0.0/16, what a machine gives itself when DHCP failed)";
        case "multicast": return "a multicast address (224.0.0.0/4)";
        case "reserved": return "a reserved address (240.0.0.0/4)";
        case "limited-broadcast": return "the limited broadcast address";
    }
}

/** Why `ip` cannot be a machine's address in `cidr` (its network or broadcast address, or outside), if it cannot. */
function hostAddressProblem(cidr: Cidr, ip: string): string | undefined {
    const subnet = `${intToIp(cidr.network)}/${cidr.prefix}`;
    const place = placeInCidr(cidr, ip);
    if (place === "host") return undefined;
    if (place === "outside") return `${ip} is not a host address inside dhcp.subnet ${subnet} (${hostRange(cidr)})`;
    return `${ip} is the ${place} address of dhcp.subnet ${subnet}, which no machine can have; ` +
        `use one of its host addresses, ${hostRange(cidr)}`;
}

/**
 * Addresses no machine would answer on: duplicates across nodes and extra reservations; nobody on the
 * gateway's or the NAS's address or inside the DHCP range; an endpoint that is no control plane's address
 * nor a free address of the subnet; a Wake-on-LAN address that is not the subnet's broadcast.
 */
function checkAddresses(c: Checker, nodes: NodeConfig[], dhcp: DhcpConfig, synology: SynologyConfig | undefined,
                        cluster: ClusterConfig | undefined): void {
    const entries = [
        ...nodes.map((n, i) => ({ path: `nodes[${i}]`, ...n })),
        ...dhcp.extraReservations.map((r, i) => ({ path: `dhcp.extraReservations[${i}]`, ...r })),
    ];
    const nasHost = synology?.url ? parseUrl(synology.url)?.hostname : undefined;
    const cidr = parseCidr(dhcp.subnet);
    const range = dhcp.rangeStart && dhcp.rangeEnd && ipToInt(dhcp.rangeStart) <= ipToInt(dhcp.rangeEnd)
        ? { start: dhcp.rangeStart, end: dhcp.rangeEnd } : undefined;
    for (const field of ["hostname", "mac", "ip"] as const) {
        const seen = new Map<string, string>();
        for (const e of entries) {
            const first = seen.get(e[field]);
            if (first) c.add(`${e.path}.${field}`, `${e[field]} is also used by ${first}; each ${field} must be unique`);
            else seen.set(e[field], e.path);
        }
    }
    for (const e of entries) {
        if (e.ip === dhcp.gateway) c.add(`${e.path}.ip`, `${e.ip} is the gateway's address (dhcp.gateway); pick a free address`);
        if (nasHost && e.ip === nasHost) c.add(`${e.path}.ip`, `${e.ip} is the NAS's own address (synology.url); pick a free address`);
        // DSM's DHCP server is dnsmasq: it keeps reserved addresses out of its dynamic pool, but one it leased to
        // another device before the reservation existed stays with that device until the lease ends.
        if (range && ipInRange(e.ip, range.start, range.end)) {
            c.add(`${e.path}.ip`, `${e.ip} lies inside the DHCP range ${range.start}-${range.end} (dhcp.rangeStart, dhcp.rangeEnd): ` +
                "the server may already have leased it to another device, and then keeps it from this reservation until that lease " +
                "ends (dnsmasq: \"not using configured address … because it is leased to …\"); pick an address outside the range, " +
                "or move the range");
        }
    }
    if (!cidr) return;
    const subnet = dhcp.subnet;
    if (cluster?.endpoint) {
        const host = parseUrl(cluster.endpoint)?.hostname;
        if (host && isIpv4(host)) checkEndpointHost(c, host, nodes, dhcp, cidr, range, nasHost);
    }
    const wol = cluster?.wakeOnLanBroadcast; // its default, the subnet's broadcast address, always passes
    if (wol && isIpv4(wol) && wol !== "255.255.255.255" && ipToInt(wol) !== cidr.broadcast) {
        const place = placeInCidr(cidr, wol);
        const what = place === "outside" ? `is outside dhcp.subnet ${subnet}` : place === "network" ? `is the network address of dhcp.subnet ${subnet}` : `is a host address of dhcp.subnet ${subnet}`;
        c.add("cluster.wakeOnLanBroadcast", `${wol} ${what}, not its broadcast address: a powered-off card answers no ARP, so only a ` +
            `broadcast reaches it; use ${intToIp(cidr.broadcast)} (the default: remove the setting), or 255.255.255.255 when the ` +
            "machine that runs pulumi is on that subnet itself");
    }
}

/**
 * `cluster.endpoint` with an IPv4 host: a control plane's address, or a free host address of the subnet
 * (a virtual IP the control planes share, outside the DHCP range). A DNS name is not checked.
 */
function checkEndpointHost(c: Checker, host: string, nodes: NodeConfig[], dhcp: DhcpConfig, cidr: Cidr,
                           range: { start: string; end: string } | undefined, nasHost: string | undefined): void {
    const path = "cluster.endpoint";
    const cps = nodes.filter((n) => n.role === "controlplane");
    if (cps.some((n) => n.ip === host)) return;
    const fix = `use a control plane's address (${cps.map((n) => n.ip).join(", ") || "none listed"}) or a free address of ` +
        `dhcp.subnet ${dhcp.subnet} shared by the control planes as a Talos VIP`;
    const special = specialIpv4(host);
    const loopbackLan = specialIpv4(intToIp(cidr.network)) === "loopback";
    const workerIndex = nodes.findIndex((n) => n.ip === host);
    const reservation = dhcp.extraReservations.findIndex((r) => r.ip === host);
    const place = placeInCidr(cidr, host);
    let problem: string | undefined;
    if (special && !(special === "loopback" && loopbackLan)) problem = `${host} is ${specialWords(special)}`;
    else if (workerIndex >= 0) problem = `${host} is the address of nodes[${workerIndex}] (${nodes[workerIndex].hostname}), a worker; the Kubernetes API runs on control planes only`;
    else if (reservation >= 0) problem = `${host} is reserved for dhcp.extraReservations[${reservation}] (${dhcp.extraReservations[reservation].hostname})`;
    else if (host === dhcp.gateway) problem = `${host} is the gateway's address (dhcp.gateway)`;
    else if (nasHost === host) problem = `${host} is the NAS's own address (synology.url)`;
    else if (place === "network" || place === "broadcast") problem = `${host} is the ${place} address of dhcp.subnet ${dhcp.subnet}`;
    else if (place === "outside") {
        problem = `${host} is neither a control plane's address nor inside dhcp.subnet ${dhcp.subnet}, where a VIP of the control planes ` +
            "would live (for a load balancer elsewhere, give its DNS name instead)";
    } else if (range && ipInRange(host, range.start, range.end)) {
        problem = `${host} lies inside the DHCP range ${range.start}-${range.end}, so the server can lease it to another device`;
    }
    if (problem) c.add(path, `${problem}; ${fix}`);
}

function parseUps(c: Checker, value: Json): UpsConfig | undefined {
    const o = c.object("ups", value, false);
    if (!o) return undefined;
    c.knownKeys("ups", o, ["monitor", "username"]);
    const monitor = c.string("ups.monitor", o.monitor, true);
    if (monitor !== undefined && !/^[^@\s]+@[^@\s]+$/.test(monitor)) {
        c.add("ups.monitor", `"${monitor}" must be <upsname>@<host>, e.g. ups@192.168.0.6`);
    }
    const username = c.string("ups.username", o.username, true);
    return monitor && username ? { monitor, username } : undefined;
}

function parseWorkloads(c: Checker, value: Json, synology: SynologyConfig | undefined): WorkloadsConfig | undefined {
    const o = c.object("workloads", value, false) ?? {};
    c.knownKeys("workloads", o, ["synologyCsi"]);
    const s = c.object("workloads.synologyCsi", o.synologyCsi, false) ?? {};
    const p = "workloads.synologyCsi";
    c.knownKeys(p, s, ["enabled", "version", "storageClassName", "location", "fsType", "reclaimPolicy", "isDefault", "protocol"]);
    const version = c.string(`${p}.version`, s.version, false) ?? MIN_TALOS_DRIVER_VERSION;
    const storageClassName = c.string(`${p}.storageClassName`, s.storageClassName, false) ?? "synology-iscsi";
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(storageClassName)) {
        c.add(`${p}.storageClassName`, `"${storageClassName}" must be a Kubernetes name: lower-case letters, digits, '-' and '.'`);
    }
    const location = c.string(`${p}.location`, s.location, false) ?? synology?.volume ?? "/volume1";
    if (!VOLUME_RE.test(location)) c.add(`${p}.location`, `"${location}" must be a DSM volume path like /volume1`);
    return {
        synologyCsi: {
            enabled: c.boolean(`${p}.enabled`, s.enabled, false),
            version,
            storageClassName,
            location,
            fsType: c.oneOf(`${p}.fsType`, s.fsType, ["ext4", "btrfs", "xfs"] as const, "ext4") ?? "ext4",
            reclaimPolicy: c.oneOf(`${p}.reclaimPolicy`, s.reclaimPolicy, ["Delete", "Retain"] as const, "Delete") ?? "Delete",
            isDefault: c.boolean(`${p}.isDefault`, s.isDefault, false),
            protocol: c.oneOf(`${p}.protocol`, s.protocol, ["iscsi"] as const, "iscsi") ?? "iscsi",
        },
    };
}
