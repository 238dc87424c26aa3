/**
 * The workloads side of the stack config: `homelab:workloads` (the Synology CSI driver), its type, defaults
 * and checks (pure; no Pulumi, no I/O), with what the driver needs of the image (its extensions).
 */
import { Checker, Json } from "../checker";
import { allKeys } from "../keys";
import { DEFAULT_VOLUME, VOLUME_RE } from "../synology/config";
import { compareVersions, parseVersion, releaseTag } from "../version";

export const FS_TYPES = ["ext4", "btrfs", "xfs"] as const;
export const RECLAIM_POLICIES = ["Delete", "Retain"] as const;
export const PROTOCOLS = ["iscsi"] as const;
/** `workloads.synologyCsi.storageClassName` unless set. */
export const DEFAULT_STORAGE_CLASS = "synology-iscsi";
/** The first driver release with `--iscsiadm-path`. */
export const MIN_TALOS_DRIVER_VERSION = "v1.2.1";
/** The first driver release that can no longer format volumes as btrfs. */
export const NO_BTRFS_DRIVER_VERSION = "v1.4.0";

/** Talos system extensions the driver needs on every node. */
export const REQUIRED_CSI_EXTENSIONS: readonly string[] = ["siderolabs/iscsi-tools", "siderolabs/util-linux-tools"];

/** `homelab:workloads.synologyCsi` */
export interface SynologyCsiConfig {
    enabled: boolean;
    /** Version of the driver image (synology/synology-csi). Default {@link MIN_TALOS_DRIVER_VERSION}, the first with `--iscsiadm-path`. */
    version: string;
    storageClassName: string;
    /** Volume the LUNs live on, e.g. `/volume1`. Default: `synology.volume`. */
    location: string;
    fsType: (typeof FS_TYPES)[number];
    reclaimPolicy: (typeof RECLAIM_POLICIES)[number];
    isDefault: boolean;
    protocol: (typeof PROTOCOLS)[number];
    /**
     * How long an `up` waits for the driver's controller StatefulSet and node DaemonSet to be Ready after it
     * creates or changes them (Go duration). Default {@link DEFAULT_CSI_TIMEOUT}.
     */
    timeout: string;
}

/** `workloads.synologyCsi.timeout` unless set: the Kubernetes provider's own default for these kinds. */
export const DEFAULT_CSI_TIMEOUT = "10m";

/** `homelab:workloads` */
export interface WorkloadsConfig {
    synologyCsi: SynologyCsiConfig;
}

export const WORKLOADS_KEYS = allKeys<WorkloadsConfig>()(["synologyCsi"]);
export const SYNOLOGY_CSI_KEYS = allKeys<SynologyCsiConfig>()([
    "enabled",
    "version",
    "storageClassName",
    "location",
    "fsType",
    "reclaimPolicy",
    "isDefault",
    "protocol",
    "timeout",
]);

/** `homelab:workloads`; `defaultVolume` (`synology.volume`) is where the LUNs go unless `location` says otherwise. */
export function parseWorkloads(
    c: Checker,
    value: Json,
    defaultVolume: string | undefined,
): WorkloadsConfig | undefined {
    const o = c.object("workloads", value, false) ?? {};
    c.knownKeys("workloads", o, WORKLOADS_KEYS);
    const s = c.object("workloads.synologyCsi", o.synologyCsi, false) ?? {};
    const p = "workloads.synologyCsi";
    c.knownKeys(p, s, SYNOLOGY_CSI_KEYS);
    const version = c.string(`${p}.version`, s.version, false) ?? MIN_TALOS_DRIVER_VERSION;
    // Checked enabled or not: a typo waits for the day CSI is turned on otherwise.
    if (!parseVersion(version)) {
        c.add(
            `${p}.version`,
            `"${version}" is not a synology/synology-csi release tag: use one like ${MIN_TALOS_DRIVER_VERSION} ` +
                "(a moving tag such as latest would change the driver under a running cluster, with no diff to show it)",
        );
    }
    const storageClassName = c.string(`${p}.storageClassName`, s.storageClassName, false) ?? DEFAULT_STORAGE_CLASS;
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(storageClassName)) {
        c.add(
            `${p}.storageClassName`,
            `"${storageClassName}" must be a Kubernetes name: lower-case letters, digits, '-' and '.'`,
        );
    }
    const location = c.string(`${p}.location`, s.location, false) ?? defaultVolume ?? DEFAULT_VOLUME;
    if (!VOLUME_RE.test(location)) c.add(`${p}.location`, `"${location}" must be a DSM volume path like /volume1`);
    return {
        synologyCsi: {
            enabled: c.boolean(`${p}.enabled`, s.enabled, false),
            version,
            storageClassName,
            location,
            fsType: c.oneOf(`${p}.fsType`, s.fsType, FS_TYPES, "ext4") ?? "ext4",
            reclaimPolicy: c.oneOf(`${p}.reclaimPolicy`, s.reclaimPolicy, RECLAIM_POLICIES, "Delete") ?? "Delete",
            isDefault: c.boolean(`${p}.isDefault`, s.isDefault, false),
            protocol: c.oneOf(`${p}.protocol`, s.protocol, PROTOCOLS, "iscsi") ?? "iscsi",
            timeout: c.duration(`${p}.timeout`, s.timeout, DEFAULT_CSI_TIMEOUT),
        },
    };
}

/** The required extensions (see {@link REQUIRED_CSI_EXTENSIONS}) missing from `extensions`, in order. */
export function missingCsiExtensions(extensions: readonly string[]): string[] {
    const have = new Set(extensions.map((e) => e.trim().toLowerCase()));
    return REQUIRED_CSI_EXTENSIONS.filter((e) => !have.has(e));
}

/**
 * Every problem with `workloads.synologyCsi` given the image's extensions, each naming the key and
 * the fix. Empty when CSI is disabled or all is well. Pure; meant for `parseStackConfig`.
 */
export function synologyCsiConfigProblems(csi: SynologyCsiConfig, extensions: readonly string[]): string[] {
    if (!csi.enabled) return [];
    const problems: string[] = [];
    for (const ext of missingCsiExtensions(extensions)) {
        problems.push(
            `image.extensions: lacks "${ext}", which workloads.synologyCsi.enabled needs: ` +
                `add "${ext}" to homelab:image.extensions (Synology CSI needs iscsiadm and util-linux on every Talos node)`,
        );
    }
    const v = parseVersion(csi.version);
    // A version that is no release tag is parseWorkloads' to report.
    if (v) {
        if (compareVersions(v, parseVersion(MIN_TALOS_DRIVER_VERSION)!) < 0) {
            problems.push(
                `workloads.synologyCsi.version: ${releaseTag(csi.version)} has no --iscsiadm-path ` +
                    `flag, which Talos needs (no /usr/bin/env on the host): use ${MIN_TALOS_DRIVER_VERSION} or later`,
            );
        }
        if (csi.fsType === "btrfs" && compareVersions(v, parseVersion(NO_BTRFS_DRIVER_VERSION)!) >= 0) {
            problems.push(
                `workloads.synologyCsi.fsType: btrfs is not supported by driver ${releaseTag(csi.version)} ` +
                    `(removed in ${NO_BTRFS_DRIVER_VERSION}): use fsType ext4 or xfs, or a version before ${NO_BTRFS_DRIVER_VERSION}`,
            );
        }
    }
    return problems;
}
