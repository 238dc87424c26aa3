/**
 * Opt-in rolling upgrades (`cluster.upgrades: true`), which the Talos provider does not do itself.
 *
 * The real command provider (v1.2.1) REPLACES a command when an element of `triggers` changes: the engine then
 * runs `create` of a new one and never `update`. So nothing here uses `triggers`: the installer image (or the
 * Kubernetes version) is part of the `create`/`update` text, and a change of that text is an in-place update,
 * which runs `update` exactly once. A re-run with nothing changed runs nothing.
 *
 * - One `local.Command` per node, control planes first, each `dependsOn` the previous one, all after the
 *   cluster's health check (so the first upgrade starts on a healthy cluster):
 *   - `update` (the text changed: a new Talos version or schematic, or another way to the node): unless the node
 *     already runs the image (its Talos version and its schematic, `talosctl version` and `get extensions`),
 *     `talosctl upgrade --image <installer> --preserve --wait --timeout <cluster.upgradeTimeout>` on that node,
 *     then checks that the node reports the image's version and schematic. `--wait` returns once the node is back
 *     and ready, so the next node starts on a healthy one. A control plane is reached through itself, a worker
 *     through the control planes ({@link upgradeEndpoints}).
 *   - `create` (a new command: upgrades just turned on, or a node just added): waits until the node answers
 *     `talosctl version`, then the same as `update`.
 * - One `local.Command` for `talosctl upgrade-k8s --to <kubernetesVersion>` after the last node, the same
 *   way: `update` runs it when the version changed; `create` only records the version.
 *
 * The talosconfig reaches the script only as a secret environment variable; the script writes it to a
 * 0600 temp file removed on exit (trap). No command text contains a secret. If talosctl is not on
 * PATH the script fails first with a clear message, and `assertTalosctlAvailable` lets index.ts fail
 * the same way before any resource is registered.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { createHash } from "crypto";
import { durationSeconds } from "../duration";
import { imageTag } from "../version";
import type { NodeConfig } from "./config";
import { SCHEMATIC_QUERY } from "./talosctl";

/** The environment variable the scripts read the talosconfig from. */
export const TALOSCONFIG_ENV = "HOMELAB_TALOSCONFIG";

const TALOSCTL_MISSING =
    "talosctl was not found on PATH. cluster.upgrades is true, and upgrades run `talosctl upgrade` on this " +
    "machine: install talosctl (https://www.talos.dev/latest/talos-guides/install/talosctl/ or " +
    "`brew install siderolabs/tap/talosctl`) or set cluster.upgrades to false.";

/** Find an executable on a PATH string; `isExecutable` is injected so the function stays pure. */
export function findOnPath(
    name: string,
    pathEnv: string | undefined,
    isExecutable: (file: string) => boolean,
    delimiter = path.delimiter,
): string | undefined {
    for (const dir of (pathEnv ?? "").split(delimiter)) {
        if (!dir) continue;
        const file = path.join(dir, name);
        if (isExecutable(file)) return file;
    }
    return undefined;
}

/** A real-filesystem `isExecutable` for {@link findOnPath}. */
export function fileIsExecutable(file: string): boolean {
    try {
        const st = fs.statSync(file);
        if (!st.isFile()) return false;
        fs.accessSync(file, fs.constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/**
 * Pre-flight for index.ts: when upgrades are enabled, talosctl must be on PATH. Throws a clear error
 * (what is missing, how to fix it, how to opt out) before anything runs; returns the talosctl path.
 */
export function assertTalosctlAvailable(opts: {
    upgrades: boolean;
    pathEnv?: string;
    isExecutable?: (file: string) => boolean;
}): string | undefined {
    if (!opts.upgrades) return undefined;
    const found = findOnPath("talosctl", opts.pathEnv ?? process.env.PATH, opts.isExecutable ?? fileIsExecutable);
    if (!found) throw new Error(TALOSCTL_MISSING);
    return found;
}

/** Nodes in upgrade order: control planes first, each group in config order. */
export function upgradeOrder<T extends Pick<NodeConfig, "role">>(nodes: readonly T[]): T[] {
    return [...nodes.filter((n) => n.role === "controlplane"), ...nodes.filter((n) => n.role !== "controlplane")];
}

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
    return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Every script starts here: strict mode, and exit 127 with the fix when talosctl is not on PATH. */
function requireTalosctl(): string[] {
    return [
        "set -eu",
        "if ! command -v talosctl >/dev/null 2>&1; then",
        `  echo ${shellQuote(TALOSCTL_MISSING)} >&2`,
        "  exit 127",
        "fi",
    ];
}

/** The common preamble: talosctl check, then the talosconfig into a 0600 temp file removed on exit. */
function withTalosconfig(body: string[]): string {
    return (
        [
            ...requireTalosctl(),
            `if [ -z "\${${TALOSCONFIG_ENV}:-}" ]; then echo "${TALOSCONFIG_ENV} is empty: no talosconfig to upgrade with" >&2; exit 2; fi`,
            "umask 077",
            'TALOSCONFIG_FILE="$(mktemp)"',
            "trap 'rm -f \"$TALOSCONFIG_FILE\"' EXIT INT TERM",
            'chmod 600 "$TALOSCONFIG_FILE"',
            `printf '%s' "$${TALOSCONFIG_ENV}" > "$TALOSCONFIG_FILE"`,
            ...body,
        ].join("\n") + "\n"
    );
}

/**
 * Shell lines defining `running_tag <ip>`, the Talos version the node reports, and `running_schematic <ip>`, the
 * Image Factory schematic it runs: the version of its extension named `schematic`, which the factory adds to every
 * image it builds (`talosctl get extensions`). Both print nothing when the node does not answer. Read-only calls.
 */
function runningFunctions(): string[] {
    return [
        "running_tag() {",
        '  talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$1" --endpoints "$1" version 2>/dev/null \\',
        "    | awk '/^Server:/ { s = 1 } s && $1 == \"Tag:\" { print $2 }' | tail -n 1",
        "}",
        "running_schematic() {",
        `  talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$1" --endpoints "$1" ${SCHEMATIC_QUERY.map(shellQuote).join(" ")} 2>/dev/null \\`,
        // As ./talosctl.ts schematicOfQuery reads it.
        "    | awk 'prev == \"schematic\" { print } { prev = $0 }' | tail -n 1",
        "}",
    ];
}

/**
 * The Image Factory schematic of an installer image reference (`…/metal-installer/<id>:v1.14.0` → `<id>`): the last
 * path segment before the tag. Pure; throws when the reference has no tag (as {@link imageTag}).
 */
export function imageSchematic(image: string): string {
    imageTag(image);
    const repository = image.slice(0, image.lastIndexOf(":"));
    return repository.slice(repository.lastIndexOf("/") + 1);
}

/**
 * The `--endpoints` an upgrade of `node` goes through: a control plane itself; a worker through the control planes.
 * From Talos 1.13 on `talosctl upgrade` first drains the node with a kubeconfig it asks the endpoint for
 * (`drainNodes`, cmd/talosctl/cmd/talos/drain.go at v1.13.0), which only a control plane has; the control plane's
 * apid forwards the upgrade itself to the worker named by `--nodes`. Pure.
 */
export function upgradeEndpoints(
    node: Pick<NodeConfig, "ip" | "role">,
    nodes: readonly Pick<NodeConfig, "ip" | "role">[],
): string[] {
    if (node.role === "controlplane") return [node.ip];
    return nodes.filter((n) => n.role === "controlplane").map((n) => n.ip);
}

/** One node to upgrade, as the scripts name it. */
export interface UpgradeTarget {
    hostname: string;
    ip: string;
    /** What talosctl connects to ({@link upgradeEndpoints}). */
    endpoints: string[];
    image: string;
    /** `cluster.upgradeTimeout`, a Go duration. */
    timeout: string;
}

/** The node runs the image (its Talos version and its schematic): the test the scripts branch on. */
function runsImage(t: UpgradeTarget): string {
    // One compound command, so that `if ! …` negates both tests.
    return `{ [ "$(running_tag ${shellQuote(t.ip)})" = ${shellQuote(imageTag(t.image))} ] && [ "$(running_schematic ${shellQuote(t.ip)})" = ${shellQuote(imageSchematic(t.image))} ]; }`;
}

/** `talosctl upgrade` of one node, then the check that it runs the image's version and schematic. */
function upgradeLines(t: UpgradeTarget): string[] {
    const tag = imageTag(t.image);
    const who = `${t.hostname} (${t.ip})`;
    return [
        `echo ${shellQuote(`upgrading ${who} to ${t.image}`)}`,
        `talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes ${shellQuote(t.ip)} --endpoints ${shellQuote(t.endpoints.join(","))} upgrade ` +
            `--image ${shellQuote(t.image)} --preserve --wait --timeout ${shellQuote(t.timeout)}`,
        `if ! ${runsImage(t)}; then`,
        `  echo "${who} reports Talos '$(running_tag ${shellQuote(t.ip)})' with schematic '$(running_schematic ${shellQuote(t.ip)})' after the upgrade, expected ${tag} with schematic ${imageSchematic(t.image)}" >&2`,
        "  exit 1",
        "fi",
        `echo ${shellQuote(`${who} runs ${tag}`)}`,
    ];
}

/**
 * The upgrade unless the node already runs the image (version and schematic): a node upgraded by hand, or a command
 * whose text changed for another reason than the image (the endpoints it goes through), reboots nothing.
 */
function upgradeUnlessRunning(t: UpgradeTarget): string[] {
    return [
        `if ${runsImage(t)}; then`,
        `  echo ${shellQuote(`${t.hostname} (${t.ip}) already runs ${t.image}: nothing to upgrade`)}`,
        "else",
        ...upgradeLines(t).map((l) => `  ${l}`),
        "fi",
    ];
}

/** The node's `update`: the image (or the way to it) changed, so upgrade it unless it already runs the image. */
export function nodeUpgradeScript(t: UpgradeTarget): string {
    return withTalosconfig([
        ...runningFunctions(),
        ...upgradeUnlessRunning(t),
        `echo ${shellQuote(`image=${t.image}`)}`,
    ]);
}

/**
 * The node's `create`: wait (up to the timeout) until the node answers, and upgrade only when it does not run
 * the image (a fresh install already does).
 */
export function nodeCreateScript(t: UpgradeTarget): string {
    const who = `${t.hostname} (${t.ip})`;
    const seconds = durationSeconds(t.timeout);
    return withTalosconfig([
        ...runningFunctions(),
        `DEADLINE=$(( $(date +%s) + ${seconds} ))`,
        `while [ -z "$(running_tag ${shellQuote(t.ip)})" ]; do`,
        '  if [ "$(date +%s)" -ge "$DEADLINE" ]; then',
        `    echo ${shellQuote(
            `${who} did not answer \`talosctl version\` within ${t.timeout} (cluster.upgradeTimeout); ` +
                "check that it is powered on and running Talos, then run `pulumi up` again",
        )} >&2`,
        "    exit 1",
        "  fi",
        `  sleep ${Math.min(5, Math.max(1, seconds))}`,
        "done",
        ...upgradeUnlessRunning(t),
        `echo ${shellQuote(`image=${t.image}`)}`,
    ]);
}

/** The Kubernetes `create`: record the version (the cluster was created with it). */
export function kubernetesCreateScript(kubernetesVersion: string): string {
    return [...requireTalosctl(), `echo ${shellQuote(`kubernetes=${kubernetesVersion}`)}`].join("\n") + "\n";
}

/** `talosctl upgrade-k8s` through the first control plane (the Kubernetes version changed). */
export function kubernetesUpgradeScript(controlPlaneIp: string, kubernetesVersion: string): string {
    return withTalosconfig([
        `talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes ${shellQuote(controlPlaneIp)} --endpoints ${shellQuote(controlPlaneIp)} ` +
            `upgrade-k8s --to ${shellQuote(kubernetesVersion)}`,
        `echo ${shellQuote(`kubernetes=${kubernetesVersion}`)}`,
    ]);
}

/** Per node hostname (in upgrade order), and for Kubernetes, a digest of the text its upgrade command's `update` runs. */
export interface UpgradeDigests {
    nodeUpgrades: Record<string, string>;
    kubernetesUpgrade: string;
}

/**
 * When the upgrade commands will run, for what must come first (the etcd snapshot, components/backups): the engine
 * runs a command's `update` exactly when its text changes, so a digest of each text (the very texts
 * {@link createUpgradeCommands} registers) changes exactly when that upgrade is about to run. Pure.
 */
export function upgradeDigests(
    nodes: readonly Pick<NodeConfig, "hostname" | "ip" | "role">[],
    installerImage: string,
    kubernetesVersion: string,
    upgradeTimeout: string,
): UpgradeDigests {
    const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
    const nodeUpgrades: Record<string, string> = {};
    for (const n of upgradeOrder(nodes)) {
        nodeUpgrades[n.hostname] = sha256(
            nodeUpgradeScript({
                hostname: n.hostname,
                ip: n.ip,
                endpoints: upgradeEndpoints(n, nodes),
                image: installerImage,
                timeout: upgradeTimeout,
            }),
        );
    }
    const firstCp = nodes.find((n) => n.role === "controlplane");
    return {
        nodeUpgrades,
        kubernetesUpgrade: firstCp ? sha256(kubernetesUpgradeScript(firstCp.ip, kubernetesVersion)) : "",
    };
}

/**
 * What must be done before the first upgrade (index.ts gives the etcd snapshot of components/backups): called when
 * `cluster.upgrades` is on, with the upgrades' own arguments (the nodes in upgrade order), it registers its resource
 * as a child of `parent` named `${name}-…`; the first upgrade command waits for that resource.
 */
export type BeforeUpgrades = (name: string, upgrades: UpgradeArgs, parent: pulumi.Resource) => pulumi.Resource;

/** Inputs of {@link createUpgradeCommands}. */
export interface UpgradeArgs {
    nodes: readonly NodeConfig[];
    /** The installer image of the last round: the target release's. */
    installerImage: pulumi.Input<string>;
    /**
     * The installer images of the rounds before the last (./upgrade-path.ts: the newest known release of each minor
     * in between), in order; none when the up goes straight to the target.
     */
    throughImages?: readonly string[];
    kubernetesVersion: string;
    /** `cluster.upgradeTimeout`: per node, how long `talosctl upgrade --wait` may take. */
    upgradeTimeout: string;
    /** The talosconfig (secret); passed to the scripts as environment only. */
    talosconfig: pulumi.Input<string>;
    /** Resolves once the cluster is healthy; the first upgrade waits for it. Its value is not used. */
    healthy: pulumi.Input<unknown>;
    /** What the first command waits for (the applies and the bootstrap). */
    dependsOn: pulumi.Resource[];
}

export interface UpgradeCommands {
    /** Per node in upgrade order: the last round (the target release). */
    nodes: { hostname: string; command: command.local.Command }[];
    /** The rounds before the last, in the order they run (`throughImages`), per node. */
    through: { hostname: string; release: string; command: command.local.Command }[];
    kubernetes: command.local.Command;
}

/** Register the rolling-upgrade commands (call only when `cluster.upgrades` is true). */
export function createUpgradeCommands(name: string, args: UpgradeArgs, parent: pulumi.Resource): UpgradeCommands {
    // The health check only orders the commands: a constant once it resolves, so it never causes an update.
    const afterHealthy = (pulumi.output(args.healthy) as pulumi.Output<unknown>).apply(() => "1");
    const env = { [TALOSCONFIG_ENV]: pulumi.secret(args.talosconfig), HOMELAB_AFTER_HEALTH_CHECK: afterHealthy };
    const image = pulumi.output(args.installerImage);
    const nodes: UpgradeCommands["nodes"] = [];
    const through: UpgradeCommands["through"] = [];
    let previous: pulumi.Resource[] = args.dependsOn;
    // Every node moves one round at a time: all of them to the first image, then all to the next, ….
    const rounds = [
        ...(args.throughImages ?? []).map((img) => ({ image: pulumi.output(img), release: imageTag(img) })),
        { image, release: undefined },
    ];
    for (const round of rounds) {
        for (const node of upgradeOrder(args.nodes)) {
            const target = (img: string): UpgradeTarget => ({
                hostname: node.hostname,
                ip: node.ip,
                endpoints: upgradeEndpoints(node, args.nodes),
                image: img,
                timeout: args.upgradeTimeout,
            });
            const cmd = new command.local.Command(
                `${name}-${node.hostname}-upgrade${round.release ? `-${round.release}` : ""}`,
                {
                    create: round.image.apply((img) => nodeCreateScript(target(img))),
                    update: round.image.apply((img) => nodeUpgradeScript(target(img))),
                    environment: env,
                    interpreter: ["/bin/sh", "-c"],
                },
                { parent, dependsOn: previous },
            );
            if (round.release) through.push({ hostname: node.hostname, release: round.release, command: cmd });
            else nodes.push({ hostname: node.hostname, command: cmd });
            previous = [cmd];
        }
    }
    const firstCp = args.nodes.find((n) => n.role === "controlplane");
    if (!firstCp) throw new Error("createUpgradeCommands: no control plane among the nodes");
    const kubernetes = new command.local.Command(
        `${name}-kubernetes-upgrade`,
        {
            create: kubernetesCreateScript(args.kubernetesVersion),
            update: kubernetesUpgradeScript(firstCp.ip, args.kubernetesVersion),
            environment: env,
            interpreter: ["/bin/sh", "-c"],
        },
        { parent, dependsOn: previous },
    );
    return { nodes, through, kubernetes };
}
