export * from "./render";
export * from "./synology-csi";
