import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

// The reference server (`pnpm start`, port 3000) serves the OpenV API under /api and this app's
// build at /. In development Vite serves the app and forwards /api to it, streams included.
export default defineConfig({
  plugins: [react()],
  resolve: {
    // Workspace packages resolve to their TypeScript sources: no package build needed first, and
    // edits to @openv/react show up live. An app installing from npm simply gets the builds.
    conditions: ["@openv/source", ...defaultClientConditions],
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": { target: "http://127.0.0.1:3000" } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's sources carry comments Rollup cannot place; harmless, and not ours to fix.
        if (warning.code === "INVALID_ANNOTATION" && warning.id?.includes("node_modules")) return;
        warn(warning);
      },
    },
  },
});
