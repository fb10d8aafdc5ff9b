import { defineConfig } from "vitest/config";

// `npm test` in this folder runs the package's own tests; the repository's root `npm test` runs them as well.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
