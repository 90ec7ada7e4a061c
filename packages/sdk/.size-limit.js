// The size budget of the browser bundle, min+gz, as esbuild bundles it for a browser (which also
// fails the check if anything reached pulls in a Node built-in). Sources are measured through the
// "@openv/source" condition, so no build is needed first. `pnpm size` exits non-zero over a limit.
const fromSource = (config) => ({ ...config, format: "esm", conditions: ["@openv/source"] });

const entry = { path: "src/index.ts", import: "{ createClient }", gzip: true, modifyEsbuildConfig: fromSource };

export default [
  {
    ...entry,
    name: "client + watcher (the SDK's own code)",
    ignore: ["@openv/protocol", "zod", "ofetch", "eventemitter3"],
    limit: "8 kB",
  },
  {
    ...entry,
    name: "client + watcher with ofetch and eventemitter3",
    ignore: ["@openv/protocol", "zod"],
    limit: "14 kB",
  },
  {
    ...entry,
    name: "everything a browser downloads, @openv/protocol's zod schemas included",
    limit: "110 kB",
  },
];
