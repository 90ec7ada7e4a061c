// Figures 4 and 5: webhook → SSE latency with 1 and with 1,000 watchers, and the server's RSS
// idle and with 1,000 streams open. All watchers are the event's user (the harsh case: one change
// fans out to every stream). The watchers run in their own process (processes/sse-watchers.ts);
// this process sends the webhooks, 10 a second, one distinct video each, and notes the monotonic
// clock just before sending; latency is the frame's arrival at a watcher minus that.
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { heapUsedAfterGc } from "../heap.js";
import type { WatcherCommand, WatcherReply } from "../processes/sse-watchers.js";
import { measureCpu, rssKiB } from "../resources.js";
import { type ProcessingBatch, seedProcessingVideos } from "../seed.js";
import { type BenchProcess, startHelper, startReferenceServer } from "../servers.js";
import { median, percentile } from "../stats.js";
import type { BenchContext } from "./context.js";
import { completionRequest } from "./webhooks.js";

export interface SseLatency {
  watchers: number;
  /** Webhooks per run, and frames expected and received over all runs. */
  eventsPerRun: number;
  expected: number;
  received: number;
  /** Medians over the runs of each run's percentile over all its deliveries, in ms. */
  p50: number;
  p95: number;
  p99: number;
  /** Per event, medians over all events of the runs: the first watcher's latency, and how much later the last one got it. */
  firstFrame: number;
  fanOutSpread: number;
  /** Server CPU (all instances) per frame delivered over the measured runs, in µs: the fan-out's cost per stream. */
  serverCpuUsPerFrame?: number;
  /** The mean size of the frames the watchers got, in bytes. */
  frameBytes?: number;
}

export interface SseResults {
  one: SseLatency;
  many: SseLatency;
  eventsPerSecond: number;
  /**
   * Server RSS: fresh and idle; after the 1-watcher runs (warmed up, one stream open); with all
   * streams open; after the many-watcher runs.
   */
  rss: { idleKiB: number; warmKiB: number; connectedKiB: number; afterEventsKiB: number };
  /**
   * Server JS heap in use after a full GC (V8 inspector), with one stream open and with all open:
   * what the streams keep alive, without the garbage and spare pages RSS also counts.
   */
  heap?: { warmBytes: number; connectedBytes: number };
  /**
   * The floor, with as many watchers as `many`: the same webhooks and watchers against a bare
   * `node:http` fan-out of a frame of the same size, no database (processes/sse-floor.ts).
   */
  floor?: SseLatency;
}

const eventsPerSecond = 10;
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One run's figures over its deliveries. */
export function describeDelivery(result: Delivery): string {
  return `${result.latencies.length}/${result.expected} frames, p50 ${percentile(result.latencies, 50).toFixed(2)} ms, p95 ${percentile(result.latencies, 95).toFixed(2)} ms; per event: first frame ${median(result.firstFrames).toFixed(2)} ms, last − first ${median(result.spreads).toFixed(2)} ms`;
}

/** The medians over runs that an `SseLatency` reports. */
export function latencyOf(watchers: number, eventsPerRun: number, runs: Delivery[]): SseLatency {
  const of = (p: number) => median(runs.map((run) => percentile(run.latencies, p)));
  return {
    watchers,
    eventsPerRun,
    expected: runs.reduce((sum, run) => sum + run.expected, 0),
    received: runs.reduce((sum, run) => sum + run.latencies.length, 0),
    p50: of(50),
    p95: of(95),
    p99: of(99),
    firstFrame: median(runs.flatMap((run) => run.firstFrames)),
    fanOutSpread: median(runs.flatMap((run) => run.spreads)),
    frameBytes: median(runs.map((run) => run.frameBytes)),
  };
}

/** Sends commands to the watchers process and waits for the reply of the expected type. */
export function watcherChannel(child: ChildProcess) {
  return <T extends WatcherReply["type"]>(command: WatcherCommand, expect: T) =>
    new Promise<Extract<WatcherReply, { type: T }>>((resolve, reject) => {
      const onMessage = (message: WatcherReply) => {
        if (message.type === "failed") {
          child.off("message", onMessage);
          reject(new Error(`SSE watchers: ${message.message}`));
        } else if (message.type === expect) {
          child.off("message", onMessage);
          resolve(message as Extract<WatcherReply, { type: T }>);
        }
      };
      child.on("message", onMessage);
      child.send(command);
    });
}

export async function runSse(
  context: BenchContext,
  targets: { standIn: BenchProcess; databaseUrl: string },
): Promise<SseResults> {
  const { options, progress, runDir } = context;
  const { databaseUrl } = targets;
  const eventsPerRun = options.durationSeconds * eventsPerSecond;
  const warmupEvents = Math.min(20, eventsPerRun);
  progress.step(
    `SSE: webhook → frame latency, ${eventsPerSecond} webhooks/s, ${eventsPerRun} per run × ${options.runs} runs, 1 and ${options.watchers.toLocaleString("en")} watchers of the same user`,
  );
  const server = await startReferenceServer({
    databaseUrl,
    runPodBaseUrl: targets.standIn.url,
    dataDir: path.join(runDir, "server-sse"),
    logFile: path.join(runDir, "server-sse.log"),
    logLevel: options.serverLogLevel,
    cpuProfileDir: options.cpuProfile ? path.join(runDir, "profiles", "sse") : undefined,
    inspect: true,
  });
  const heapNow = () => (server.inspectPort === undefined ? Number.NaN : heapUsedAfterGc(server.inspectPort));
  const watchersProcess = await startHelper(
    "SSE watchers",
    "sse-watchers.ts",
    {},
    path.join(runDir, "sse-watchers.log"),
  );
  const ask = watcherChannel(watchersProcess.child);
  try {
    await sleep(1_000);
    const idleKiB = rssKiB(server.pid) ?? Number.NaN;
    progress.detail(`server RSS idle (fresh process): ${(idleKiB / 1024).toFixed(1)} MiB`);
    const total = warmupEvents * 2 + eventsPerRun * options.runs * 2;
    const batch = await seedProcessingVideos(databaseUrl, {
      idPrefix: "vid_sse_",
      userPrefix: "bench-sse-",
      users: 1,
      count: total,
    });
    const userId = batch.userIds[0] as string;
    let used = 0;
    const takeEvents = (count: number) => {
      const first = used;
      used += count;
      return Array.from({ length: count }, (_, offset) => first + offset);
    };

    const measureWatchers = async (
      watchers: number,
      target: BenchProcess = server,
      events: (count: number) => number[] = takeEvents,
    ): Promise<SseLatency> => {
      const label = target === server ? "" : ` (${target.name})`;
      progress.detail(`warm-up: ${warmupEvents} webhooks (not counted)${label}`);
      await sendAndCollect(target, batch, events(warmupEvents), watchers, ask);
      const runs: Delivery[] = [];
      const cpuSince = measureCpu({ server: target.pid });
      for (let run = 1; run <= options.runs; run++) {
        const result = await sendAndCollect(target, batch, events(eventsPerRun), watchers, ask);
        runs.push(result);
        progress.detail(`${watchers} watcher(s) run ${run}/${options.runs}${label}: ${describeDelivery(result)}`);
      }
      const latency = latencyOf(watchers, eventsPerRun, runs);
      latency.serverCpuUsPerFrame = (cpuSince().server * 1000) / Math.max(1, latency.received);
      progress.detail(
        `${target === server ? "server" : "floor"} CPU per delivered frame (webhook handling included): ${latency.serverCpuUsPerFrame.toFixed(1)} µs`,
      );
      return latency;
    };

    /**
     * The same `watchers` and webhooks against the floor (processes/sse-floor.ts), its frames
     * `frameBytes` long. The server's streams are closed first, so only the floor's are read. The
     * floor reads no database: the seeded videos only lend their ids again.
     */
    const measureFloor = async (watchers: number, frameBytes: number): Promise<SseLatency> => {
      await ask({ type: "reset" }, "opened");
      const floor = await startHelper(
        "SSE floor (bare node:http)",
        "sse-floor.ts",
        { FRAME_BYTES: String(frameBytes) },
        path.join(runDir, "sse-floor.log"),
      );
      try {
        progress.detail(
          `the floor: ${watchers.toLocaleString("en")} streams of a bare node:http fan-out of a ${frameBytes}-byte frame, no database`,
        );
        await ask({ type: "open", url: floor.url, userId, count: watchers }, "opened");
        let next = 0;
        const reuseIds = (count: number) => Array.from({ length: count }, () => next++ % total);
        return await measureWatchers(watchers, floor, reuseIds);
      } finally {
        await ask({ type: "reset" }, "opened");
        await floor.stop();
      }
    };

    await ask({ type: "open", url: server.url, userId, count: 1 }, "opened");
    const one = await measureWatchers(1);

    // Both readings come 2 s after a full GC (forced through the inspector, which also reads the
    // heap), so the RSS difference is the streams' memory rather than garbage of different ages.
    const warmBytes = await heapNow();
    await sleep(2_000);
    const warmKiB = rssKiB(server.pid) ?? Number.NaN;
    progress.detail(
      `server RSS warmed up, one stream open: ${(warmKiB / 1024).toFixed(1)} MiB; JS heap after GC ${(warmBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    progress.detail(`opening ${options.watchers - 1} more streams`);
    const { open } = await ask({ type: "open", url: server.url, userId, count: options.watchers - 1 }, "opened");
    const connectedBytes = await heapNow();
    await sleep(2_000);
    const connectedKiB = rssKiB(server.pid) ?? Number.NaN;
    progress.detail(
      `${open} streams open; server RSS ${(connectedKiB / 1024).toFixed(1)} MiB; JS heap after GC ${(connectedBytes / 2 ** 20).toFixed(1)} MiB (${((connectedBytes - warmBytes) / 1000 / Math.max(1, open - 1)).toFixed(1)} kB per added stream)`,
    );
    const many = await measureWatchers(open);
    const afterEventsKiB = rssKiB(server.pid) ?? Number.NaN;
    progress.detail(`server RSS after the ${open}-watcher runs: ${(afterEventsKiB / 1024).toFixed(1)} MiB`);
    const floor = await measureFloor(open, many.frameBytes ?? 1000);
    return {
      one,
      many,
      eventsPerSecond,
      rss: { idleKiB, warmKiB, connectedKiB, afterEventsKiB },
      heap: { warmBytes, connectedBytes },
      floor,
    };
  } finally {
    watchersProcess.child.send({ type: "close" } satisfies WatcherCommand);
    await watchersProcess.stop();
    await server.stop();
  }
}

/** What the watchers got for a series of webhooks. */
export interface Delivery {
  /** Every frame's latency. */
  latencies: number[];
  expected: number;
  /** Per event: the first frame's latency, and the last frame's arrival minus the first's. */
  firstFrames: number[];
  spreads: number[];
  /** The mean size of the frames received, in bytes. */
  frameBytes: number;
}

/**
 * Sends one completion webhook per index, paced at `rate` a second and taking `servers` in turn
 * (every instance hears every change through LISTEN/NOTIFY), then collects the frames every
 * watcher got.
 */
export async function sendAndCollect(
  servers: BenchProcess | BenchProcess[],
  batch: ProcessingBatch,
  indexes: number[],
  watchers: number,
  ask: ReturnType<typeof watcherChannel>,
  rate = eventsPerSecond,
): Promise<Delivery> {
  const targets = Array.isArray(servers) ? servers : [servers];
  await ask({ type: "drain" }, "arrivals");
  const sentAt = new Map<string, number>();
  const start = monotonicMs();
  for (const [position, index] of indexes.entries()) {
    const due = start + (position * 1000) / rate;
    const wait = due - monotonicMs();
    if (wait > 0) await sleep(wait);
    const server = targets[position % targets.length] as BenchProcess;
    const request = completionRequest(server.url, batch, index);
    sentAt.set(request.videoId, monotonicMs());
    const response = await fetch(`${server.url}${request.path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: request.body,
    });
    const answer = (await response.json()) as { applied?: boolean };
    if (!response.ok || answer.applied !== true) {
      throw new Error(`webhook for ${request.videoId} answered ${response.status} ${JSON.stringify(answer)}`);
    }
  }
  const expected = indexes.length * watchers;
  const deadline = monotonicMs() + 10_000;
  while (monotonicMs() < deadline) {
    const { deliveries } = await ask({ type: "count" }, "count");
    if (deliveries >= expected) break;
    await sleep(50);
  }
  const { arrivals, frameBytes } = await ask({ type: "drain" }, "arrivals");
  const latencies: number[] = [];
  const firstFrames: number[] = [];
  const spreads: number[] = [];
  for (const [videoId, times] of Object.entries(arrivals)) {
    const sent = sentAt.get(videoId);
    if (sent === undefined || times.length === 0) continue;
    for (const at of times) latencies.push(at - sent);
    const first = Math.min(...times);
    firstFrames.push(first - sent);
    spreads.push(Math.max(...times) - first);
  }
  return { latencies, expected, firstFrames, spreads, frameBytes };
}
