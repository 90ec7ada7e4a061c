import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/store.ts", "src/admin.ts"],
  format: ["esm", "cjs"],
  // `@internal` members (constructors, the watcher's host) stay out of the published types.
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  // One copy of each class across the two entries, in CJS too (`instanceof` must hold between them).
  splitting: true,
  // Browsers, Node and edge runtimes alike: nothing here may need Node's built-ins.
  platform: "neutral",
  target: "es2022",
});
