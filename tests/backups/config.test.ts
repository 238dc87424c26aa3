/**
 * Policy: `homelab:backups.share` defaults to `talos-backups`, a shared folder of its own: the TFTP root
 * (`synology.share`) is refused, naming both keys and why; `homelab:backups.etcd.keep` defaults to 10; anything but a
 * positive whole number is refused with its key path and the fix, together with every other problem of the stack
 * config, before anything runs.
 */
import { ConfigError } from "../../components/checker";
import { parseStackConfig } from "../../components/config";
import { parseBackups } from "../../components/backups/config";
import { Checker } from "../../components/checker";
import { stackValues } from "../support/shared";

function devValues(over: Record<string, unknown> = {}): Record<string, any> {
    const v = stackValues("dev", { synologyPassword: "dsm-pass-123", upsPassword: "ups-pass-456" }) as Record<
        string,
        any
    >;
    v.nodes[0].mac = "d8:3a:dd:5e:a0:01";
    return { ...v, ...over };
}

function problems(values: Record<string, unknown>): string[] {
    try {
        parseStackConfig(values);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
    }
    return [];
}

describe("homelab:backups", () => {
    test("defaults to the shared folder talos-backups, keeping the newest 10 snapshots", () => {
        expect(parseStackConfig(devValues()).backups).toEqual({ share: "talos-backups", etcd: { keep: 10 } });
        expect(parseStackConfig(devValues({ backups: { etcd: {} } })).backups.etcd.keep).toBe(10);
    });

    test("takes a positive whole number, also as text (as `pulumi config set` may store it)", () => {
        expect(parseStackConfig(devValues({ backups: { etcd: { keep: 3 } } })).backups.etcd.keep).toBe(3);
        expect(
            parseStackConfig(devValues({ backups: JSON.stringify({ etcd: { keep: "7" } }) })).backups.etcd.keep,
        ).toBe(7);
    });

    test.each([[0], [-2], [2.5], ["ten"], [true], [[3]], [{}]])(
        "refuses keep = %j, naming the key and the fix",
        (keep) => {
            const p = problems(devValues({ backups: { etcd: { keep } } }));
            expect(p).toHaveLength(1);
            expect(p[0]).toMatch(
                /^backups\.etcd\.keep: must be a whole number of snapshots to keep, at least 1 \(e\.g\. 10, the default\), got /,
            );
        },
    );

    test("takes a shared folder of the user's as backups.share", () => {
        expect(parseStackConfig(devValues({ backups: { share: "k8s backups" } })).backups.share).toBe("k8s backups");
    });

    test.each([["pxe"], ["PXE"]])("refuses backups.share %j, the TFTP root, naming both keys and why", (share) => {
        expect(problems(devValues({ backups: { share } }))).toEqual([
            `backups.share: "${share}" is synology.share, the TFTP root: TFTP has no password, so any machine on the ` +
                "LAN could read the etcd snapshots (the whole cluster state) by guessing their names. Give " +
                'backups.share a shared folder of its own (remove the setting for the default, "talos-backups", ' +
                "which the program creates), or give synology.share another name",
        ]);
    });

    test.each([["homes"], ["usbshare1"]])(
        "refuses backups.share %j, a name DSM keeps for itself, offering the default",
        (share) => {
            expect(problems(devValues({ backups: { share } }))).toEqual([
                expect.stringMatching(
                    new RegExp(
                        `^backups\\.share: "${share}" is (a name DSM reserves|how DSM names).*talos-backups \\(the default\\)`,
                    ),
                ),
            ]);
        },
    );

    test("refuses a backups.share that is not a shared folder name", () => {
        expect(problems(devValues({ backups: { share: "a/b" } }))).toEqual([
            'backups.share: "a/b" is not a valid shared folder name; use up to 32 letters, digits, spaces, dots, hyphens or underscores',
        ]);
        expect(problems(devValues({ backups: { share: 7 } }))).toEqual([
            "backups.share: must be a string, got number 7",
        ]);
    });

    test("reports a typo with a suggestion, and every problem of the run at once", () => {
        const v = devValues({ backups: { etcd: { kep: 3 }, etc: {} } });
        v.cluster.talosVersion = "latest";
        const p = problems(v);
        expect(p).toEqual(
            expect.arrayContaining([
                "backups.etcd.kep: is not a known setting — did you mean backups.etcd.keep?",
                "backups.etc: is not a known setting — did you mean backups.etcd?",
                expect.stringMatching(/^cluster\.talosVersion: "latest"/),
            ]),
        );
    });

    test("refuses a backups or etcd value that is not a mapping", () => {
        const problemsOf = (v: unknown) => {
            const c = new Checker();
            expect(parseBackups(c, v)).toEqual({ share: "talos-backups", etcd: { keep: 10 } });
            return c.problems;
        };
        expect(problemsOf(5)).toEqual(["backups: must be an object (a YAML mapping), got number 5"]);
        expect(problemsOf({ etcd: [1] })).toEqual(["backups.etcd: must be an object (a YAML mapping), got a list"]);
        expect(problemsOf("{nope")).toEqual(["backups: must be an object (a YAML mapping), got text that is not JSON"]);
    });
});
