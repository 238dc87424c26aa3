/** What the previous up left and what it decides now (components/talos/previous.ts). */
import { decideUpgrades, previousTalos, upgradeImageFor, upgradeProblems } from "../../components/talos/previous";
import type { NodeConfig } from "../../components/talos/config";
import { clusterConfig } from "../support/fixtures";

const ID = "a".repeat(64);
const OTHER_ID = "b".repeat(64);
const node = (hostname: string, role: NodeConfig["role"] = "controlplane"): NodeConfig => ({
    hostname,
    role,
    ip: "192.168.0.2",
    mac: "aa:bb:cc:dd:ee:01",
    installDisk: "/dev/sda",
    patches: [],
    wakeOnLan: false,
});

describe("previousTalos: the previous up's outputs, read defensively", () => {
    test("a stack's first up: nothing known", () => {
        expect(previousTalos({})).toEqual({});
    });

    test("the talos output of this version", () => {
        const image = `factory.talos.dev/metal-installer/${ID}:v1.13.9`;
        expect(
            previousTalos({
                talos: { version: "v1.13.9", kubernetesVersion: "1.36.3", upgradeImage: image },
                installerImage: `factory.talos.dev/installer/${ID}:v1.12.1`,
                nodes: [{ hostname: "cp-1" }, { hostname: "w-1" }],
            }),
        ).toEqual({ version: "v1.13.9", kubernetesVersion: "1.36.3", upgradeImage: image, hostnames: ["cp-1", "w-1"] });
    });

    test("the reboot digests of each node, only the ones that are digests", () => {
        const digest = "c".repeat(64);
        expect(
            previousTalos({ talos: { version: "v1.13.9", rebootDigests: { "cp-1": digest, "w-1": 7, "w-2": "x" } } }),
        ).toEqual({ version: "v1.13.9", rebootDigests: { "cp-1": digest } });
        expect(previousTalos({ talos: { version: "v1.13.9" } })).toEqual({ version: "v1.13.9" });
    });

    test("a stack made before the talos output: the release from the installer image's tag", () => {
        const image = `factory.talos.dev/installer/${ID}:v1.12.1`;
        expect(previousTalos({ installerImage: image })).toEqual({ version: "v1.12.1", upgradeImage: image });
    });

    test("what is not understood is left out", () => {
        expect(previousTalos({ talos: "v1.12.1", installerImage: "no-tag", nodes: "cp-1" })).toEqual({
            upgradeImage: "no-tag",
        });
        expect(previousTalos({ talos: { version: "1.x" } })).toEqual({});
    });
});

describe("upgradeImageFor: the factory's other form of the same image runs no upgrade", () => {
    const legacy = (id: string, v: string) => `factory.talos.dev/installer/${id}:${v}`;
    const unified = (id: string, v: string) => `factory.talos.dev/metal-installer/${id}:${v}`;
    test.each([
        ["the same image", unified(ID, "v1.12.1"), unified(ID, "v1.12.1"), unified(ID, "v1.12.1")],
        [
            "installer/ → metal-installer/, same schematic and release",
            legacy(ID, "v1.12.1"),
            unified(ID, "v1.12.1"),
            legacy(ID, "v1.12.1"),
        ],
        ["a new release", legacy(ID, "v1.12.1"), unified(ID, "v1.13.9"), unified(ID, "v1.13.9")],
        ["a new schematic", legacy(ID, "v1.12.1"), unified(OTHER_ID, "v1.12.1"), unified(OTHER_ID, "v1.12.1")],
        ["another factory", `other.example/installer/${ID}:v1.12.1`, unified(ID, "v1.12.1"), unified(ID, "v1.12.1")],
        [
            "a Secure Boot installer is not the metal one",
            `factory.talos.dev/installer-secureboot/${ID}:v1.12.1`,
            unified(ID, "v1.12.1"),
            unified(ID, "v1.12.1"),
        ],
        ["nothing before", undefined, unified(ID, "v1.12.1"), unified(ID, "v1.12.1")],
    ])("%s", (_what, previous, next, expected) => {
        expect(upgradeImageFor(previous, next)).toBe(expected);
    });
});

describe("upgradeProblems: no new node in an up that upgrades in rounds", () => {
    const rounds = { from: "v1.12.1", to: "v1.14.0", hops: ["v1.13.9", "v1.14.0"] };
    const on = { upgrades: true };
    const previous = { version: "v1.12.1", hostnames: ["cp-1"] };

    test("a new node with two rounds is refused, naming it, the rounds and the fix", () => {
        const p = upgradeProblems(on, rounds, [node("cp-1"), node("w-1", "worker")], previous);
        expect(p).toBe(
            "nodes: w-1 is new, and this up upgrades Talos in 2 rounds (v1.12.1 → v1.13.9 → v1.14.0, " +
                "cluster.talosVersion): add it in an up of its own, before or after the upgrade (a new node boots the " +
                "target release, which a round before the last would move down)",
        );
    });

    test.each([
        ["one round", on, { ...rounds, hops: ["v1.14.0"] }, previous],
        ["upgrades off", { upgrades: false }, rounds, previous],
        ["no node known before", on, rounds, { version: "v1.12.1" }],
    ])("none with %s", (_what, cluster, plan, prev) => {
        expect(upgradeProblems(cluster, plan, [node("cp-1"), node("w-1", "worker")], prev)).toBeUndefined();
    });
});

describe("decideUpgrades: from the previous up to this one", () => {
    const nodes = [node("w-1", "worker"), node("cp-1")];
    test("1.12 → 1.14 by default: two rounds, control planes first, said", () => {
        const d = decideUpgrades(
            clusterConfig({ talosVersion: "v1.14.0", kubernetesVersion: "1.35.0", upgrades: true }),
            nodes,
            { version: "v1.12.1", kubernetesVersion: "1.34.1", hostnames: ["w-1", "cp-1"] },
        );
        if (!("plan" in d)) throw new Error(d.problem);
        expect(d.plan.hops).toEqual(["v1.13.9", "v1.14.0"]);
        expect(d.said).toContain("1) v1.12.1 → v1.13.9 on cp-1, w-1; 2) v1.13.9 → v1.14.0 on cp-1, w-1");
        expect(d.said).toContain("then Kubernetes 1.34.1 → 1.35.0");
    });

    test("direct where Talos refuses it: the problem, with the path that works", () => {
        const d = decideUpgrades(
            clusterConfig({ talosVersion: "v1.14.0", upgradePath: "direct", upgrades: true }),
            nodes,
            { version: "v1.11.5" },
        );
        expect("problem" in d && d.problem).toMatch(
            /^cluster\.talosVersion: Talos refuses to upgrade v1\.11\.5 straight to v1\.14\.0 \(host version 1\.11\.5 is too old.*The path that works: v1\.11\.5 → v1\.12\.11 → v1\.13\.9 → v1\.14\.0/,
        );
    });

    test("a Kubernetes a release on the way refuses: refused, with the version the cluster runs as the fix", () => {
        const d = decideUpgrades(
            clusterConfig({ talosVersion: "v1.14.0", kubernetesVersion: "1.37.0", upgrades: true }),
            nodes,
            { version: "v1.12.1", kubernetesVersion: "1.35.0" },
        );
        expect("problem" in d && d.problem).toBe(
            "cluster.kubernetesVersion: 1.37.0 is too new for Talos v1.12.1 (1.30.0 to 1.35.x), too new for Talos " +
                "v1.13.9 (1.31.0 to 1.36.x), a release the nodes run on the way v1.12.1 → v1.13.9 → v1.14.0: a node " +
                "refuses a machine config whose Kubernetes its running Talos does not support, and the configs are " +
                "applied before the upgrades. For this up set it to 1.35.0, what the cluster runs (`pulumi config set " +
                "--path homelab:cluster.kubernetesVersion 1.35.0`); raise it in an up of its own after the upgrade",
        );
    });

    test("... and with the range every release on the way accepts when the running one does not fit", () => {
        for (const running of [undefined, "1.29.0"]) {
            const d = decideUpgrades(
                clusterConfig({ talosVersion: "v1.14.0", kubernetesVersion: "1.37.0", upgrades: false }),
                nodes,
                { version: "v1.12.1", kubernetesVersion: running },
            );
            expect("problem" in d && d.problem).toMatch(
                /^cluster\.kubernetesVersion: 1\.37\.0 is too new for Talos v1\.12\.1 .*For this up set it to a version from 1\.32\.0 to 1\.35\.x /,
            );
        }
        // The same Talos minor: nothing new to refuse.
        const same = decideUpgrades(clusterConfig({ talosVersion: "v1.12.11", upgrades: true }), nodes, {
            version: "v1.12.1",
            kubernetesVersion: "1.35.0",
        });
        expect("plan" in same && same.plan.hops).toEqual(["v1.12.11"]);
    });

    test("a new node in a round-by-round up is refused", () => {
        const d = decideUpgrades(
            clusterConfig({ talosVersion: "v1.14.0", kubernetesVersion: "1.35.0", upgrades: true }),
            nodes,
            { version: "v1.12.1", hostnames: ["cp-1"] },
        );
        expect("problem" in d && d.problem).toMatch(/^nodes: w-1 is new/);
    });

    test("a first up plans nothing and says nothing", () => {
        expect(decideUpgrades(clusterConfig({ upgrades: true }), nodes, {})).toEqual({
            plan: { to: "v1.12.1", hops: [] },
            said: undefined,
        });
    });
});
