// Size budgets of what a browser downloads, min+gz, as esbuild bundles it for a browser (which also
// fails the check if anything reached pulls in a Node built-in). Sources are measured through the
// "@openv/source" condition, so no build is needed first (tsup only strips the types: the built
// dist/ measures the same within a few bytes). `pnpm size` exits non-zero over a limit; the
// vitest file test/package.test.ts runs it in CI.
const fromSource = (config) => ({ ...config, format: "esm", conditions: ["@openv/source"] });

const entry = { path: "src/index.ts", import: "{ createClient }", gzip: true, modifyEsbuildConfig: fromSource };

export default [
  {
    ...entry,
    name: "createClient + watch(): everything a browser downloads, zod/mini validation included",
    // 15,000 B until v1.1; +70 B (eta21): the Video's four timing fields in the schema and
    // `Prefer: wait` in create/createAndWait; +75 B (share21): the Video's `remixOf` and
    // `client.videos.remix` (share links are functions over a client, outside this figure).
    limit: "15145 B",
  },
  {
    ...entry,
    name: "the SDK's own code (@openv/protocol and zod left out)",
    ignore: ["@openv/protocol", "zod"],
    limit: "8500 B",
  },
  {
    path: "src/store.ts",
    import: "*",
    gzip: true,
    modifyEsbuildConfig: fromSource,
    // The store and the components' framework-free rules (form plan, error sentences): a React app
    // downloads these too, so they have their own budget rather than none.
    name: "@openv/sdk/store with the SDK code it reaches (@openv/protocol and zod left out)",
    ignore: ["@openv/protocol", "zod"],
    limit: "5000 B",
  },
  {
    path: "../react/src/index.ts",
    import: "*",
    gzip: true,
    modifyEsbuildConfig: fromSource,
    name: "@openv/react on top of the SDK (React, the SDK, @openv/protocol and zod left out)",
    ignore: ["react", "react-dom", "react/jsx-runtime", "@openv/sdk", "@openv/protocol", "zod"],
    // 8,000 B until v1.1; +310 B (eta21): <VideoTiming> ("3rd in line · about 40 s left", counting down);
    // +600 B (access21): <AccessGate> and useAccess. This check bundles every export; an app that
    // never imports them tree-shakes them away. +875 B (share21): the card's Remix action (its
    // prompt field), <ShareButton> (link field, copy, stop sharing) and useRemix.
    limit: "9785 B",
  },
];
