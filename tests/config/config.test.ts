import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import * as fc from "fast-check";
import * as YAML from "yaml";
import { ConfigError, parseStackConfig } from "../../components/config";
import { cidrContains, intToIp, ipToInt, normaliseMac, parseCidr } from "../../components/net";
import { closest } from "../../components/words";
import { readReferenceJson } from "../support/reference";
import { repoRoot, stackValues } from "../support/shared";

const SECRETS = { synologyPassword: "dsm-pass-123", upsPassword: "ups-pass-456" };

/** The dev stack's values: a valid config to break one piece at a time. */
function devValues(): Record<string, any> {
    return stackValues("dev", SECRETS) as Record<string, any>;
}

function problemsOf(values: Record<string, unknown>): string[] {
    try {
        parseStackConfig(values);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
    }
    throw new Error("expected a ConfigError");
}

describe("the dev stack (the seed's setup)", () => {
    const cfg = parseStackConfig(devValues());

    it("parses and keeps the seed's choices", () => {
        expect(cfg.cluster).toMatchObject({ name: "homelab-dev", endpoint: "https://192.168.0.2:6443", talosVersion: "v1.12.1" });
        expect(cfg.image.extensions).toEqual([
            "siderolabs/i915", "siderolabs/nut-client", "siderolabs/btrfs", "siderolabs/iscsi-tools", "siderolabs/util-linux-tools",
        ]);
        expect(cfg.nodes).toHaveLength(1);
        expect(cfg.nodes[0]).toMatchObject({ ip: "192.168.0.2", role: "controlplane", installDisk: "/dev/nvme0n1" });
        expect(cfg.ups).toEqual({ monitor: "ups@192.168.0.6", username: "monuser" });
        expect(cfg.synology.url).toBe("https://192.168.0.6:5001");
    });

    it("fills defaults", () => {
        expect(cfg.image.factoryUrl).toBe("https://factory.talos.dev");
        expect(cfg.cluster.upgrades).toBe(false);
        expect(cfg.cluster.wakeOnLanBroadcast).toBe("192.168.0.255");
        expect(cfg.dhcp.manageServer).toBe(false);
        expect(cfg.workloads.synologyCsi).toMatchObject({ enabled: false, storageClassName: "synology-iscsi", location: "/volume1" });
        expect(cfg.synology.tls.insecureSkipVerify).toBe(false);
    });

    it("keeps no secret in the stack file", () => {
        const text = fs.readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8");
        expect(text).not.toMatch(/synologyPassword:|upsPassword:|secure:/);
    });

    it("has a placeholder MAC that is clearly marked", () => {
        const text = fs.readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8");
        expect(text).toMatch(/PLACEHOLDER MAC/);
    });
});

describe("normalisation", () => {
    it("writes MACs lower-case with colons and versions with a leading v", () => {
        const v = devValues();
        v.nodes[0].mac = "AA-BB-CC-DD-EE-0F";
        v.cluster.talosVersion = "1.12.1";
        v.cluster.kubernetesVersion = "v1.35.0";
        v.dhcp.subnet = "192.168.0.77/24";
        const cfg = parseStackConfig(v);
        expect(cfg.nodes[0].mac).toBe("aa:bb:cc:dd:ee:0f");
        expect(cfg.cluster.talosVersion).toBe("v1.12.1");
        expect(cfg.cluster.kubernetesVersion).toBe("1.35.0");
        expect(cfg.dhcp.subnet).toBe("192.168.0.0/24");
    });

    it("accepts objects given as JSON text, as `pulumi config` stores them", () => {
        const v = devValues();
        v.cluster = JSON.stringify(v.cluster);
        v.nodes = JSON.stringify(v.nodes);
        expect(parseStackConfig(v).cluster.name).toBe("homelab-dev");
    });

    it("normalises a fingerprint pin", () => {
        const v = devValues();
        v.synology.tls = { fingerprintSha256: "AB".repeat(32) };
        expect(parseStackConfig(v).synology.tls.fingerprintSha256).toBe(Array(32).fill("ab").join(":"));
    });
});

/** Each case breaks one thing and names the key path the message must carry. */
const BAD: Array<[string, (v: Record<string, any>) => void, string, RegExp?]> = [
    ["bad MAC", (v) => { v.nodes[0].mac = "00:11:22:33:44"; }, "nodes[0].mac", /not a MAC/],
    ["bad node IP", (v) => { v.nodes[0].ip = "192.168.0.300"; }, "nodes[0].ip", /not an IPv4/],
    ["node outside the subnet", (v) => { v.nodes[0].ip = "10.0.0.2"; }, "nodes[0].ip", /inside dhcp.subnet/],
    ["subnet not a CIDR", (v) => { v.dhcp.subnet = "192.168.0.0"; }, "dhcp.subnet", /CIDR/],
    ["gateway outside the subnet", (v) => { v.dhcp.gateway = "192.168.1.1"; }, "dhcp.gateway", /inside dhcp.subnet/],
    ["range end outside the subnet", (v) => { v.dhcp.rangeEnd = "192.168.1.10"; }, "dhcp.rangeEnd", /inside dhcp.subnet/],
    ["range start after end", (v) => { v.dhcp.rangeStart = "192.168.0.200"; }, "dhcp.rangeStart", /after dhcp.rangeEnd/],
    ["node on the gateway", (v) => { v.nodes[0].ip = "192.168.0.1"; }, "nodes[0].ip", /gateway/],
    ["reservation on the gateway", (v) => { v.dhcp.extraReservations = [{ mac: "02:00:00:00:00:09", ip: "192.168.0.1", hostname: "printer" }]; }, "dhcp.extraReservations[0].ip", /gateway/],
    ["duplicate hostname", (v) => { v.nodes.push({ ...v.nodes[0], mac: "02:00:00:00:00:02", ip: "192.168.0.3" }); }, "nodes[1].hostname", /also used by nodes\[0\]/],
    ["duplicate MAC across a node and a reservation", (v) => { v.dhcp.extraReservations = [{ mac: "02:00:00:00:00:01", ip: "192.168.0.50", hostname: "nas2" }]; }, "dhcp.extraReservations[0].mac", /also used by nodes\[0\]/],
    ["duplicate IP", (v) => { v.nodes.push({ ...v.nodes[0], hostname: "w1", mac: "02:00:00:00:00:02", role: "worker" }); }, "nodes[1].ip", /also used/],
    ["no control plane", (v) => { v.nodes[0].role = "worker"; }, "nodes", /controlplane/],
    ["unknown role", (v) => { v.nodes[0].role = "master"; }, "nodes[0].role", /controlplane, worker/],
    ["endpoint not https", (v) => { v.cluster.endpoint = "http://192.168.0.2:6443"; }, "cluster.endpoint", /https with a port/],
    ["endpoint without port", (v) => { v.cluster.endpoint = "https://192.168.0.2"; }, "cluster.endpoint", /port/],
    ["Talos pre-release", (v) => { v.cluster.talosVersion = "v1.13.0-alpha.1"; }, "cluster.talosVersion", /release version/],
    ["extension without owner", (v) => { v.image.extensions.push("i915"); }, "image.extensions[5]", /owner\/name/],
    ["duplicate extension", (v) => { v.image.extensions.push("siderolabs/btrfs"); }, "image.extensions[5]", /twice/],
    ["both installDisk and installDiskSelector", (v) => { v.nodes[0].installDiskSelector = { type: "nvme" }; }, "nodes[0]", /exactly one of installDisk/],
    ["neither installDisk nor selector", (v) => { delete v.nodes[0].installDisk; }, "nodes[0]", /exactly one of installDisk/],
    ["ups without its password", (v) => { delete v.upsPassword; }, "upsPassword", /required when ups is set/],
    ["ups without nut-client", (v) => { v.image.extensions = v.image.extensions.filter((e: string) => e !== "siderolabs/nut-client"); }, "image.extensions", /nut-client/],
    ["plain http NAS", (v) => { v.synology.url = "http://192.168.0.6:5000"; }, "synology.url", /allowHttp/],
    ["hostname not a DNS label", (v) => { v.nodes[0].hostname = "Talos_CP"; }, "nodes[0].hostname", /valid hostname/],
    ["missing DSM password", (v) => { delete v.synologyPassword; }, "synologyPassword", /--secret/],
    ["typo in a key", (v) => { v.cluster.talosVersoin = "v1.12.1"; }, "cluster.talosVersoin", /did you mean cluster.talosVersion/],
    ["CSI without iSCSI tools", (v) => { v.workloads = { synologyCsi: { enabled: true } }; v.image.extensions = ["siderolabs/nut-client"]; }, "image.extensions", /siderolabs\/iscsi-tools/],
    ["two TLS trust modes", (v) => { v.synology.tls = { insecureSkipVerify: true, fingerprintSha256: "ab".repeat(32) }; }, "synology.tls", /only one/],
    ["interface name", (v) => { v.synology.interface = "lan1"; }, "synology.interface", /eth0/],
    ["lease time too short", (v) => { v.dhcp.leaseTime = 10; }, "dhcp.leaseTime", /at least 120/],
    ["node on the NAS's address", (v) => { v.nodes[0].ip = "192.168.0.6"; }, "nodes[0].ip", /NAS/],
];

describe("bad configs", () => {
    it.each(BAD.map(([what, breakIt, keyPath, pattern]) => [what, keyPath, breakIt, pattern] as const))("%s → names %s", (_what, keyPath, breakIt, pattern) => {
        const v = devValues();
        breakIt(v);
        const problems = problemsOf(v);
        const hit = problems.find((p) => p.startsWith(`${keyPath}: `));
        expect(hit).toBeDefined();
        if (pattern) expect(hit).toMatch(pattern);
    });

    it("reports every problem at once", () => {
        const v = devValues();
        const picked = ["bad MAC", "endpoint not https", "Talos pre-release", "extension without owner", "plain http NAS", "lease time too short"];
        for (const [what, breakIt] of BAD) if (picked.includes(what)) breakIt(v);
        const problems = problemsOf(v);
        for (const key of ["nodes[0].mac", "cluster.endpoint", "cluster.talosVersion", "image.extensions[5]", "synology.url", "dhcp.leaseTime"]) {
            expect(problems.some((p) => p.startsWith(`${key}: `))).toBe(true);
        }
    });

    it("an empty config names every required key", () => {
        const problems = problemsOf({});
        for (const key of ["cluster", "image", "synology", "dhcp", "nodes", "synologyPassword"]) {
            expect(problems.some((p) => p.startsWith(`${key}: `))).toBe(true);
        }
    });

    it("never echoes a secret in an error", () => {
        const v = devValues();
        v.nodes[0].mac = "nope";
        v.synologyPassword = { not: "a string" } as any;
        let message = "";
        try { parseStackConfig({ ...v, upsPassword: SECRETS.upsPassword }); } catch (e) { message = (e as Error).message; }
        expect(message).toMatch(/nodes\[0\]\.mac/);
        expect(message).not.toContain(SECRETS.upsPassword);
    });
});

describe("address helpers", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const ip = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));

    it("ipToInt and intToIp are inverse", () => {
        fc.assert(fc.property(ip, (a) => intToIp(ipToInt(a)) === a));
    });

    it("a CIDR contains its host addresses and not its network or broadcast address", () => {
        fc.assert(fc.property(ip, fc.integer({ min: 8, max: 30 }), (a, prefix) => {
            const cidr = parseCidr(`${a}/${prefix}`)!;
            expect(cidrContains(cidr, intToIp(cidr.network))).toBe(false);
            expect(cidrContains(cidr, intToIp(cidr.broadcast))).toBe(false);
            expect(cidrContains(cidr, intToIp(cidr.network + 1))).toBe(true);
            expect(cidrContains(cidr, intToIp(cidr.broadcast + 1 > 0xffffffff ? cidr.network - 1 : cidr.broadcast + 1))).toBe(false);
        }));
    });

    it("normaliseMac accepts every separator style and case, and gives one form", () => {
        const hex = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 });
        fc.assert(fc.property(hex, fc.constantFrom(":", "-", ""), fc.boolean(), (bytes, sep, upper) => {
            const pairs = bytes.map((b) => b.toString(16).padStart(2, "0"));
            const text = pairs.join(sep);
            expect(normaliseMac(upper ? text.toUpperCase() : text)).toBe(pairs.join(":"));
        }));
    });

    it("suggests the closest key", () => {
        expect(closest("enpoint", ["name", "endpoint"])).toBe("endpoint");
        expect(closest("zzzzzz", ["name", "endpoint"])).toBeUndefined();
    });
});

describe("Pulumi.yaml", () => {
    const project = YAML.parse(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"));

    it("is valid against Pulumi's project schema", () => {
        const ajv = new Ajv2020({ strict: false });
        const validate = ajv.compile(readReferenceJson("pulumi-project-schema.json") as object);
        expect(validate.errors ?? []).toEqual([]);
        expect(validate(project)).toBe(true);
    });

    it("names the project homelab and declares the DSM password as a secret", () => {
        expect(project.name).toBe("homelab");
        expect(project.config.synologyPassword).toMatchObject({ type: "string", secret: true });
    });
});
