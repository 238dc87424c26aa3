/**
 * What each Talos minor added to the machine config's documents, and what the Talos provider can render of them
 * (pure data and lookups; no I/O).
 *
 * {@link KINDS_SINCE} and {@link SETTINGS_SINCE}: the document kinds, and the settings of kind documents, that a
 * minor's config schema has and the previous minor's has not. Read from the config schemas pinned in
 * third_party/reference (v1.12.1 → v1.13.9 → v1.14.0-rc.1); tests/talos/documents.test.ts recomputes both from those
 * files. A setting a patch release added (e.g. OOMConfig.strictCgroupClassOrdering, in v1.13.9 but not v1.13.0) is
 * listed under the first minor whose pinned schema has it.
 *
 * The Talos provider 0.8.1 renders every machine config with Talos' machinery v1.13.0
 * (third_party/talos-provider-0.8.1/tf-talos/go.mod): its `getConfiguration` loads each config patch with that
 * machinery's decoder, which refuses a document kind it does not know (`"SecurityProfileConfig" "v1alpha1": not
 * registered`) and a setting it does not know (`unknown keys found during decoding`). Those documents cannot go
 * through it as patches: {@link providerCannotRender} names them, and the cluster sends them as they are, after the
 * documents the provider rendered (./raw-documents.ts).
 *
 * {@link DEPRECATED_SETTINGS}: the settings every minor's schema hides but Talos still decodes (./validate-schema.ts
 * takes them unchecked).
 */

/**
 * Settings of the main document that Talos still decodes but the published schema leaves out (fields marked
 * `docgen:nodoc` in pkg/machinery/config/types/v1alpha1/v1alpha1_types.go), keyed by `$defs` name: those of v1.12.1,
 * v1.13.9 (`machine.network`, `machine.env`) and v1.14.0-rc.1, where Talos 1.14 deprecated most of `machine` and
 * `cluster` in favour of documents of their own (`machine.install`, `machine.kubelet`, `machine.nodeLabels`,
 * `cluster.allowSchedulingOnControlPlanes`, …: Talos still applies them). One list for every release: a setting is
 * added only where a schema lacks it, and every setting 1.14 hides is documented (so checked) in 1.12's schema.
 */
export const DEPRECATED_SETTINGS: Readonly<Record<string, readonly string[]>> = {
    "v1alpha1.Config": ["persist"],
    "v1alpha1.MachineConfig": [
        "disks",
        "time",
        "registries",
        "systemDiskEncryption",
        "network",
        "env",
        "controlPlane",
        "kubelet",
        "pods",
        "install",
        "files",
        "sysctls",
        "sysfs",
        "udev",
        "kernel",
        "baseRuntimeSpecOverrides",
        "nodeLabels",
        "nodeAnnotations",
        "nodeTaints",
    ],
    "v1alpha1.ClusterConfig": [
        "allowSchedulingOnMasters",
        "id",
        "secret",
        "controlPlane",
        "clusterName",
        "network",
        "aescbcEncryptionSecret",
        "secretboxEncryptionSecret",
        "ca",
        "acceptedCAs",
        "aggregatorCA",
        "serviceAccount",
        "apiServer",
        "controllerManager",
        "proxy",
        "scheduler",
        "discovery",
        "coreDNS",
        "extraManifests",
        "extraManifestHeaders",
        "inlineManifests",
        "allowSchedulingOnControlPlanes",
    ],
    "v1alpha1.NetworkConfig": [
        "hostname",
        "interfaces",
        "nameservers",
        "searchDomains",
        "extraHostEntries",
        "kubespan",
        "disableSearchDomain",
    ],
    "v1alpha1.InstallConfig": ["extraKernelArgs", "extensions", "bootloader"],
    "v1alpha1.APIServerConfig": ["disablePodSecurityPolicy"],
    "v1alpha1.EtcdConfig": ["subnet"],
    "v1alpha1.FeaturesConfig": [
        "rbac",
        "stableHostname",
        "apidCheckExtKeyUsage",
        "kubernetesTalosAPIAccess",
        "kubePrism",
        "hostDNS",
        "imageCache",
    ],
};

/** The Talos machinery the provider renders configs with. */
export const PROVIDER_MACHINERY = "v1.13.0";

/** Document kind → the Talos minor that added it. */
export const KINDS_SINCE: Readonly<Record<string, string>> = Object.fromEntries<string>([
    ...[
        "BlackholeRouteConfig",
        "EnvironmentConfig",
        "ExternalVolumeConfig",
        "KubeSpanConfig",
        "RoutingRuleConfig",
        "TCPProbeConfig",
        "VRFConfig",
    ].map((k): [string, string] => [k, "1.13"]),
    ...[
        "BGPInstanceConfig",
        "CRIBaseRuntimeSpecConfig",
        "CRICustomizationConfig",
        "ContainerConfig",
        "DiscoveryIdentityConfig",
        "DiscoveryServiceConfig",
        "EtcFileConfig",
        "FilesystemScrubConfig",
        "FilesystemTrimConfig",
        "HTTPProbeConfig",
        "ImageCacheConfig",
        "KernelModuleConfig",
        "KubeAPIServerCAConfig",
        "KubeAPIServerConfig",
        "KubeAdmissionControlConfig",
        "KubeAggregatorCAConfig",
        "KubeAuditPolicyConfig",
        "KubeAuthenticationConfig",
        "KubeAuthorizerConfig",
        "KubeClusterConfig",
        "KubeControllerManagerConfig",
        "KubeCoreDNSConfig",
        "KubeCredentialProviderConfig",
        "KubeEtcdEncryptionConfig",
        "KubeExternalManifestConfig",
        "KubeFlannelCNIConfig",
        "KubeInlineManifestConfig",
        "KubeNetworkConfig",
        "KubeNodeConfig",
        "KubePrismConfig",
        "KubeProxyConfig",
        "KubeSchedulerConfig",
        "KubeServiceAccountConfig",
        "KubeStaticPodConfig",
        "KubeTalosAPIAccessConfig",
        "KubeletConfig",
        "LVMLogicalVolumeConfig",
        "LVMVolumeGroupConfig",
        "RAIDArrayConfig",
        "SecurityProfileConfig",
        "SysctlConfig",
        "SysfsConfig",
        "UdevRulesConfig",
        "UnattendedInstall",
        "VethConfig",
    ].map((k): [string, string] => [k, "1.14"]),
]);

/** `Kind.path.to.setting` (array items skipped) → the Talos minor that added it, for kinds older than it. */
export const SETTINGS_SINCE: Readonly<Record<string, string>> = Object.fromEntries<string>([
    ...[
        "ExistingVolumeConfig.mount.disableAccessTime",
        "ExistingVolumeConfig.mount.secure",
        "OOMConfig.strictCgroupClassOrdering",
        "UserVolumeConfig.mount",
        "VolumeConfig.mount",
    ].map((k): [string, string] => [k, "1.13"]),
    ...[
        "DHCPv4Config.ignoreRoutes",
        "ExistingVolumeConfig.scrub",
        "ExistingVolumeConfig.trim",
        "RawVolumeConfig.encryption.allowDiscards",
        "RegistryTLSConfig.clientIdentity.cert",
        "ResolverConfig.hostDNS",
        "ResolverConfig.nameservers.protocol",
        "ResolverConfig.nameservers.tlsServerName",
        "SwapVolumeConfig.encryption.allowDiscards",
        "TimeSyncConfig.ntp.useNTS",
        "UserVolumeConfig.encryption.allowDiscards",
        "UserVolumeConfig.filesystem.xfs",
        "UserVolumeConfig.scrub",
        "UserVolumeConfig.trim",
        "VolumeConfig.encryption.allowDiscards",
        "VolumeConfig.filesystem",
        "VolumeConfig.mount.disableAccessTime",
        "VolumeConfig.scrub",
        "VolumeConfig.trim",
    ].map((k): [string, string] => [k, "1.14"]),
]);

/** `1.14` → `[1, 14]`. */
function minorParts(minor: string): [number, number] {
    const [a, b] = minor.split(".").map(Number);
    return [a, b];
}

/** Whether minor `a` (e.g. `1.14`) is newer than minor `b`. */
export function minorNewer(a: string, b: string): boolean {
    const [x, y] = [minorParts(a), minorParts(b)];
    return x[0] !== y[0] ? x[0] > y[0] : x[1] > y[1];
}

/** The minor of a release, `v1.13.0` → `1.13`. */
export function minorOf(version: string): string {
    const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
    return m ? `${m[1]}.${m[2]}` : version;
}

/**
 * Words for a check that found a kind (and a setting of it, `path` without the kind) the stack's Talos release does
 * not know: which Talos minor added it, or undefined when none this program knows did. For a setting, the most
 * specific listed path that is a prefix of it.
 */
export function sinceNote(kind: string, path?: readonly string[]): string | undefined {
    if (!path) {
        const m = KINDS_SINCE[kind];
        return m ? `${kind} is a document of Talos ${m} and later` : undefined;
    }
    for (let n = path.length; n > 0; n--) {
        const key = `${kind}.${path.slice(0, n).join(".")}`;
        const m = SETTINGS_SINCE[key];
        if (m) return `${key} is a setting of Talos ${m} and later`;
    }
    return undefined;
}

/** The settings of `doc` (a kind document) listed in {@link SETTINGS_SINCE}, as `Kind.path` keys. */
function newerSettingsOf(kind: string, doc: Record<string, unknown>): string[] {
    const out: string[] = [];
    const walk = (node: unknown, path: string[]): void => {
        if (Array.isArray(node)) return node.forEach((x) => walk(x, path));
        if (node === null || typeof node !== "object") return;
        for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
            const p = [...path, k];
            const key = `${kind}.${p.join(".")}`;
            if (SETTINGS_SINCE[key]) out.push(key);
            walk(v, p);
        }
    };
    walk(doc, []);
    return out;
}

/**
 * Why the provider (machinery {@link PROVIDER_MACHINERY}) cannot render this document, or undefined when it can:
 * its kind, or one of its settings, came with a Talos minor newer than that machinery. Only kind documents can
 * be such; the main (v1alpha1) document lost settings in 1.14 and gained none the provider lacks.
 */
export function providerCannotRender(doc: Record<string, unknown>): string | undefined {
    const kind = typeof doc.kind === "string" ? doc.kind : undefined;
    if (!kind) return undefined;
    const machinery = minorOf(PROVIDER_MACHINERY);
    const since = KINDS_SINCE[kind];
    if (since && minorNewer(since, machinery)) return `${kind} is a Talos ${since} document`;
    const newer = newerSettingsOf(kind, doc).filter((k) => minorNewer(SETTINGS_SINCE[k], machinery));
    if (newer.length === 0) return undefined;
    const minors = [...new Set(newer.map((k) => SETTINGS_SINCE[k]))].join(" and ");
    return `${newer.join(", ")} came with Talos ${minors}`;
}
