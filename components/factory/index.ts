/** The Talos Image Factory part: schematic (pure), client (axios), dynamic resource, component. */
export * from "./schematic";
export * from "./client";
export * from "./schematic-resource";
export * from "./image";
