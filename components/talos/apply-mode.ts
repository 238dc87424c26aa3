/**
 * How each node's machine config is applied (`cluster.applyMode`, a node's `applyMode`): the Talos provider's
 * `talos_machine_configuration_apply.apply_mode` (pure; no Pulumi, no I/O).
 *
 * The values and their meaning, from the provider's source (third_party/talos-provider-0.8.1/tf-talos/pkg/talos/
 * talos_machine_configuration_apply_resource.go: the attribute's `OneOf` validator, default `auto`):
 *   - `auto`: Talos decides (applies in place, reboots when the change needs it);
 *   - `reboot`: applies and always reboots;
 *   - `no_reboot`: applies without a reboot, and fails when the change needs one;
 *   - `staged`: stores the config; the node takes it at its next reboot;
 *   - `staged_if_needing_reboot`: the provider dry-runs the apply while planning and stages it when it needs a
 *     reboot, else applies it as `auto` (`resolved_apply_mode` says which).
 *
 * A node's first apply reaches Talos' maintenance mode, which takes only `auto`, `reboot` and `try`
 * (internal/app/maintenance/server.go `ApplyConfiguration` at v1.12.11: any other mode is `Unimplemented`, which
 * the provider retries until the apply's timeout). So a node the previous `up` did not manage gets `auto` for that
 * first apply, whatever the setting, and the preview says so; its mode applies from the next `up` on.
 *
 * (./config.ts imports the values from here, so this file takes the settings by shape, not by ./config.ts' types.)
 */
import { compareVersions, parseVersion } from "../version";

export type ApplyMode = "auto" | "reboot" | "no_reboot" | "staged" | "staged_if_needing_reboot";
export const APPLY_MODES: readonly ApplyMode[] = ["auto", "reboot", "no_reboot", "staged", "staged_if_needing_reboot"];

/** The modes Talos' maintenance mode takes (the program sends no `try`). */
const MAINTENANCE_MODES: readonly ApplyMode[] = ["auto", "reboot"];

/**
 * Per hostname, the mode of this up's apply (the node's own, else the cluster's; `auto` for a node's first apply
 * when its mode is one maintenance mode refuses), and a note for the preview naming the nodes that wait for the
 * next `up`. `installed`: the hostnames the previous `up` managed; undefined on a stack's first.
 */
export function planApplyModes(
    cluster: { applyMode: ApplyMode },
    nodes: readonly { hostname: string; applyMode?: ApplyMode }[],
    installed: readonly string[] | undefined,
): { modes: Record<string, ApplyMode>; note?: string } {
    const modes: Record<string, ApplyMode> = {};
    const waiting: string[] = [];
    for (const n of nodes) {
        const wanted = n.applyMode ?? cluster.applyMode;
        const first = !(installed ?? []).includes(n.hostname);
        if (first && !MAINTENANCE_MODES.includes(wanted)) {
            modes[n.hostname] = "auto";
            waiting.push(`${n.hostname} (${wanted})`);
        } else modes[n.hostname] = wanted;
    }
    if (waiting.length === 0) return { modes };
    return {
        modes,
        note:
            `applyMode: the first apply of ${waiting.join(", ")} is made in auto mode: a node not installed yet is in ` +
            "Talos' maintenance mode, which takes only auto and reboot. The mode applies from the next up on (that up " +
            "updates the apply, with the same config, in the new mode)",
    };
}

/**
 * The problem with `mode` for nodes running Talos `talosVersion`, or undefined. Talos 1.14 refuses the `reboot` mode
 * outside maintenance mode ("the REBOOT mode is not supported, please use AUTO or NO_REBOOT modes instead":
 * internal/app/machined/internal/server/v1alpha1/v1alpha1_server.go `ApplyConfiguration`, commit 995bc30d5 "feat:
 * drop apply config method reboot", in v1.14.0-rc.1 and release-1.14), so every `up` after a node's first would fail.
 */
export function applyModeProblem(mode: ApplyMode, talosVersion: string): string | undefined {
    const v = parseVersion(talosVersion);
    if (mode !== "reboot" || !v || compareVersions(v, [1, 14, 0]) < 0) return undefined;
    return (
        `reboot is refused by Talos ${talosVersion} (cluster.talosVersion) on an installed node: Talos 1.14 dropped the ` +
        "reboot apply mode and applies every change without a reboot; use auto (the default) and reboot the node " +
        "yourself when you want it to (talosctl reboot)"
    );
}
