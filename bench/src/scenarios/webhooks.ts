// Figure 2: webhook ingestion. Each request is RunPod's COMPLETED job object for a distinct video
// that is `processing` with that job (seeded), at the URL the server would have given RunPod
// (token computed with the server's secret). Its output URL lies inside the server's local
// storage (`<PUBLIC_URL>/api/files/<key>`), so `applyJobUpdate` finds a key for it
// (storage.keyForUrl) and copies or downloads nothing: what is measured is token check,
// validation, the transition transaction and the change notification.

import { webhookToken } from "@openv/server";
import type autocannon from "autocannon";
import { runLoad } from "../load.js";
import { describeSample, measure, type Sample, type Summary, summarize } from "../measure.js";
import { countCompleted, type ProcessingBatch, seedProcessingVideos } from "../seed.js";
import { webhookSecret } from "../servers.js";
import type { BenchContext } from "./context.js";
import type { WriteTargets } from "./generate.js";

export interface WebhookResults {
  summary: Summary;
  /** Videos completed by the measured runs, against 2xx answers: equal when every webhook hit a distinct job. */
  completed: number;
  answered: number;
  /** Videos seeded per run (the most one run can complete). */
  perRun: number;
}

/** The webhook path and RunPod body that complete `batch`'s `index`-th video. */
export function completionRequest(serverUrl: string, batch: ProcessingBatch, index: number) {
  const videoId = batch.videoIds[index] as string;
  const query = new URLSearchParams({ video: videoId, attempt: "0", token: webhookToken(webhookSecret, videoId, 0) });
  const key = `${videoId}.mp4`;
  return {
    videoId,
    path: `/api/runpod/webhook?${query}`,
    body: JSON.stringify({
      id: batch.jobIds[index],
      status: "COMPLETED",
      delayTime: 1200,
      executionTime: 94_000,
      output: {
        url: `${serverUrl}/api/files/${key}`,
        key,
        frames: 31,
        fps: 30,
        width: 848,
        height: 480,
        seconds: 31 / 30,
      },
    }),
  };
}

export async function runWebhooks(context: BenchContext, targets: WriteTargets): Promise<WebhookResults> {
  const { options, progress, postgres } = context;
  const { server, databaseUrl } = targets;
  // Enough distinct jobs for 4,000 webhooks a second, twice the pass bar; more would be duplicates.
  const perRun = options.durationSeconds * (options.quick ? 1_000 : 4_000);
  progress.step(
    `webhooks: COMPLETED for distinct processing jobs, ${options.connections} connections, ${options.durationSeconds} s × ${options.runs} runs`,
  );

  const load = async (label: string, count: number, seconds: number) => {
    const batch = await seedProcessingVideos(databaseUrl, {
      idPrefix: `vid_wh_${label}_`,
      userPrefix: "bench-wh-",
      users: 1_000,
      count,
    });
    const requests = Array.from({ length: count }, (_, index) => completionRequest(server.url, batch, index));
    let next = 0;
    const setupRequest = (request: autocannon.Request): autocannon.Request => {
      const target = requests[next++ % requests.length];
      return { ...request, path: target?.path ?? request.path, body: target?.body ?? "" };
    };
    return () =>
      runLoad({
        url: server.url,
        method: "POST",
        headers: { "content-type": "application/json" },
        connections: options.connections,
        durationSeconds: seconds,
        setupRequest,
      });
  };

  const warmup = Math.min(3, options.durationSeconds);
  progress.detail(`warm-up: ${warmup} s (not counted)`);
  await (await load("warmup", warmup * 4_000, warmup))();

  const samples: Sample[] = [];
  let completed = 0;
  for (let run = 1; run <= options.runs; run++) {
    progress.detail(`seeding ${perRun.toLocaleString("en")} processing videos for run ${run}`);
    const label = `run${run}`;
    const start = await load(label, perRun, options.durationSeconds);
    const sample = await measure({ server: server.pid, postmaster: postgres.postmasterPid }, targets.counters, start);
    const done = await countCompleted(databaseUrl, `vid_wh_${label}_`);
    completed += done;
    samples.push(sample);
    progress.detail(`${describeSample(`webhooks run ${run}/${options.runs}`, sample)}; ${done} videos completed`);
  }
  const summary = summarize(samples);
  return { summary, completed, answered: summary.ok, perRun };
}
