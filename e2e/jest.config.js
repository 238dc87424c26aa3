/**
 * Jest configuration of the end-to-end suite (`npm run e2e` runs it through e2e/run.ts, which builds the
 * toolchain first and prints the figures line last). Scenario files run in two jest workers at once (or
 * $HOMELAB_E2E_WORKERS; 1 runs them one after another): they wait on the engine and the stand-ins far more than
 * they compute, and each worker's stand-ins take a loopback block of their own (e2e/support/worker.ts).
 */
const workers = Number(process.env.HOMELAB_E2E_WORKERS ?? "2");
if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`HOMELAB_E2E_WORKERS "${process.env.HOMELAB_E2E_WORKERS}" must be a whole number of 1 or more`);

module.exports = {
    rootDir: "..",
    roots: ["<rootDir>/e2e"],
    testMatch: ["**/*.e2e.ts"],
    testEnvironment: "node",
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
    setupFiles: ["<rootDir>/tests/support/loopback-only.ts", "<rootDir>/e2e/support/worker.ts"],
    testTimeout: 600000,
    maxWorkers: workers,
    testEnvironmentOptions: { globalsCleanup: "off" },
};
