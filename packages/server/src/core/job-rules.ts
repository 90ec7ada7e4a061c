import { terminalStatuses } from "@openv/protocol";
import type { RunPodJob } from "@openv/protocol/worker";
import type { JobFailure } from "./failure.js";
import type { Logger, VideoPatch, VideoRecord } from "./ports.js";

// The decision rules of job updates, as plain functions over a video row: which update may change a
// video, and what a failure becomes (the retry policy). No I/O; the rooms apply what they decide.

/** What one transition changes, as decided from the video's current row. */
export interface TransitionResult {
  /** The fields that change (`updatedAt` and `providerSeenAt` are stamped by the transition). */
  patch: Omit<VideoPatch, "updatedAt">;
  /** Refund the video's charge in the same transaction. */
  refund?: boolean;
  /** Record only that the provider spoke (providerSeenAt); no visible change, no event. */
  quiet?: boolean;
}

/** Whether a job update speaks for the video's current attempt and job and can still change it. */
export function acceptsUpdate(video: VideoRecord, attempt: number, job: RunPodJob): boolean {
  if (video.retryCount !== attempt || terminalStatuses.includes(video.status)) return false;
  return video.jobId === null || video.jobId === job.id;
}

/**
 * The retry policy: a retryable failure gets another attempt (`processing`, no job, the retry count
 * up) while fewer than `maxRetries` retries were made; anything else fails the video with a refund.
 */
export function failureTransition(
  video: VideoRecord,
  failure: JobFailure,
  maxRetries: number,
  logger?: Logger,
): TransitionResult {
  if (failure.retryable && video.retryCount < maxRetries) {
    logger?.warn(
      { videoId: video.id, jobId: video.jobId, attempt: video.retryCount, code: failure.code },
      "video job failed; retrying",
    );
    return {
      patch: {
        status: "processing",
        jobId: null,
        progress: null,
        retryCount: video.retryCount + 1,
        errorCode: null,
        errorMessage: null,
        // Timing (eta21): the next attempt's wait and render are its own.
        startedAt: null,
        queueSeconds: null,
        renderSeconds: null,
      },
    };
  }
  return {
    patch: { status: "failed", errorCode: failure.code, errorMessage: failure.message, progress: null },
    refund: true,
  };
}
