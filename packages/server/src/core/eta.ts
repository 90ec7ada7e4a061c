import type { VideoStatus } from "@openv/protocol";

// Timing (issue 21): how long an unfinished video should still take. Pure functions over this
// server's history of finished renders (a store query feeds them) and the video's own progress;
// nothing here reads a clock or a database.

/** How a model turns frames and size into work (its `limits.computeBudget`, without the cap). */
export interface TokenGeometry {
  /** Frames folded into one latent frame. */
  temporalCompression: number;
  /** Pixels per latent patch side. */
  patchPixels: number;
}

/** Used for models that declare no compute budget: still proportional to frames × pixels. */
const defaultGeometry: TokenGeometry = { temporalCompression: 1, patchPixels: 16 };

/**
 * A render's visual tokens, the way core/catalog.ts checks a model's compute budget: latent frames
 * × patches across × patches down. Render time grows with it.
 */
export function visualTokens(
  settings: { frames: number; width: number; height: number },
  geometry: TokenGeometry | undefined,
): number {
  const { temporalCompression, patchPixels } = geometry ?? defaultGeometry;
  const latentFrames = Math.floor((Math.max(settings.frames, 1) - 1) / temporalCompression) + 1;
  return (
    latentFrames *
    Math.max(1, Math.floor(settings.width / patchPixels)) *
    Math.max(1, Math.floor(settings.height / patchPixels))
  );
}

/** One finished render of this server's history. */
export interface RenderSample {
  /** The model. */
  model: string;
  /** Its visual tokens (see `visualTokens`). */
  tokens: number;
  /** Seconds it rendered. */
  renderSeconds: number;
  /** Seconds it waited for a worker, when known. */
  queueSeconds: number | null;
}

/** The median of `values`, or null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Seconds a render of `model` at `tokens` visual tokens takes, from the history: the median of the
 * renders with the same budget; without one, the model's median seconds per token times `tokens`;
 * null when the model has no finished render.
 */
export function expectedRenderSeconds(history: readonly RenderSample[], model: string, tokens: number): number | null {
  const ofModel = history.filter((sample) => sample.model === model && sample.renderSeconds >= 0);
  const same = median(ofModel.filter((sample) => sample.tokens === tokens).map((sample) => sample.renderSeconds));
  if (same !== null) return same;
  const perToken = median(
    ofModel.filter((sample) => sample.tokens > 0).map((sample) => sample.renderSeconds / sample.tokens),
  );
  return perToken === null ? null : perToken * tokens;
}

/** The median wait for a worker of `model`'s renders, or null when none recorded it. */
export function expectedQueueSeconds(history: readonly RenderSample[], model: string): number | null {
  return median(
    history
      .filter((sample) => sample.model === model && sample.queueSeconds !== null)
      .map((sample) => sample.queueSeconds as number),
  );
}

/** What the estimate needs to know of one video. */
export interface EtaSubject {
  model: string;
  /** Its visual tokens. */
  tokens: number;
  status: VideoStatus;
  /** 0..1 as the worker reported it, or null. */
  progress: number | null;
  /** Seconds since its current attempt began rendering, or null when it has not. */
  renderingFor: number | null;
  /** Seconds since it was handed to the provider (or created), for a queued video. */
  waitingFor: number;
}

/** Progress at or above this is trusted to extrapolate the video's own speed. */
const trustedProgress = 0.1;

/**
 * Estimated seconds until the video is finished (whole seconds, at least 1), or null when there is
 * no basis: a finished video, or one whose model has no history and whose worker has reported no
 * progress yet.
 *
 * - Rendering, with progress p ≥ 0.1: its own pace, `elapsed × (1 − p) / p`.
 * - Rendering otherwise: the history's render time for its model and budget, less what it has done
 *   (`× (1 − p)` with progress, `− elapsed` without); where that is used up, its own pace if it
 *   reported any progress, else null.
 * - Queued: the history's median wait, less what it has waited, plus the render time.
 */
export function estimateEtaSeconds(subject: EtaSubject, history: readonly RenderSample[]): number | null {
  if (subject.status !== "queued" && subject.status !== "processing") return null;
  const render = expectedRenderSeconds(history, subject.model, subject.tokens);
  const done = subject.progress !== null && subject.progress > 0 && subject.progress < 1 ? subject.progress : null;
  const elapsed = subject.renderingFor !== null && subject.renderingFor > 0 ? subject.renderingFor : null;
  const ownPace = done !== null && elapsed !== null ? (elapsed * (1 - done)) / done : null;
  if (subject.status === "processing") {
    if (ownPace !== null && done !== null && done >= trustedProgress) return whole(ownPace);
    if (render !== null) {
      const left = done !== null ? render * (1 - done) : render - (elapsed ?? 0);
      if (left > 0) return whole(left);
    }
    return ownPace === null ? null : whole(ownPace);
  }
  if (render === null) return null;
  const queue = expectedQueueSeconds(history, subject.model) ?? 0;
  return whole(Math.max(0, queue - subject.waitingFor) + render);
}

const whole = (seconds: number): number => Math.max(1, Math.ceil(seconds));
