/** The Talos ↔ Kubernetes table (components/talos/versions.ts): complete for the releases we offer, and consistent. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as fc from "fast-check";
import {
    compareVersions,
    describeRange,
    isPrerelease,
    kubernetesCore,
    kubernetesSupport,
    kubernetesVersionVerdict,
    parseVersion,
    prereleaseDefaultNote,
    TALOS_RELEASES,
} from "../../components/talos/versions";
import { DEFAULT_VERSIONS } from "../support/factory-server";

const minorOf = (v: string): string => kubernetesCore(v)!.slice(0, 2).join(".");

/**
 * Where each row was read: the tag (or, for v1.14.0, the release candidate it was read at) and its commit in
 * github.com/siderolabs/talos. v1.14.0-rc.1 is also the head of branch release-1.14 in the snapshot read.
 */
const READ_AT: Record<string, string> = {
    "v1.10.6": "cfa6c98cec12a4bc513d44ecffc47e70515481d1",
    "v1.11.0": "d9d89a3a82be5e5a276b1a3328bc0daefbbff5d6",
    "v1.11.5": "bc34de6e1741969e873dd568054231acf4cb54fd",
    "v1.12.0": "ac91ade2c7e435e63ed2546244d428a81abd22ad",
    "v1.12.1": "7ea2ef7cf4d0d48ac9b30eca9b7ec17aa83fde50",
    "v1.12.2": "54e5b438d8dcf6395e6424808d1155d02abf3bc0",
    "v1.12.3": "6d6471f69230e271c3289f6a3ab6ac78f7b9766a",
    "v1.12.4": "fc8e600ba642285ea5c8f922fea14ce2ded6b9db",
    "v1.12.5": "da6c6e46118aa55b32dd839533afe8c112471502",
    "v1.12.6": "a1b8bd612759ebef0faa9c80f8eeb4b8b16f34eb",
    "v1.12.7": "91c63991eb669602e379ff653ecc20212834390e",
    "v1.12.8": "aef64cac398d6550710aa4d8a2ad2023ec77416c",
    "v1.12.9": "150ee5ba0a332808d2dce4452a049d971feb6323",
    "v1.12.10": "acf8380b37772b0664c8a60891c847d07d96ae8e",
    "v1.12.11": "2e80771bade5c1db2582b68b7d2fd1eeae81a0f0",
    "v1.13.0": "b9e9c657963363da73b897c27ef3d407ba5e91c0",
    "v1.13.1": "7df617aa74a44aa353aaede8bdb60be4f3b46f50",
    "v1.13.2": "c5d7c65366e9bd767175faa1c8644eef2dd30697",
    "v1.13.3": "befeda7cb3b8a771a965e0f944b13d80b8151a95",
    "v1.13.4": "707dbd89b8716a930d83a31857c19b796e2ca290",
    "v1.13.5": "51b0d8ed0097b1137b748a90ec7dcc3e902f1949",
    "v1.13.6": "04318854eb64c90e99308b844b45b26b0077489e",
    "v1.13.7": "b0039b7177ad2125829f18f952e6dff20ae54a8b",
    "v1.13.8": "3de4932272a820af6de3852691a35645565c33b3",
    "v1.13.9": "3ebd10a7c1bd0f81742bdcd0c3fe56d727db7401",
    "v1.14.0-rc.1": "7a84d742b3d53451cbaa1eb91d9b12403e80161c",
};

describe("the table", () => {
    test("has a row for every Talos release the factory stand-in offers, and for v1.13.0 (the provider's machinery)", () => {
        const listed = TALOS_RELEASES.map((r) => r.talos);
        for (const v of [...DEFAULT_VERSIONS, "v1.13.0"]) expect(listed).toContain(v);
    });

    test("covers every tag of Talos 1.12 and 1.13 and the 1.14 line, each with where it was read", () => {
        const listed = TALOS_RELEASES.map((r) => r.talos);
        for (let p = 0; p <= 11; p++) expect(listed).toContain(`v1.12.${p}`);
        for (let p = 0; p <= 9; p++) expect(listed).toContain(`v1.13.${p}`);
        expect(listed).toContain("v1.14.0");
        for (const r of TALOS_RELEASES) expect(READ_AT[r.readAt ?? r.talos]).toMatch(/^[0-9a-f]{40}$/);
        // Only v1.14.0 was read elsewhere than at its own tag, and its default is the rc's Kubernetes rc.
        expect(TALOS_RELEASES.filter((r) => r.readAt).map((r) => [r.talos, r.readAt, r.kubernetes])).toEqual([
            ["v1.14.0", "v1.14.0-rc.1", "1.37.0-rc.0"],
        ]);
    });

    test("lists each release once, oldest first, as v-prefixed release tags", () => {
        const tags = TALOS_RELEASES.map((r) => r.talos);
        expect(new Set(tags).size).toBe(tags.length);
        for (const t of tags) expect(t).toMatch(/^v\d+\.\d+\.\d+$/);
        for (const r of TALOS_RELEASES) expect(isPrerelease(r.kubernetes)).toBe(r.readAt !== undefined);
        for (let i = 1; i < tags.length; i++)
            expect(compareVersions(parseVersion(tags[i - 1])!, parseVersion(tags[i])!)).toBeLessThan(0);
    });

    test("each release's own Kubernetes version is inside its range, in the newest minor it supports", () => {
        for (const r of TALOS_RELEASES) {
            expect(kubernetesVersionVerdict(r.kubernetes, r)).toBeUndefined();
            expect(minorOf(r.kubernetes)).toBe(minorOf(r.maximumKubernetes));
        }
    });

    test("a range is the minor's: every release of one Talos minor has the same, and it spans six Kubernetes minors (constants.SupportedKubernetesVersions)", () => {
        const byMinor = new Map<string, string>();
        for (const r of TALOS_RELEASES) {
            const range = `${r.minimumKubernetes}..${r.maximumKubernetes}`;
            expect(byMinor.get(minorOf(r.talos)) ?? range).toBe(range);
            byMinor.set(minorOf(r.talos), range);
            expect(parseVersion(r.minimumKubernetes)![2]).toBe(0);
            expect(parseVersion(r.maximumKubernetes)![2]).toBe(99);
            expect(parseVersion(r.maximumKubernetes)![1] - parseVersion(r.minimumKubernetes)![1]).toBe(5);
        }
    });

    test("within a minor the default only moves forward", () => {
        for (let i = 1; i < TALOS_RELEASES.length; i++) {
            const [a, b] = [TALOS_RELEASES[i - 1], TALOS_RELEASES[i]];
            if (minorOf(a.talos) !== minorOf(b.talos)) continue;
            expect(compareVersions(kubernetesCore(a.kubernetes)!, kubernetesCore(b.kubernetes)!)).toBeLessThanOrEqual(
                0,
            );
        }
    });

    test("each Talos minor moves the range one Kubernetes minor on", () => {
        const rows = [...new Map(TALOS_RELEASES.map((r) => [minorOf(r.talos), r])).values()];
        for (let i = 1; i < rows.length; i++) {
            expect(parseVersion(rows[i].talos)![1] - parseVersion(rows[i - 1].talos)![1]).toBe(1);
            expect(parseVersion(rows[i].minimumKubernetes)![1] - parseVersion(rows[i - 1].minimumKubernetes)![1]).toBe(
                1,
            );
        }
    });
});

describe("Talos 1.14, read at v1.14.0-rc.1", () => {
    test("a 1.14 release gets that release's default and range: 1.32.0 to 1.37.x, Kubernetes 1.37.0-rc.0", () => {
        const s = kubernetesSupport("v1.14.0");
        expect(s).toMatchObject({ basis: "release", defaultKubernetes: "1.37.0-rc.0" });
        if (s?.basis !== "release") throw new Error("v1.14.0 must be known");
        expect(describeRange(s)).toBe("1.32.0 to 1.37.x");
        expect(kubernetesVersionVerdict("1.37.0-rc.0", s)).toBeUndefined();
        expect(kubernetesVersionVerdict("1.31.9", s)).toBe("too old");
        expect(kubernetesVersionVerdict("1.38.0", s)).toBe("too new");
    });

    test("a pre-release counts as its release, as SupportedWith compares (major, minor, patch)", () => {
        expect(kubernetesCore("1.37.0-rc.0")).toEqual([1, 37, 0]);
        expect(kubernetesCore("v1.36.0-beta.1")).toEqual([1, 36, 0]);
        expect(kubernetesCore("1.37")).toBeUndefined();
        expect(
            kubernetesVersionVerdict("1.36.0-rc.0", { minimumKubernetes: "1.30.0", maximumKubernetes: "1.35.99" }),
        ).toBe("too new");
    });

    test("the preview says when a stack runs the rc's Kubernetes by default, and how to pin a release", () => {
        const note = prereleaseDefaultNote("v1.14.0", "1.37.0-rc.0")!;
        expect(note).toContain("Kubernetes 1.37.0-rc.0 is a release candidate");
        expect(note).toContain("tag v1.14.0-rc.1");
        expect(note).toContain("pulumi config set --path homelab:cluster.kubernetesVersion 1.37.0");
        expect(prereleaseDefaultNote("v1.14.0", "1.37.1")).toBeUndefined();
        expect(prereleaseDefaultNote("v1.12.1", "1.35.0")).toBeUndefined();
    });
});

describe("what Talos accepts", () => {
    test("the issue's case: the provider's own default, Kubernetes 1.36.0, is too new for Talos v1.12.1", () => {
        const s = kubernetesSupport("v1.12.1");
        expect(s).toMatchObject({ basis: "release", defaultKubernetes: "1.35.0" });
        if (s?.basis === "unknown" || !s) throw new Error("v1.12.1 must be known");
        expect(kubernetesVersionVerdict("1.36.0", s)).toBe("too new");
        expect(kubernetesVersionVerdict("1.29.10", s)).toBe("too old");
        expect(kubernetesVersionVerdict("1.30.0", s)).toBeUndefined();
        expect(kubernetesVersionVerdict("1.35.12", s)).toBeUndefined();
        expect(describeRange(s)).toBe("1.30.0 to 1.35.x");
    });

    test("any Kubernetes 1.y.z is accepted exactly when its minor is in the release's minors (as SupportedWith compares)", () => {
        fc.assert(
            fc.property(
                fc.constantFrom(...TALOS_RELEASES),
                fc.integer({ min: 20, max: 40 }),
                fc.integer({ min: 0, max: 120 }),
                (r, minor, patch) => {
                    const lo = parseVersion(r.minimumKubernetes)![1];
                    const hi = parseVersion(r.maximumKubernetes)![1];
                    const inside = minor >= lo && minor <= hi && !(minor === hi && patch >= 99);
                    expect(kubernetesVersionVerdict(`1.${minor}.${patch}`, r) === undefined).toBe(inside);
                    if (!inside)
                        expect(kubernetesVersionVerdict(`v1.${minor}.${patch}`, r)).toBe(
                            minor < lo ? "too old" : "too new",
                        );
                },
            ),
        );
    });
});

describe("a Talos release the table does not list", () => {
    test.each([
        ["v1.12.12", "v1.12.11", "1.35.4"],
        ["v1.13.10", "v1.13.9", "1.36.3"],
        ["v1.14.2", "v1.14.0", "1.37.0-rc.0"],
        ["1.11.3", "v1.11.0", "1.34.0"],
        ["v1.11.9", "v1.11.5", "1.34.1"],
        ["v1.10.2", "v1.10.6", "1.33.3"],
    ])("%s: its minor's range, and the Kubernetes version of %s (%s)", (talos, from, k8s) => {
        const s = kubernetesSupport(talos);
        expect(s).toMatchObject({ basis: "minor", defaultKubernetes: k8s, source: { talos: from } });
        if (s?.basis !== "minor") throw new Error("expected the minor's answer");
        expect(kubernetesVersionVerdict(s.defaultKubernetes, s)).toBeUndefined();
    });

    test.each(["v1.9.6", "v1.15.0", "v2.0.0"])(
        "%s: a minor the table does not know is unknown, with the minors it knows",
        (talos) => {
            expect(kubernetesSupport(talos)).toEqual({
                basis: "unknown",
                talos,
                knownMinors: ["v1.10", "v1.11", "v1.12", "v1.13", "v1.14"],
            });
        },
    );

    test("not a release version at all: no answer", () => {
        expect(kubernetesSupport("v1.13.0-alpha.1")).toBeUndefined();
        expect(kubernetesSupport("latest")).toBeUndefined();
    });
});

/**
 * The source: Talos' machinery module at each tag, where a Go module cache holds it (`go mod download
 * github.com/siderolabs/talos/pkg/machinery@<tag>`). Where none is present there is nothing to compare with.
 */
const modCache = process.env.GOMODCACHE ?? path.join(process.env.GOPATH ?? path.join(os.homedir(), "go"), "pkg", "mod");
const machinery = (tag: string): string =>
    path.join(modCache, "github.com", "siderolabs", "talos", "pkg", `machinery@${tag}`);
const present = TALOS_RELEASES.filter((r) => fs.existsSync(machinery(r.talos)));

(present.length > 0 ? describe : describe.skip)("matches Talos' machinery in the local Go module cache", () => {
    test.each(present.map((r) => [r.talos, r] as const))("%s", (_tag, r) => {
        const dir = machinery(r.talos);
        const constants = fs.readFileSync(path.join(dir, "constants", "constants.go"), "utf8");
        expect(/DefaultKubernetesVersion = "([^"]+)"/.exec(constants)?.[1]).toBe(r.kubernetes);
        const pkg = `talos${minorOf(r.talos).replace(".", "")}`;
        const compat = fs.readFileSync(path.join(dir, "compatibility", pkg, `${pkg}.go`), "utf8");
        expect(/MinimumKubernetesVersion = semver\.MustParse\("([^"]+)"\)/.exec(compat)?.[1]).toBe(r.minimumKubernetes);
        expect(/MaximumKubernetesVersion = semver\.MustParse\("([^"]+)"\)/.exec(compat)?.[1]).toBe(r.maximumKubernetes);
    });
});
