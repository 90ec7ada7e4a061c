// Figure 2: webhook ingestion. Each request is RunPod's COMPLETED job object for a distinct video
// that is `processing` with that job (seeded), at the URL the server would have given RunPod
// (token computed with the server's secret). In the plain figure its output URL lies inside the
// server's local storage (`<PUBLIC_URL>/api/files/<key>`), so `applyJobUpdate` finds a key for it
// (storage.keyForUrl) and copies or downloads nothing: what is measured is token check,
// validation, the transition transaction and the change notification. In the copy figure the
// output lies on a foreign host (processes/output-files.ts, a realistic MP4 size), which the
// server downloads through its guarded fetcher (OPENV_OUTPUT_ALLOWED_HOSTS admits the loopback
// stand-in) and stores before the transition, as with a RunPod worker's own upload.

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
  /** Videos completed by the measured runs, against 2xx answers: equal when every webhook hit a distinct job (NaN: not counted). */
  completed: number;
  answered: number;
  /** Videos seeded per run (the most one run can complete). */
  perRun: number;
  /** Bytes each webhook's output copy downloaded and stored (0: the output was in the server's storage). */
  copyBytes: number;
}

/**
 * The webhook path and RunPod body that complete `batch`'s `index`-th video. Its output lies in
 * the server's own storage, or with `outputOrigin` on that (foreign) server, which the server then
 * copies from.
 */
export function completionRequest(serverUrl: string, batch: ProcessingBatch, index: number, outputOrigin?: string) {
  const videoId = batch.videoIds[index] as string;
  const query = new URLSearchParams({ video: videoId, attempt: "0", token: webhookToken(webhookSecret, videoId, 0) });
  // The attempt's own output key (the server's attemptOutputKey): a completion naming any other
  // stored file is refused.
  const key = `${videoId}-0.mp4`;
  return {
    videoId,
    path: `/api/runpod/webhook?${query}`,
    body: JSON.stringify({
      id: batch.jobIds[index],
      status: "COMPLETED",
      delayTime: 1200,
      executionTime: 94_000,
      output: {
        url: outputOrigin ? `${outputOrigin}/files/${key}` : `${serverUrl}/api/files/${key}`,
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

/** How one webhook figure runs: where its videos come from and what it charges. */
export interface WebhookVariant {
  /** For progress lines and seeded ids (`vid_<name>_…`). */
  name: string;
  /** Processing videos the webhooks of one run complete, seeded (or taken from a pre-seeded set). */
  batch: (label: string, count: number) => Promise<ProcessingBatch>;
  /** Completed videos of a seeded set, or null where they cannot be read while the server runs (PGlite). */
  countCompleted: ((idPrefix: string) => Promise<number>) | null;
  /** Webhooks a second one run can at most send (sizes the seeded set). */
  maxRate: number;
  /** The output files' origin: each webhook makes the server copy `copyBytes` from it. */
  output?: { origin: string; bytes: number; pid: number; afterRun: () => void };
}

/** The processing-video batches `webhookBatchPlan` says a run needs, named as `runWebhooks` asks for them. */
export function webhookBatchPlan(options: BenchContext["options"], variant: Pick<WebhookVariant, "name" | "maxRate">) {
  const warmup = Math.min(3, options.durationSeconds);
  const perRun = options.durationSeconds * variant.maxRate;
  return [
    { label: "warmup", count: warmup * variant.maxRate },
    ...Array.from({ length: options.runs }, (_, run) => ({ label: `run${run + 1}`, count: perRun })),
  ].map((entry) => ({ ...entry, idPrefix: `vid_${variant.name}_${entry.label}_` }));
}

export async function runWebhooks(
  context: BenchContext,
  targets: Omit<WriteTargets, "floor" | "counters"> & { counters: WriteTargets["counters"] | null },
  variant: WebhookVariant,
): Promise<WebhookResults> {
  const { options, progress, postgres } = context;
  const { server } = targets;
  const perRun = options.durationSeconds * variant.maxRate;
  progress.step(
    `webhooks (${variant.name}): COMPLETED for distinct processing jobs${variant.output ? `, each output a ${(variant.output.bytes / 1024 / 1024).toFixed(1)} MiB MP4 to copy` : ""}, ${options.connections} connections, ${options.durationSeconds} s × ${options.runs} runs`,
  );

  const load = async (label: string, count: number, seconds: number) => {
    const batch = await variant.batch(label, count);
    const requests = Array.from({ length: count }, (_, index) =>
      completionRequest(server.url, batch, index, variant.output?.origin),
    );
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

  const plan = webhookBatchPlan(options, variant);
  const [warmupBatch, ...runBatches] = plan;
  if (!warmupBatch) throw new Error("no warm-up batch");
  const warmup = Math.min(3, options.durationSeconds);
  progress.detail(`warm-up: ${warmup} s (not counted)`);
  await (await load(warmupBatch.label, warmupBatch.count, warmup))();
  variant.output?.afterRun();

  const samples: Sample[] = [];
  let completed = 0;
  for (const [index, entry] of runBatches.entries()) {
    const run = index + 1;
    progress.detail(`${perRun.toLocaleString("en")} processing videos for run ${run}`);
    const start = await load(entry.label, entry.count, options.durationSeconds);
    const subjects = { server: server.pid, postmaster: postgres.postmasterPid, standIn: variant.output?.pid };
    const sample = await measure(subjects, targets.counters, start);
    const done = variant.countCompleted ? await variant.countCompleted(entry.idPrefix) : Number.NaN;
    completed += done;
    samples.push(sample);
    variant.output?.afterRun();
    progress.detail(
      `${describeSample(`webhooks (${variant.name}) run ${run}/${options.runs}`, sample)}${Number.isNaN(done) ? "" : `; ${done} videos completed`}`,
    );
  }
  const summary = summarize(samples);
  return { summary, completed, answered: summary.ok, perRun, copyBytes: variant.output?.bytes ?? 0 };
}

/** A variant whose batches are seeded into PostgreSQL database `databaseUrl` as each run needs them. */
export function seededOnPostgres(
  databaseUrl: string,
  name: string,
  maxRate: number,
): Pick<WebhookVariant, "name" | "batch" | "countCompleted" | "maxRate"> {
  return {
    name,
    maxRate,
    batch: (label, count) =>
      seedProcessingVideos(databaseUrl, {
        idPrefix: `vid_${name}_${label}_`,
        userPrefix: "bench-wh-",
        users: 1_000,
        count,
      }),
    countCompleted: (idPrefix) => countCompleted(databaseUrl, idPrefix),
  };
}
