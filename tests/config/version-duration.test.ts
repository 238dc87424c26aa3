/**
 * The one parser of release versions (components/version.ts, with the tag of an image reference) and the one parser of Go durations
 * (components/duration.ts): the config layer checks settings with them, the components convert with them.
 */
import * as fc from "fast-check";
import { durationSeconds, parseGoDuration } from "../../components/duration";
import { compareVersions, imageTag, parseVersion, releaseTag } from "../../components/version";

describe("release versions", () => {
    test("read with or without the leading v; anything else (a pre-release, two parts) is not a release", () => {
        expect(parseVersion("v1.2.1")).toEqual([1, 2, 1]);
        expect(parseVersion(" 1.10.0 ")).toEqual([1, 10, 0]);
        for (const bad of ["v1.2", "1.12.0-beta.1", "latest", "", "v1.2.3.4"])
            expect(parseVersion(bad)).toBeUndefined();
    });

    test("compare by number, not by text", () => {
        fc.assert(
            fc.property(
                fc.tuple(fc.nat(50), fc.nat(50), fc.nat(50)),
                fc.tuple(fc.nat(50), fc.nat(50), fc.nat(50)),
                (a, b) => {
                    const byNumber = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
                    expect(
                        Math.sign(compareVersions(parseVersion(a.join("."))!, parseVersion(`v${b.join(".")}`)!)),
                    ).toBe(Math.sign(byNumber));
                },
            ),
        );
        expect(compareVersions(parseVersion("v1.10.0")!, parseVersion("v1.9.9")!)).toBeGreaterThan(0);
    });

    test("the tag form has one leading v", () => {
        expect(releaseTag("1.2.1")).toBe("v1.2.1");
        expect(releaseTag(" v1.2.1")).toBe("v1.2.1");
    });
});

describe("Go durations", () => {
    test("parseGoDuration reads what Go's time.ParseDuration reads", () => {
        fc.assert(
            fc.property(fc.nat(99), fc.nat(59), fc.nat(59), fc.nat(999), (h, m, sec, ms) => {
                expect(parseGoDuration(`${h}h${m}m${sec}s${ms}ms`)).toBe(((h * 60 + m) * 60 + sec) * 1000 + ms);
            }),
        );
        expect(parseGoDuration("1.5h")).toBe(5_400_000);
        expect(parseGoDuration(".5s")).toBe(500);
        expect(parseGoDuration("1500us")).toBe(1.5);
        expect(parseGoDuration("1500µs")).toBe(1.5);
        expect(parseGoDuration("0")).toBe(0);
        for (const bad of ["", "1", "m", "1d", "1h 30m", "1hm", "h1", "."])
            expect(parseGoDuration(bad)).toBeUndefined();
    });

    test("durationSeconds: whole seconds, rounded up, of what the config layer accepts; refuses anything else", () => {
        expect(durationSeconds("15m")).toBe(900);
        expect(durationSeconds("1h30m")).toBe(5400);
        expect(durationSeconds("90s")).toBe(90);
        expect(durationSeconds("1500ms")).toBe(2);
        expect(durationSeconds("1.5h")).toBe(5400);
        for (const bad of ["", "15", "15 m", "m15", "1d"]) expect(() => durationSeconds(bad)).toThrow(/not a duration/);
    });
});

describe("image tags", () => {
    test("imageTag takes the tag after the last colon, not a registry port", () => {
        expect(imageTag("factory.talos.dev/metal-installer/abc123:v1.12.1")).toBe("v1.12.1");
        expect(imageTag("registry.local:5000/installer/x:v1.13.0")).toBe("v1.13.0");
        expect(() => imageTag("registry.local:5000/installer/x")).toThrow(/has no tag/);
    });
});
