import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/server.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  platform: "neutral",
  target: "es2022",
  // The entry's "use client" directive is kept at the top of both bundles (checked in the tests), so
  // React Server Components frameworks treat every export as a client module.
});
