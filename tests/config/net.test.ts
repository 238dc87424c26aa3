/** The address predicates of components/net.ts, as properties over random addresses. */
import * as fc from "fast-check";
import {
    hostRange,
    intToIp,
    ipInRange,
    ipToInt,
    isPlaceholderMac,
    macKind,
    parseCidr,
    placeInCidr,
    PLACEHOLDER_MACS,
    specialIpv4,
} from "../../components/net";
import { cidrContains } from "../support/net-oracle";

const octet = fc.integer({ min: 0, max: 255 });
const ip = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
const prefix = fc.integer({ min: 8, max: 30 });
const macBytes = fc.array(octet, { minLength: 6, maxLength: 6 });
const spell = (bytes: number[], sep: string, upper: boolean): string => {
    const text = bytes.map((b) => b.toString(16).padStart(2, "0")).join(sep);
    return upper ? text.toUpperCase() : text;
};

describe("placeInCidr", () => {
    test("a host address exactly when cidrContains says so; network and broadcast only at the two ends", () => {
        fc.assert(
            fc.property(ip, ip, prefix, (net, a, p) => {
                const cidr = parseCidr(`${net}/${p}`)!;
                const place = placeInCidr(cidr, a);
                expect(place === "host").toBe(cidrContains(cidr, a));
                expect(place === "network").toBe(ipToInt(a) === cidr.network);
                expect(place === "broadcast").toBe(ipToInt(a) === cidr.broadcast);
            }),
        );
    });

    test("an address of the subnet with its host part all zeros or all ones is the network or broadcast address", () => {
        fc.assert(
            fc.property(ip, prefix, (a, p) => {
                const cidr = parseCidr(`${a}/${p}`)!;
                expect(placeInCidr(cidr, intToIp(cidr.network))).toBe("network");
                expect(placeInCidr(cidr, intToIp(cidr.broadcast))).toBe("broadcast");
            }),
        );
    });

    test("hostRange names the first and last host address", () => {
        fc.assert(
            fc.property(ip, prefix, (a, p) => {
                const cidr = parseCidr(`${a}/${p}`)!;
                const [first, last] = hostRange(cidr).split(" to ");
                expect(placeInCidr(cidr, first)).toBe("host");
                expect(placeInCidr(cidr, last)).toBe("host");
                expect(ipToInt(first) - 1).toBe(cidr.network);
                expect(ipToInt(last) + 1).toBe(cidr.broadcast);
            }),
        );
        expect(hostRange(parseCidr("192.168.0.77/24")!)).toBe("192.168.0.1 to 192.168.0.254");
    });
});

describe("ipInRange", () => {
    test("holds exactly for addresses between the two ends, both included, compared as numbers", () => {
        fc.assert(
            fc.property(ip, ip, ip, (x, a, b) => {
                const [lo, hi] = ipToInt(a) <= ipToInt(b) ? [a, b] : [b, a];
                expect(ipInRange(x, lo, hi)).toBe(ipToInt(x) >= ipToInt(lo) && ipToInt(x) <= ipToInt(hi));
            }),
        );
        expect(ipInRange("192.168.0.100", "192.168.0.100", "192.168.0.199")).toBe(true);
        expect(ipInRange("192.168.0.20", "192.168.0.100", "192.168.0.199")).toBe(false); // "20" > "100" as text
    });
});

describe("specialIpv4", () => {
    test("is decided by the RFC 6890 blocks", () => {
        fc.assert(
            fc.property(octet, octet, octet, octet, (a, b, c, d) => {
                const got = specialIpv4(`${a}.${b}.${c}.${d}`);
                const want =
                    a === 255 && b === 255 && c === 255 && d === 255
                        ? "limited-broadcast"
                        : a === 0
                          ? "this-network"
                          : a === 127
                            ? "loopback"
                            : a === 169 && b === 254
                              ? "link-local"
                              : a >= 224 && a <= 239
                                ? "multicast"
                                : a >= 240
                                  ? "reserved"
                                  : undefined;
                expect(got).toBe(want);
            }),
        );
    });

    test("never flags a private LAN address", () => {
        const lan = fc.oneof(
            fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
            fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
            fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
        );
        fc.assert(fc.property(lan, (a) => specialIpv4(a) === undefined));
    });
});

describe("macKind", () => {
    test("unicast exactly when the group bit is clear and not all zeros; the same for every spelling", () => {
        fc.assert(
            fc.property(macBytes, fc.constantFrom(":", "-", ""), fc.boolean(), (bytes, sep, upper) => {
                const kind = macKind(spell(bytes, sep, upper));
                const zero = bytes.every((b) => b === 0);
                const ones = bytes.every((b) => b === 255);
                expect(kind).toBe(zero ? "zero" : ones ? "broadcast" : bytes[0] & 1 ? "multicast" : "unicast");
            }),
        );
    });

    test("is undefined for text that is no MAC", () => {
        expect(macKind("00:11:22:33:44")).toBeUndefined();
        expect(macKind("zz:11:22:33:44:55")).toBeUndefined();
    });
});

describe("placeholder MACs", () => {
    test("are recognised in every spelling, and are unicast (the placeholder message is the one that applies)", () => {
        fc.assert(
            fc.property(
                fc.constantFrom(...PLACEHOLDER_MACS),
                fc.constantFrom(":", "-", ""),
                fc.boolean(),
                (mac, sep, upper) => {
                    const bytes = mac.split(":").map((h) => parseInt(h, 16));
                    expect(isPlaceholderMac(spell(bytes, sep, upper))).toBe(true);
                    expect(macKind(mac)).toBe("unicast");
                },
            ),
        );
    });

    test("include the shipped Pulumi.dev.yaml's, and no other MAC is taken for one", () => {
        expect(PLACEHOLDER_MACS).toContain("02:00:00:00:00:01");
        fc.assert(
            fc.property(macBytes, (bytes) => {
                const mac = spell(bytes, ":", false);
                expect(isPlaceholderMac(mac)).toBe(PLACEHOLDER_MACS.includes(mac));
            }),
        );
    });
});
