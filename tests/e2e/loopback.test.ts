/**
 * Moving a stack onto loopback (e2e/support/loopback.ts): what the end-to-end suite and `npm run rehearse` run
 * the program on must hold no LAN address at all, and keep the stack's shape (hosts keep their host part).
 */
import * as fc from "fast-check";
import {
    addressesIn,
    defaultLoopbackBase,
    loopbackStackValues,
    loopbackSubnet,
    loopbackTwin,
    workerLoopbackBase,
} from "../../e2e/support/loopback";
import { stackValues } from "../support/shared";

const standIns = {
    dsmUrl: "https://127.0.0.1:40001",
    dsmFingerprintSha256: "aa".repeat(32).match(/../g)!.join(":"),
    factoryUrl: "http://127.0.0.1:40002",
    configSchemaUrl: "http://127.0.0.1:40003/{version}/config.schema.json",
};

test("a LAN address keeps its host part inside the subnet", () => {
    expect(loopbackTwin("192.168.0.2", "192.168.0.0/24")).toBe("127.0.0.2");
    expect(loopbackTwin("10.1.5.20", "10.1.0.0/16")).toBe("127.0.5.20");
    expect(loopbackTwin("192.168.0.2", "192.168.0.0/24", "127.1.0.0")).toBe("127.1.0.2");
    expect(loopbackSubnet("192.168.0.0/24")).toBe("127.0.0.0/24");
    expect(loopbackSubnet("10.0.0.0/8")).toBe("127.0.0.0/8");
    expect(loopbackSubnet("192.168.0.0/24", "127.1.0.0")).toBe("127.1.0.0/24");
});

test("every twin of an address of a subnet is on 127.0.0.0/8 and inside the twin subnet (property)", () => {
    fc.assert(
        fc.property(fc.integer({ min: 8, max: 30 }), fc.nat(), fc.nat(), (prefix, net, host) => {
            const size = 2 ** (32 - prefix);
            const network = (net % 2 ** prefix) * size;
            const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
            const subnet = `${toIp(network)}/${prefix}`;
            const ip = toIp(network + (host % size));
            const twin = loopbackTwin(ip, subnet);
            const [tNet, tPrefix] = loopbackSubnet(subnet).split("/");
            const toInt = (a: string) => a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
            return (
                twin.startsWith("127.") &&
                toInt(twin) - toInt(tNet) === host % size &&
                Number(tPrefix) === Math.max(8, prefix)
            );
        }),
    );
});

test("the dev stack moved onto loopback holds no LAN address and points at the stand-ins", () => {
    const moved = loopbackStackValues(stackValues("dev"), standIns) as Record<string, any>;
    expect(addressesIn(moved).filter((a) => !a.startsWith("127."))).toEqual([]);
    expect(moved.synology).toMatchObject({
        url: standIns.dsmUrl,
        tls: { fingerprintSha256: standIns.dsmFingerprintSha256 },
    });
    expect(moved.image.factoryUrl).toBe(standIns.factoryUrl);
    expect(moved.cluster.configSchemaUrl).toBe(standIns.configSchemaUrl);
    expect(moved.cluster.endpoint).toBe("https://127.0.0.2:6443");
    expect(moved.nodes[0].ip).toBe("127.0.0.2");
    expect(moved.ups.monitor).toBe("ups@127.0.0.6");
    expect(moved.dhcp).toMatchObject({ subnet: "127.0.0.0/24", gateway: "127.0.0.1", rangeStart: "127.0.0.100" });
});

test("a stack without a subnet cannot be moved, and the base must be on loopback", () => {
    expect(() => loopbackStackValues({ nodes: [] }, standIns)).toThrow(/no usable homelab:dhcp.subnet/);
    expect(defaultLoopbackBase({})).toBe("127.0.0.0");
    expect(() => defaultLoopbackBase({ HOMELAB_E2E_LOOPBACK_BASE: "192.168.0.0" })).toThrow(
        /must be an address on 127.0.0.0\/8/,
    );
});

test("two jest workers never share a node's address: each takes a /16 of its own", () => {
    expect(workerLoopbackBase({})).toBe("127.0.0.0");
    expect(workerLoopbackBase({ JEST_WORKER_ID: "1" })).toBe("127.0.0.0");
    expect(workerLoopbackBase({ JEST_WORKER_ID: "2" })).toBe("127.1.0.0");
    expect(workerLoopbackBase({ JEST_WORKER_ID: "3", HOMELAB_E2E_LOOPBACK_BASE: "127.50.0.0" })).toBe("127.52.0.0");
    const one = loopbackTwin("192.168.0.11", "192.168.0.0/24", workerLoopbackBase({ JEST_WORKER_ID: "1" }));
    const two = loopbackTwin("192.168.0.11", "192.168.0.0/24", workerLoopbackBase({ JEST_WORKER_ID: "2" }));
    expect([one, two]).toEqual(["127.0.0.11", "127.1.0.11"]);
    expect(() => workerLoopbackBase({ JEST_WORKER_ID: "2", HOMELAB_E2E_LOOPBACK_BASE: "127.255.0.0" })).toThrow(
        /no room on 127\.0\.0\.0\/8 for jest worker 2/,
    );
    expect(() => workerLoopbackBase({ JEST_WORKER_ID: "0" })).toThrow(/not a worker number/);
});
