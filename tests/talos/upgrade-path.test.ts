/** Talos' own upgrade rules and the rounds an up runs (components/talos/upgrade-path.ts, versions.ts). */
import { describeUpgradePlan, planTalosUpgrade, upgradeRefusal } from "../../components/talos/upgrade-path";
import { newestKnownRelease, TALOS_UPGRADE_RULES } from "../../components/talos/versions";

describe("UpgradeableFrom, as compatibility/talos112…114 say", () => {
    test("the rules read from each minor's machinery", () => {
        expect(TALOS_UPGRADE_RULES).toEqual([
            { minor: "1.12", minimumHostUpgrade: "1.10.0", maximumHostDowngrade: "1.14.0", deniedHostUpgrade: [] },
            { minor: "1.13", minimumHostUpgrade: "1.11.0", maximumHostDowngrade: "1.15.0", deniedHostUpgrade: [] },
            { minor: "1.14", minimumHostUpgrade: "1.12.0", maximumHostDowngrade: "1.16.0", deniedHostUpgrade: [] },
        ]);
    });

    test.each([
        ["v1.14.0", "v1.12.0", undefined],
        ["v1.14.0", "v1.11.5", "host version 1.11.5 is too old to upgrade to Talos 1.14.0"],
        ["v1.13.9", "v1.11.0", undefined],
        ["v1.13.0", "v1.10.6", "host version 1.10.6 is too old to upgrade to Talos 1.13.0"],
        ["v1.12.11", "v1.14.0", "host version 1.14.0 is too new to downgrade to Talos 1.12.11"],
        ["v1.12.11", "v1.13.9", undefined],
        ["v1.13.9", "v1.14.3", undefined],
        ["v1.13.0", "v1.15.0", "host version 1.15.0 is too new to downgrade to Talos 1.13.0"],
    ])("to %s from a host at %s: %s", (target, host, refusal) => {
        expect(upgradeRefusal(target, host)).toBe(refusal);
    });

    test("a minor without known rules is refused naming the table", () => {
        expect(upgradeRefusal("v1.15.0", "v1.14.0")).toContain("does not know Talos 1.15's upgrade rules");
    });
});

describe("the rounds of a talosVersion change", () => {
    const plan = (from: string | undefined, to: string, path: "stepwise" | "direct" = "stepwise") => {
        const r = planTalosUpgrade(from, to, path);
        return "plan" in r ? r.plan.hops : r.problem;
    };

    test.each([
        // by default through the newest known patch of every minor in between (Talos' tested path)
        ["v1.12.1", "v1.14.0", "stepwise", ["v1.13.9", "v1.14.0"]],
        ["v1.12.1", "v1.13.2", "stepwise", ["v1.13.2"]],
        ["v1.12.1", "v1.12.11", "stepwise", ["v1.12.11"]],
        ["v1.12.3", "v1.12.1", "stepwise", ["v1.12.1"]],
        ["v1.14.0", "v1.14.0", "stepwise", []],
        [undefined, "v1.14.0", "stepwise", []],
        // direct where Talos allows it
        ["v1.12.1", "v1.14.0", "direct", ["v1.14.0"]],
        ["v1.12.1", "v1.13.0", "direct", ["v1.13.0"]],
    ])("%s → %s (%s): %j", (from, to, path, hops) => {
        expect(plan(from, to, path as "stepwise" | "direct")).toEqual(hops);
    });

    test("direct where Talos refuses: refused at preview with the path that works spelled out", () => {
        const p = plan("v1.11.5", "v1.14.0", "direct");
        expect(p).toContain("cluster.talosVersion: Talos refuses to upgrade v1.11.5 straight to v1.14.0");
        expect(p).toContain("host version 1.11.5 is too old to upgrade to Talos 1.14.0");
        expect(p).toContain("The path that works: v1.11.5 → v1.12.11 → v1.13.9 → v1.14.0");
        expect(p).toContain("set cluster.upgradePath to stepwise");
        // ... which the default takes
        expect(plan("v1.11.5", "v1.14.0")).toEqual(["v1.12.11", "v1.13.9", "v1.14.0"]);
    });

    test("lowering the minor is refused, with Talos' own word where it refuses too", () => {
        const p = plan("v1.14.0", "v1.12.11") as string;
        expect(p).toContain("v1.14.0 → v1.12.11 lowers the Talos minor the nodes run");
        expect(p).toContain("the Talos provider replaces them when it falls");
        expect(p).toContain(
            "Talos itself refuses it too (host version 1.14.0 is too new to downgrade to Talos 1.12.11)",
        );
        expect(p).toContain("Keep cluster.talosVersion at a 1.14 release (v1.14.0 is the newest this program knows)");
        expect(plan("v1.13.9", "v1.12.11")).not.toContain("Talos itself refuses");
    });

    test("a minor whose releases or rules the program does not know", () => {
        expect(plan("v1.14.0", "v1.15.1")).toContain("does not know Talos 1.15's upgrade rules");
        expect(plan("v1.13.9", "v1.16.0")).toContain(
            "goes through Talos 1.15, whose releases this program does not know",
        );
    });

    test("the newest release the table knows of each minor", () => {
        expect([newestKnownRelease("1.12"), newestKnownRelease("1.13"), newestKnownRelease("1.14")]).toEqual([
            "v1.12.11",
            "v1.13.9",
            "v1.14.0",
        ]);
        expect(newestKnownRelease("1.15")).toBeUndefined();
    });
});

describe("what a preview says", () => {
    const nodes = [{ hostname: "cp-1" }, { hostname: "cp-2" }, { hostname: "w-1" }];
    const planOf = (from: string, to: string) => {
        const r = planTalosUpgrade(from, to, "stepwise");
        if (!("plan" in r)) throw new Error(r.problem);
        return r.plan;
    };

    test("upgrades on: the rounds in order, who moves, and what comes around them", () => {
        expect(describeUpgradePlan(planOf("v1.12.1", "v1.14.0"), nodes, true, { from: "1.35.0", to: "1.37.0" })).toBe(
            "Talos upgrades this up runs (cluster.upgradePath), 2 rounds in order after the new machine configs are " +
                "applied and the cluster is healthy, each node one at a time: an etcd snapshot; " +
                "1) v1.12.1 → v1.13.9 on cp-1, cp-2, w-1; 2) v1.13.9 → v1.14.0 on cp-1, cp-2, w-1; " +
                "then Kubernetes 1.35.0 → 1.37.0 (talosctl upgrade-k8s)",
        );
        expect(describeUpgradePlan(planOf("v1.12.1", "v1.12.11"), nodes, true, { from: "1.35.0", to: "1.35.0" })).toBe(
            "Talos upgrades this up runs (cluster.upgradePath), 1 round in order after the new machine configs are " +
                "applied and the cluster is healthy, each node one at a time: an etcd snapshot; " +
                "1) v1.12.1 → v1.12.11 on cp-1, cp-2, w-1",
        );
    });

    test("upgrades off: no node is upgraded, and the path to take", () => {
        expect(describeUpgradePlan(planOf("v1.12.1", "v1.14.0"), nodes, false)).toBe(
            "cluster.upgrades is off: this up upgrades no node (Talos v1.12.1 → v1.14.0). The path Talos allows: " +
                "v1.12.1 → v1.13.9 → v1.14.0; set cluster.upgrades: true and an up runs it",
        );
    });

    test("nothing to say when nothing moves", () => {
        expect(describeUpgradePlan(planOf("v1.14.0", "v1.14.0"), nodes, true)).toBeUndefined();
        expect(describeUpgradePlan({ to: "v1.14.0", hops: [] }, nodes, true)).toBeUndefined();
    });
});
