// `pnpm start`: builds the packages and the gallery when their sources are newer than the build,
// then runs the reference server (packages/server/dist/cli.js) with the embedded defaults, serving
// the react-gallery example at / (OPENV_WEB_ROOT).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const cli = path.join(root, "packages/server/dist/cli.js");

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "_generated") continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

const sources = [
  "packages/protocol/src",
  "packages/server/src",
  "packages/sdk/src",
  "packages/react/src",
  "examples/react-gallery/src",
  "prisma",
]
  .map((dir) => path.join(root, dir))
  .filter((dir) => existsSync(dir));
const gallery = path.join(root, "examples/react-gallery/dist/index.html");
const outputs = [cli, ...(existsSync(path.join(root, "examples/react-gallery")) ? [gallery] : [])];
const newestSource = Math.max(...sources.map(newestMtime));
const stale = outputs.some((file) => !existsSync(file) || newestSource > statSync(file).mtimeMs);
if (stale) {
  console.log("Building OpenV (first start, or the sources changed)…");
  const pnpm = process.platform === "win32" ? "pnpm.cmd" : "pnpm";
  execFileSync(pnpm, ["db:generate"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  execFileSync(pnpm, ["build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  console.log("Build done.");
}
// `--build-only`: what the test suites run before they spawn the server (one build, outside any start timeout).
if (process.argv.includes("--build-only")) process.exit(0);
const env = { ...process.env };
if (!env.OPENV_WEB_ROOT && existsSync(gallery)) env.OPENV_WEB_ROOT = path.dirname(gallery);
const server = spawn(process.execPath, [cli], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
