/**
 * Opt-in rolling upgrades (`cluster.upgrades: true`), which the Talos provider does not do itself.
 *
 * - One `local.Command` per node, control planes first, each `dependsOn` the previous: its `create`
 *   only records the installer image (a fresh install already runs it); its `update` — run by the
 *   engine when the image (schematic or Talos version) changes — runs
 *   `talosctl upgrade --nodes <ip> --image <installerImage> --preserve --wait` unless the recorded
 *   image already equals the new one.
 * - One `local.Command` for `talosctl upgrade-k8s --to <kubernetesVersion>` after the last node, the
 *   same way, when `cluster.kubernetesVersion` is set.
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
import { NodeConfig } from "../config";

/** The environment variable the scripts read the talosconfig from. */
export const TALOSCONFIG_ENV = "HOMELAB_TALOSCONFIG";

const TALOSCTL_MISSING =
    "talosctl was not found on PATH. cluster.upgrades is true, and upgrades run `talosctl upgrade` on this " +
    "machine: install talosctl (https://www.talos.dev/latest/talos-guides/install/talosctl/ or " +
    "`brew install siderolabs/tap/talosctl`) or set cluster.upgrades to false.";

/** Find an executable on a PATH string; `isExecutable` is injected so the function stays pure. */
export function findOnPath(name: string, pathEnv: string | undefined,
                           isExecutable: (file: string) => boolean, delimiter = path.delimiter): string | undefined {
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
    return [
        ...requireTalosctl(),
        `if [ -z "\${${TALOSCONFIG_ENV}:-}" ]; then echo "${TALOSCONFIG_ENV} is empty: no talosconfig to upgrade with" >&2; exit 2; fi`,
        "umask 077",
        'TALOSCONFIG_FILE="$(mktemp)"',
        "trap 'rm -f \"$TALOSCONFIG_FILE\"' EXIT INT TERM",
        'chmod 600 "$TALOSCONFIG_FILE"',
        `printf '%s' "$${TALOSCONFIG_ENV}" > "$TALOSCONFIG_FILE"`,
        ...body,
    ].join("\n") + "\n";
}

/** Script for a node's `create`: only check talosctl and record the image (a fresh install already runs it). */
export function recordScript(key: string, value: string): string {
    return [
        ...requireTalosctl(),
        `echo ${shellQuote(`${key}=${value}`)}`,
    ].join("\n") + "\n";
}

/**
 * Skip when the previous run (PULUMI_COMMAND_STDOUT, injected by the command provider) already
 * recorded this value, else run `cmd` and record the new value.
 */
function unlessRecorded(key: string, value: string, cmd: string): string[] {
    return [
        `PREVIOUS="$(printf '%s\\n' "\${PULUMI_COMMAND_STDOUT:-}" | sed -n ${shellQuote(`s/^${key}=//p`)} | tail -n 1)"`,
        `if [ "$PREVIOUS" = ${shellQuote(value)} ]; then`,
        `  echo ${shellQuote(`${key} unchanged, nothing to do`)}`,
        "else",
        `  ${cmd}`,
        "fi",
        `echo ${shellQuote(`${key}=${value}`)}`,
    ];
}

/** `talosctl upgrade` of one node to the installer image, preserving its data. */
export function nodeUpgradeScript(ip: string, installerImage: string): string {
    return withTalosconfig(unlessRecorded("image", installerImage,
        `talosctl --talosconfig "$TALOSCONFIG_FILE" upgrade --nodes ${shellQuote(ip)} ` +
        `--image ${shellQuote(installerImage)} --preserve --wait`));
}

/** `talosctl upgrade-k8s` through the first control plane. */
export function kubernetesUpgradeScript(controlPlaneIp: string, kubernetesVersion: string): string {
    return withTalosconfig(unlessRecorded("kubernetes", kubernetesVersion,
        `talosctl --talosconfig "$TALOSCONFIG_FILE" upgrade-k8s --nodes ${shellQuote(controlPlaneIp)} ` +
        `--to ${shellQuote(kubernetesVersion)}`));
}

/** Inputs of {@link createUpgradeCommands}. */
export interface UpgradeArgs {
    nodes: readonly NodeConfig[];
    installerImage: pulumi.Input<string>;
    kubernetesVersion?: string;
    /** The talosconfig (secret); passed to the scripts as environment only. */
    talosconfig: pulumi.Input<string>;
    /** What the first command waits for (the applies and the bootstrap). */
    dependsOn: pulumi.Resource[];
}

export interface UpgradeCommands {
    /** Per node in upgrade order. */
    nodes: { hostname: string; command: command.local.Command }[];
    kubernetes?: command.local.Command;
}

/** Register the rolling-upgrade commands (call only when `cluster.upgrades` is true). */
export function createUpgradeCommands(name: string, args: UpgradeArgs, parent: pulumi.Resource): UpgradeCommands {
    const env = { [TALOSCONFIG_ENV]: pulumi.secret(args.talosconfig) };
    const image = pulumi.output(args.installerImage);
    const out: UpgradeCommands = { nodes: [] };
    let previous: pulumi.Resource[] = args.dependsOn;
    for (const node of upgradeOrder(args.nodes)) {
        const cmd = new command.local.Command(`${name}-${node.hostname}-upgrade`, {
            create: image.apply((img) => recordScript("image", img)),
            update: image.apply((img) => nodeUpgradeScript(node.ip, img)),
            triggers: [image],
            environment: env,
            interpreter: ["/bin/sh", "-c"],
        }, { parent, dependsOn: previous });
        out.nodes.push({ hostname: node.hostname, command: cmd });
        previous = [cmd];
    }
    const firstCp = args.nodes.find((n) => n.role === "controlplane");
    if (args.kubernetesVersion && firstCp) {
        out.kubernetes = new command.local.Command(`${name}-kubernetes-upgrade`, {
            create: recordScript("kubernetes", args.kubernetesVersion),
            update: kubernetesUpgradeScript(firstCp.ip, args.kubernetesVersion),
            environment: env,
            interpreter: ["/bin/sh", "-c"],
        }, { parent, dependsOn: previous });
    }
    return out;
}
