/** Config fixtures the tests share: the seed's parsed `homelab:cluster`, and a one-node stack on loopback. */
import type { ClusterConfig } from "../../components/talos/config";

/** The seed's cluster (one control plane at 192.168.0.2, Talos v1.12.1, every default), with `over` on top. */
export function clusterConfig(over: Partial<ClusterConfig> = {}): ClusterConfig {
    return {
        name: "homelab-dev",
        endpoint: "https://192.168.0.2:6443",
        talosVersion: "v1.12.1",
        kubernetesVersion: "1.35.0",
        upgrades: false,
        applyTimeout: "30m",
        bootstrapTimeout: "20m",
        healthTimeout: "10m",
        upgradeTimeout: "15m",
        healthChecks: { kubernetes: true },
        resetOnDestroy: false,
        wakeOnLanBroadcast: "192.168.0.255",
        configSchemaUrl: "https://example.invalid/{version}.json",
        ...over,
    };
}

/** The unparsed `homelab:*` values of a stack, by key. */
export type StackValues = Record<"cluster" | "image" | "synology" | "dhcp", Record<string, unknown>> & {
    nodes: Record<string, unknown>[];
};

/**
 * The `homelab:*` values, before parseStackConfig, of a one-node stack on loopback: the NAS at `dsmUrl` (HTTP
 * allowed, user admin, share pxe on /volume1, eth0), the factory at `factoryUrl` (no extensions), node cp1 at
 * 127.0.0.10 in 127.0.0.0/24. No password: callers add theirs.
 */
export function loopbackStackValues(dsmUrl: string, factoryUrl: string): StackValues {
    return {
        cluster: { name: "lab", endpoint: "https://127.0.0.10:6443", talosVersion: "v1.12.1" },
        image: { arch: "amd64", extensions: [], factoryUrl },
        synology: {
            url: dsmUrl,
            username: "admin",
            volume: "/volume1",
            share: "pxe",
            interface: "eth0",
            allowHttp: true,
        },
        dhcp: {
            subnet: "127.0.0.0/24",
            rangeStart: "127.0.0.100",
            rangeEnd: "127.0.0.199",
            gateway: "127.0.0.254",
            dns: ["127.0.0.254"],
        },
        nodes: [
            {
                hostname: "cp1",
                mac: "02:00:00:00:00:0a",
                ip: "127.0.0.10",
                role: "controlplane",
                installDisk: "/dev/sda",
            },
        ],
    };
}
