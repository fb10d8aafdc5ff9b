import { defineConfig } from "vitest/config";

// Test files run in parallel worker processes; each Postgres-backed file clones its own database from a migrated
// template (see test/support/postgres.ts), so files never share state.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts", "test/support/web-build.ts"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: ["default"],
  },
});
