/** What the workloads tests share: a valid `workloads.synologyCsi` and the seed's image extensions. */
import type { SynologyCsiConfig } from "../../components/workloads/config";

/** A valid, enabled `workloads.synologyCsi` (as parseStackConfig returns it), with `over` on top. */
export const synologyCsi = (over: Partial<SynologyCsiConfig> = {}): SynologyCsiConfig => ({
    enabled: true,
    version: "v1.2.1",
    storageClassName: "synology-iscsi",
    location: "/volume1",
    fsType: "ext4",
    reclaimPolicy: "Delete",
    isDefault: true,
    protocol: "iscsi",
    timeout: "10m",
    ...over,
});

/** The seed's schematic extensions (the dev stack's `image.extensions`). */
export const SEED_EXTENSIONS = [
    "siderolabs/i915",
    "siderolabs/nut-client",
    "siderolabs/btrfs",
    "siderolabs/iscsi-tools",
    "siderolabs/util-linux-tools",
];
