/** The Talos ↔ Kubernetes table (components/talos/versions.ts): complete for the releases we offer, and consistent. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as fc from "fast-check";
import {
    compareVersions,
    describeRange,
    kubernetesSupport,
    kubernetesVersionVerdict,
    parseVersion,
    TALOS_RELEASES,
} from "../../components/talos/versions";
import { DEFAULT_VERSIONS } from "../support/factory-server";

const minorOf = (v: string): string => parseVersion(v)!.slice(0, 2).join(".");

describe("the table", () => {
    test("has a row for every Talos release the factory stand-in offers, and for v1.13.0 (the provider's machinery)", () => {
        const listed = TALOS_RELEASES.map((r) => r.talos);
        for (const v of [...DEFAULT_VERSIONS, "v1.13.0"]) expect(listed).toContain(v);
    });

    test("lists each release once, oldest first, as v-prefixed release tags", () => {
        const tags = TALOS_RELEASES.map((r) => r.talos);
        expect(new Set(tags).size).toBe(tags.length);
        for (const t of tags) expect(t).toMatch(/^v\d+\.\d+\.\d+$/);
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
        ["v1.12.3", "v1.12.1", "1.35.0"],
        ["1.11.3", "v1.11.0", "1.34.0"],
        ["v1.11.9", "v1.11.5", "1.34.1"],
        ["v1.10.2", "v1.10.6", "1.33.3"],
    ])("%s: its minor's range, and the Kubernetes version of %s (%s)", (talos, from, k8s) => {
        const s = kubernetesSupport(talos);
        expect(s).toMatchObject({ basis: "minor", defaultKubernetes: k8s, source: { talos: from } });
        if (s?.basis !== "minor") throw new Error("expected the minor's answer");
        expect(kubernetesVersionVerdict(s.defaultKubernetes, s)).toBeUndefined();
    });

    test.each(["v1.9.6", "v1.14.0", "v2.0.0"])(
        "%s: a minor the table does not know is unknown, with the minors it knows",
        (talos) => {
            expect(kubernetesSupport(talos)).toEqual({
                basis: "unknown",
                talos,
                knownMinors: ["v1.10", "v1.11", "v1.12", "v1.13"],
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
