import { defineConfig } from "vitest/config";

// The speed checks (test/perf/*.perf.ts) run after the main suite, one file at a time and with nothing beside them,
// so the machine's cores are theirs while they measure. `npm test` runs both configs.
export default defineConfig({
  test: {
    include: ["test/perf/**/*.perf.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
