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
    // 15,000 B until v1.1 (the client 1.0 issue's figure). v1.1's Video fields and calls, each
    // measured: +70 B (eta21) the four timing fields and `Prefer: wait` in create/createAndWait;
    // +10 B (posters21) posterUrl and sprite; +75 B (share21) the Video's `remixOf` and
    // `client.videos.remix`. Access and share-link calls are functions over a client
    // (`getAccess`, `createShare`, …), outside this figure unless an app imports them. All merged: 15,189 B.
    limit: "15200 B",
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
    // 8,000 B until v1.1; +310 B (eta21): <VideoTiming> ("3rd in line · about 40 s left", counting
    // down); +600 B (access21): <AccessGate> and useAccess; +600 B (posters21): <VideoCard>'s sprite
    // scrubber (pointer, drag and keyboard slider); +875 B (share21): the card's Remix action (its
    // prompt field), <ShareButton> (link field, copy, stop sharing) and useRemix. This check bundles
    // every export; an app that never imports a component tree-shakes it away. All four merged: 10,374 B.
    limit: "10400 B",
  },
];
