import { randomBytes } from "node:crypto";
import {
  durationSeconds,
  type GenerateRequest,
  type GenerateResponse,
  type Usage,
  type VideoSettings,
} from "@openv/protocol";
import type { Access } from "./access.js";
import { Admission } from "./admission.js";
import type { ModelDefinition } from "./catalog.js";
import type { ChangeFeed } from "./change-feed.js";
import type { LifecycleContext } from "./context.js";
import { isOpenVError, OpenVError, UnansweredVideoError } from "./errors.js";
import type { IdempotencyKeys } from "./idempotency.js";
import type { TimingBasis, UploadRecord, VideoRecord } from "./ports.js";
import { noPreviews } from "./previews.js"; // posters21
import type { ProviderSubmitter } from "./provider-submit.js";
import type { Uploads } from "./uploads.js";
import { toVideo } from "./video-shape.js";

/** A request to generate a video. */
export interface SubmitVideoRequest {
  /** The authenticated user. */
  userId: string;
  /** The request body, already parsed (its settings are checked against the model here). */
  request: GenerateRequest;
  /** The client's Idempotency-Key, if any, and a fingerprint of the request it came with. */
  idempotency?: {
    /** The `Idempotency-Key` header value. */
    key: string;
    /** A hash of the request (see `requestFingerprint`), to tell a retry from a different request. */
    fingerprint: string;
  };
  /** Remix (issue 21): the source video's id, when this request remixes one (see remix.ts). */
  remixOf?: string;
}

/** The answer to a video request: a new one, or a replay for a repeated `Idempotency-Key`. */
export interface SubmitVideoResult {
  /** The HTTP status to answer with (202 for a new video). */
  status: number;
  /** The response body. */
  body: GenerateResponse;
  /** True when this is the stored answer to an earlier request with the same `Idempotency-Key`. */
  replayed: boolean;
}

export function newVideoId(): string {
  return `vid_${randomBytes(12).toString("base64url")}`;
}

/**
 * Submission: a generate request's admission (terms, active jobs, the charge, under the user's
 * lock), its idempotency key, prompt enhancement, and the hand-off to the provider.
 */
export class Submission {
  readonly #ctx: LifecycleContext;
  readonly #feed: ChangeFeed;
  readonly #keys: IdempotencyKeys;
  readonly #submitter: ProviderSubmitter;
  readonly #uploads: Uploads;
  readonly #admission: Admission;

  constructor(
    ctx: LifecycleContext,
    parts: { access: Access; feed: ChangeFeed; keys: IdempotencyKeys; submitter: ProviderSubmitter; uploads: Uploads },
  ) {
    this.#ctx = ctx;
    this.#admission = new Admission(ctx, { access: parts.access, keys: parts.keys });
    this.#feed = parts.feed;
    this.#keys = parts.keys;
    this.#submitter = parts.submitter;
    this.#uploads = parts.uploads;
  }

  /**
   * Admits and submits a video: under the user's lock checks terms, active jobs and quota, charges the
   * seconds and creates the video, then hands it to the provider. With an `Idempotency-Key` a repeated
   * request gets the first one's answer.
   *
   * @throws `OpenVError` `access_restricted`, `terms_required`, `too_many_active_jobs`, `quota_exceeded`, `idempotency_conflict`,
   * `idempotency_in_progress`, `not_found` for a key whose video was deleted, or `provider_unavailable`
   * when the provider refused the job (nothing is charged); `UnansweredVideoError` when the request
   * failed once its video was (or may have been) stored: its key then answers with that video.
   */
  async submitVideo(request: SubmitVideoRequest): Promise<SubmitVideoResult> {
    const { billing } = this.#ctx;
    const { userId, idempotency } = request;
    const { model, settings } = this.#ctx.models.resolve(request.request);
    const image =
      request.request.image === undefined ? null : await this.#uploads.findImage(userId, request.request.image);
    const enhancedPrompt = request.request.enhancePrompt ? await this.#enhance(settings.prompt, model, image) : null;
    const video: VideoRecord = {
      ...newVideoRecord(userId, settings, model, new Date()),
      enhancedPrompt,
      inputImageId: image?.id ?? null,
      creditCost: billing.priceOf(model),
      remixOf: request.remixOf ?? null, // Remix (issue 21)
    };
    // One statement admits, charges and stores the video (see admission.ts). When it fails without
    // an answer, it may have committed: the video may exist, charged. Say so, and let the key find it.
    const admitted = await this.#admission.admit(video, idempotency).catch(async (error: unknown) => {
      if (isOpenVError(error)) throw error;
      throw await this.#unanswered(error, video, userId, idempotency, "maybe");
    });
    if ("replay" in admitted) return this.#keys.replay(userId, admitted.replay);
    try {
      return await this.#submitAdmitted(admitted, idempotency);
    } catch (error) {
      if (isOpenVError(error)) throw error;
      throw await this.#unanswered(error, admitted.video, userId, idempotency, "stored");
    }
  }

  /** Hands a stored video to the provider and answers the request (see `submitVideo`). */
  async #submitAdmitted(
    { video, usage, timing }: { video: VideoRecord; usage: Usage; timing: TimingBasis },
    idempotency: SubmitVideoRequest["idempotency"],
  ): Promise<SubmitVideoResult> {
    const { userId } = video;
    this.#ctx.logTransition(video, null, "queued");
    await this.#feed.publish(video);
    const submitted = await this.#submitter.submit(video, { initial: true });
    if (submitted.status === "failed" && submitted.errorCode === "provider_unavailable") {
      if (idempotency) await this.#keys.settle(userId, idempotency.key, video.id, "delete");
      throw new OpenVError({
        code: "provider_unavailable",
        message: `The video provider did not accept the job (${submitted.errorMessage}); nothing was charged. Try again in a moment.`,
      });
    }
    // The usage as the admission left it, the new video's charge included (no second read).
    const body: GenerateResponse = { video: toVideo(submitted), usage };
    if (idempotency) await this.#keys.storeAnswer(userId, idempotency.key, video.id, body);
    // Its place in line and ETA as the admission read them, moments ago (no further read).
    return this.#feed.presentAnswer({ status: 202, body, replayed: false }, timing);
  }

  /**
   * The error for a generate request that failed once its video was stored (or may have been):
   * its key, if any, now answers with that video instead of `idempotency_in_progress`.
   */
  async #unanswered(
    error: unknown,
    video: VideoRecord,
    userId: string,
    idempotency: SubmitVideoRequest["idempotency"],
    stored: "stored" | "maybe",
  ): Promise<UnansweredVideoError> {
    if (idempotency) await this.#keys.settle(userId, idempotency.key, video.id, "end");
    return new UnansweredVideoError({ videoId: video.id, stored, keyed: idempotency !== undefined, cause: error });
  }

  /** The enhanced prompt, or null when the enhancer failed (the original is rendered; the log says why). */
  async #enhance(prompt: string, model: ModelDefinition, image: UploadRecord | null): Promise<string | null> {
    const { enhancer, logger } = this.#ctx.deps;
    if (!enhancer) {
      throw new OpenVError({
        code: "validation_failed",
        message:
          "This server has no prompt enhancer: leave out enhancePrompt, or ask its operator to enable one (OPENV_PROMPT_ENHANCER).",
        details: {
          issues: [{ path: ["enhancePrompt"], code: "not_available", message: "no prompt enhancer configured" }],
        },
      });
    }
    try {
      const enhanced = (await enhancer.enhance({ prompt, model: model.id, hasImage: image !== null })).trim();
      return enhanced && enhanced !== prompt ? enhanced.slice(0, model.limits.promptMaxLength) : null;
    } catch (error) {
      logger.warn({ enhancer: enhancer.name, err: error }, "prompt enhancement failed; rendering the prompt as typed");
      return null;
    }
  }
}

/** A new video as admission stores it: `queued`, stamped `now`, nothing charged or numbered yet. */
function newVideoRecord(userId: string, settings: VideoSettings, model: ModelDefinition, now: Date): VideoRecord {
  const fps = model.limits.fps;
  return {
    id: newVideoId(),
    userId,
    jobId: null,
    prompt: settings.prompt,
    negativePrompt: settings.negativePrompt,
    model: settings.model,
    status: "queued",
    progress: null,
    url: null,
    storageKey: null,
    frames: settings.frames,
    fps,
    durationSeconds: durationSeconds(settings.frames, fps),
    width: settings.width,
    height: settings.height,
    seed: settings.seed,
    steps: settings.steps,
    cfg: settings.cfg,
    errorCode: null,
    errorMessage: null,
    retryCount: 0,
    createdAt: now,
    updatedAt: now,
    providerSeenAt: now,
    deletedAt: null,
    submittedAt: null,
    changeSeq: 0,
    provider: model.provider,
    enhancedPrompt: null,
    inputImageId: null,
    creditCost: null,
    remixOf: null, // Remix (issue 21)
    // Timing (eta21)
    startedAt: null,
    queueSeconds: null,
    renderSeconds: null,
    ...noPreviews, // posters21
  };
}
