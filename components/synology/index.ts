/** Synology: the DSM client's contract, the PXE resources and the SynologyPxe component. */
export * from "./pxe";
export * from "./reservations";
export type * from "./dsm/types";
