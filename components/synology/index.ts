/** Synology: the DSM client's contract, the PXE resources and the SynologyPxe component. */
export * from "./pxe";
export * from "./reservations";
export {
    applySynology, connectionArgs, destroySynology, refreshAndDiff, RESOURCE_ORDER, synologyResourceInputs, upSynology,
} from "./providers/plan";
export type { BootImage, RefreshDiff, StoredResource, SynologyResourceInputs, SynologySpec } from "./providers/plan";
export type * from "./dsm/types";
