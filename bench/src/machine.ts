import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "./servers.js";

/** The machine and software a result was measured on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  /** 1-minute load average when the bench started: other work on the machine shows here. */
  loadAverageAtStart: number;
  versions: Record<string, string>;
  commit: string;
}

/** The version of `name` as `fromPackageDir` resolves it (from the package.json above its entry point). */
function packageVersion(fromPackageDir: string, name: string): string {
  try {
    const require = createRequire(path.join(fromPackageDir, "package.json"));
    for (let dir = path.dirname(require.resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const manifest = path.join(dir, "package.json");
      if (!existsSync(manifest)) continue;
      const { name: found, version } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version: string };
      if (found === name) return version;
    }
  } catch {
    // Not resolvable from there.
  }
  return "unknown";
}

function gitCommit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
    // Tracked files only: the report this run writes (docs/benchmarks.md) may be new.
    const dirty = execFileSync(
      "git",
      ["status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md"],
      {
        cwd: repoRoot,
        encoding: "utf8",
      },
    ).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return "unknown";
  }
}

export function describeMachine(postgresVersion: string): MachineInfo {
  const cpus = os.cpus();
  const server = path.join(repoRoot, "packages/server");
  const bench = path.join(repoRoot, "bench");
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg()[0] ?? 0,
    versions: {
      node: process.version,
      postgresql: postgresVersion,
      fastify: packageVersion(server, "fastify"),
      "@prisma/client": packageVersion(server, "@prisma/client"),
      "@prisma/adapter-pg": packageVersion(server, "@prisma/adapter-pg"),
      pg: packageVersion(server, "pg"),
      autocannon: packageVersion(bench, "autocannon"),
    },
    commit: gitCommit(),
  };
}
