import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

/** The repository root. */
export const root = path.resolve(import.meta.dirname, "../../../..");

/** Variables that switch the reference server away from its embedded defaults. */
const serviceVariable = /^(CLERK_|RUNPOD_|UPLOADTHING_|DATABASE_URL$|PUBLIC_URL$|NODE_ENV$)/;

/** This process's environment without any service settings, plus `settings`. */
export function embeddedEnv(settings: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !serviceVariable.test(name)));
  return { ...env, ...settings };
}

/**
 * Builds the packages when their sources are newer than the build (`scripts/start.mjs
 * --build-only`), one process at a time: suites that run the built server call it in `beforeAll`
 * with a long timeout, so no server start waits for a build (minutes on a busy machine) inside its
 * own timeout, and two suites never build into one `dist` at once.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = path.join(root, "node_modules", ".openv-build-lock");
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock left by a killed run is not held for ever.
      const since = (await stat(lock).catch(() => null))?.mtimeMs;
      if (since !== undefined && Date.now() - since > 15 * 60_000) await rmdir(lock).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    await promisify(execFile)(process.execPath, [path.join(root, "scripts/start.mjs"), "--build-only"], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    await rmdir(lock).catch(() => {});
  }
}

/**
 * A port for a server a test starts on a port chosen in advance (its PORT and public URL): random
 * below 32768, outside Linux's ephemeral range (32768–60999), from which the kernel hands out ports
 * to outgoing connections and to `listen(0)`. A pick inside it can already be in use by the suite's
 * own database and HTTP connections (EADDRINUSE at start, seen in CI).
 */
export function testPort(): number {
  return 10_000 + Math.floor(Math.random() * 22_000);
}

export interface SpawnedServer {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: string;
  /** Milliseconds from spawn to the first healthy /api/health. */
  startedIn: number;
  /**
   * Waits until the output contains `text` (what the process printed arrives through a pipe, and
   * may arrive after /api/health already answered); fails after `timeoutMs` with the output.
   */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Stops it (SIGTERM by default; SIGKILL runs no shutdown code) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a Node script that serves OpenV on `port` (scripts/start.mjs, or dist/cli.js directly when
 * a test must be able to SIGKILL the server itself), and waits for /api/health.
 */
export async function spawnServer(
  script: string,
  env: NodeJS.ProcessEnv,
  port: number,
  timeoutMs = 120_000,
): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [script], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const started = Date.now();
  for (;;) {
    if (Date.now() - started > timeoutMs) {
      // Not left running (or building) behind the failed test.
      child.kill("SIGKILL");
      throw new Error(`server did not start:\n${output}`);
    }
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    if ((await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    get output() {
      return output;
    },
    startedIn: Date.now() - started,
    async waitForOutput(text, timeoutMs = 30_000) {
      const found = () => (typeof text === "string" ? output.includes(text) : text.test(output));
      for (const deadline = Date.now() + timeoutMs; !found(); ) {
        if (Date.now() > deadline) throw new Error(`the server never printed ${String(text)}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill(signal);
      await exited;
    },
  };
}
