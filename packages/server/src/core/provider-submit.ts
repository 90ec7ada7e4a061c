import { terminalStatuses } from "@openv/protocol";
import type { WorkerInput } from "@openv/protocol/worker";
import type { LifecycleContext } from "./context.js";
import { attemptOutputKey } from "./output-keys.js";
import type { ProviderImage, VideoRecord } from "./ports.js";
import type { Transitions } from "./transitions.js";

/** What the worker renders for a video: the enhanced prompt when there is one. */
export function workerInputFor(video: VideoRecord): WorkerInput {
  return {
    positive_prompt: video.enhancedPrompt ?? video.prompt,
    ...(video.negativePrompt !== null && { negative_prompt: video.negativePrompt }),
    width: video.width,
    height: video.height,
    num_frames: video.frames,
    steps: video.steps,
    cfg: video.cfg,
    ...(video.seed !== null && { seed: video.seed }),
  };
}

/**
 * Hands a video's current attempt to its provider and records the job it got: the last step of a
 * submission, and of every retry (job updates) and jobless video (the reconciler).
 */
export class ProviderSubmitter {
  readonly #ctx: LifecycleContext;
  readonly #transitions: Transitions;

  constructor(ctx: LifecycleContext, transitions: Transitions) {
    this.#ctx = ctx;
    this.#transitions = transitions;
  }

  /**
   * Submits the current attempt of a video. A refused first submission fails the video as
   * `provider_unavailable` and refunds it, in one transaction (the request answers 502). A refused
   * resubmission leaves the video `processing` without a job: the reconciler submits it again,
   * until `reconciler.resubmitGiveUpMs`. Returns the video as stored afterwards.
   */
  async submit(video: VideoRecord, { initial }: { initial: boolean }): Promise<VideoRecord> {
    const { webhookUrl, logger } = this.#ctx.deps;
    const provider = this.#ctx.providerOf(video);
    const attempt = video.retryCount;
    // An earlier attempt may have stored its file before it failed: it is superseded now.
    if (attempt > 0) await this.#ctx.deleteFiles([attemptOutputKey(video.id, attempt - 1)]);
    let jobId: string;
    try {
      ({ jobId } = await provider.submit({
        videoId: video.id,
        attempt,
        input: workerInputFor(video),
        webhookUrl: webhookUrl(video.id, attempt),
        outputKey: attemptOutputKey(video.id, attempt),
        model: this.#ctx.models.get(video.model)?.providerModel ?? video.model,
        durationSeconds: video.durationSeconds,
        fps: video.fps,
        image: await this.#providerImage(video),
      }));
    } catch (error) {
      logger.warn({ videoId: video.id, attempt, err: error }, "provider refused the job");
      if (!initial) return video;
      const reason = error instanceof Error ? error.message : String(error);
      return (
        (await this.#transitions.failAttempt(video.id, attempt, null, {
          code: "provider_unavailable",
          message: reason,
          retryable: false,
        })) ?? video
      );
    }
    // A first submission's video is the row its admission just stored: no need to read it again.
    const saved = await this.#transitions.transition(
      video.id,
      (current) =>
        current.retryCount === attempt &&
        !current.deletedAt &&
        !terminalStatuses.includes(current.status) &&
        (current.jobId === null || current.jobId === jobId)
          ? { patch: { jobId, submittedAt: new Date() } }
          : null,
      initial ? { video } : undefined,
    );
    if (saved) return saved;
    // The video moved on while we submitted (deleted, or another instance submitted this attempt
    // first): our job has no owner, so it must not run.
    const current = (await this.#ctx.deps.store.getVideoById(video.id)) ?? video;
    if (current.jobId !== jobId) {
      logger.warn({ videoId: video.id, attempt, jobId }, "cancelling a job the video no longer needs");
      await provider.cancel(jobId).catch((error: unknown) => {
        logger.warn({ videoId: video.id, jobId, err: error }, "could not cancel job");
      });
    }
    return current;
  }

  /** The input image of a video as its provider gets it, or null for a text-to-video one. */
  async #providerImage(video: VideoRecord): Promise<ProviderImage | null> {
    if (video.inputImageId === null) return null;
    const { store, storage } = this.#ctx.deps;
    const upload = await store.getUpload(video.userId, video.inputImageId);
    if (!upload) throw new Error(`The input image ${video.inputImageId} of video ${video.id} no longer exists.`);
    return {
      contentType: upload.contentType,
      width: upload.width,
      height: upload.height,
      url: await this.#ctx.fileUrl(upload.key, upload.url),
      read: () => storage.readBytes(upload.key),
    };
  }
}
