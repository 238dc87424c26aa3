/**
 * Config fixtures the tests share: the seed's parsed `homelab:cluster`, the NAS side's `homelab:synology` and
 * `homelab:dhcp` (through their own parsers, so a new key with a default needs no change here), and a one-node
 * stack on loopback.
 */
import { Checker, Json } from "../../components/checker";
import { DhcpConfig, parseDhcp, parseSynology, SynologyConfig } from "../../components/synology/config";
import { ClusterConfig, NodeConfig, parseCluster } from "../../components/talos/config";
import { parseCidr } from "../../components/net";

/** The seed's system extensions (Pulumi.dev.yaml's `image.extensions`), in its order. */
export const SEED_EXTENSIONS = [
    "siderolabs/i915",
    "siderolabs/nut-client",
    "siderolabs/btrfs",
    "siderolabs/iscsi-tools",
    "siderolabs/util-linux-tools",
];

/** The schematic ID of the seed's extensions, as the public Image Factory gives it. */
export const SEED_SCHEMATIC_ID = "87286864e94c7d661c926a524c8e57f84d608488f0cd654a92b1e5f37d48b868";

/** The seed's node (a control plane at 192.168.0.2 on /dev/nvme0n1, no patch), `over` on top. */
export function nodeConfig(over: Partial<NodeConfig> = {}): NodeConfig {
    return {
        hostname: "talos-cp-1",
        mac: "aa:bb:cc:dd:ee:01",
        ip: "192.168.0.2",
        role: "controlplane",
        installDisk: "/dev/nvme0n1",
        patches: [],
        wakeOnLan: false,
        ...over,
    };
}

/**
 * The seed's cluster (one control plane at 192.168.0.2, Talos v1.12.1) as parseStackConfig gives it: every default
 * filled in by the parser (a new key with a default needs nothing here), the schema URL a placeholder, `over` on top.
 */
export function clusterConfig(over: Partial<ClusterConfig> = {}): ClusterConfig {
    const raw = {
        name: "homelab-dev",
        endpoint: "https://192.168.0.2:6443",
        talosVersion: "v1.12.1",
        configSchemaUrl: "https://example.invalid/{version}.json",
    };
    // The seed's stack: one control plane, no worker.
    return { ...parsed("cluster", raw, (c, v) => parseCluster(c, v, parseCidr("192.168.0.0/24"), false)), ...over };
}

/** `parse` run on `raw` with a fresh Checker; a fixture the parser refuses throws its problems. */
function parsed<T>(key: string, raw: Json, parse: (c: Checker, v: Json) => T | undefined): T {
    const c = new Checker();
    const v = parse(c, raw);
    if (v === undefined || c.problems.length > 0)
        throw new Error(`fixture homelab:${key} does not parse: ${c.problems.join("; ")}`);
    return v;
}

/**
 * `homelab:synology` as parseStackConfig gives it: a NAS at https://nas.invalid:5001 (user admin, share pxe on
 * /volume1, eth0), `raw` keys (unparsed, as a stack file has them) on top, every default filled in by the parser.
 */
export function synologyConfig(raw: Record<string, unknown> = {}): SynologyConfig {
    const base = {
        url: "https://nas.invalid:5001",
        username: "admin",
        volume: "/volume1",
        share: "pxe",
        interface: "eth0",
    };
    return parsed("synology", { ...base, ...raw }, parseSynology);
}

/**
 * `homelab:dhcp` as parseStackConfig gives it: 192.168.0.0/24, range .100–.200, gateway and DNS .1, `raw` keys on
 * top, the defaults (lease time, no extra reservations, `manageServer: false`) filled in by the parser.
 */
export function dhcpConfig(raw: Record<string, unknown> = {}): DhcpConfig {
    const base = {
        subnet: "192.168.0.0/24",
        rangeStart: "192.168.0.100",
        rangeEnd: "192.168.0.200",
        gateway: "192.168.0.1",
        dns: ["192.168.0.1"],
    };
    return parsed("dhcp", { ...base, ...raw }, parseDhcp);
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
