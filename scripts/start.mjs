// `pnpm start`: runs the reference server (packages/server/dist/cli.js) with the embedded defaults,
// serving the react-gallery example at / (OPENV_WEB_ROOT). First it builds what that needs, and only
// that, when the sources are newer than the build: the Prisma client, the JavaScript of
// @openv/protocol and @openv/server (no type declarations: `pnpm build` makes the full packages),
// and the gallery (Vite reads @openv/react and @openv/sdk from their sources). Each step is printed
// as it starts and ends; a failing step prints its output.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const at = (...parts) => path.join(root, ...parts);
const cli = at("packages/server/dist/cli.js");
const gallery = at("examples/react-gallery/dist/index.html");
const pnpm = process.platform === "win32" ? "pnpm.cmd" : "pnpm";

function newestMtime(file) {
  if (!existsSync(file)) return 0;
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(file, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "_generated" || entry.name === "dist") continue;
    newest = Math.max(newest, newestMtime(path.join(file, entry.name)));
  }
  return newest;
}

/** A build step: run when its output is missing or older than any of its inputs. */
const steps = [
  {
    name: "Prisma client",
    inputs: ["prisma/schema.prisma"],
    output: "packages/server/src/_generated/prisma/client.ts",
    args: ["db:generate"],
  },
  {
    name: "@openv/protocol (JavaScript)",
    inputs: ["packages/protocol/src", "packages/protocol/tsup.config.ts"],
    output: "packages/protocol/dist/index.js",
    args: ["--dir", "packages/protocol", "exec", "tsup", "--no-dts"],
  },
  {
    name: "@openv/server (JavaScript)",
    after: "Prisma client",
    inputs: ["packages/server/src", "packages/server/tsup.config.ts", "prisma"],
    output: "packages/server/dist/cli.js",
    args: ["--dir", "packages/server", "exec", "tsup", "--no-dts"],
  },
  {
    name: "gallery (examples/react-gallery)",
    inputs: [
      "examples/react-gallery/src",
      "examples/react-gallery/index.html",
      "examples/react-gallery/vite.config.ts",
      "packages/react/src",
      "packages/sdk/src",
      "packages/protocol/src",
    ],
    output: "examples/react-gallery/dist/index.html",
    args: ["--dir", "examples/react-gallery", "exec", "vite", "build", "--logLevel", "warn"],
  },
].filter((step) => step.inputs.some((input) => existsSync(at(input))));

const stale = steps.filter(
  (step) =>
    !existsSync(at(step.output)) ||
    Math.max(...step.inputs.map((input) => newestMtime(at(input)))) > statSync(at(step.output)).mtimeMs,
);

const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Runs one step, printing when it starts and ends; its output is shown only if it fails. */
function run(step) {
  const started = performance.now();
  console.log(`  … ${step.name}`);
  return new Promise((resolve, reject) => {
    const child = spawn(pnpm, step.args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) {
        console.log(`  ✓ ${step.name} (${seconds(started)})`);
        resolve();
      } else {
        console.error(`  ✗ ${step.name} failed (exit ${code}):\n${output.trim().replace(/^/gm, "    ")}`);
        reject(new Error(`${step.name} failed`));
      }
    });
  });
}

if (stale.length > 0) {
  const started = performance.now();
  console.log(`Building what the reference server needs (${stale.map((step) => step.name).join(", ")})…`);
  // Independent steps run side by side; a step waits for the one it comes `after`.
  const running = new Map();
  for (const step of stale) {
    const before = running.get(step.after) ?? Promise.resolve();
    running.set(
      step.name,
      before.then(() => run(step)),
    );
  }
  try {
    await Promise.all(running.values());
  } catch {
    console.error("\nThe build failed (see above). Fix it, or run `pnpm build` for the full output.");
    process.exit(1);
  }
  console.log(`Built in ${seconds(started)}.`);
}
// `--build-only`: what the test suites run before they spawn the server (one build, outside any start timeout).
if (process.argv.includes("--build-only")) process.exit(0);
console.log("Starting the reference server…");
const env = { ...process.env };
if (!env.OPENV_WEB_ROOT && existsSync(gallery)) env.OPENV_WEB_ROOT = path.dirname(gallery);
const server = spawn(process.execPath, [cli], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
