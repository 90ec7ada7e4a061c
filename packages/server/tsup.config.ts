import { cpSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/fetch.ts", "src/cli.ts"],
  format: ["esm"],
  dts: { entry: ["src/index.ts", "src/fetch.ts"] },
  clean: true,
  target: "node22",
  // The generated Prisma client is bundled; runtime packages stay external.
  noExternal: [/_generated/],
  async onSuccess() {
    // The migrations travel with the package; the runtime looks for dist/migrations first.
    cpSync("../../prisma/migrations", "dist/migrations", { recursive: true });
  },
});
