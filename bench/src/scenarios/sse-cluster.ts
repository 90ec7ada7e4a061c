// Webhook → SSE frame latency with 10,000 streams over 2 reference server instances on one
// PostgreSQL (LISTEN/NOTIFY carries each change to both), and the server memory per open stream.
// All streams are one user's (every change fans out to all of them); webhooks go to the instances
// in turn, so half the frames cross from the other instance. One watchers process holds every
// stream with raw `http` (see processes/sse-watchers.ts); webhooks are paced slower than in the
// one-instance figure so the watchers (10,000 frames per webhook) keep up on a small machine.
import path from "node:path";
import { heapUsedAfterGc } from "../heap.js";
import type { WatcherCommand } from "../processes/sse-watchers.js";
import { measureCpu, rssKiB } from "../resources.js";
import { seedProcessingVideos } from "../seed.js";
import { type BenchProcess, startHelper, startReferenceServer } from "../servers.js";
import type { BenchContext } from "./context.js";
import {
  type Delivery,
  describeDelivery,
  latencyOf,
  type SseLatency,
  sendAndCollect,
  sleep,
  watcherChannel,
} from "./sse.js";

export interface SseClusterResults {
  instances: number;
  latency: SseLatency;
  eventsPerSecond: number;
  /**
   * Per instance: RSS and JS heap after a full GC with one stream open (warmed up), the same with its
   * share of the streams open, and streams. Each reading comes 2 s after a full GC, as in the
   * one-instance figure, so the difference is the streams' memory, not garbage of different ages.
   */
  memory: { beforeKiB: number; openKiB: number; beforeHeapBytes: number; openHeapBytes: number; streams: number }[];
}

const instances = 2;

export async function runSseCluster(
  context: BenchContext,
  targets: { standIn: BenchProcess; databaseUrl: string },
): Promise<SseClusterResults> {
  const { options, progress, runDir } = context;
  const { databaseUrl } = targets;
  const watchers = options.clusterWatchers;
  // About 20,000 frames a second in all, whatever the number of watchers (at least 1 webhook/s).
  const eventsPerSecond = Math.max(1, Math.min(10, Math.round(20_000 / watchers)));
  const eventsPerRun = options.durationSeconds * eventsPerSecond;
  const warmupEvents = Math.min(10, eventsPerRun);
  progress.step(
    `SSE on ${instances} instances: ${watchers.toLocaleString("en")} watchers of one user, ${eventsPerSecond} webhooks/s, ${eventsPerRun} per run × ${options.runs} runs`,
  );
  const servers: BenchProcess[] = [];
  const watchersProcess = await startHelper(
    "SSE watchers (cluster)",
    "sse-watchers.ts",
    {},
    path.join(runDir, "sse-cluster-watchers.log"),
  );
  const ask = watcherChannel(watchersProcess.child);
  try {
    for (let index = 0; index < instances; index++) {
      servers.push(
        await startReferenceServer({
          databaseUrl,
          runPodBaseUrl: targets.standIn.url,
          dataDir: path.join(runDir, `server-sse-cluster-${index}`),
          logFile: path.join(runDir, `server-sse-cluster-${index}.log`),
          logLevel: options.serverLogLevel,
          cpuProfileDir: options.cpuProfile ? path.join(runDir, "profiles", `sse-cluster-${index}`) : undefined,
          inspect: true,
        }),
      );
    }
    const batch = await seedProcessingVideos(databaseUrl, {
      idPrefix: "vid_ssec_",
      userPrefix: "bench-ssec-",
      users: 1,
      count: warmupEvents + eventsPerRun * options.runs,
    });
    const userId = batch.userIds[0] as string;
    let used = 0;
    const takeEvents = (count: number) => {
      const first = used;
      used += count;
      return Array.from({ length: count }, (_, offset) => first + offset);
    };

    // One stream per instance and a few webhooks first, so the RSS before is a warmed-up process's.
    for (const server of servers) await ask({ type: "open", url: server.url, userId, count: 1 }, "opened");
    await sendAndCollect(servers, batch, takeEvents(warmupEvents), instances, ask, 10);
    // Heap after a full GC, then RSS 2 s later, per instance (see `memory`).
    const afterGc = async () => {
      const heaps: number[] = [];
      for (const server of servers) {
        heaps.push(server.inspectPort === undefined ? Number.NaN : await heapUsedAfterGc(server.inspectPort));
      }
      await sleep(2_000);
      return { heaps, rss: servers.map((server) => rssKiB(server.pid) ?? Number.NaN) };
    };
    const before = await afterGc();
    const share = Math.floor(watchers / instances);
    let open = 0;
    for (const [index, server] of servers.entries()) {
      const count = (index === servers.length - 1 ? watchers - share * (instances - 1) : share) - 1;
      progress.detail(`opening ${count.toLocaleString("en")} more streams on instance ${index + 1}`);
      open = (await ask({ type: "open", url: server.url, userId, count }, "opened")).open;
    }
    const opened = await afterGc();
    const memory = servers.map((_server, index) => {
      const openKiB = opened.rss[index] ?? Number.NaN;
      const openHeapBytes = opened.heaps[index] ?? Number.NaN;
      const streams = index === servers.length - 1 ? watchers - share * (instances - 1) : share;
      const beforeKiB = before.rss[index] ?? Number.NaN;
      const beforeHeapBytes = before.heaps[index] ?? Number.NaN;
      progress.detail(
        `instance ${index + 1}: ${streams.toLocaleString("en")} streams open, RSS ${(beforeKiB / 1024).toFixed(1)} → ${(openKiB / 1024).toFixed(1)} MiB (${((openKiB - beforeKiB) / (streams - 1)).toFixed(1)} KiB per stream), JS heap after GC ${((openHeapBytes - beforeHeapBytes) / 1000 / (streams - 1)).toFixed(1)} kB per stream`,
      );
      return { beforeKiB, openKiB, beforeHeapBytes, openHeapBytes, streams };
    });
    progress.detail(`${open.toLocaleString("en")} streams open in all`);

    const runs: Delivery[] = [];
    const cpu = servers.map((server) => measureCpu({ server: server.pid }));
    for (let run = 1; run <= options.runs; run++) {
      const result = await sendAndCollect(servers, batch, takeEvents(eventsPerRun), open, ask, eventsPerSecond);
      runs.push(result);
      progress.detail(
        `${open} watchers on ${instances} instances, run ${run}/${options.runs}: ${describeDelivery(result)}`,
      );
    }
    const latency = latencyOf(open, eventsPerRun, runs);
    const serverCpuMs = cpu.reduce((sum, since) => sum + since().server, 0);
    latency.serverCpuUsPerFrame = (serverCpuMs * 1000) / Math.max(1, latency.received);
    progress.detail(`server CPU per delivered frame, both instances: ${latency.serverCpuUsPerFrame.toFixed(1)} µs`);
    return { instances, latency, eventsPerSecond, memory };
  } finally {
    watchersProcess.child.send({ type: "close" } satisfies WatcherCommand);
    await watchersProcess.stop();
    for (const server of servers) await server.stop();
  }
}
