/**
 * Which machine-config change needs a reboot, as Talos 1.12/1.13's CanApplyImmediate decides (v1alpha1_runtime.go
 * at v1.13.0), on configs shaped like the ones the provider renders for this program, and the preview's words.
 */
import {
    rebootCheckApplies,
    rebootConsequence,
    rebootDigest,
    rebootNote,
    rebootRelevantPart,
} from "../../components/talos/reboot-changes";

/** A control plane's config as the provider renders it (trimmed), with the program's other documents. */
function config(edit: (lines: string[]) => string[] = (l) => l, extra = ""): string {
    const v1alpha1 = [
        "version: v1alpha1",
        "debug: false",
        "persist: true",
        "machine:",
        "    type: controlplane",
        "    token: abcdef.0123456789abcdef",
        "    ca:",
        "        crt: TUFDSElORS1DQQ==",
        "        key: TUFDSElORS1LRVk=",
        "    certSANs: []",
        "    kubelet:",
        "        image: ghcr.io/siderolabs/kubelet:v1.35.0",
        "        defaultRuntimeSeccompProfileEnabled: true",
        "        disableManifestsDirectory: true",
        "    network: {}",
        "    install:",
        "        disk: /dev/nvme0n1",
        "        image: factory.talos.dev/metal-installer/8728686:v1.12.1",
        "        wipe: false",
        "    features:",
        "        rbac: true",
        "        stableHostname: true",
        "        apidCheckExtKeyUsage: true",
        "        diskQuotaSupport: true",
        "        kubePrism:",
        "            enabled: true",
        "            port: 7445",
        "        hostDNS:",
        "            enabled: true",
        "            forwardKubeDNSToHost: true",
        "    nodeLabels:",
        '        node.kubernetes.io/exclude-from-external-load-balancers: ""',
        "cluster:",
        "    id: Y2x1c3Rlci1pZA==",
        "    secret: Y2x1c3Rlci1zZWNyZXQ=",
        "    controlPlane:",
        "        endpoint: https://192.168.0.2:6443",
        "    clusterName: homelab-dev",
        "    network:",
        "        dnsDomain: cluster.local",
        "        podSubnets: [10.244.0.0/16]",
        "        serviceSubnets: [10.96.0.0/12]",
        "    token: abcdef.0123456789abcdef",
        "    allowSchedulingOnControlPlanes: true",
    ];
    return [
        ...edit(v1alpha1),
        "---",
        "apiVersion: v1alpha1",
        "kind: HostnameConfig",
        "hostname: cp-1",
        "auto: off",
        "---",
        "apiVersion: v1alpha1",
        "kind: ExtensionServiceConfig",
        "name: nut-client",
        "configFiles:",
        "    - content: MONITOR ups@192.168.0.6 1 monuser secret secondary",
        "      mountPath: /usr/local/etc/nut/upsmon.conf",
        extra,
    ].join("\n");
}

/** Inserts `lines` right after the line `after` (its indentation is the caller's). */
const insertAfter =
    (after: string, ...lines: string[]) =>
    (l: string[]): string[] => {
        const i = l.indexOf(after);
        if (i < 0) throw new Error(`no line ${after}`);
        return [...l.slice(0, i + 1), ...lines, ...l.slice(i + 1)];
    };
const replace =
    (from: string, to: string) =>
    (l: string[]): string[] => {
        if (!l.includes(from)) throw new Error(`no line ${from}`);
        return l.map((x) => (x === from ? to : x));
    };

const before = rebootDigest(config());
const needsReboot = (c: string) => rebootDigest(c) !== before;

describe("a change Talos applies live (the same digest)", () => {
    test.each([
        [
            "machine.kubelet",
            replace(
                "        image: ghcr.io/siderolabs/kubelet:v1.35.0",
                "        image: ghcr.io/siderolabs/kubelet:v1.35.4",
            ),
        ],
        ["machine.kubelet.extraArgs", insertAfter("    kubelet:", "        extraArgs:", '            max-pods: "150"')],
        ["machine.install.disk", replace("        disk: /dev/nvme0n1", "        disk: /dev/sda")],
        [
            "machine.install.image (an upgrade's new installer)",
            replace(
                "        image: factory.talos.dev/metal-installer/8728686:v1.12.1",
                "        image: factory.talos.dev/metal-installer/8728686:v1.12.2",
            ),
        ],
        ["machine.nodeLabels", insertAfter("    nodeLabels:", "        topology.kubernetes.io/zone: rack-1")],
        ["machine.sysctls", insertAfter("    type: controlplane", "    sysctls:", '        vm.nr_hugepages: "128"')],
        ["machine.network", replace("    network: {}", "    network:\n        nameservers: [192.168.0.1]")],
        ["machine.features.kubePrism", replace("            port: 7445", "            port: 7446")],
        [
            "machine.features.hostDNS",
            replace("            forwardKubeDNSToHost: true", "            forwardKubeDNSToHost: false"),
        ],
        [
            "cluster (allowSchedulingOnControlPlanes)",
            replace("    allowSchedulingOnControlPlanes: true", "    allowSchedulingOnControlPlanes: false"),
        ],
        ["debug", replace("debug: false", "debug: true")],
        ["the order of keys only", (l: string[]) => [l[0], l[2], l[1], ...l.slice(3)]],
    ])("%s", (_what, edit) => {
        expect(needsReboot(config(edit))).toBe(false);
    });

    test("another document (HostnameConfig, the UPS's ExtensionServiceConfig) never needs a reboot", () => {
        expect(
            needsReboot(
                config(undefined, "---\napiVersion: v1alpha1\nkind: SecurityProfileConfig\nworkloadIsolation: true\n"),
            ),
        ).toBe(false);
        expect(needsReboot(config().replace("hostname: cp-1", "hostname: cp-one"))).toBe(false);
        expect(needsReboot(config().replace("monuser secret", "monuser other"))).toBe(false);
    });
});

describe("a change that needs a reboot (another digest)", () => {
    test.each([
        ["machine.env", insertAfter("    type: controlplane", "    env:", "        https_proxy: http://proxy:3128")],
        [
            "machine.systemDiskEncryption",
            insertAfter(
                "    type: controlplane",
                "    systemDiskEncryption:",
                "        ephemeral:",
                "            provider: luks2",
                "            keys: [{slot: 0, tpm: {}}]",
            ),
        ],
        [
            "machine.files",
            insertAfter("    type: controlplane", "    files:", "        - {path: /var/etc/x, content: x, op: create}"),
        ],
        [
            "machine.features.diskQuotaSupport",
            replace("        diskQuotaSupport: true", "        diskQuotaSupport: false"),
        ],
        ["machine.features.rbac", replace("        rbac: true", "        rbac: false")],
        [
            "machine.token (new secrets)",
            replace("    token: abcdef.0123456789abcdef", "    token: ghijkl.0123456789abcdef"),
        ],
        [
            "machine.features gone (Talos copies live features only when both configs have them)",
            (l: string[]) => l.slice(0, l.indexOf("    features:")).concat(l.slice(l.indexOf("    nodeLabels:"))),
        ],
        ["persist", replace("persist: true", "persist: false")],
    ])("%s", (_what, edit) => {
        expect(needsReboot(config(edit))).toBe(true);
    });
});

describe("rebootRelevantPart", () => {
    test("is the v1alpha1 document without what Talos applies live", () => {
        expect(rebootRelevantPart(config())).toEqual({
            version: "v1alpha1",
            persist: true,
            machine: {
                type: "controlplane",
                token: "abcdef.0123456789abcdef",
                features: { rbac: true, stableHostname: true, apidCheckExtKeyUsage: true, diskQuotaSupport: true },
            },
        });
    });

    test("a null field is an absent one, as Go decodes it", () => {
        expect(rebootDigest(config(insertAfter("    type: controlplane", "    env: null")))).toBe(before);
    });

    test("a config without a v1alpha1 document has none, and a digest of its own", () => {
        expect(rebootRelevantPart("apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: cp-1\n")).toBeUndefined();
        expect(rebootDigest("apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: cp-1\n")).toMatch(/^[0-9a-f]{64}$/);
    });

    test("the digest holds no value of the config (only 64 hex)", () => {
        expect(before).toMatch(/^[0-9a-f]{64}$/);
        expect(before).not.toContain("abcdef");
    });
});

describe("rebootCheckApplies", () => {
    test("Talos 1.12 and 1.13 check; 1.14 dropped the check; unknown is not checked", () => {
        expect(rebootCheckApplies("v1.12.1")).toBe(true);
        expect(rebootCheckApplies("v1.13.9")).toBe(true);
        expect(rebootCheckApplies("v1.14.0")).toBe(false);
        expect(rebootCheckApplies("v1.15.2")).toBe(false);
        expect(rebootCheckApplies(undefined)).toBe(false);
    });
});

describe("rebootNote", () => {
    const prev = { "cp-1": "a", "w-1": "b", "w-2": "c" };
    const modes = { "cp-1": "auto", "w-1": "staged_if_needing_reboot", "w-2": "no_reboot", "w-3": "auto" } as const;

    test("names each node whose digest changed, with what its apply mode does", () => {
        const note = rebootNote(prev, { "cp-1": "A", "w-1": "B", "w-2": "C", "w-3": "D" }, modes, "v1.13.9");
        expect(note).toMatch(/^Machine config changes that need a reboot on Talos v1\.13\.9/);
        expect(note).toContain("cp-1: the change needs a reboot; applyMode auto reboots it now");
        expect(note).toContain(
            "w-1: the change needs a reboot; applyMode staged_if_needing_reboot: staged until its next reboot",
        );
        expect(note).toContain("w-2: the change needs a reboot; applyMode no_reboot: refused by Talos");
        expect(note).not.toContain("w-3"); // new: its first apply
    });

    test("names only the nodes that changed", () => {
        const note = rebootNote(prev, { "cp-1": "a", "w-1": "B", "w-2": "c" }, modes, "v1.12.1")!;
        expect(note).toContain("w-1:");
        expect(note).not.toMatch(/cp-1|w-2/);
    });

    test("names nothing on a stack's first up, a stack from before the digests, no change, or nodes on Talos 1.14", () => {
        const changed = { "cp-1": "A", "w-1": "B", "w-2": "C" };
        expect(rebootNote(undefined, changed, modes, "v1.13.9")).toBeUndefined();
        expect(rebootNote(prev, prev, modes, "v1.13.9")).toBeUndefined();
        expect(rebootNote(prev, changed, modes, "v1.14.0")).toBeUndefined();
        expect(rebootNote(prev, changed, modes, undefined)).toBeUndefined();
    });

    test("every apply mode has its consequence", () => {
        expect(rebootConsequence("reboot")).toBe("applyMode reboot reboots it now");
        expect(rebootConsequence("staged")).toBe("applyMode staged: staged until its next reboot");
    });
});
