/** The Synology CSI part of the stack config: what the driver needs of the image and of its version (pure). */
import { Checker } from "../../components/checker";
import { missingCsiExtensions, parseWorkloads, synologyCsiConfigProblems } from "../../components/workloads/config";
import { synologyCsi } from "./fixtures";
import { SEED_EXTENSIONS } from "../support/fixtures";

describe("missingCsiExtensions", () => {
    test("finds nothing missing in the seed's schematic", () => {
        expect(missingCsiExtensions(SEED_EXTENSIONS)).toEqual([]);
    });
    test("names each missing extension, in the required order", () => {
        expect(missingCsiExtensions([])).toEqual(["siderolabs/iscsi-tools", "siderolabs/util-linux-tools"]);
        expect(missingCsiExtensions(["siderolabs/iscsi-tools"])).toEqual(["siderolabs/util-linux-tools"]);
        expect(missingCsiExtensions(["siderolabs/util-linux-tools", "siderolabs/i915"])).toEqual([
            "siderolabs/iscsi-tools",
        ]);
    });
    test("does not accept look-alikes", () => {
        expect(missingCsiExtensions(["siderolabs/iscsi-tools-extra", "util-linux-tools"])).toEqual([
            "siderolabs/iscsi-tools",
            "siderolabs/util-linux-tools",
        ]);
    });
});

describe("synologyCsiConfigProblems", () => {
    test("is empty for a good config, and when disabled whatever the rest says", () => {
        expect(synologyCsiConfigProblems(synologyCsi(), SEED_EXTENSIONS)).toEqual([]);
        expect(
            synologyCsiConfigProblems(synologyCsi({ enabled: false, version: "v1.0.0", location: "x" }), []),
        ).toEqual([]);
    });
    test("names the setting and the extension to add", () => {
        const problems = synologyCsiConfigProblems(synologyCsi(), ["siderolabs/i915"]);
        expect(problems).toHaveLength(2);
        expect(problems[0]).toMatch(/^image\.extensions: /);
        expect(problems[0]).toMatch(/add "siderolabs\/iscsi-tools"/);
        expect(problems[1]).toMatch(/add "siderolabs\/util-linux-tools"/);
    });
    test("rejects driver versions without --iscsiadm-path (a tag that is no release is parseWorkloads' to report)", () => {
        expect(synologyCsiConfigProblems(synologyCsi({ version: "v1.2.0" }), SEED_EXTENSIONS).join("\n")).toMatch(
            /version: v1\.2\.0 has no --iscsiadm-path.*v1\.2\.1 or later/,
        );
        expect(synologyCsiConfigProblems(synologyCsi({ version: "latest" }), SEED_EXTENSIONS)).toEqual([]);
        expect(synologyCsiConfigProblems(synologyCsi({ version: "1.3.0" }), SEED_EXTENSIONS)).toEqual([]);
    });
    test("rejects btrfs from v1.4.0 on, and allows it before", () => {
        expect(
            synologyCsiConfigProblems(synologyCsi({ version: "v1.4.0", fsType: "btrfs" }), SEED_EXTENSIONS).join("\n"),
        ).toMatch(/fsType: btrfs is not supported by driver v1\.4\.0/);
        expect(synologyCsiConfigProblems(synologyCsi({ version: "v1.4.0", fsType: "xfs" }), SEED_EXTENSIONS)).toEqual(
            [],
        );
        expect(synologyCsiConfigProblems(synologyCsi({ version: "v1.2.1", fsType: "btrfs" }), SEED_EXTENSIONS)).toEqual(
            [],
        );
    });
});

describe("workloads.synologyCsi.version", () => {
    test.each([true, false])("a tag that is no release is refused, CSI enabled or not (enabled: %s)", (enabled) => {
        const c = new Checker();
        parseWorkloads(c, { synologyCsi: { enabled, version: "latest" } }, "/volume1");
        expect(c.problems).toEqual([
            expect.stringMatching(
                /^workloads\.synologyCsi\.version: "latest" is not a synology\/synology-csi release tag/,
            ),
        ]);
    });
});

describe("workloads.synologyCsi.timeout", () => {
    const parse = (synologyCsi: Record<string, unknown>) => {
        const c = new Checker();
        const w = parseWorkloads(c, { synologyCsi }, "/volume1");
        return { timeout: w?.synologyCsi.timeout, problems: c.problems };
    };
    test("defaults to the Kubernetes provider's own 10m, and takes a Go duration", () => {
        expect(parse({ enabled: true })).toEqual({ timeout: "10m", problems: [] });
        expect(parse({ enabled: true, timeout: "90s" })).toEqual({ timeout: "90s", problems: [] });
    });
    test("refuses what is not a duration, naming the key and the form", () => {
        expect(parse({ enabled: true, timeout: "ten minutes" }).problems).toEqual([
            expect.stringMatching(
                /^workloads\.synologyCsi\.timeout: "ten minutes" is not a duration; write one like 10m/,
            ),
        ]);
    });
});
