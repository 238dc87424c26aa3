/**
 * Policy: every snapshot has a name that says whose cluster, when (UTC) and which Talos; retention keeps exactly
 * the newest `keep` of the program's own snapshots of that cluster and never selects any other file.
 */
import * as fc from "fast-check";
import {
    isOurPartFile,
    legacySnapshotDir,
    ourSnapshots,
    parseSnapshotName,
    parseUtcStamp,
    partName,
    selectForDeletion,
    snapshotDir,
    snapshotFileName,
    snapshotPlaces,
    utcStamp,
} from "../../components/backups/names";

const AT = new Date("2025-03-04T05:06:07.890Z");

describe("snapshot names", () => {
    test("are <cluster>-<UTC time to the second>-<talos version>.db, in <backups.share>/etcd", () => {
        expect(snapshotFileName("homelab-dev", AT, "v1.12.1")).toBe("homelab-dev-20250304T050607Z-v1.12.1.db");
        expect(snapshotDir("talos-backups")).toBe("/talos-backups/etcd");
    });

    test("earlier versions stored them under the TFTP root, in <synology.share>/backups/etcd: both places are known", () => {
        expect(legacySnapshotDir("pxe")).toBe("/pxe/backups/etcd");
        expect(snapshotPlaces("talos-backups", "pxe")).toEqual({
            share: "talos-backups",
            dir: "/talos-backups/etcd",
            legacyDir: "/pxe/backups/etcd",
        });
    });

    test("use UTC whatever the local time zone says", () => {
        const local = new Date(2025, 0, 1, 23, 30, 0); // local time
        expect(utcStamp(local)).toBe(local.toISOString().slice(0, 19).replace(/[-:]/g, "") + "Z");
    });

    test("read back to the same cluster, time and version", () => {
        const name = snapshotFileName("c-1", AT, "v1.13.0-beta.1");
        expect(parseSnapshotName("c-1", name)).toEqual({
            name,
            stamp: "20250304T050607Z",
            takenAt: new Date("2025-03-04T05:06:07Z"),
            talosVersion: "v1.13.0-beta.1",
        });
    });

    test("are not another cluster's, even one whose name starts the same", () => {
        const name = snapshotFileName("lab-b", AT, "v1.12.1");
        expect(parseSnapshotName("lab", name)).toBeUndefined();
        expect(parseSnapshotName("lab-b", name)).toBeDefined();
    });

    test.each([
        ["homelab-dev-20250304T050607Z-v1.12.1.db.bak"],
        ["homelab-dev-20250304T050607Z-v1.12.1"],
        ["homelab-dev-20251304T050607Z-v1.12.1.db"], // month 13
        ["homelab-dev-20250230T050607Z-v1.12.1.db"], // 30 February
        ["homelab-dev-2025-03-04T05:06:07Z-v1.12.1.db"],
        ["homelab-dev-20250304T050607Z-1.12.1.db"],
        ["homelab-dev-20250304T050607Z-v1.12.db"],
        ["my-notes.db"],
        ["homelab-dev-20250304T050607Z-v1.12.1.db.part-0a1b2c3d"],
    ])("%s is not a snapshot of the program's", (name) => {
        expect(parseSnapshotName("homelab-dev", name)).toBeUndefined();
    });

    test("refuse what would not read back", () => {
        expect(() => snapshotFileName("Homelab", AT, "v1.12.1")).toThrow(/cluster name "Homelab"/);
        expect(() => snapshotFileName("lab", AT, "latest")).toThrow(/Talos version "latest"/);
        expect(() => utcStamp(new Date("nope"))).toThrow(/invalid date/);
        expect(parseUtcStamp("20250230T000000Z")).toBeUndefined();
    });

    test("temporary uploads are <name>.part-<8 hex>, recognised as the program's only for its own snapshot names", () => {
        const name = snapshotFileName("lab", AT, "v1.12.1");
        expect(partName(name, "00ff00ff")).toBe(`${name}.part-00ff00ff`);
        expect(isOurPartFile("lab", `${name}.part-00ff00ff`)).toBe(true);
        expect(isOurPartFile("lab", "notes.txt.part-00ff00ff")).toBe(false);
        expect(isOurPartFile("other", `${name}.part-00ff00ff`)).toBe(false);
        expect(isOurPartFile("lab", `${name}.part-00FF00FF`)).toBe(false);
        expect(() => partName(name, "xyz")).toThrow(/8 hex/);
    });
});

// ---------------------------------------------------------------------------------------------------------- properties

const clusterArb = fc.constantFrom("lab", "lab-b", "homelab-dev");
const dateArb = fc
    .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) })
    .map((ms) => new Date(Math.floor(ms / 1000) * 1000));
const tagArb = fc.tuple(fc.nat(2), fc.nat(20), fc.nat(9)).map(([a, b, c]) => `v${a}.${b}.${c}`);
const oursArb = (cluster: string) => fc.tuple(dateArb, tagArb).map(([d, t]) => snapshotFileName(cluster, d, t));
/** Names a folder may hold besides the cluster's snapshots: other clusters', a user's, look-alikes, temp uploads. */
const foreignArb = fc.oneof(
    fc
        .tuple(fc.constantFrom("other", "lab-c", "homelab"), dateArb, tagArb)
        .map(([c, d, t]) => snapshotFileName(c, d, t)),
    fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.replace(/[/\0]/g, "_")),
    fc.tuple(dateArb, tagArb).map(([d, t]) => `manual-${utcStamp(d)}-${t}.db`),
    fc.tuple(dateArb, tagArb).map(([d, t]) => `lab-${utcStamp(d)}-${t}.db.part-0123abcd`),
    fc.tuple(dateArb, tagArb).map(([d, t]) => `lab-${utcStamp(d)}-${t}.db.old`),
);

describe("retention (selectForDeletion)", () => {
    test("never selects a file that is not one of the program's snapshots of the cluster", () => {
        fc.assert(
            fc.property(
                clusterArb,
                fc.array(fc.oneof(foreignArb, clusterArb.chain(oursArb)), { maxLength: 40 }),
                fc.integer({ min: 1, max: 12 }),
                (cluster, names, keep) => {
                    for (const n of selectForDeletion(cluster, names, keep)) {
                        expect(parseSnapshotName(cluster, n)).toBeDefined();
                        expect(names).toContain(n);
                    }
                },
            ),
        );
    });

    test("keeps exactly the newest min(keep, count) of the cluster's snapshots and deletes the rest", () => {
        const folder = clusterArb
            .chain((cluster) =>
                fc.tuple(
                    fc.constant(cluster),
                    fc.integer({ min: 1, max: 12 }),
                    fc.uniqueArray(oursArb(cluster), { maxLength: 30 }),
                    fc.array(foreignArb, { maxLength: 10 }),
                ),
            )
            .chain(([cluster, keep, ours, foreign]) =>
                fc.tuple(
                    fc.constant(cluster),
                    fc.constant(keep),
                    fc.constant(ours),
                    fc.shuffledSubarray([...ours, ...foreign], { minLength: ours.length + foreign.length }),
                ),
            );
        fc.assert(
            fc.property(folder, ([cluster, keep, ours, names]) => {
                const doomed = selectForDeletion(cluster, names, keep);
                const kept = ours.filter((n) => !doomed.includes(n));
                expect(kept).toHaveLength(Math.min(keep, ours.length));
                expect(doomed).toHaveLength(ours.length - kept.length);
                // Every kept one is at least as new as every deleted one.
                const stamp = (n: string) => parseSnapshotName(cluster, n)!.stamp;
                for (const k of kept) for (const d of doomed) expect(stamp(k) >= stamp(d)).toBe(true);
            }),
            { numRuns: 200 },
        );
    });

    test("deletes nothing while there are no more than keep", () => {
        const folder = fc
            .tuple(clusterArb, fc.integer({ min: 1, max: 12 }))
            .chain(([cluster, keep]) =>
                fc.tuple(
                    fc.constant(cluster),
                    fc.constant(keep),
                    fc.uniqueArray(oursArb(cluster), { maxLength: keep }),
                ),
            );
        fc.assert(
            fc.property(folder, ([cluster, keep, names]) => {
                expect(selectForDeletion(cluster, names, keep)).toEqual([]);
            }),
        );
    });

    test("is a pure function of the set of names: order and duplicates do not matter", () => {
        fc.assert(
            fc.property(
                fc.uniqueArray(oursArb("lab"), { maxLength: 15 }),
                fc.integer({ min: 1, max: 5 }),
                (names, keep) => {
                    const a = selectForDeletion("lab", names, keep).sort();
                    const b = selectForDeletion("lab", [...names].reverse().concat(names), keep).sort();
                    expect(b).toEqual(a);
                },
            ),
        );
    });

    test("orders by the time in the name, newest first (not by the version or the listing order)", () => {
        const names = [
            snapshotFileName("lab", new Date("2025-01-01T00:00:00Z"), "v1.13.0"),
            snapshotFileName("lab", new Date("2025-06-01T00:00:00Z"), "v1.12.0"),
            snapshotFileName("lab", new Date("2024-12-31T23:59:59Z"), "v1.14.0"),
        ];
        expect(ourSnapshots("lab", names).map((s) => s.talosVersion)).toEqual(["v1.12.0", "v1.13.0", "v1.14.0"]);
        expect(selectForDeletion("lab", names, 1)).toEqual([names[0], names[2]]);
    });

    test.each([0, -1, 1.5, Number.NaN])("refuses keep = %s", (keep) => {
        expect(() => selectForDeletion("lab", [], keep)).toThrow(/positive integer/);
    });
});
