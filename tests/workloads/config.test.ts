/** The Synology CSI part of the stack config: what the driver needs of the image and of its version (pure). */
import type { SynologyCsiConfig } from "../../components/workloads/config";
import { missingCsiExtensions, synologyCsiConfigProblems } from "../../components/workloads/config";

const csi = (over: Partial<SynologyCsiConfig> = {}): SynologyCsiConfig => ({
    enabled: true,
    version: "v1.2.1",
    storageClassName: "synology-iscsi",
    location: "/volume1",
    fsType: "ext4",
    reclaimPolicy: "Delete",
    isDefault: true,
    protocol: "iscsi",
    ...over,
});
const SEED_EXTENSIONS = [
    "siderolabs/i915", "siderolabs/nut-client", "siderolabs/btrfs",
    "siderolabs/iscsi-tools", "siderolabs/util-linux-tools",
];

describe("missingCsiExtensions", () => {
    test("finds nothing missing in the seed's schematic", () => {
        expect(missingCsiExtensions(SEED_EXTENSIONS)).toEqual([]);
    });
    test("names each missing extension, in the required order", () => {
        expect(missingCsiExtensions([])).toEqual(["siderolabs/iscsi-tools", "siderolabs/util-linux-tools"]);
        expect(missingCsiExtensions(["siderolabs/iscsi-tools"])).toEqual(["siderolabs/util-linux-tools"]);
        expect(missingCsiExtensions(["siderolabs/util-linux-tools", "siderolabs/i915"])).toEqual(["siderolabs/iscsi-tools"]);
    });
    test("does not accept look-alikes", () => {
        expect(missingCsiExtensions(["siderolabs/iscsi-tools-extra", "util-linux-tools"]))
            .toEqual(["siderolabs/iscsi-tools", "siderolabs/util-linux-tools"]);
    });
});

describe("synologyCsiConfigProblems", () => {
    test("is empty for a good config, and when disabled whatever the rest says", () => {
        expect(synologyCsiConfigProblems(csi(), SEED_EXTENSIONS)).toEqual([]);
        expect(synologyCsiConfigProblems(csi({ enabled: false, version: "v1.0.0", location: "x" }), [])).toEqual([]);
    });
    test("names the setting and the extension to add", () => {
        const problems = synologyCsiConfigProblems(csi(), ["siderolabs/i915"]);
        expect(problems).toHaveLength(2);
        expect(problems[0]).toMatch(/^image\.extensions: /);
        expect(problems[0]).toMatch(/add "siderolabs\/iscsi-tools"/);
        expect(problems[1]).toMatch(/add "siderolabs\/util-linux-tools"/);
    });
    test("rejects driver versions without --iscsiadm-path and malformed tags", () => {
        expect(synologyCsiConfigProblems(csi({ version: "v1.2.0" }), SEED_EXTENSIONS).join("\n"))
            .toMatch(/version: v1\.2\.0 has no --iscsiadm-path.*v1\.2\.1 or later/);
        expect(synologyCsiConfigProblems(csi({ version: "latest" }), SEED_EXTENSIONS).join("\n"))
            .toMatch(/version: "latest" is not a synology\/synology-csi release tag/);
        expect(synologyCsiConfigProblems(csi({ version: "1.3.0" }), SEED_EXTENSIONS)).toEqual([]);
    });
    test("rejects btrfs from v1.4.0 on, and allows it before", () => {
        expect(synologyCsiConfigProblems(csi({ version: "v1.4.0", fsType: "btrfs" }), SEED_EXTENSIONS).join("\n"))
            .toMatch(/fsType: btrfs is not supported by driver v1\.4\.0/);
        expect(synologyCsiConfigProblems(csi({ version: "v1.4.0", fsType: "xfs" }), SEED_EXTENSIONS)).toEqual([]);
        expect(synologyCsiConfigProblems(csi({ version: "v1.2.1", fsType: "btrfs" }), SEED_EXTENSIONS)).toEqual([]);
    });
});
