/**
 * Which Talos upgrades an `up` runs when `cluster.talosVersion` changes, by Talos' own rules (pure; no I/O).
 *
 * Talos decides whether a node may move to a release: the installer of the new release runs
 * `TalosVersion.UpgradeableFrom(host)` (pkg/machinery/compatibility/talos_version.go) with the rules of its minor
 * (components/talos/versions.ts, {@link TALOS_UPGRADE_RULES}), and refuses a host "too old to upgrade", "too new to
 * downgrade" or denied. Talos' upgrade guide recommends going through the newest patch of every minor in between,
 * the only path it tests. So by default (`cluster.upgradePath: stepwise`) a change across minors is split into
 * rounds: the newest release of each minor in between this program knows, then the target; every node moves one
 * round at a time. `direct` goes straight to the target where Talos allows it.
 *
 * Lowering the minor is refused whatever Talos says: the machine secrets carry the version contract, and the Talos
 * provider replaces them (a new PKI the running cluster does not trust) when it falls.
 */
import { compareVersions, parseVersion, releaseTag, VersionTriple } from "../version";
import {
    describeRange,
    kubernetesSupport,
    kubernetesVersionVerdict,
    newestKnownRelease,
    TALOS_UPGRADE_RULES,
} from "./versions";

/** `cluster.upgradePath`. */
export type UpgradePath = "stepwise" | "direct";
export const UPGRADE_PATHS: readonly UpgradePath[] = ["stepwise", "direct"];

/** The rounds an `up` runs: every node moves to `hops[0]`, one at a time, then to `hops[1]`, …; none when empty. */
export interface TalosUpgradePlan {
    /** The Talos release the nodes run before (the previous `up`'s), undefined when none is known. */
    from?: string;
    to: string;
    hops: string[];
}

const minorOf = (v: VersionTriple): string => `${v[0]}.${v[1]}`;
const plain = (v: VersionTriple): string => v.join(".");

function parse(version: string): VersionTriple {
    const v = parseVersion(version);
    if (!v) throw new Error(`upgrade path: "${version}" is not a Talos release version`);
    return v;
}

/**
 * Why Talos refuses to run `target`'s installer on a host at `host` (`UpgradeableFrom`, in Talos' words), or
 * undefined when it allows it; a minor without known rules is refused naming the table.
 */
export function upgradeRefusal(target: string, host: string): string | undefined {
    const [t, h] = [parse(target), parse(host)];
    const rules = TALOS_UPGRADE_RULES.find((r) => r.minor === minorOf(t));
    if (!rules) {
        return (
            `this program does not know Talos ${minorOf(t)}'s upgrade rules (compatibility/talos${t[0]}${t[1]}; ` +
            `components/talos/versions.ts knows ${TALOS_UPGRADE_RULES.map((r) => r.minor).join(", ")})`
        );
    }
    if (compareVersions(h, parse(rules.minimumHostUpgrade)) < 0)
        return `host version ${plain(h)} is too old to upgrade to Talos ${plain(t)}`;
    if (compareVersions(h, parse(rules.maximumHostDowngrade)) >= 0)
        return `host version ${plain(h)} is too new to downgrade to Talos ${plain(t)}`;
    if (rules.deniedHostUpgrade.some((d) => compareVersions(parse(d), h) === 0))
        return `host version ${plain(h)} is denied for upgrade to Talos ${plain(t)}`;
    return undefined;
}

/** The stepwise rounds from `from` to `to` (a later minor): each minor's newest known release in between, then `to`. */
function stepwiseHops(from: VersionTriple, to: VersionTriple): { hops: string[]; unknown?: string } {
    const hops: string[] = [];
    for (let minor = from[1] + 1; minor < to[1]; minor++) {
        const newest = newestKnownRelease(`${from[0]}.${minor}`);
        if (!newest) return { hops, unknown: `${from[0]}.${minor}` };
        hops.push(newest);
    }
    return { hops: [...hops, releaseTag(plain(to))] };
}

const pathWords = (from: string, hops: readonly string[]) => [from, ...hops].join(" → ");

/**
 * The rounds that take the nodes from `from` (the release they run; undefined: nothing is known, nothing to plan)
 * to `to`, or why Talos (or the program) refuses the change, with the path that works where there is one. Every
 * message names `cluster.talosVersion` and the fix.
 */
export function planTalosUpgrade(
    from: string | undefined,
    to: string,
    path: UpgradePath,
): { plan: TalosUpgradePlan } | { problem: string } {
    const target = releaseTag(to);
    if (from === undefined) return { plan: { to: target, hops: [] } };
    const [f, t] = [parse(from), parse(to)];
    const source = releaseTag(from);
    if (compareVersions(f, t) === 0) return { plan: { from: source, to: target, hops: [] } };
    const key = "cluster.talosVersion";
    if (t[0] !== f[0] || t[1] < f[1]) {
        const talos = upgradeRefusal(target, source);
        return {
            problem:
                `${key}: ${source} → ${target} lowers the Talos minor the nodes run: the machine secrets carry its version ` +
                "contract and the Talos provider replaces them when it falls (a new PKI the running cluster does not trust)" +
                `${talos ? `; Talos itself refuses it too (${talos})` : ""}. Keep ${key} at a ${minorOf(f)} release ` +
                `(${newestKnownRelease(minorOf(f)) ?? source} is the newest this program knows), or rebuild the cluster`,
        };
    }
    if (t[1] === f[1]) {
        const refused = upgradeRefusal(target, source);
        return refused
            ? { problem: `${key}: Talos refuses ${source} → ${target} (${refused})` }
            : { plan: { from: source, to: target, hops: [target] } };
    }
    const stepwise = stepwiseHops(f, t);
    const stepwiseRefusal =
        stepwise.unknown ??
        stepwise.hops.map((hop, i) => upgradeRefusal(hop, i === 0 ? source : stepwise.hops[i - 1])).find((r) => r);
    if (path === "direct") {
        const refused = upgradeRefusal(target, source);
        if (!refused) return { plan: { from: source, to: target, hops: [target] } };
        return {
            problem:
                `${key}: Talos refuses to upgrade ${source} straight to ${target} (${refused}). ` +
                (stepwiseRefusal
                    ? "This program knows no path that works"
                    : `The path that works: ${pathWords(source, stepwise.hops)}; set cluster.upgradePath to stepwise ` +
                      "(the default) and the up runs it, one round at a time"),
        };
    }
    if (stepwise.unknown) {
        return {
            problem:
                `${key}: ${source} → ${target} goes through Talos ${stepwise.unknown}, whose releases this program does ` +
                "not know (components/talos/versions.ts); upgrade to a release of it first",
        };
    }
    if (stepwiseRefusal) {
        return { problem: `${key}: Talos refuses the path ${pathWords(source, stepwise.hops)} (${stepwiseRefusal})` };
    }
    return { plan: { from: source, to: target, hops: stepwise.hops } };
}

/**
 * Why a node on the way would refuse `cluster.kubernetesVersion`, or undefined. A running Talos checks the Kubernetes
 * version of every machine config it is given against its own release (`ValidateKubernetesImageTag`, called from
 * `RuntimeValidate`: pkg/machinery/config/types/v1alpha1/v1alpha1_validation.go at v1.12.11), and the configs are
 * applied before the upgrades, so every release the nodes run on the way (the one they run now, then each round's)
 * must accept it. The fix: a version all of them accept, for this up (the one the cluster runs, when it is one), and
 * the new Kubernetes in an up of its own afterwards.
 */
export function kubernetesOnPathProblem(
    plan: TalosUpgradePlan,
    kubernetesVersion: string,
    runningKubernetes?: string,
): string | undefined {
    if (plan.from === undefined || plan.hops.length === 0) return undefined;
    const releases = [plan.from, ...plan.hops].flatMap((talos) => {
        const s = kubernetesSupport(talos);
        return s && s.basis !== "unknown" ? [{ talos, range: s }] : [];
    });
    const refusing = releases.flatMap(({ talos, range }) => {
        const verdict = kubernetesVersionVerdict(kubernetesVersion, range);
        return verdict ? [`${verdict} for Talos ${talos} (${describeRange(range)})`] : [];
    });
    if (refusing.length === 0) return undefined;
    const byCore = (a: string, b: string) => compareVersions(parse(a), parse(b));
    const all = {
        minimumKubernetes: releases.map((r) => r.range.minimumKubernetes).sort(byCore)[releases.length - 1],
        maximumKubernetes: releases.map((r) => r.range.maximumKubernetes).sort(byCore)[0],
    };
    const running =
        runningKubernetes !== undefined &&
        parseVersion(runningKubernetes) &&
        !kubernetesVersionVerdict(runningKubernetes, all)
            ? runningKubernetes
            : undefined;
    const fix = running
        ? `set it to ${running}, what the cluster runs (\`pulumi config set --path homelab:cluster.kubernetesVersion ${running}\`)`
        : `set it to a version from ${describeRange(all)} (\`pulumi config set --path homelab:cluster.kubernetesVersion <version>\`)`;
    return (
        `cluster.kubernetesVersion: ${kubernetesVersion} is ${refusing.join(", ")}, a release the nodes run on the way ` +
        `${pathWords(plan.from, plan.hops)}: a node refuses a machine config whose Kubernetes its running Talos does ` +
        `not support, and the configs are applied before the upgrades. For this up ${fix}; raise it in an up of its ` +
        "own after the upgrade"
    );
}

/**
 * What a preview says of a plan (undefined when nothing is upgraded): with `cluster.upgrades` on, the rounds the up
 * runs in order, after the new machine configs are applied and the cluster is healthy, each node one at a time
 * (`nodesInOrder`: control planes first), the etcd snapshot before the first; with it off, that the up upgrades no
 * node, and the path to take.
 */
export function describeUpgradePlan(
    plan: TalosUpgradePlan,
    nodesInOrder: readonly { hostname: string }[],
    upgrades: boolean,
    kubernetes?: { from?: string; to: string },
): string | undefined {
    if (plan.hops.length === 0 || plan.from === undefined) return undefined;
    const who = nodesInOrder.map((n) => n.hostname).join(", ");
    const rounds = plan.hops.map((hop, i) => `${i + 1}) ${i === 0 ? plan.from : plan.hops[i - 1]} → ${hop} on ${who}`);
    if (!upgrades) {
        return (
            `cluster.upgrades is off: this up upgrades no node (Talos ${plan.from} → ${plan.to}). The path Talos ` +
            `allows: ${[plan.from, ...plan.hops].join(" → ")}; set cluster.upgrades: true and an up runs it`
        );
    }
    const k8s =
        kubernetes && kubernetes.from !== undefined && kubernetes.from !== kubernetes.to
            ? `; then Kubernetes ${kubernetes.from} → ${kubernetes.to} (talosctl upgrade-k8s)`
            : "";
    const n = plan.hops.length;
    return (
        `Talos upgrades this up runs (cluster.upgradePath), ${n} round${n === 1 ? "" : "s"} in order after the new ` +
        `machine configs are applied and the cluster is healthy, each node one at a time: an etcd snapshot; ` +
        `${rounds.join("; ")}${k8s}`
    );
}
