/**
 * The stack configuration: the whole `StackConfig`, and `parseStackConfig`, which validates and normalises it.
 * Pure: no Pulumi, no I/O.
 *
 * Each domain owns its part: components/talos/config.ts (`cluster`, `nodes`, `ups`), components/factory/config.ts
 * (`image`), components/synology/config.ts (`synology`, `dhcp`), components/workloads/config.ts (`workloads`),
 * components/backups/config.ts (`backups`), each with its interface, key list, defaults and checks. This file runs
 * them all with one `Checker` (components/checker.ts) and adds the rules that join two domains, so a user sees every
 * problem at once. It composes the domains' types and re-exports none of them: code that needs a domain's type
 * imports it from that domain.
 *
 * `parseStackConfig(values)` takes the `homelab:*` keys without their prefix, as plain YAML/JSON values
 * (secrets as plain strings), and returns the typed, normalised config, or throws a `ConfigError` listing
 * every problem at once.
 */
import { BackupsConfig, parseBackups, snapshotShareProblem } from "./backups/config";
import { Checker, ConfigError, parseUrl, specialWords } from "./checker";
import { ImageConfig, parseImage } from "./factory/config";
import { allKeys } from "./keys";
import { Cidr, intToIp, ipInRange, ipToInt, isIpv4, parseCidr, placeInCidr, specialIpv4 } from "./net";
import { DhcpConfig, parseDhcp, parseSynology, SynologyConfig } from "./synology/config";
import {
    checkApplyModes,
    ClusterConfig,
    NodeConfig,
    NUT_CLIENT_EXTENSION,
    parseCluster,
    parseNodes,
    parseUps,
    parseUpsPassword,
    UpsConfig,
} from "./talos/config";
import { parseWorkloads, synologyCsiConfigProblems, WorkloadsConfig } from "./workloads/config";

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

/** The config namespace: every key is `homelab:<key>` (Pulumi.yaml's project name). */
export const CONFIG_NAMESPACE = "homelab";

/** Every key the program reads, without the `homelab:` prefix. */
export const STACK_KEYS = allKeys<StackConfig>()([
    "cluster",
    "image",
    "synology",
    "dhcp",
    "nodes",
    "ups",
    "workloads",
    "backups",
    "synologyPassword",
    "upsPassword",
]);

/** The keys that hold secrets (`pulumi config set --secret`). */
export const SECRET_KEYS = ["synologyPassword", "upsPassword"] as const satisfies readonly (keyof StackConfig)[];

/**
 * Validates and normalises the stack config. `values` holds the `homelab:*` keys without the prefix,
 * as YAML/JSON values (objects may also be given as JSON text, as `pulumi config` stores them).
 * Throws a `ConfigError` listing every problem.
 */
export function parseStackConfig(values: Record<string, unknown>): StackConfig {
    const c = new Checker();
    c.knownKeys(CONFIG_NAMESPACE, values, STACK_KEYS);

    const dhcp = parseDhcp(c, values.dhcp);
    const subnet = dhcp ? parseCidr(dhcp.subnet) : undefined;
    const cluster = parseCluster(c, values.cluster, subnet, hasWorkerNode(values.nodes));
    const image = parseImage(c, values.image);
    const synology = parseSynology(c, values.synology);
    const nodes = parseNodes(c, values.nodes, subnet);
    const ups = parseUps(c, values.ups);
    const workloads = parseWorkloads(c, values.workloads, synology?.volume);
    const backups = parseBackups(c, values.backups);

    // Secrets are kept exactly as typed (c.secret never trims): DSM and upsmon compare them byte for byte.
    const synologyPassword = c.secret("synologyPassword", values.synologyPassword, true);
    const upsPassword = parseUpsPassword(c, values.upsPassword, ups !== undefined);

    // Rules that join two domains.
    if (ups && image && !image.extensions.includes(NUT_CLIENT_EXTENSION)) {
        c.add(
            "image.extensions",
            `must include ${NUT_CLIENT_EXTENSION} when ups is set (the UPS client runs as that extension)`,
        );
    }
    if (workloads && image) c.problems.push(...synologyCsiConfigProblems(workloads.synologyCsi, image.extensions));
    if (workloads?.synologyCsi.enabled && cluster && nodes && !cluster.allowSchedulingOnControlPlanes) {
        if (!nodes.some((n) => n.role === "worker")) {
            c.add(
                "cluster.allowSchedulingOnControlPlanes",
                "is false and the stack has no worker, so the Synology CSI controller (workloads.synologyCsi.enabled) " +
                    "could never be scheduled (Talos keeps workloads off control planes): set it to true, or add a worker",
            );
        }
    }
    const tftpRoot = synology && snapshotShareProblem(backups.share, synology.share);
    if (tftpRoot) c.problems.push(tftpRoot);
    if (nodes && dhcp) checkAddresses(c, nodes, dhcp, synology, cluster);
    if (cluster && nodes) checkApplyModes(c, cluster, nodes);

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

/** Whether the raw `homelab:nodes` lists a worker (before parsing: the cluster's defaults depend on it). */
function hasWorkerNode(nodes: unknown): boolean {
    return Array.isArray(nodes) && nodes.some((n) => (n as { role?: unknown } | null)?.role === "worker");
}

/**
 * Addresses no machine would answer on: duplicates across nodes and extra reservations; nobody on the
 * gateway's or the NAS's address or inside the DHCP range; an endpoint that is no control plane's address
 * nor a free address of the subnet; a Wake-on-LAN address that is not the subnet's broadcast.
 */
function checkAddresses(
    c: Checker,
    nodes: NodeConfig[],
    dhcp: DhcpConfig,
    synology: SynologyConfig | undefined,
    cluster: ClusterConfig | undefined,
): void {
    const entries = [
        ...nodes.map((n, i) => ({ path: `nodes[${i}]`, ...n })),
        ...dhcp.extraReservations.map((r, i) => ({ path: `dhcp.extraReservations[${i}]`, ...r })),
    ];
    const nasHost = synology?.url ? parseUrl(synology.url)?.hostname : undefined;
    const cidr = parseCidr(dhcp.subnet);
    const range =
        dhcp.rangeStart && dhcp.rangeEnd && ipToInt(dhcp.rangeStart) <= ipToInt(dhcp.rangeEnd)
            ? { start: dhcp.rangeStart, end: dhcp.rangeEnd }
            : undefined;
    for (const field of ["hostname", "mac", "ip"] as const) {
        const seen = new Map<string, string>();
        for (const e of entries) {
            const first = seen.get(e[field]);
            if (first)
                c.add(`${e.path}.${field}`, `${e[field]} is also used by ${first}; each ${field} must be unique`);
            else seen.set(e[field], e.path);
        }
    }
    for (const e of entries) {
        if (e.ip === dhcp.gateway)
            c.add(`${e.path}.ip`, `${e.ip} is the gateway's address (dhcp.gateway); pick a free address`);
        if (nasHost && e.ip === nasHost)
            c.add(`${e.path}.ip`, `${e.ip} is the NAS's own address (synology.url); pick a free address`);
        // DSM's DHCP server is dnsmasq: it keeps reserved addresses out of its dynamic pool, but one it leased to
        // another device before the reservation existed stays with that device until the lease ends.
        if (range && ipInRange(e.ip, range.start, range.end)) {
            c.add(
                `${e.path}.ip`,
                `${e.ip} lies inside the DHCP range ${range.start}-${range.end} (dhcp.rangeStart, dhcp.rangeEnd): ` +
                    "the server may already have leased it to another device, and then keeps it from this reservation until that lease " +
                    'ends (dnsmasq: "not using configured address … because it is leased to …"); pick an address outside the range, ' +
                    "or move the range",
            );
        }
    }
    if (!cidr) return;
    const subnet = dhcp.subnet;
    if (cluster?.endpoint) {
        const host = parseUrl(cluster.endpoint)?.hostname;
        if (host && (isIpv4(host) || isLocalName(host))) checkEndpointHost(c, host, nodes, dhcp, cidr, range, nasHost);
    }
    const wol = cluster?.wakeOnLanBroadcast; // its default, the subnet's broadcast address, always passes
    if (wol && isIpv4(wol) && wol !== "255.255.255.255" && ipToInt(wol) !== cidr.broadcast) {
        const place = placeInCidr(cidr, wol);
        const what =
            place === "outside"
                ? `is outside dhcp.subnet ${subnet}`
                : place === "network"
                  ? `is the network address of dhcp.subnet ${subnet}`
                  : `is a host address of dhcp.subnet ${subnet}`;
        c.add(
            "cluster.wakeOnLanBroadcast",
            `${wol} ${what}, not its broadcast address: a powered-off card answers no ARP, so only a ` +
                `broadcast reaches it; use ${intToIp(cidr.broadcast)} (the default: remove the setting), or 255.255.255.255 when the ` +
                "machine that runs pulumi is on that subnet itself",
        );
    }
}

/** A host name every machine resolves to itself: `localhost` (and its subdomains, RFC 6761) or IPv6 loopback. */
function isLocalName(host: string): boolean {
    const h = host.toLowerCase().replace(/\.$/, "");
    return h === "localhost" || h.endsWith(".localhost") || h === "[::1]" || h === "ip6-localhost";
}

/**
 * `cluster.endpoint` with an IPv4 host (or a name of the machine itself): a control plane's address, or a free host address of the subnet
 * (a virtual IP the control planes share, outside the DHCP range). A DNS name is not checked.
 */
function checkEndpointHost(
    c: Checker,
    host: string,
    nodes: NodeConfig[],
    dhcp: DhcpConfig,
    cidr: Cidr,
    range: { start: string; end: string } | undefined,
    nasHost: string | undefined,
): void {
    const path = "cluster.endpoint";
    const cps = nodes.filter((n) => n.role === "controlplane");
    if (cps.some((n) => n.ip === host)) return;
    const fix =
        `use a control plane's address (${cps.map((n) => n.ip).join(", ") || "none listed"}) or a free address of ` +
        `dhcp.subnet ${dhcp.subnet} shared by the control planes as a Talos VIP`;
    const special = specialIpv4(host);
    const loopbackLan = specialIpv4(intToIp(cidr.network)) === "loopback";
    const workerIndex = nodes.findIndex((n) => n.ip === host);
    const reservation = dhcp.extraReservations.findIndex((r) => r.ip === host);
    const place = placeInCidr(cidr, host);
    let problem: string | undefined;
    if (isLocalName(host))
        problem =
            `${host} is the machine that asks: each worker, and the machine that runs pulumi, would reach itself, ` +
            "not the cluster's API server";
    else if (special && !(special === "loopback" && loopbackLan)) problem = `${host} is ${specialWords(special)}`;
    else if (workerIndex >= 0)
        problem = `${host} is the address of nodes[${workerIndex}] (${nodes[workerIndex].hostname}), a worker; the Kubernetes API runs on control planes only`;
    else if (reservation >= 0)
        problem = `${host} is reserved for dhcp.extraReservations[${reservation}] (${dhcp.extraReservations[reservation].hostname})`;
    else if (host === dhcp.gateway) problem = `${host} is the gateway's address (dhcp.gateway)`;
    else if (nasHost === host) problem = `${host} is the NAS's own address (synology.url)`;
    else if (place === "network" || place === "broadcast")
        problem = `${host} is the ${place} address of dhcp.subnet ${dhcp.subnet}`;
    else if (place === "outside") {
        problem =
            `${host} is neither a control plane's address nor inside dhcp.subnet ${dhcp.subnet}, where a VIP of the control planes ` +
            "would live (for a load balancer elsewhere, give its DNS name instead)";
    } else if (range && ipInRange(host, range.start, range.end)) {
        problem = `${host} lies inside the DHCP range ${range.start}-${range.end}, so the server can lease it to another device`;
    }
    if (problem) c.add(path, `${problem}; ${fix}`);
}
