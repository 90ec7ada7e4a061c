import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The repository root. */
export const repoRoot = path.resolve(import.meta.dirname, "../..");
/** The reference server as built by `pnpm build` (the package's `openv-server` bin). */
export const serverCli = path.join(repoRoot, "packages/server/dist/cli.js");

/** The secret the reference server signs webhook URLs with, so the bench can compute them too. */
export const webhookSecret = "openv-bench-webhook-secret-0123456789";
export const termsVersion = "1.0.0";
export const runPodApiKey = "bench-runpod-key";
export const runPodEndpointId = "bench-endpoint";

/** A process the bench started: its pid (for /proc), where it listens, and how to stop it. */
export interface BenchProcess {
  name: string;
  pid: number;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** stdout and stderr go here. */
  logFile: string;
  child: ChildProcess;
  stop(): Promise<void>;
  /** The V8 inspector's loopback port, for a reference server started with `inspect`. */
  inspectPort?: number;
}

const live = new Set<ChildProcess>();
// Whatever happens to the bench, it leaves no server behind.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function spawnLogged(name: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ["ignore", log, log, "ipc"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return child;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const forced = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(forced);
  };
}

function logTail(logFile: string): string {
  return existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "";
}

/** The environment a child starts from: enough to run Node, none of the caller's service settings. */
function baseEnv(): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "LANG", "TMPDIR", "TZ"];
  return Object.fromEntries(keep.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

/** Settings of the reference server under test. */
export interface ReferenceServerOptions {
  /** DATABASE_URL; undefined: the embedded default, PGlite in `dataDir`/pglite. */
  databaseUrl: string | undefined;
  /** RUNPOD_BASE_URL: the stand-in's /v2. */
  runPodBaseUrl: string;
  /** OPENV_DATA_DIR (local files live under it). */
  dataDir: string;
  logFile: string;
  /** LOG_LEVEL; the server's default is info (two log lines per request). */
  logLevel: string;
  /** Write a V8 CPU profile of the server to this folder when it exits. */
  cpuProfileDir?: string | undefined;
  /** More environment variables (e.g. OPENV_OUTPUT_ALLOWED_HOSTS for the copy scenario). */
  env?: Record<string, string>;
  /** Open the V8 inspector on a free loopback port (see heap.ts): `inspectPort` of the result. */
  inspect?: boolean;
}

/**
 * Starts `node packages/server/dist/cli.js` on a free loopback port against `databaseUrl` (or on
 * PGlite in `dataDir` without one; it applies the migrations at start), with RunPod pointed at the stand-in, development auth, limits
 * raised so they never refuse a request, previews off, and the reconciler's first pass an hour away.
 */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<BenchProcess> {
  if (!existsSync(serverCli)) {
    throw new Error(`${serverCli} is missing: build the packages first (pnpm -r --filter './packages/*' run build).`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    ...(options.databaseUrl !== undefined && { DATABASE_URL: options.databaseUrl }),
    OPENV_DATA_DIR: options.dataDir,
    OPENV_WEBHOOK_SECRET: webhookSecret,
    RUNPOD_API_KEY: runPodApiKey,
    RUNPOD_ENDPOINT_ID: runPodEndpointId,
    RUNPOD_BASE_URL: options.runPodBaseUrl,
    TERMS_VERSION: termsVersion,
    MONTHLY_LIMIT_SECONDS: String(1_000_000_000),
    MAX_ACTIVE_JOBS: String(1_000_000),
    // Being added on main; on a server that does not know them yet the per-user limit (60 a
    // minute) applies, which the bench stays under by rotating thousands of users.
    OPENV_RATE_LIMIT_USER_PER_MINUTE: "0",
    OPENV_RATE_LIMIT_IP_PER_MINUTE: "0",
    // The reconciler would poll the stand-in about the seeded jobs (which it does not know) and
    // add its own queries to the measurements: its first pass comes after an hour.
    OPENV_RECONCILE_INTERVAL_MS: String(3_600_000),
    // The SSE scenarios open thousands of streams of one user (the harsh case: every change fans
    // out to all of them); the shipped cap is 10 per user and instance.
    OPENV_MAX_EVENT_STREAMS_PER_USER: String(1_000_000),
    // Previews off: the bench's completions name output files no worker ever wrote, so each
    // derivation would fail at once on the missing file (a temporary folder, a failed copy and a
    // warning per webhook: a fifth of the server's CPU in a profile); a real one is an ffmpeg run
    // per video in a child process, background work after the webhook was answered, not ingestion.
    OPENV_PREVIEWS: "off",
    LOG_LEVEL: options.logLevel,
    ...options.env,
  };
  const profile = options.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfileDir] : [];
  const inspectPort = options.inspect ? await freePort() : undefined;
  const inspect = inspectPort === undefined ? [] : [`--inspect=127.0.0.1:${inspectPort}`];
  const child = spawnLogged("reference server", [...profile, ...inspect, serverCli], env, options.logFile);
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the reference server exited with ${child.exitCode}:\n${logTail(options.logFile)}`);
    }
    if (Date.now() - started > 120_000)
      throw new Error(`the reference server did not start:\n${logTail(options.logFile)}`);
    const health = await fetch(`${url}/api/health`).catch(() => null);
    if (health?.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: "reference server",
    pid: child.pid as number,
    url,
    logFile: options.logFile,
    child,
    stop: stopper(child),
    ...(inspectPort !== undefined && { inspectPort }),
  };
}

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/**
 * Runs one of ./processes/*.ts in its own Node process (through tsx) and waits for the
 * `{type: "ready", url}` message it sends once it listens.
 */
export async function startHelper(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<BenchProcess> {
  const file = path.join(import.meta.dirname, "processes", script);
  const child = spawnLogged(name, ["--import", tsxLoader, file], { ...baseEnv(), ...env }, logFile);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${logTail(logFile)}`)), 60_000);
    child.on("message", (message: { type?: string; url?: string }) => {
      if (message.type === "ready" && message.url) {
        clearTimeout(timer);
        resolve(message.url);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${logTail(logFile)}`));
    });
  });
  return { name, pid: child.pid as number, url, logFile, child, stop: stopper(child) };
}

/** The bare Fastify + `pg` Pool app the server is compared with, on database `databaseUrl`. */
export function startFloor(databaseUrl: string, logFile: string): Promise<BenchProcess> {
  return startHelper("floor (bare Fastify + pg)", "floor-server.ts", { FLOOR_DATABASE_URL: databaseUrl }, logFile);
}

/** The stand-in for a provider's output storage: every `/files/<name>.mp4` is `bytes` bytes of video/mp4. */
export function startOutputFiles(bytes: number, logFile: string): Promise<BenchProcess> {
  return startHelper("output files", "output-files.ts", { OUTPUT_BYTES: String(bytes) }, logFile);
}

/** The RunPod-compatible stand-in of the server's tests, with jobs that never finish on their own. */
export function startRunPodStandIn(logFile: string): Promise<BenchProcess> {
  return startHelper(
    "RunPod stand-in",
    "runpod-stand-in.ts",
    { STAND_IN_API_KEY: runPodApiKey, STAND_IN_ENDPOINT_ID: runPodEndpointId },
    logFile,
  );
}
