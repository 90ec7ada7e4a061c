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
    limit: "15160 B", // 15,000 before issue 21: remix and share links (see its report)
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
    limit: "8880 B", // 8,000 before issue 21: the card's Remix action, <ShareButton> and useRemix (see its report)
  },
];
