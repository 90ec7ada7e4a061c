// How long a change takes to reach a watcher, and what watching costs in requests.
//
// Starts the reference server in-process with a scripted provider, then for each mode (SSE,
// polling) runs BENCH_JOBS jobs one after another through one client: generate, then at random
// moments within BENCH_JOB_MS an IN_PROGRESS and a COMPLETED webhook. It measures, for every
// webhook, the time from its arrival at the server (an onRequest hook) to the watcher's `video`
// event with the new status, and counts the watcher's HTTP requests (every GET the client sends;
// generate's POSTs are not the watcher's).
//
//   pnpm --filter @openv/sdk bench
//   BENCH_JOBS=30 BENCH_JOB_MS=3000 pnpm --filter @openv/sdk bench
import type { Video, VideoStatus } from "@openv/protocol";
import { createClient, type WatchMode } from "../src/index.js";
import { ScriptedProvider, smallVideo, startRealServer } from "../test/support/real-server.js";

const jobs = Number(process.env.BENCH_JOBS ?? 15);
const jobMs = Number(process.env.BENCH_JOB_MS ?? 1500);
const pollIntervalMs = 1000;

const landings = new Map<string, number>();
const provider = new ScriptedProvider();
const startedAt = performance.now();
const server = await startRealServer({
  provider,
  config: { maxActiveJobs: 1000, monthlyLimitSeconds: 1_000_000 },
  onWebhook: (videoId, atMs) => landings.set(videoId, atMs),
});
console.log(`reference server up in ${Math.round(performance.now() - startedAt)} ms at ${server.baseUrl}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

interface Result {
  mode: WatchMode;
  latencies: number[];
  watcherRequests: number;
  completed: number;
}

async function run(mode: "sse" | "polling"): Promise<Result> {
  const user = `bench-${mode}`;
  let watcherRequests = 0;
  const countingFetch: typeof fetch = (input, init) => {
    if ((init?.method ?? "GET").toUpperCase() === "GET") watcherRequests++;
    return fetch(input, init);
  };
  const client = createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": user }, fetch: countingFetch });
  await client.acceptTerms("1.0.0");
  const watcher = client.watch({ mode, pollIntervalMs });
  for await (const snapshot of watcher) if (snapshot.status === (mode === "sse" ? "live" : "idle")) break;

  const latencies: number[] = [];
  /** Resolves with the time the watcher emitted `status` for the video. */
  const seen = (id: string, status: VideoStatus) =>
    new Promise<number>((resolve) => {
      const listener = (video: Video) => {
        if (video.id !== id || video.status !== status) return;
        watcher.off("video", listener);
        resolve(performance.now());
      };
      watcher.on("video", listener);
    });

  let completed = 0;
  for (let job = 0; job < jobs; job++) {
    const { video } = await client.generate(smallVideo);
    for (const [status, update] of [
      ["processing", { status: "IN_PROGRESS", output: { progress: 0.5 } }],
      ["completed", { status: "COMPLETED", output: provider.completedOutput(server.baseUrl, video.id) }],
    ] as const) {
      await sleep(Math.random() * (jobMs / 2));
      const event = seen(video.id, status);
      await provider.send(video.id, update);
      const eventAt = await event;
      const landedAt = landings.get(video.id);
      if (landedAt === undefined) throw new Error(`no webhook landing recorded for ${video.id}`);
      latencies.push(eventAt - landedAt);
    }
    completed++;
  }
  watcher.close();
  return { mode, latencies, watcherRequests, completed };
}

const results = [await run("sse"), await run("polling")];
await server.close();

console.log(
  `\n${jobs} jobs per mode, one after another, each ~${jobMs} ms with 2 webhooks; polling every ${pollIntervalMs} ms while active`,
);
console.log("latency = webhook arrives at the server → the watcher emits `video` with the new status\n");
const header = ["mode", "webhooks", "p50 ms", "p95 ms", "max ms", "watcher requests", "per completed job"];
const rows = results.map(({ mode, latencies, watcherRequests, completed }) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return [
    mode,
    String(latencies.length),
    percentile(sorted, 50).toFixed(1),
    percentile(sorted, 95).toFixed(1),
    (sorted.at(-1) ?? Number.NaN).toFixed(1),
    String(watcherRequests),
    (watcherRequests / completed).toFixed(2),
  ];
});
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
for (const row of [header, ...rows])
  console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  "));
