import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { root } from "./spawn-server.js";

/**
 * worker-mochi's virtualenv: `OPENV_WORKER_VENV` (scripts/test-all.sh exports it after creating it),
 * else the newest complete one in the cache `worker-mochi/scripts/venv.sh` fills. In CI a missing
 * virtualenv is created (never skipped); elsewhere the caller skips with the reason returned.
 */
export function findWorkerVenv(): { venv: string } | { skip: string } {
  const given = process.env.OPENV_WORKER_VENV;
  if (given && existsSync(path.join(given, ".openv-complete"))) return { venv: given };
  const cache = process.env.OPENV_CACHE_DIR ?? path.join(os.homedir(), ".cache", "openv");
  const found = existsSync(cache)
    ? readdirSync(cache)
        .filter((name) => name.startsWith("worker-venv-"))
        .map((name) => path.join(cache, name))
        .find((dir) => existsSync(path.join(dir, ".openv-complete")))
    : undefined;
  if (found) return { venv: found };
  if (process.env.CI) {
    const script = path.join(root, "worker-mochi/scripts/venv.sh");
    const venv = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
      .trim()
      .split("\n")
      .at(-1) as string;
    return { venv };
  }
  return {
    skip: "worker-mochi's Python virtualenv is absent: run `bash worker-mochi/scripts/ci.sh` (or scripts/test-all.sh) once to create it",
  };
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** `worker-mochi/scripts/serve.sh --tiny` on a loopback port, the real handler behind it. */
export interface WorkerRunner {
  /** `RUNPOD_BASE_URL` for the server: `http://127.0.0.1:PORT/v2`. */
  baseUrl: string;
  child: ChildProcess;
  readonly output: string;
  stop(): Promise<void>;
}

export async function startWorkerRunner(venv: string, timeoutMs = 180_000): Promise<WorkerRunner> {
  const port = await freePort();
  const child = spawn(
    "bash",
    [path.join(root, "worker-mochi/scripts/serve.sh"), "--tiny", "--port", String(port), "--webhook-interval", "0.5"],
    {
      cwd: root,
      env: { ...process.env, OPENV_CACHE_DIR: path.dirname(venv), MOCHI_DEVICE: "cpu", UPLOADTHING_TOKEN: "" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const baseUrl = `http://127.0.0.1:${port}/v2`;
  const started = Date.now();
  for (;;) {
    if (Date.now() - started > timeoutMs) throw new Error(`the worker runner did not start:\n${output}`);
    if (child.exitCode !== null) throw new Error(`the worker runner exited with ${child.exitCode}:\n${output}`);
    if ((await fetch(`${baseUrl}/health-check/health`).catch(() => null))?.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    baseUrl,
    child,
    get output() {
      return output;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      // serve.sh execs python: the process group is the runner and nothing else.
      if (child.pid) process.kill(-child.pid, "SIGTERM");
      await exited;
    },
  };
}
