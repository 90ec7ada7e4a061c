import { terminalStatuses, type Video, type VideoOrTombstone } from "@openv/protocol";
import type { RunPodJob } from "@openv/protocol/worker";
import type { LifecycleContext } from "./context.js";
import { estimateEtaSeconds, type RenderSample, visualTokens } from "./eta.js";
import type { TransitionResult } from "./job-rules.js";
import type { TimingBasis, VideoRecord } from "./ports.js";

// Timing (issue 21): what a video's timing fields record as its job moves (the provider's figures
// where it reports them, else measured), and the queue position and ETA of unfinished videos as
// users read them (estimated per read from one store query; see eta.ts).

const secondsBetween = (from: Date, to: number): number => Math.max(0, (to - from.getTime()) / 1000);
const providerSeconds = (ms: number | undefined): number | null =>
  typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;

/**
 * `decision` (a job update's transition of `video`) with the timing it implies at `now` (ms):
 * entering `processing` stamps `startedAt` and the queue wait (RunPod's `delayTime`, else since
 * submission); finishing records the render time (`executionTime`, else since `startedAt`); a retry
 * starts the next attempt's timing afresh.
 */
export function withJobTiming(
  video: VideoRecord,
  job: RunPodJob,
  decision: TransitionResult | null,
  now: number,
): TransitionResult | null {
  if (!decision || decision.quiet) return decision;
  const { patch } = decision;
  const retrying = patch.retryCount !== undefined && patch.retryCount !== video.retryCount;
  if (retrying) {
    return { ...decision, patch: { ...patch, startedAt: null, queueSeconds: null, renderSeconds: null } };
  }
  const queueSeconds =
    video.queueSeconds ?? providerSeconds(job.delayTime) ?? secondsBetween(video.submittedAt ?? video.createdAt, now);
  if (patch.status === "processing" && video.startedAt === null) {
    return { ...decision, patch: { ...patch, startedAt: new Date(now), queueSeconds } };
  }
  if (patch.status !== undefined && terminalStatuses.includes(patch.status)) {
    const renderSeconds =
      providerSeconds(job.executionTime) ?? (video.startedAt === null ? null : secondsBetween(video.startedAt, now));
    return { ...decision, patch: { ...patch, queueSeconds, renderSeconds } };
  }
  return decision;
}

/** The timing fields of a stored video as users read them, before the read-time estimate. */
export function recordedTiming(
  record: VideoRecord,
): Pick<Video, "queuePosition" | "etaSeconds" | "queueSeconds" | "renderSeconds"> {
  return {
    queuePosition: null,
    etaSeconds: null,
    queueSeconds: record.queueSeconds,
    renderSeconds: record.renderSeconds,
  };
}

const unfinished = (change: VideoOrTombstone): change is Video =>
  !("deleted" in change) && (change.status === "queued" || change.status === "processing");

/** Adds the queue position and ETA to unfinished videos as they are read (one store query per batch). */
export class VideoTiming {
  readonly #ctx: LifecycleContext;

  constructor(ctx: LifecycleContext) {
    this.#ctx = ctx;
  }

  /**
   * `changes` with `queuePosition` and `etaSeconds` set on each unfinished video; finished videos
   * and tombstones as they are. Costs one store query when any is unfinished, none otherwise. A
   * failed query leaves the estimates null: they are a courtesy, not worth failing a read for.
   */
  async annotate<T extends VideoOrTombstone>(changes: T[]): Promise<T[]> {
    const pending = changes.filter(unfinished);
    if (pending.length === 0) return changes;
    let basis: TimingBasis;
    try {
      basis = await this.#ctx.deps.store.timingBasis(pending.map((video) => video.id));
    } catch (error) {
      this.#ctx.logger.warn({ err: error }, "could not read the basis of video ETAs");
      return changes;
    }
    return this.annotateFrom(basis, changes);
  }

  /** `changes` annotated as `annotate` does, from a basis already read (a new video's admission returns one). */
  annotateFrom<T extends VideoOrTombstone>(basis: TimingBasis, changes: T[]): T[] {
    const history: RenderSample[] = basis.history.map((sample) => ({
      model: sample.model,
      tokens: this.#tokens(sample.model, sample),
      renderSeconds: sample.renderSeconds,
      queueSeconds: sample.queueSeconds,
    }));
    const now = basis.now.getTime();
    const byId = new Map(basis.videos.map((video) => [video.id, video]));
    return changes.map((change) => {
      if (!unfinished(change)) return change;
      const row = byId.get(change.id);
      if (!row) return change;
      const etaSeconds = estimateEtaSeconds(
        {
          model: change.model,
          tokens: this.#tokens(change.model, change),
          status: change.status,
          progress: change.progress,
          renderingFor: row.startedAt === null ? null : secondsBetween(row.startedAt, now),
          waitingFor: secondsBetween(row.waitingSince, now),
        },
        history,
      );
      return { ...change, queuePosition: change.status === "queued" ? row.queuedBefore : 0, etaSeconds };
    });
  }

  #tokens(model: string, settings: { frames: number; width: number; height: number }): number {
    return visualTokens(settings, this.#ctx.models.get(model)?.limits.computeBudget);
  }
}
