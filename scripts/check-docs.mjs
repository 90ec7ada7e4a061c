// `pnpm check:docs`: docs that cannot drift. Over every Markdown file of the repository (README,
// docs/, examples/, packages/, worker-mochi/, …) it fails on
//   1. a relative link or image whose target does not exist;
//   2. a relative link in a package README (npm shows those READMEs, where `../../docs/x.md` is dead:
//      link to the repository on GitHub instead);
//   3. a repository path in backticks (`scripts/start.mjs`, `docs/react.md`, `./x`, `../y`) that
//      does not exist;
//   4. a hook or component @openv/react exports that docs/react.md never names, and an SDK export
//      or client call (`client.generate`, `videos.createAndWait`, …) that docs/sdk.md never names.
// Exits 1 listing every problem, each with its file and line.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const skipDirs = new Set(["node_modules", "dist", ".git", ".next", "coverage", ".venv", "api", "test-artifacts"]);
const topLevel = new Set(readdirSync(root).filter((name) => !name.startsWith(".")));

function markdownFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || skipDirs.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...markdownFiles(full));
    else if (entry.name.endsWith(".md")) files.push(full);
  }
  return files;
}

const problems = [];
const report = (file, line, message) => problems.push(`${path.relative(root, file)}:${line}: ${message}`);

/** Each line with fenced code blocks blanked (their text is code, not prose with links). */
function proseLines(text) {
  let fenced = false;
  return text.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

const isExternal = (target) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");
const insideRepo = (file) => !path.relative(root, file).startsWith("..");
/** Whether git ignores the path: generated output (`.openv/`, `docs/api/`), made by a command the docs name. */
const generated = (file) =>
  insideRepo(file) &&
  [file, `${file}/`].some(
    (candidate) => spawnSync("git", ["check-ignore", "-q", "--no-index", candidate], { cwd: root }).status === 0,
  );
const exists = (file) => insideRepo(file) && (existsSync(file) || generated(file));

for (const file of markdownFiles(root)) {
  const dir = path.dirname(file);
  const packageReadme = /^packages\/[^/]+\/README\.md$/.test(path.relative(root, file));
  proseLines(readFileSync(file, "utf8")).forEach((line, index) => {
    const lineNo = index + 1;
    const withoutCode = line.replace(/`[^`]*`/g, "``");
    for (const match of withoutCode.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1];
      if (isExternal(target) || target.startsWith("#")) continue;
      if (packageReadme) {
        report(file, lineNo, `relative link ${target} in a package README (dead on npm): use an absolute URL`);
        continue;
      }
      const resolved = path.resolve(dir, decodeURIComponent(target.split("#")[0]));
      if (!exists(resolved)) report(file, lineNo, `dead link ${target}`);
    }
    for (const match of line.matchAll(/`([^`\s]+)`/g)) {
      const candidate = match[1].replace(/[:,.]$/, "");
      // Repository paths only: relative ones, or ones starting at a top-level folder or file.
      if (!/^(\.{1,2}\/)?[\w@.-]+(\/[\w@.[\]-]+)*\/?$/.test(candidate) || !candidate.includes("/")) continue;
      const relative = candidate.startsWith("./") || candidate.startsWith("../");
      if (!relative && !topLevel.has(candidate.split("/")[0])) continue;
      // From the Markdown file's folder or any folder above it (a package's own paths), up to the root.
      const places = [];
      for (let base = dir; insideRepo(base); base = path.dirname(base)) {
        places.push(path.resolve(base, candidate));
        if (relative || base === root) break;
      }
      if (!places.some(exists)) report(file, lineNo, `path \`${candidate}\` does not exist`);
    }
  });
}

/** The value exports (not types) of an index.ts, following `export { a, b } from` lines. */
function valueExports(indexFile) {
  const names = [];
  for (const match of readFileSync(indexFile, "utf8").matchAll(/^export \{([^}]*)\} from/gm)) {
    for (const part of match[1].split(",")) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (name && !name.startsWith("type ")) names.push(name);
    }
  }
  return names;
}

/** Names `names` must each appear in `guide`; a client method (`.name`) in backticks or after a dot. */
function requireMentions(guide, names, what) {
  const guidePath = path.join(root, guide);
  const text = existsSync(guidePath) ? readFileSync(guidePath, "utf8") : "";
  for (const name of names) {
    const method = name.startsWith(".");
    const escaped = (method ? name.slice(1) : name).replace(/[.$]/g, "\\$&");
    const pattern = new RegExp(`${method ? "[`.]" : "(^|[^\\w])"}${escaped}(?![\\w])`);
    if (!pattern.test(text)) problems.push(`${guide}: never mentions ${what} ${name}`);
  }
}

// React: every exported hook and component.
const reactIndex = path.join(root, "packages/react/src/index.ts");
if (existsSync(reactIndex)) {
  const exported = valueExports(reactIndex).filter((name) => /^(use[A-Z]|[A-Z])/.test(name));
  requireMentions("docs/react.md", exported, "the @openv/react export");
}

// SDK: every value export, every client method and every resource method.
const sdkDir = path.join(root, "packages/sdk/src");
if (existsSync(sdkDir)) {
  requireMentions("docs/sdk.md", valueExports(path.join(sdkDir, "index.ts")), "the @openv/sdk export");
  const calls = [];
  const resources = readFileSync(path.join(sdkDir, "resources.ts"), "utf8");
  for (const match of resources.matchAll(/^export interface (\w+)Resource \{([\s\S]*?)^\}/gm)) {
    const resource = match[1].charAt(0).toLowerCase() + match[1].slice(1);
    for (const method of new Set([...match[2].matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]))) {
      calls.push(`${resource}.${method}`);
    }
  }
  const client = readFileSync(path.join(sdkDir, "client.ts"), "utf8");
  const body = client.slice(client.indexOf("export class OpenVClient"));
  const classBody = body.slice(0, body.search(/^\}/m));
  for (const method of new Set([...classBody.matchAll(/^ {2}(?:async )?([a-z]\w*)\(/gm)].map((m) => m[1]))) {
    if (method !== "constructor") calls.push(`.${method}`);
  }
  requireMentions("docs/sdk.md", calls, "the client call");
  // (client methods are listed as `.name`: the guide may write `client.name(…)` or just `name`)
}

if (problems.length > 0) {
  console.log(`✗ The docs have drifted (${problems.length}):`);
  for (const problem of problems) console.log(`  - ${problem}`);
  process.exit(1);
}
console.log(
  "✓ Docs: every relative link and repository path exists, package READMEs link absolutely, and every hook, component and client call is in its guide.",
);
