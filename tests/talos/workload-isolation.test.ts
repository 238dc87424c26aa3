/** Talos 1.14's workload isolation (components/talos/workload-isolation.ts) and how the program renders it. */
import {
    decideWorkloadIsolation,
    isolationSettingProblem,
    renderWorkloadIsolationPatch,
} from "../../components/talos/workload-isolation";
import { renderNodePatches } from "../../components/talos/patches";
import { rawDocumentProblems, splitPatches } from "../../components/talos/raw-documents";
import { validatePatches } from "../../components/talos/validate";
import type { TalosConfigSchema } from "../../components/talos/validate-schema";
import type { NodeConfig } from "../../components/talos/config";
import { clusterConfig } from "../support/fixtures";
import { readReferenceJson } from "../support/reference";

describe("decideWorkloadIsolation: the setting, else Talos' own default for the cluster's history", () => {
    test.each([
        ["a new 1.14 stack: on, as talosctl gen config makes a new cluster", undefined, "v1.14.0", {}, true],
        ["a 1.13 stack: Talos 1.13 has none", undefined, "v1.13.9", {}, false],
        ["set true on a 1.13 stack: still none (the config check refuses it)", true, "v1.13.9", {}, false],
        [
            "a stack upgraded from 1.13: off, as Talos leaves an upgraded cluster",
            undefined,
            "v1.14.0",
            { version: "v1.13.9" },
            false,
        ],
        ["as the previous up recorded it", undefined, "v1.14.0", { version: "v1.14.0", workloadIsolation: true }, true],
        ["the setting over the history", true, "v1.14.0", { version: "v1.13.9", workloadIsolation: false }, true],
        ["false on a new stack", false, "v1.14.0", {}, false],
    ] as const)("%s", (_what, setting, talos, previous, on) => {
        expect(decideWorkloadIsolation(setting, talos, previous).on).toBe(on);
    });

    test("only the history's decision is said, with the way to turn it on", () => {
        expect(decideWorkloadIsolation(undefined, "v1.14.0", { version: "v1.13.9" }).note).toBe(
            "workload isolation stays off: this cluster was made before it ran Talos v1.14.0 (it ran v1.13.9), and " +
                "Talos leaves it off on a cluster it did not make at 1.14; cluster.workloadIsolation: true turns it on " +
                '(Synology CSI works with it; README "Talos 1.14\'s workload isolation")',
        );
        expect(decideWorkloadIsolation(undefined, "v1.14.0", {}).note).toBeUndefined();
        expect(decideWorkloadIsolation(false, "v1.14.0", { version: "v1.13.9" }).note).toBeUndefined();
    });
});

test("isolationSettingProblem: true before 1.14 is refused with the fix; false or unset never", () => {
    expect(isolationSettingProblem(true, "v1.13.9")).toBe(
        "Talos v1.13.9 has no workload isolation (the SecurityProfileConfig document came with Talos 1.14): set " +
            "cluster.talosVersion to v1.14.0 or later, or leave cluster.workloadIsolation unset",
    );
    expect(isolationSettingProblem(true, "v1.14.0")).toBeUndefined();
    expect(isolationSettingProblem(false, "v1.12.1")).toBeUndefined();
    expect(isolationSettingProblem(undefined, "v1.12.1")).toBeUndefined();
});

describe("rendered", () => {
    const schema114 = readReferenceJson<TalosConfigSchema>("talos-config-schema-v1.14.0-rc.1.json");
    const node = (role: NodeConfig["role"]): NodeConfig => ({
        hostname: role === "worker" ? "w-1" : "cp-1",
        mac: "aa:bb:cc:dd:ee:01",
        ip: "192.168.0.2",
        role,
        installDisk: "/dev/sda",
        patches: [],
        wakeOnLan: false,
    });
    const render = (workloadIsolation: boolean | undefined, role: NodeConfig["role"] = "controlplane") =>
        renderNodePatches({
            cluster: clusterConfig({ talosVersion: "v1.14.0", workloadIsolation }),
            node: node(role),
            index: 0,
            installerImage: `factory.talos.dev/metal-installer/${"a".repeat(64)}:v1.14.0`,
        });

    test("on: every node gets the document, which the pinned 1.14 schema takes", () => {
        for (const role of ["controlplane", "worker"] as const) {
            const isolation = render(true, role).filter((p) => p.label === "cluster.workloadIsolation");
            expect(isolation.map((p) => p.text)).toEqual([renderWorkloadIsolationPatch()]);
        }
        expect(validatePatches(render(true), schema114)).toEqual([]);
        // A typo'd setting in the document would be caught by the same check.
        expect(
            validatePatches(
                [{ label: "x", text: renderWorkloadIsolationPatch().replace("workloadIsolation", "workloadIsolaton") }],
                schema114,
            ),
        ).not.toEqual([]);
    });

    test("the provider cannot render it (a 1.14 kind), so it goes to the node as it is", () => {
        const split = splitPatches(render(true).filter((p) => p.label === "cluster.workloadIsolation"));
        expect(split.raw.map((r) => r.text)).toEqual([renderWorkloadIsolationPatch()]);
        expect(split.patches).toEqual([]);
    });

    test("a node patch of its own SecurityProfileConfig is refused at preview, naming the setting", () => {
        const patches = renderNodePatches({
            cluster: clusterConfig({ talosVersion: "v1.14.0", workloadIsolation: true }),
            node: { ...node("controlplane"), patches: ["apiVersion: v1alpha1\nkind: SecurityProfileConfig\n"] },
            index: 0,
            installerImage: `factory.talos.dev/metal-installer/${"a".repeat(64)}:v1.14.0`,
        });
        expect(rawDocumentProblems(patches)).toEqual([
            expect.stringMatching(
                /^cluster\.workloadIsolation: SecurityProfileConfig is also in nodes\[0\]\.patches\[0\]/,
            ),
            expect.stringMatching(
                /^nodes\[0\]\.patches\[0\]: SecurityProfileConfig is also in cluster\.workloadIsolation/,
            ),
        ]);
    });

    test("off or undecided: no document", () => {
        for (const setting of [false, undefined]) {
            expect(render(setting).some((p) => p.text.includes("SecurityProfileConfig"))).toBe(false);
        }
    });
});
