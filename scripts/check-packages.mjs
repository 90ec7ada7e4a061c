// `pnpm check:packages`: what a user would install, checked before it is published. For every
// public package under packages/ (run `pnpm build` first):
//   1. the manifest names its license, Node engines, sideEffects, types, exports and files;
//   2. publint --strict;
//   3. the tarball `pnpm pack` makes holds a README and no tests, .env files, source maps, local
//      data or anything that looks like a secret;
//   4. @arethetypeswrong/cli on that tarball: profile `node16` for dual ESM/CJS packages,
//      `esm-only` for packages that ship ESM alone;
//   5. its `engines.node` allows no Node version that a production dependency (direct or not)
//      refuses (semver.subset against each dependency's own `engines.node`);
// and then, all tarballs together, 6. a strict host compiles against them (scripts/strict-host.mjs).
// Exits 1 listing every problem found.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import semver from "semver";
import { checkStrictHost } from "./strict-host.mjs";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

/** Paths a published tarball must not hold, with why. */
const forbidden = [
  [/(^|\/)(test|tests|__tests__|e2e)\//, "a test folder"],
  [/\.(test|spec|test-d)\.[cm]?[jt]sx?$/, "a test file"],
  [/(^|\/)\.env(\.|$)/, "an environment file"],
  [/\.map$/, "a source map (it would carry the sources, secrets inlined at build time included)"],
  [/(^|\/)\.openv[^/]*\//, "local OpenV data (database, files, webhook secret)"],
  [/(^|\/)(coverage|node_modules)\//, "build or test leftovers"],
  [/\.tgz$/, "a tarball"],
];

/** Text that must not appear in any published file. */
const secretPatterns = [
  [/sk_(live|test)_[A-Za-z0-9]{20,}/, "a Clerk secret key"],
  [/whsec_[A-Za-z0-9+/=]{20,}/, "a webhook signing secret"],
  [/-----BEGIN (RSA |EC |OPENSSH )?PRIVATE KEY-----/, "a private key"],
  [/eyJhcGlLZXkiOi[A-Za-z0-9+/=]{20,}/, "an UploadThing token"],
  [/rpa_[A-Z0-9]{30,}/, "a RunPod API key"],
];

const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: "pipe", env: { ...process.env, FORCE_COLOR: "0" } });

function captureFailure(label, action) {
  try {
    action();
    return null;
  } catch (error) {
    const output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim() || error.message;
    return `${label} failed:\n${output.replace(/^/gm, "    ")}`;
  }
}

function checkManifest(manifest, dir) {
  const problems = [];
  for (const field of ["license", "engines", "sideEffects", "types", "exports", "files", "description"]) {
    if (manifest[field] === undefined) problems.push(`package.json has no "${field}"`);
  }
  if (manifest.engines && !manifest.engines.node) problems.push('package.json "engines" names no "node" range');
  if (manifest.publishConfig?.access === "restricted") problems.push("publishConfig.access is restricted");
  if (!existsSync(path.join(dir, "README.md"))) problems.push("no README.md");
  return problems;
}

/**
 * The production dependencies (all levels) whose own `engines.node` refuses a Node version that
 * ours allows: `engines` must tell the truth to `engine-strict` installs.
 */
function checkEngines(manifest, dir) {
  const ours = manifest.engines?.node;
  if (!ours || !semver.validRange(ours)) return [`engines.node ${JSON.stringify(ours)} is not a valid range`];
  const [tree] = JSON.parse(run("pnpm", ["list", "--prod", "--depth", "Infinity", "--json"], dir));
  const problems = [];
  const seen = new Set();
  const walk = (dependencies) => {
    for (const [name, dependency] of Object.entries(dependencies ?? {})) {
      if (seen.has(dependency.path)) continue;
      seen.add(dependency.path);
      const file = path.join(dependency.path, "package.json");
      if (!existsSync(file)) continue; // an optional dependency for another platform, not installed here
      const theirs = JSON.parse(readFileSync(file, "utf8")).engines?.node;
      if (theirs && semver.validRange(theirs) && !semver.subset(ours, theirs)) {
        problems.push(
          `engines.node "${ours}" allows Node versions that ${name}@${dependency.version} refuses (it needs "${theirs}")`,
        );
      }
      walk(dependency.dependencies);
    }
  };
  walk(tree?.dependencies);
  return problems;
}

function checkTarball(tarball) {
  const problems = [];
  const warnings = [];
  const unpacked = mkdtempSync(path.join(os.tmpdir(), "openv-unpacked-"));
  try {
    run("tar", ["-xzf", tarball, "-C", unpacked]);
    const files = run("tar", ["-tzf", tarball])
      .split("\n")
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, ""));
    for (const file of files) {
      for (const [pattern, why] of forbidden) if (pattern.test(file)) problems.push(`tarball holds ${file}: ${why}`);
      const content = readFileSync(path.join(unpacked, "package", file));
      if (content.includes(0)) continue; // binary
      const text = content.toString("utf8");
      for (const [pattern, what] of secretPatterns) {
        if (pattern.test(text)) problems.push(`tarball file ${file} contains what looks like ${what}`);
      }
    }
    if (!files.includes("README.md")) problems.push("tarball has no README.md");
    if (!files.some((file) => /^LICEN[CS]E/i.test(file))) warnings.push("tarball has no LICENSE file");
    return { files, problems, warnings };
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}

const packagesDir = path.join(root, "packages");
const publicPackages = readdirSync(packagesDir)
  .map((name) => path.join(packagesDir, name))
  .filter((dir) => existsSync(path.join(dir, "package.json")))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) }))
  .filter(({ manifest }) => !manifest.private);

const packDir = mkdtempSync(path.join(os.tmpdir(), "openv-pack-"));
const tarballs = {};
let failed = false;
try {
  for (const { dir, manifest } of publicPackages) {
    const problems = [...checkManifest(manifest, dir), ...checkEngines(manifest, dir)];
    const publint = captureFailure("publint --strict", () => run(bin("publint"), ["--strict", "--pack", "pnpm"], dir));
    if (publint) problems.push(publint);

    const before = new Set(readdirSync(packDir));
    run("pnpm", ["pack", "--pack-destination", packDir], dir);
    const tarballName = readdirSync(packDir).find((file) => !before.has(file) && file.endsWith(".tgz"));
    if (!tarballName) throw new Error(`pnpm pack made no tarball for ${manifest.name}`);
    const tarball = path.join(packDir, tarballName);
    tarballs[manifest.name] = tarball;
    const contents = checkTarball(tarball);
    problems.push(...contents.problems);

    const dual = JSON.stringify(manifest.exports ?? {}).includes('"require"');
    const profile = dual ? "node16" : "esm-only";
    // Stylesheets and other assets have no types to check.
    const assets = Object.keys(manifest.exports ?? {}).filter((subpath) => /\.(css|json)$/.test(subpath));
    const attw = captureFailure(`attw --profile ${profile}`, () =>
      run(
        bin("attw"),
        [
          tarball,
          "--profile",
          profile,
          "--format",
          "table-flipped",
          ...assets.flatMap((a) => ["--exclude-entrypoints", a]),
        ],
        dir,
      ),
    );
    if (attw) problems.push(attw);

    const summary = `${manifest.name}@${manifest.version}: ${contents.files.length} files, engines.node "${manifest.engines?.node}" within every dependency's, publint --strict, attw --profile ${profile}${assets.length ? ` (assets skipped: ${assets.join(", ")})` : ""}`;
    if (problems.length === 0) {
      console.log(`✓ ${summary}`);
    } else {
      failed = true;
      console.log(`✗ ${summary}`);
      for (const problem of problems) console.log(`  - ${problem}`);
    }
    for (const warning of contents.warnings) console.log(`  ! ${warning}`);
  }
  // Peers at the lowest version each package claims to support, so the claim is what gets compiled.
  const peers = {};
  for (const { manifest } of publicPackages) {
    for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
      peers[name] = semver.minVersion(range)?.version ?? range;
    }
  }
  const typePeers = { "@types/react": `^${semver.major(peers.react ?? "19.0.0")}`, "@types/node": "^22.12.0" };
  const strict = checkStrictHost(tarballs, { tsc: bin("tsc"), peers: { ...peers, ...typePeers } });
  const strictSummary = `a strict host (skipLibCheck: false, exactOptionalPropertyTypes; ${Object.entries(peers)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ")}) compiles against the tarballs`;
  if (strict === null) {
    console.log(`✓ ${strictSummary}`);
  } else {
    failed = true;
    console.log(`✗ ${strictSummary}: it does not\n${strict.replace(/^/gm, "    ")}`);
  }
} finally {
  rmSync(packDir, { recursive: true, force: true });
}
if (failed) {
  console.log("\nSome packages are not ready to publish (see above).");
  process.exit(1);
}
console.log(
  `\nAll ${publicPackages.length} public packages pass the engines, publint --strict, attw and tarball checks, and a strict host compiles against them.`,
);
