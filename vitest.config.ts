import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@openv/source"] },
  ssr: { resolve: { conditions: ["@openv/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: files run two at a time; each opens its own databases.
    maxWorkers: 2,
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
