import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // one PostgreSQL server for the run (started here unless .ci/run passes one in)
    globalSetup: ["test/support/postgres-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // the tests run the sources, also in the processes they start through bin/switchboard.js
    // (bin/bundle.js); test/build/bundle.test.ts runs the bundle it builds
    env: { SWITCHBOARD_BUNDLE: "off" },
    reporters: ["default"],
  },
});
