/**
 * A stack's config moved onto loopback (pure): every address of the LAN becomes an address on 127.0.0.0/8 with
 * the same host part, and the NAS, the Image Factory and the Talos config schema become the local stand-ins.
 * The end-to-end suite and `npm run rehearse` run the program on what this returns, so nothing they do can reach
 * a real NAS, node or the internet.
 */
import { intToIp, ipToInt, isIpv4, parseCidr } from "../../components/net";

/** Where the stand-ins listen. */
export interface StandIns {
    /** DSM simulator base URL, e.g. `https://127.0.0.6:40123`. */
    dsmUrl: string;
    /** SHA-256 fingerprint of the simulator's certificate (the stack pins it). */
    dsmFingerprintSha256: string;
    /** Image Factory stand-in base URL. */
    factoryUrl: string;
    /** Talos config schema URL template (`{version}`). */
    configSchemaUrl: string;
    /**
     * Where on 127.0.0.0/8 the LAN lands (default 127.0.0.0, or $HOMELAB_E2E_LOOPBACK_BASE): runs that must not
     * share node addresses (two suites at once on one machine) pick different bases, e.g. 127.1.0.0.
     */
    loopbackBase?: string;
}

/** The loopback base of this process: $HOMELAB_E2E_LOOPBACK_BASE or 127.0.0.0. */
export function defaultLoopbackBase(env: NodeJS.ProcessEnv = process.env): string {
    const base = env.HOMELAB_E2E_LOOPBACK_BASE ?? "127.0.0.0";
    if (!isIpv4(base) || !base.startsWith("127."))
        throw new Error(`HOMELAB_E2E_LOOPBACK_BASE "${base}" must be an address on 127.0.0.0/8, e.g. 127.1.0.0`);
    return base;
}

/**
 * The loopback base of one of the suite's jest workers (e2e/support/worker.ts sets it): worker 1 keeps
 * {@link defaultLoopbackBase}, worker n moves n - 1 blocks of 127.x.0.0/16 up (127.0.0.0 → 127.1.0.0 for worker 2),
 * so the scenarios two workers run at once never share a node's address.
 */
export function workerLoopbackBase(env: NodeJS.ProcessEnv = process.env): string {
    const base = defaultLoopbackBase(env);
    const worker = Number(env.JEST_WORKER_ID ?? "1");
    if (!Number.isInteger(worker) || worker < 1)
        throw new Error(`JEST_WORKER_ID "${env.JEST_WORKER_ID}" is not a worker number`);
    const moved = ipToInt(base) + (worker - 1) * 2 ** 16;
    if (moved >= ipToInt("128.0.0.0"))
        throw new Error(`HOMELAB_E2E_LOOPBACK_BASE "${base}" leaves no room on 127.0.0.0/8 for jest worker ${worker}`);
    return intToIp(moved);
}

type Obj = Record<string, unknown>;

/** The loopback prefix used for a LAN of the given prefix length: at least /8 (all of 127.0.0.0/8). */
function loopbackPrefix(prefix: number): number {
    return Math.max(8, prefix);
}

/**
 * The loopback twin of a LAN address: 127.x.y.z keeping the address's host part within `subnet`
 * (192.168.0.2 in 192.168.0.0/24 → 127.0.0.2). Addresses outside the subnet keep their last octet only.
 */
export function loopbackTwin(ip: string, subnet: string, base = "127.0.0.0"): string {
    if (!isIpv4(ip)) throw new Error(`loopbackTwin: "${ip}" is not an IPv4 address`);
    const cidr = parseCidr(subnet);
    const hostBits = cidr ? 32 - loopbackPrefix(cidr.prefix) : 8;
    const size = 2 ** hostBits;
    const host =
        cidr && ipToInt(ip) >= cidr.network && ipToInt(ip) <= cidr.broadcast ? ipToInt(ip) % size : ipToInt(ip) % 256;
    return intToIp(loopbackNetwork(subnet, base) + host);
}

/** The network address of the subnet's twin: the base rounded down to the subnet's size. */
function loopbackNetwork(subnet: string, base: string): number {
    const cidr = parseCidr(subnet);
    const size = 2 ** (32 - (cidr ? loopbackPrefix(cidr.prefix) : 24));
    return Math.floor(ipToInt(base) / size) * size;
}

/** The loopback twin of a subnet: 192.168.0.0/24 → 127.0.0.0/24 (or the same under another base). */
export function loopbackSubnet(subnet: string, base = "127.0.0.0"): string {
    const cidr = parseCidr(subnet);
    if (!cidr) throw new Error(`loopbackSubnet: "${subnet}" is not an IPv4 CIDR`);
    return `${intToIp(loopbackNetwork(subnet, base))}/${loopbackPrefix(cidr.prefix)}`;
}

/** Every dotted quad in `text` replaced by its loopback twin (URLs, `ups@host`). */
export function twinAddressesIn(text: string, subnet: string, base = "127.0.0.0"): string {
    return text.replace(/\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/g, (m) =>
        isIpv4(m) ? loopbackTwin(m, subnet, base) : m,
    );
}

function obj(v: unknown): Obj {
    return v && typeof v === "object" && !Array.isArray(v) ? { ...(v as Obj) } : {};
}

/**
 * The `homelab:*` values (without prefix) of a stack moved to loopback and the stand-ins. Secrets are not
 * touched (the caller sets generated ones). Throws when the stack has no `dhcp.subnet` to map addresses with.
 */
export function loopbackStackValues(values: Readonly<Obj>, standIns: StandIns): Obj {
    const dhcp = obj(values.dhcp);
    const subnet = typeof dhcp.subnet === "string" ? dhcp.subnet : undefined;
    if (!subnet || !parseCidr(subnet))
        throw new Error("loopbackStackValues: the stack has no usable homelab:dhcp.subnet to map its addresses with");
    const base = standIns.loopbackBase ?? "127.0.0.0";
    const twin = (v: unknown) => (typeof v === "string" && isIpv4(v) ? loopbackTwin(v, subnet, base) : v);
    const out: Obj = { ...values };

    const cluster = obj(values.cluster);
    if (typeof cluster.endpoint === "string") cluster.endpoint = twinAddressesIn(cluster.endpoint, subnet, base);
    if (cluster.wakeOnLanBroadcast !== undefined) cluster.wakeOnLanBroadcast = twin(cluster.wakeOnLanBroadcast);
    cluster.configSchemaUrl = standIns.configSchemaUrl;
    out.cluster = cluster;

    out.image = { ...obj(values.image), factoryUrl: standIns.factoryUrl };

    const synology = obj(values.synology);
    synology.url = standIns.dsmUrl;
    synology.tls = { fingerprintSha256: standIns.dsmFingerprintSha256 };
    delete synology.allowHttp;
    out.synology = synology;

    out.dhcp = {
        ...dhcp,
        subnet: loopbackSubnet(subnet, base),
        rangeStart: twin(dhcp.rangeStart),
        rangeEnd: twin(dhcp.rangeEnd),
        gateway: twin(dhcp.gateway),
        dns: Array.isArray(dhcp.dns) ? dhcp.dns.map(twin) : dhcp.dns,
        ...(Array.isArray(dhcp.extraReservations)
            ? { extraReservations: dhcp.extraReservations.map((r) => ({ ...obj(r), ip: twin(obj(r).ip) })) }
            : {}),
    };

    if (Array.isArray(values.nodes)) out.nodes = values.nodes.map((n) => ({ ...obj(n), ip: twin(obj(n).ip) }));

    if (values.ups !== undefined) {
        const ups = obj(values.ups);
        if (typeof ups.monitor === "string") ups.monitor = twinAddressesIn(ups.monitor, subnet, base);
        out.ups = ups;
    }
    return out;
}

/** Every IPv4 address anywhere in a value (for the "only loopback" check of a generated stack). */
export function addressesIn(value: unknown): string[] {
    const text = JSON.stringify(value) ?? "";
    return [...text.matchAll(/\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/g)].map((m) => m[1]).filter(isIpv4);
}
