import type { GenerateRequest, RemixRequest } from "@openv/protocol";
import type { LifecycleContext } from "./context.js";
import { notFound, OpenVError } from "./errors.js";
import type { VideoRecord } from "./ports.js";
import type { Submission, SubmitVideoRequest, SubmitVideoResult } from "./submission.js";

/** A request to remix one of the caller's videos. */
export interface RemixVideoRequest {
  /** The authenticated user. */
  userId: string;
  /** The video remixed: the caller's, completed. */
  sourceId: string;
  /** The settings to change (the body, already parsed). */
  changes: RemixRequest;
  /** The client's Idempotency-Key and the request's fingerprint, as for a generate request. */
  idempotency?: SubmitVideoRequest["idempotency"];
}

/**
 * Remix: a new video from one of the user's completed videos, its settings carried over and the
 * given ones changed. Admission, the charge, idempotency and the provider hand-off are the
 * submission room's, unchanged: a remix is a generate request that names its source.
 */
export class Remix {
  readonly #ctx: LifecycleContext;
  readonly #submission: Submission;

  constructor(ctx: LifecycleContext, submission: Submission) {
    this.#ctx = ctx;
    this.#submission = submission;
  }

  /**
   * @throws `OpenVError` `not_found` when the source is not the user's or was deleted,
   * `video_not_completed` when it has not completed; otherwise what `Submission.submitVideo` throws.
   */
  async remixVideo(request: RemixVideoRequest): Promise<SubmitVideoResult> {
    const { userId, sourceId, changes, idempotency } = request;
    const source = await this.#ctx.deps.store.getVideo(userId, sourceId);
    if (!source || source.deletedAt) throw notFound();
    if (source.status !== "completed") {
      throw new OpenVError({
        code: "video_not_completed",
        message: `Video ${source.id} is ${source.status}: only a completed video can be remixed. Wait for it to complete, or remix another.`,
        details: { status: source.status },
      });
    }
    return this.#submission.submitVideo({
      userId,
      request: this.#remixedRequest(source, changes),
      remixOf: source.id,
      ...(idempotency && { idempotency }),
    });
  }

  /** The source's settings with `changes` applied, as a generate request. */
  #remixedRequest(source: VideoRecord, changes: RemixRequest): GenerateRequest {
    const model = changes.model ?? source.model;
    const negativePrompt = changes.negativePrompt ?? source.negativePrompt;
    const seed = changes.seed ?? source.seed;
    // The input image goes along unless the chosen model renders from text only.
    const takesImage = this.#ctx.models.get(model)?.image !== "none";
    return {
      prompt: changes.prompt ?? source.prompt,
      ...(negativePrompt !== null && { negativePrompt }),
      frames: changes.frames ?? source.frames,
      width: changes.width ?? source.width,
      height: changes.height ?? source.height,
      ...(seed !== null && { seed }),
      steps: changes.steps ?? source.steps,
      cfg: changes.cfg ?? source.cfg,
      model,
      ...(source.inputImageId !== null && takesImage && { image: source.inputImageId }),
    };
  }
}
