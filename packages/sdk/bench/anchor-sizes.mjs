// Measures other clients the way .size-limit.js measures ours: esbuild, browser platform, ESM,
// minified, gzip level 9. Install them anywhere first, then point this at that folder:
//   npm install --prefix /tmp/anchors @tanstack/query-core @fal-ai/client replicate openai
//   node packages/sdk/bench/anchor-sizes.mjs /tmp/anchors
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = path.resolve(process.argv[2] ?? ".");
const entries = {
  "@tanstack/query-core (QueryClient + QueryObserver)":
    'import { QueryClient, QueryObserver } from "@tanstack/query-core"; console.log(QueryClient, QueryObserver);',
  "@fal-ai/client (fal.subscribe)": 'import { fal } from "@fal-ai/client"; console.log(fal.subscribe);',
  "replicate (new Replicate().run)": 'import Replicate from "replicate"; console.log(new Replicate().run);',
  "openai (new OpenAI())":
    'import OpenAI from "openai"; console.log(new OpenAI({ apiKey: "k", dangerouslyAllowBrowser: true }));',
};
const dir = mkdtempSync(path.join(os.tmpdir(), "anchors-"));
for (const [name, source] of Object.entries(entries)) {
  const entry = path.join(dir, "entry.mjs");
  writeFileSync(entry, source);
  const out = path.join(dir, "out.js");
  try {
    const version = JSON.parse(
      readFileSync(path.join(root, "node_modules", name.split(" ")[0], "package.json"), "utf8"),
    ).version;
    await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      platform: "browser",
      format: "esm",
      outfile: out,
      nodePaths: [path.join(root, "node_modules")],
      logLevel: "silent",
    });
    const bytes = gzipSync(readFileSync(out), { level: 9 }).length;
    console.log(`${name}@${version}\t${bytes} B`);
  } catch (error) {
    console.log(`${name}\tdoes not bundle for a browser: ${String(error.message).split("\n")[0]}`);
  }
}
