import { canonicalMac } from "../../components/net";
import * as fc from "fast-check";
import {
    desiredReservations,
    managedOnNas,
    mergeReservations,
    Reservation,
    ReservationConflictError,
    releaseReservations,
    sameReservationList,
    sameReservationSet,
} from "../../components/synology/reservations";

/** An error made by `reservationConflictError`: an Error named so, with its `conflicts`. */
function isReservationConflictError(e: unknown): e is ReservationConflictError {
    return (
        e instanceof Error &&
        e.name === "ReservationConflictError" &&
        Array.isArray((e as ReservationConflictError).conflicts)
    );
}

const theirs: Reservation[] = [
    { mac: "00:11:22:33:44:55", ip: "192.168.0.50", hostname: "printer" },
    { mac: "00:11:22:33:44:66", ip: "192.168.0.51", hostname: "tv" },
];
const cp1 = { mac: "aa:bb:cc:00:00:01", ip: "192.168.0.11", hostname: "cp1" };
const w1 = { mac: "aa:bb:cc:00:00:02", ip: "192.168.0.21", hostname: "w1" };

describe("canonicalMac", () => {
    test("lower-cases and uses colons whatever the input separator", () => {
        expect(canonicalMac("AA-BB-CC-00-00-01")).toBe("aa:bb:cc:00:00:01");
        expect(canonicalMac("AABBCC000001")).toBe("aa:bb:cc:00:00:01");
        expect(canonicalMac("aa:bb:cc:00:00:01")).toBe("aa:bb:cc:00:00:01");
    });
    test("leaves something that is not a MAC recognisable (lower-cased) so validation can name it", () => {
        expect(canonicalMac("not-a-mac")).toBe("not-a-mac");
    });
});

describe("desiredReservations", () => {
    test("puts nodes first, then extra reservations, normalised", () => {
        const d = desiredReservations(
            [{ hostname: "cp1", mac: "AA:BB:CC:00:00:01", ip: "192.168.0.11" }],
            [{ mac: "de-ad-be-ef-00-01", ip: "192.168.0.99", hostname: "nas" }],
        );
        expect(d).toEqual([cp1, { mac: "de:ad:be:ef:00:01", ip: "192.168.0.99", hostname: "nas" }]);
    });
    test("refuses, all at once, a list the merge cannot handle, pointing at the config check that words it for users", () => {
        expect(() =>
            desiredReservations([cp1, { ...w1, mac: cp1.mac }], [{ mac: "zz", ip: "192.168.0.11", hostname: "x" }]),
        ).toThrow(
            /entry 1 \(w1\): mac aa:bb:cc:00:00:01 is listed twice; entry 2 \(x\): mac "zz" is malformed; entry 2 \(x\): ip 192\.168\.0\.11 is listed twice \(parseStackConfig checks nodes and dhcp\.extraReservations\)/,
        );
    });
});

describe("mergeReservations", () => {
    test("first create keeps other entries in place and appends the managed ones", () => {
        const r = mergeReservations("eth0", theirs, [], [], [cp1, w1]);
        expect(r.list).toEqual([...theirs, cp1, w1]);
        expect(r.changed).toBe(true);
        expect(r.adopted).toEqual([]);
    });

    test("changing one node's IP changes only that entry, in place", () => {
        const current = [theirs[0], cp1, theirs[1], w1];
        const r = mergeReservations("eth0", current, [cp1, w1], [], [{ ...cp1, ip: "192.168.0.12" }, w1]);
        expect(r.list).toEqual([theirs[0], { ...cp1, ip: "192.168.0.12" }, theirs[1], w1]);
    });

    test("removing a node removes only its entry", () => {
        const current = [theirs[0], cp1, theirs[1], w1];
        const r = mergeReservations("eth0", current, [cp1, w1], [], [w1]);
        expect(r.list).toEqual([theirs[0], theirs[1], w1]);
    });

    test("nothing to do when the NAS already has it (MAC case from DSM ignored)", () => {
        const current = [...theirs, { ...cp1, mac: cp1.mac.toUpperCase() }];
        const r = mergeReservations("eth0", current, [cp1], [], [cp1]);
        expect(r.changed).toBe(false);
    });

    test("a MAC reserved by someone else for another IP is a conflict naming both", () => {
        const current = [...theirs, { mac: cp1.mac.toUpperCase(), ip: "192.168.0.77", hostname: "old" }];
        let err: unknown;
        try {
            mergeReservations("eth0", current, [], [], [cp1]);
        } catch (e) {
            err = e;
        }
        expect(isReservationConflictError(err)).toBe(true);
        expect((err as { conflicts: string[] }).conflicts).toHaveLength(1);
        expect((err as Error).message).toMatch(
            /MAC aa:bb:cc:00:00:01 is already reserved for aa:bb:cc:00:00:01 → 192\.168\.0\.77 \(old\); this program wants .*192\.168\.0\.11 \(cp1\)/,
        );
        expect((err as Error).message).toMatch(/eth0/);
    });

    test("an IP reserved by someone else for another MAC is a conflict", () => {
        expect(() => mergeReservations("eth0", theirs, [], [], [{ ...cp1, ip: "192.168.0.50" }])).toThrow(
            /IP 192\.168\.0\.50 is already reserved for another device, 00:11:22:33:44:55 → 192\.168\.0\.50 \(printer\)/,
        );
    });

    test("an identical pre-existing entry is adopted and put back as found on release", () => {
        const pre = { mac: cp1.mac.toUpperCase(), ip: cp1.ip, hostname: "handmade" };
        const created = mergeReservations("eth0", [...theirs, pre], [], [], [cp1]);
        expect(created.list).toEqual([...theirs, cp1]);
        expect(created.adopted).toEqual([pre]);
        const released = releaseReservations(created.list, [cp1], created.adopted);
        expect(released.list).toEqual([...theirs, pre]);
    });

    test("a node's new MAC on the IP of an adopted entry is a conflict, not a list with that IP twice", () => {
        const pre = { mac: cp1.mac, ip: cp1.ip, hostname: "handmade" };
        const created = mergeReservations("eth0", [...theirs, pre], [], [], [cp1]);
        const nicSwapped = { ...cp1, mac: "aa:bb:cc:00:00:99" };
        // Letting go of cp1's old MAC puts the handmade entry back, which holds the IP the new MAC wants.
        let err: unknown;
        try {
            mergeReservations("eth0", created.list, [cp1], created.adopted, [nicSwapped]);
        } catch (e) {
            err = e;
        }
        expect(isReservationConflictError(err)).toBe(true);
        expect((err as Error).message).toMatch(
            /IP 192\.168\.0\.11 .*aa:bb:cc:00:00:01 → 192\.168\.0\.11 \(handmade\).*aa:bb:cc:00:00:99 → 192\.168\.0\.11 \(cp1\)/s,
        );
    });

    test("swapping IPs between two managed nodes is not a conflict", () => {
        const current = [cp1, w1];
        const r = mergeReservations(
            "eth0",
            current,
            [cp1, w1],
            [],
            [
                { ...cp1, ip: w1.ip },
                { ...w1, ip: cp1.ip },
            ],
        );
        expect(r.list.map((e) => e.ip)).toEqual([w1.ip, cp1.ip]);
    });

    test("property: entries not managed survive any create/update/release sequence unchanged and in order", () => {
        const octet = fc.integer({ min: 1, max: 250 });
        fc.assert(
            fc.property(
                fc.uniqueArray(octet, { minLength: 0, maxLength: 6 }),
                fc.uniqueArray(octet, { minLength: 0, maxLength: 6 }),
                fc.uniqueArray(octet, { minLength: 0, maxLength: 6 }),
                (other, first, second) => {
                    const mk = (n: number, host: string) => ({
                        mac: `aa:bb:cc:dd:ee:${n.toString(16).padStart(2, "0")}`,
                        ip: `10.0.${host === "x" ? 1 : 2}.${n}`,
                        hostname: `${host}${n}`,
                    });
                    const nas = other.map((n) => ({
                        ...mk(n, "x"),
                        mac: `00:00:00:00:00:${n.toString(16).padStart(2, "0")}`.toUpperCase(),
                    }));
                    const a = first.map((n) => mk(n, "m"));
                    const b = second.map((n) => mk(n, "m"));
                    const c1 = mergeReservations("eth0", nas, [], [], a);
                    const c2 = mergeReservations("eth0", c1.list, a, c1.adopted, b);
                    expect(sameReservationSet(managedOnNas(c2.list, b), b)).toBe(true);
                    const rel = releaseReservations(c2.list, b, c2.adopted);
                    expect(rel.list).toEqual(nas);
                },
            ),
        );
    });
});

describe("merge with random NAS contents", () => {
    test("property: either a conflict (nothing to write) or every desired entry is in, every other entry kept, and a re-merge changes nothing", () => {
        const mac = fc
            .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
            .map((b) => b.map((x) => x.toString(16).padStart(2, "0")).join(":"));
        const entry = fc.record({
            mac,
            ip: fc.integer({ min: 1, max: 254 }).map((n) => `10.0.0.${n}`),
            hostname: fc.string({ maxLength: 5 }),
        });
        const uniq = (xs: Reservation[]) =>
            xs.filter((x, i) => xs.findIndex((y) => y.mac === x.mac || y.ip === x.ip) === i);
        fc.assert(
            fc.property(fc.array(entry, { maxLength: 8 }), fc.array(entry, { maxLength: 8 }), (cur, des) => {
                const current = uniq(cur);
                const desired = uniq(des);
                let merged;
                try {
                    merged = mergeReservations("eth0", current, [], [], desired);
                } catch (e) {
                    expect(isReservationConflictError(e)).toBe(true);
                    return;
                }
                for (const d of desired) expect(merged.list).toContainEqual(d);
                for (const c of current)
                    if (!desired.some((d) => d.mac === c.mac)) expect(merged.list).toContainEqual(c);
                expect(mergeReservations("eth0", merged.list, desired, merged.adopted, desired).changed).toBe(false);
            }),
        );
    });
});

describe("helpers", () => {
    test("sameReservationList is order-sensitive, sameReservationSet is not", () => {
        expect(sameReservationList([cp1, w1], [w1, cp1])).toBe(false);
        expect(sameReservationSet([cp1, w1], [w1, cp1])).toBe(true);
        expect(sameReservationSet([cp1], [{ ...cp1, hostname: "other" }])).toBe(false);
    });
});
