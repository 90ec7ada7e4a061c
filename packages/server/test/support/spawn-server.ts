import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

/** The repository root. */
export const root = path.resolve(import.meta.dirname, "../../../..");

/** Variables that switch the reference server away from its embedded defaults. */
const serviceVariable = /^(CLERK_|RUNPOD_|UPLOADTHING_|DATABASE_URL$|PUBLIC_URL$|NODE_ENV$)/;

/** This process's environment without any service settings, plus `settings`. */
export function embeddedEnv(settings: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !serviceVariable.test(name)));
  return { ...env, ...settings };
}

export interface SpawnedServer {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: string;
  /** Milliseconds from spawn to the first healthy /api/health. */
  startedIn: number;
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
    if (Date.now() - started > timeoutMs) throw new Error(`server did not start:\n${output}`);
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
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill(signal);
      await exited;
    },
  };
}
