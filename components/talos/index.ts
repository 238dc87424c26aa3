/**
 * The Talos domain: its stack config, the hand-written provider SDK, patch rendering, the TalosCluster
 * component, rolling upgrades and Wake-on-LAN. index.ts (the program) uses `TalosCluster` and, before building anything,
 * `assertTalosctlAvailable({ upgrades: config.cluster.upgrades })`.
 */
export * as talos from "./sdk";
export { TalosCluster, planCluster } from "./cluster";
export type { TalosClusterArgs, NodeSummary, ClusterPlan } from "./cluster";
export {
    REDACTED_PASSWORD,
    renderNodePatches,
    renderRedactedNodePatches,
    renderInstallPatch,
    renderHostnamePatch,
    renderNutClientPatch,
    talosVersionContract,
} from "./patches";
export type { NodePatchInputs } from "./patches";
export type { LabelledPatch } from "./validate";
export { assertTalosctlAvailable, findOnPath, upgradeOrder } from "./upgrades";
export type { UpgradeCommands } from "./upgrades";
export { WakeOnLan, magicPacket, sendMagicPacket } from "./wol";
export type { WakeOnLanArgs } from "./wol";
