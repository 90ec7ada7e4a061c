import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@openv/source"] },
  ssr: { resolve: { conditions: ["@openv/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "e2e/**/*.test.ts"],
    // Generous: on a machine busy with other work (a benchmark beside the suite), opening a
    // database and applying migrations in a beforeAll has taken over a minute. Only a hang waits
    // this long; a passing test is not slowed.
    testTimeout: 120_000,
    // Migrates, once per run, the template the suites' throwaway PostgreSQL databases are copied from.
    // And makes the image every in-memory embedded database starts from, which this hands to
    // each test process.
    globalSetup: ["packages/server/test/support/global-setup.ts"],
    setupFiles: ["packages/server/test/support/embedded-image-setup.ts"],
    hookTimeout: 180_000,
    // Two cores: files run two at a time; each opens its own databases.
    maxWorkers: 2,
    // Type tests (`*.test-d.ts`, expectTypeOf) run with every `vitest run`, so in CI too.
    typecheck: {
      enabled: true,
      include: ["packages/*/test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.typetests.json",
    },
  },
});
