import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // one PostgreSQL server for the run (started here unless .ci/run passes one in)
    globalSetup: ["test/support/postgres-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    reporters: ["default"],
  },
});
