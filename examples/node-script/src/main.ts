import { pathToFileURL } from "node:url";
import { createClient, isOpenVError, type Video } from "@openv/sdk";

/** Where the script writes; `process.stdout` and `process.stderr` in a terminal. */
export interface Output {
  write(text: string): unknown;
}

/** What {@link main} reads: the environment and arguments of a run, and where it writes. */
export interface MainOptions {
  /** `OPENV_URL` (default http://127.0.0.1:3000/api) and `OPENV_USER` (the dev-server user). */
  env?: Record<string, string | undefined>;
  /** The prompt's words. Default: a paper boat. */
  args?: string[];
  stdout?: Output;
  stderr?: Output;
  /** Stops the run (Ctrl+C). */
  signal?: AbortSignal;
}

const defaultPrompt = "a paper boat drifting on a pond, morning light";
const barWidth = 24;

/** One terminal line: `processing [#########···············]  38%`. */
export function progressLine(video: Video): string {
  const fraction = video.status === "completed" ? 1 : (video.progress ?? 0);
  const filled = Math.round(fraction * barWidth);
  const bar = `${"#".repeat(filled)}${"·".repeat(barWidth - filled)}`;
  return `${video.status.padEnd(10)} [${bar}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
}

/**
 * Generates one video and waits for it, redrawing one progress line (`\r`), then prints its URL.
 * Resolves with the exit code: 0 when the video completed, 1 with the error's message otherwise.
 */
export async function main(options: MainOptions = {}): Promise<number> {
  const { env = process.env, stdout = process.stdout, stderr = process.stderr, signal } = options;
  const baseUrl = env.OPENV_URL ?? "http://127.0.0.1:3000/api";
  const prompt = options.args?.join(" ").trim() || defaultPrompt;
  // A development server (no Clerk) takes the user from this header; a Clerk-protected one would
  // need `getToken` instead.
  const client = createClient({ baseUrl, headers: env.OPENV_USER ? { "x-openv-user": env.OPENV_USER } : {} });
  // Every call takes the same options; `signal` may be undefined.
  const request = { signal };
  let lastLine: string | null = null;
  try {
    const terms = await client.terms.get(request);
    if (!terms.accepted) {
      stdout.write(`Accepting the terms of use (version ${terms.version}).\n`);
      await client.terms.accept(terms.version, request);
    }

    const usage = await client.usage.get(request);
    const left = usage.credits
      ? `${usage.credits.balance} credits left`
      : usage.remainingSeconds === null
        ? `${usage.usedSeconds.toFixed(1)} s used this period`
        : `${usage.remainingSeconds.toFixed(1)} s of quota left this period`;
    stdout.write(`Generating "${prompt}" on ${baseUrl} (${left})\n`);

    // Submits, then follows this one video (its events, or GET /videos/:id), redrawing one line.
    const done = await client.videos.createAndWait(
      { prompt, frames: 31 },
      {
        ...request,
        timeoutMs: 30 * 60_000,
        onProgress: (current: Video) => {
          const line = progressLine(current);
          if (line !== lastLine) stdout.write(`\r${line}`);
          lastLine = line;
        },
      },
    );
    stdout.write(`\nDone: ${done.url}\n`);
    return 0;
  } catch (error) {
    if (lastLine !== null) stdout.write("\n");
    const message = error instanceof Error ? error.message : String(error);
    const code = isOpenVError(error) ? ` (${error.code})` : "";
    stderr.write(`Failed${code}: ${message}\n`);
    return 1;
  }
}

// Run as a script (not when a test imports it).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.exitCode = await main({ args: process.argv.slice(2), signal: controller.signal });
}
