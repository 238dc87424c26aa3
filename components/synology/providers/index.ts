/** The DSM dynamic providers, their resources, and the engine-free runner. */
export * from "./common";
export * from "./share";
export * from "./tftp";
export * from "./bootfile";
export * from "./dhcp";
export * from "./reservations";
export * from "./pxe";
export * from "./plan";
