/**
 * Jest configuration of the end-to-end suite (`npm run e2e` runs it through e2e/run.ts, which builds the
 * toolchain first and prints the figures line last). Scenarios run one at a time, in band: they share real
 * processes (the engine, the stand-ins) and loopback addresses.
 */
module.exports = {
    rootDir: "..",
    roots: ["<rootDir>/e2e"],
    testMatch: ["**/*.e2e.ts"],
    testEnvironment: "node",
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
    setupFiles: ["<rootDir>/tests/support/loopback-only.ts"],
    testTimeout: 600000,
    maxWorkers: 1,
    testEnvironmentOptions: { globalsCleanup: "off" },
};
