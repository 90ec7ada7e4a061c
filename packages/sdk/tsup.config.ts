import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  // Browsers, Node and edge runtimes alike: nothing here may need Node's built-ins.
  platform: "neutral",
  target: "es2022",
});
