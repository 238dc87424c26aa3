/**
 * The Talos side of the stack config: `homelab:cluster`, `homelab:nodes` and `homelab:ups`, their types,
 * defaults and checks (pure; no Pulumi, no I/O). The rules that join them with another domain (addresses
 * against `dhcp.subnet`, the UPS extension in the image) live in parseStackConfig (components/config.ts).
 */
import { Checker, hostAddressProblem, Json, parseUrl, urlParts } from "../checker";
import { allKeys } from "../keys";
import { Cidr, intToIp } from "../net";
import { compareVersions, parseVersion, RELEASE_VERSION_RE, releaseTag } from "../version";
import { APPLY_MODES, ApplyMode, applyModeProblem } from "./apply-mode";
import { nodePatchProblems } from "./stack-patches";
import { UPGRADE_PATHS, UpgradePath } from "./upgrade-path";
import { isolationSettingProblem } from "./workload-isolation";
import { describeRange, kubernetesSupport, kubernetesVersionVerdict } from "./versions";

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
     * The stack stays on `talosVersion` on purpose: `preview` and `up` do not ask the Image Factory whether a newer
     * patch of its minor is out (components/factory/newer-patch.ts; no request at all). Default false.
     */
    talosVersionPinned: boolean;
    /**
     * Kubernetes version, normalised without a leading `v` (the Talos provider's form), e.g. `1.35.0`. Always
     * set: default the Kubernetes version the Talos release ships with (components/talos/versions.ts); a
     * version set explicitly is inside the range that release supports.
     */
    kubernetesVersion: string;
    /** Opt-in rolling `talosctl upgrade` / `upgrade-k8s` when versions or the schematic change. Default false. */
    upgrades: boolean;
    /**
     * How a `talosVersion` change across minors is run (./upgrade-path.ts): `stepwise` (default) through the newest
     * known release of every minor in between, `direct` straight to the target where Talos allows it.
     */
    upgradePath: UpgradePath;
    /** How the machine configs are applied (./apply-mode.ts), unless a node sets its own. Default `auto`. */
    applyMode: ApplyMode;
    /**
     * Talos 1.14's workload isolation (./workload-isolation.ts). Unset: Talos' own default, decided from the
     * cluster's history by index.ts, which hands the components the decided value.
     */
    workloadIsolation?: boolean;
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
    /**
     * Let workloads run on the control planes (Talos taints them `NoSchedule` otherwise). Default: true when the
     * stack has no worker (a one-machine homelab runs everything on its control plane), else false.
     */
    allowSchedulingOnControlPlanes: boolean;
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

/** The disk kinds `installDiskSelector.type` takes. */
export const DISK_TYPES = ["ssd", "hdd", "nvme", "sd"] as const;

/** `installDiskSelector`: Talos `machine.install.diskSelector`. */
export interface DiskSelector {
    size?: string;
    name?: string;
    model?: string;
    serial?: string;
    modalias?: string;
    uuid?: string;
    wwid?: string;
    type?: (typeof DISK_TYPES)[number];
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
    /** How this node's config is applied (./apply-mode.ts); default `cluster.applyMode`. */
    applyMode?: ApplyMode;
}

/** `homelab:ups` */
export interface UpsConfig {
    /** `<upsname>@<host>`, e.g. `ups@192.168.0.6`. */
    monitor: string;
    username: string;
}

/** Where the Talos machine-config JSON schema lives; `{version}` becomes the release tag, e.g. `v1.12.1`. */
export const DEFAULT_TALOS_SCHEMA_URL_TEMPLATE =
    "https://raw.githubusercontent.com/siderolabs/talos/{version}/pkg/machinery/config/schemas/config.schema.json";
/**
 * The oldest Talos release the program's documents fit: every node gets a `HostnameConfig` document
 * (./patches.ts), which Talos has from 1.12 on (1.12 moved the hostname out of `machine.network`).
 */
export const MIN_TALOS_VERSION = "v1.12.0";
/** The system extension the UPS client (upsmon) runs as. */
export const NUT_CLIENT_EXTENSION = "siderolabs/nut-client";
/** `ups.monitor`: `<upsname>@<host>`. */
export const UPS_MONITOR_RE = /^[^@\s]+@[^@\s]+$/;

export const CLUSTER_KEYS = allKeys<ClusterConfig>()([
    "name",
    "endpoint",
    "talosVersion",
    "talosVersionPinned",
    "kubernetesVersion",
    "upgrades",
    "upgradePath",
    "applyMode",
    "workloadIsolation",
    "applyTimeout",
    "bootstrapTimeout",
    "healthTimeout",
    "upgradeTimeout",
    "healthChecks",
    "resetOnDestroy",
    "allowSchedulingOnControlPlanes",
    "wakeOnLanBroadcast",
    "configSchemaUrl",
]);
export const HEALTH_CHECKS_KEYS = allKeys<HealthChecksConfig>()(["kubernetes"]);
export const NODE_KEYS = allKeys<NodeConfig>()([
    "hostname",
    "mac",
    "ip",
    "role",
    "installDisk",
    "installDiskSelector",
    "patches",
    "wakeOnLan",
    "applyMode",
]);
export const DISK_SELECTOR_KEYS = allKeys<DiskSelector>()([
    "size",
    "name",
    "model",
    "serial",
    "modalias",
    "uuid",
    "wwid",
    "type",
    "busPath",
]);
export const UPS_KEYS = allKeys<UpsConfig>()(["monitor", "username"]);

/** `homelab:cluster`; `subnet` (`dhcp.subnet`) gives the Wake-on-LAN broadcast address's default. */
/**
 * `homelab:cluster`. `hasWorkers`: whether `homelab:nodes` lists a worker (it decides the default of
 * `allowSchedulingOnControlPlanes`).
 */
export function parseCluster(
    c: Checker,
    value: Json,
    subnet: Cidr | undefined,
    hasWorkers: boolean,
): ClusterConfig | undefined {
    const o = c.object("cluster", value, true);
    if (!o) return undefined;
    c.knownKeys("cluster", o, CLUSTER_KEYS);
    const name = c.string("cluster.name", o.name, true);
    if (name !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
        c.add(
            "cluster.name",
            `"${name}" must be lower-case letters, digits and hyphens (it names the cluster in kubeconfig and talosconfig)`,
        );
    }
    const endpoint = c.string("cluster.endpoint", o.endpoint, true);
    const endpointProblem = endpoint === undefined ? undefined : endpointShapeProblem(endpoint);
    if (endpointProblem) c.add("cluster.endpoint", endpointProblem);
    const talos = c.string("cluster.talosVersion", o.talosVersion, true);
    let talosVersion: string | undefined;
    if (talos !== undefined) {
        if (!RELEASE_VERSION_RE.test(talos)) {
            c.add(
                "cluster.talosVersion",
                `"${talos}" is not a Talos release version; use one like v1.12.1 (no pre-release suffix)`,
            );
        } else if (compareVersions(parseVersion(talos)!, parseVersion(MIN_TALOS_VERSION)!) < 0) {
            c.add(
                "cluster.talosVersion",
                `${releaseTag(talos)} is older than ${MIN_TALOS_VERSION}, the first Talos release that knows the HostnameConfig ` +
                    `document the program sends every node (Talos 1.12 moved the hostname there); use ${MIN_TALOS_VERSION} or later`,
            );
        } else {
            talosVersion = releaseTag(talos);
        }
    }
    const kubernetesVersion = parseKubernetesVersion(c, o.kubernetesVersion, talosVersion);
    const workloadIsolation =
        o.workloadIsolation === undefined || o.workloadIsolation === null
            ? undefined
            : c.boolean("cluster.workloadIsolation", o.workloadIsolation, false);
    const isolationProblem = isolationSettingProblem(workloadIsolation, talosVersion ?? "");
    if (isolationProblem) c.add("cluster.workloadIsolation", isolationProblem);
    const hc = c.object("cluster.healthChecks", o.healthChecks, false) ?? {};
    c.knownKeys("cluster.healthChecks", hc, HEALTH_CHECKS_KEYS);
    const configSchemaUrl =
        c.string("cluster.configSchemaUrl", o.configSchemaUrl, false) ?? DEFAULT_TALOS_SCHEMA_URL_TEMPLATE;
    if (!parseUrl(configSchemaUrl.replace("{version}", "v0.0.0"))) {
        c.add(
            "cluster.configSchemaUrl",
            `"${configSchemaUrl}" is not a URL; use one with {version} where the Talos version goes`,
        );
    }
    return {
        name: name ?? "",
        endpoint: endpoint ?? "",
        talosVersion: talosVersion ?? "",
        talosVersionPinned: c.boolean("cluster.talosVersionPinned", o.talosVersionPinned, false),
        kubernetesVersion: kubernetesVersion ?? "",
        upgrades: c.boolean("cluster.upgrades", o.upgrades, false),
        upgradePath: c.oneOf("cluster.upgradePath", o.upgradePath, UPGRADE_PATHS, "stepwise") ?? "stepwise",
        applyMode: c.oneOf("cluster.applyMode", o.applyMode, APPLY_MODES, "auto") ?? "auto",
        ...(workloadIsolation !== undefined ? { workloadIsolation } : {}),
        applyTimeout: c.duration("cluster.applyTimeout", o.applyTimeout, "30m"),
        bootstrapTimeout: c.duration("cluster.bootstrapTimeout", o.bootstrapTimeout, "20m"),
        healthTimeout: c.duration("cluster.healthTimeout", o.healthTimeout, "10m"),
        upgradeTimeout: c.duration("cluster.upgradeTimeout", o.upgradeTimeout, "15m"),
        healthChecks: { kubernetes: c.boolean("cluster.healthChecks.kubernetes", hc.kubernetes, true) },
        resetOnDestroy: c.boolean("cluster.resetOnDestroy", o.resetOnDestroy, false),
        allowSchedulingOnControlPlanes: c.boolean(
            "cluster.allowSchedulingOnControlPlanes",
            o.allowSchedulingOnControlPlanes,
            !hasWorkers,
        ),
        wakeOnLanBroadcast:
            c.ipv4("cluster.wakeOnLanBroadcast", o.wakeOnLanBroadcast, false) ??
            (subnet ? intToIp(subnet.broadcast) : "255.255.255.255"),
        configSchemaUrl,
    };
}

/** Each apply mode set (`cluster.applyMode`, a node's `applyMode`) that the cluster's Talos release refuses. */
export function checkApplyModes(c: Checker, cluster: ClusterConfig, nodes: readonly NodeConfig[]): void {
    const set: [string, ApplyMode | undefined][] = [
        ["cluster.applyMode", cluster.applyMode],
        ...nodes.map((n, i): [string, ApplyMode | undefined] => [`nodes[${i}].applyMode`, n.applyMode]),
    ];
    for (const [path, mode] of set) {
        const problem = mode && cluster.talosVersion ? applyModeProblem(mode, cluster.talosVersion) : undefined;
        if (problem) c.add(path, problem);
    }
}

/**
 * `cluster.kubernetesVersion`: the one given, if the Talos release accepts it, else the release's own
 * (components/talos/versions.ts). A Talos minor the table does not know needs it set explicitly.
 */
function parseKubernetesVersion(c: Checker, value: Json, talosVersion: string | undefined): string | undefined {
    const path = "cluster.kubernetesVersion";
    const given = c.string(path, value, false);
    if (given !== undefined && !RELEASE_VERSION_RE.test(given)) {
        c.add(path, `"${given}" is not a Kubernetes release version; use one like 1.35.0`);
        return undefined;
    }
    const k8s = given?.replace(/^v/, "");
    const support = talosVersion ? kubernetesSupport(talosVersion) : undefined;
    // Talos releases are 1.x with x below 20; the Kubernetes versions any of them runs are 1.28 and later.
    if (given !== undefined && (releaseTag(given) === talosVersion || parseVersion(given)![1] < 20)) {
        const own = support && support.basis !== "unknown" ? support.defaultKubernetes : undefined;
        const what =
            releaseTag(given) === talosVersion
                ? `"${given}" is a Talos version (cluster.talosVersion's), not a Kubernetes one`
                : `"${given}" looks like a Talos version, not a Kubernetes one (Talos releases are 1.x with x below 20; the Kubernetes versions Talos runs are 1.28 and later)`;
        c.add(
            path,
            `${what}: remove ${path} to run the Kubernetes version Talos ${talosVersion ?? ""} ships with` +
                `${own ? ` (${own})` : ""}, or set a Kubernetes version${own ? ` such as ${own}` : ""}`,
        );
        return undefined;
    }
    if (!support) return k8s; // talosVersion is reported already
    if (support.basis === "unknown") {
        if (k8s === undefined) {
            c.add(
                path,
                `is not set, and Talos ${support.talos} is a release this program does not know the Kubernetes versions of ` +
                    `(components/talos/versions.ts covers Talos ${support.knownMinors.join(", ")}); set it explicitly to a Kubernetes version ` +
                    `Talos ${support.talos} supports (see its release notes): \`pulumi config set --path homelab:${path} <version>\``,
            );
        }
        return k8s;
    }
    if (k8s === undefined) return support.defaultKubernetes;
    const verdict = kubernetesVersionVerdict(k8s, support);
    if (verdict) {
        const basis = support.basis === "minor" ? ` (the range of Talos ${support.source.talos}'s minor release)` : "";
        c.add(
            path,
            `Kubernetes ${k8s} is ${verdict} for Talos ${support.talos}, which supports Kubernetes ${describeRange(support)}${basis}, ` +
                `and a node would refuse the config ("version of Kubernetes ${k8s} is ${verdict} to be used with Talos ${support.talos}"); ` +
                `set a version in that range, or remove ${path} to use Talos ${support.talos}'s own, ${support.defaultKubernetes}`,
        );
    }
    return k8s;
}

/** `homelab:nodes`; `subnet` (`dhcp.subnet`) is where every node's address must be a host address. */
export function parseNodes(c: Checker, value: Json, subnet: Cidr | undefined): NodeConfig[] | undefined {
    const list = c.list("nodes", value, true);
    if (!list) return undefined;
    if (list.length === 0) {
        c.add("nodes", "is empty; list at least one node with hostname, mac, ip, role and installDisk");
        return undefined;
    }
    const nodes: NodeConfig[] = [];
    list.forEach((v, i) => {
        const path = `nodes[${i}]`;
        if (v === null || v === undefined || (typeof v === "string" && v.trim() === "")) {
            c.add(
                path,
                "is an empty item (a `-` with nothing after it); remove the lone - or fill in the node's hostname, mac, ip, role and installDisk",
            );
            return;
        }
        const o = c.object(path, v, true);
        if (!o) return;
        c.knownKeys(path, o, NODE_KEYS);
        const hostname = c.hostname(`${path}.hostname`, o.hostname);
        const mac = c.mac(`${path}.mac`, o.mac);
        const ip = c.ipv4(`${path}.ip`, o.ip, true);
        const outside = ip && subnet ? hostAddressProblem(subnet, ip) : undefined;
        if (outside) c.add(`${path}.ip`, outside);
        const role = c.oneOf<NodeRole>(`${path}.role`, o.role, ["controlplane", "worker"]);
        const installDisk = c.string(`${path}.installDisk`, o.installDisk, false);
        const installDiskSelector = parseDiskSelector(c, `${path}.installDiskSelector`, o.installDiskSelector);
        if ((installDisk === undefined) === (installDiskSelector === undefined)) {
            c.add(
                path,
                "set exactly one of installDisk (e.g. /dev/nvme0n1) and installDiskSelector (e.g. {type: nvme})",
            );
        }
        if (installDisk !== undefined && !/^\/dev\/\S+$/.test(installDisk)) {
            c.add(`${path}.installDisk`, `"${installDisk}" must be a device path like /dev/nvme0n1 or /dev/sda`);
        } else if (installDisk !== undefined && wholeDiskOf(installDisk)) {
            c.add(
                `${path}.installDisk`,
                `${installDisk} is a partition; Talos installs to a whole disk, which it partitions itself: ${wholeDiskOf(installDisk)}`,
            );
        }
        const patches: string[] = [];
        (c.list(`${path}.patches`, o.patches, false) ?? []).forEach((p, j) => {
            const s = c.string(`${path}.patches[${j}]`, p, true);
            if (s !== undefined) patches.push(s);
        });
        if (hostname && patches.length > 0) {
            c.problems.push(...nodePatchProblems(path, { hostname, installDisk, installDiskSelector }, patches));
        }
        const wakeOnLan = c.boolean(`${path}.wakeOnLan`, o.wakeOnLan, false);
        const applyMode =
            o.applyMode === undefined ? undefined : c.oneOf(`${path}.applyMode`, o.applyMode, APPLY_MODES);
        if (hostname && mac && ip && role) {
            nodes.push({
                hostname,
                mac,
                ip,
                role,
                ...(installDisk !== undefined ? { installDisk } : {}),
                ...(installDiskSelector ? { installDiskSelector } : {}),
                patches,
                wakeOnLan,
                ...(applyMode ? { applyMode } : {}),
            });
        }
    });
    if (
        !list.some((n) => n !== null && typeof n === "object" && (n as Record<string, unknown>).role === "controlplane")
    ) {
        c.add("nodes", "needs at least one node with role: controlplane");
    }
    return nodes;
}

/** `nodes[i].installDiskSelector`: undefined when absent (or not an object, which is reported). */
function parseDiskSelector(c: Checker, path: string, value: Json): DiskSelector | undefined {
    const o = c.object(path, value, false);
    if (!o) return undefined;
    c.knownKeys(path, o, DISK_SELECTOR_KEYS);
    const selector: Record<string, string> = {};
    for (const key of DISK_SELECTOR_KEYS) {
        const s = c.string(`${path}.${key}`, o[key], false);
        if (s !== undefined) selector[key] = s;
    }
    if (selector.type !== undefined && !(DISK_TYPES as readonly string[]).includes(selector.type)) {
        c.add(`${path}.type`, `must be one of ${DISK_TYPES.join(", ")}`);
    }
    if (selector.size !== undefined && !isTalosDiskSize(selector.size)) {
        c.add(
            `${path}.size`,
            `"${selector.size}" is not a size Talos reads; write a number and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, or k, M, G, T), ` +
                'with a comparison first if you like (>, >=, <, <=, ==), e.g. 500GB, ">= 1TB" or "<= 2TB"',
        );
    }
    if (Object.keys(selector).length === 0)
        c.add(path, `is empty; give at least one of ${DISK_SELECTOR_KEYS.join(", ")}`);
    return selector;
}

/**
 * `cluster.endpoint`'s shape, as written (the URL parser would drop a default port such as :443): https, a port,
 * nothing after it but a `/`. Its host is checked against the nodes and the subnet in parseStackConfig.
 */
function endpointShapeProblem(endpoint: string): string | undefined {
    const p = urlParts(endpoint);
    const example = "e.g. https://192.168.0.2:6443";
    if (
        !p ||
        p.scheme !== "https" ||
        !p.port ||
        !/^\d+$/.test(p.port) ||
        p.userinfo !== undefined ||
        !parseUrl(endpoint)
    )
        return `"${p?.userinfo !== undefined ? "…" : endpoint}" must be https with a port and no path, ${example}`;
    if (p.rest !== "" && p.rest !== "/")
        return (
            `"${endpoint}" has a path (${p.rest}); the endpoint is the API server's address and port only: ` +
            `https://${p.host}:${p.port}`
        );
    return undefined;
}

/**
 * The whole disk a partition's device path belongs to (`/dev/sda1` → `/dev/sda`, `/dev/nvme0n1p2` → `/dev/nvme0n1`,
 * `…/by-id/<disk>-part1` → `…/by-id/<disk>`); undefined for a whole disk (or a path this cannot tell).
 */
export function wholeDiskOf(device: string): string | undefined {
    const m =
        /^(\/dev\/(?:sd|vd|hd|xvd)[a-z]+)\d+$/.exec(device) ??
        /^(\/dev\/(?:nvme\d+n\d+|mmcblk\d+|loop\d+|nbd\d+|md\d+))p\d+$/.exec(device) ??
        /^(\/dev\/disk\/by-[a-z]+\/.+)-part\d+$/.exec(device);
    return m?.[1];
}

/** The units Talos reads in a disk size (go-humanize's ParseBytes, lower-cased; none means bytes). */
const SIZE_UNITS = new Set(
    ["", "b", "k", "kb", "ki", "kib", "m", "mb", "mi", "mib", "g", "gb", "gi", "gib", "t", "tb", "ti", "tib"].concat([
        "p",
        "pb",
        "pi",
        "pib",
        "e",
        "eb",
        "ei",
        "eib",
    ]),
);

/**
 * Whether Talos reads `text` as `installDiskSelector.size` (its InstallDiskSizeMatcher: an optional `>=`, `<=`, `>`,
 * `<` or `==`, then go-humanize's ParseBytes: a number, commas allowed, and an optional unit).
 */
export function isTalosDiskSize(text: string): boolean {
    const m = /^\s*(?:>=|<=|>|<|==)?\s*([0-9.,]+)\s*([A-Za-z]*)\s*$/.exec(text);
    if (!m) return false;
    return /^(\d+\.?\d*|\.\d+)$/.test(m[1].replace(/,/g, "")) && SIZE_UNITS.has(m[2].toLowerCase());
}

/** `homelab:ups` (optional). */
export function parseUps(c: Checker, value: Json): UpsConfig | undefined {
    const o = c.object("ups", value, false);
    if (!o) return undefined;
    c.knownKeys("ups", o, UPS_KEYS);
    const monitor = c.string("ups.monitor", o.monitor, true);
    if (monitor !== undefined && !UPS_MONITOR_RE.test(monitor)) {
        c.add("ups.monitor", `"${monitor}" must be <upsname>@<host>, e.g. ups@192.168.0.6`);
    }
    const username = c.string("ups.username", o.username, true);
    if (username !== undefined && /[\r\n]/.test(username)) {
        c.add("ups.username", "must be a single line (the NUT user, e.g. monuser): it goes on upsmon's MONITOR line");
    }
    return monitor && username ? { monitor, username } : undefined;
}

/**
 * `homelab:upsPassword`: required exactly when `ups` is set, on one line (it goes on upsmon's MONITOR line).
 * The messages never hold the password.
 */
export function parseUpsPassword(c: Checker, value: Json, upsSet: boolean): string | undefined {
    const password = c.secret("upsPassword", value, upsSet, "is required when ups is set");
    if (!upsSet) return password;
    if (password !== undefined && /[\r\n]/.test(password)) {
        c.add(
            "upsPassword",
            "must be a single line (it goes on upsmon's MONITOR line); " +
                "set it again with `pulumi config set --secret homelab:upsPassword`",
        );
    }
    return password;
}
