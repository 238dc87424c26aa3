/** Config fixtures the tests share: a parsed `homelab:cluster` as parseStackConfig returns it for the seed's stack. */
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
