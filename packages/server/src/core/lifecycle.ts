import { createHash, randomBytes } from "node:crypto";
import {
  type AcceptTermsResponse,
  type CreditsResponse,
  durationSeconds,
  type GenerateRequest,
  type GenerateResponse,
  type GrantCreditsRequest,
  type GrantCreditsResponse,
  type ListModelsResponse,
  type ListVideosResponse,
  type OutboundWebhookEvent,
  type TermsStatus,
  terminalStatuses,
  type UploadResponse,
  type Usage,
  type Video,
  type VideoOrTombstone,
  type VideoSettings,
  type VideoStatus,
} from "@openv/protocol";
import type { RunPodJob, WorkerInput, WorkerOutput } from "@openv/protocol/worker";
import { AccountStatus } from "./accounts.js";
import { type BillingPolicy, billingPolicy, newEntryId } from "./billing.js";
import {
  ModelCatalog as DefaultCatalog,
  type ModelCatalog,
  type ModelDefinition,
  withModelLimitIssues,
} from "./catalog.js";
import type { LifecycleConfig } from "./config.js";
import { isOpenVError, notFound, OpenVError, UnansweredVideoError } from "./errors.js";
import { classifyFailure, type JobFailure, readCompletion, readProgress } from "./failure.js";
import { checkUploadImage } from "./media.js";
import { attemptOutputKey, attemptOutputKeys, isAttemptOutputKey } from "./output-keys.js";
import type {
  Events,
  Logger,
  OutboundFetch,
  OutboxRecord,
  PromptEnhancer,
  Provider,
  ProviderImage,
  ProviderWebhookRequest,
  Storage,
  Store,
  StoredFile,
  StoreTransaction,
  UploadRecord,
  UserEvent,
  VideoChangeEvent,
  VideoPatch,
  VideoRecord,
} from "./ports.js";
import { decodeCursor, encodeCursor, toChange, toCreditEntry, toUpload, toVideo } from "./video-shape.js";
import { verifyWebhookToken } from "./webhook-token.js";

/** What a `VideoLifecycle` works with: the adapters, the rules and the webhook signing. */
export interface LifecycleDependencies {
  /** The database. */
  store: Store;
  /** The service that renders the videos. */
  provider: Provider;
  /**
   * More providers by registry key, for catalog models that render elsewhere (fal.ai, Runway, a
   * workflow). A video whose key is missing here (or `"default"`) uses `provider`.
   */
  providers?: Readonly<Record<string, Provider>>;
  /** Where finished videos are kept. */
  storage: Storage;
  /**
   * The guarded fetcher foreign outputs are copied with (`Storage.copyFromUrl`); see
   * adapters/net/guarded-fetch.ts. Absent: the storage adapter's own, guarded by default.
   */
  outboundFetch?: OutboundFetch | undefined;
  /** Where video changes are published for live subscribers. */
  events: Events;
  /** Quota, terms, retry and idempotency rules. */
  config: LifecycleConfig;
  /** Where transitions and failures are logged. */
  logger: Logger;
  /** Signs webhook URLs; see webhook-token.ts. */
  webhookSecret: string;
  /** The webhook URL the provider calls for one submission of one video. */
  webhookUrl(videoId: string, attempt: number): string;
  /** The models users may ask for, their limits, prices and providers. Default: Mochi 1 only. */
  models?: ModelCatalog;
  /** Rewrites prompts of requests with `enhancePrompt: true`; null or absent: such requests are refused. */
  enhancer?: PromptEnhancer | null;
  /**
   * Whether to queue outbound webhooks to the host app (`video.completed`, `video.failed`,
   * `video.deleted`) in the outbox, in the transaction of the change they report. Default false.
   */
  outboundWebhooks?: boolean;
  /** Called after a transaction that queued outbox messages has committed (wakes the dispatcher). */
  onOutboxCommitted?: () => void;
}

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

/** A request still "running" after this long died with its process; its key may be replayed. */
const staleIdempotencyMs = 2 * 60 * 1000;

/** A repeated Idempotency-Key's video, and the answer stored for it (null: answer the video as it is now). */
interface KeyReplay {
  videoId: string | null;
  stored: SubmitVideoResult | null;
}

/** How often a key whose request ended unrecorded (the database was away) is written again. */
const settleRetryMs = 2_000;

/**
 * What becomes of an Idempotency-Key whose request ended: `end` (its video exists; replays answer
 * with it as it is now) or `delete` (the provider refused it: the key is free again).
 */
interface KeySettlement {
  userId: string;
  key: string;
  /** The video the request stored; a record naming another video is left alone. */
  videoId: string;
  action: "end" | "delete";
  /** When the request ended (ms). */
  since: number;
}

export function newVideoId(): string {
  return `vid_${randomBytes(12).toString("base64url")}`;
}

/** A Standard Webhooks message id (`webhook-id`), the same on every delivery attempt. */
function newOutboxMessageId(): string {
  return `msg_${randomBytes(16).toString("base64url")}`;
}

/** SHA-256 over a canonical JSON of the request, so key order and whitespace do not matter. */
export function requestFingerprint(route: string, body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === "object"
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  return createHash("sha256")
    .update(JSON.stringify([route, canonical(body)]))
    .digest("hex");
}

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
 * The video-job lifecycle: `queued → processing → completed | failed`. Every transition is one
 * transaction that also records the quota charge or refund; provider calls happen outside
 * transactions, and webhook updates are idempotent and monotonic.
 */
export class VideoLifecycle {
  readonly #deps: LifecycleDependencies;
  readonly #billing: BillingPolicy;
  readonly #models: ModelCatalog;
  readonly #accounts: AccountStatus;
  /** A delivered change as presented, shared by the subscribers it fans out to (see `subscribe`). */
  readonly #presentedChanges = new WeakMap<VideoChangeEvent, Promise<VideoChangeEvent>>();
  /** Keys whose request ended but whose record could not be written yet (see `#settleKey`), by user and key. */
  readonly #unsettledKeys = new Map<string, KeySettlement>();
  #settleTimer: NodeJS.Timeout | null = null;

  constructor(deps: LifecycleDependencies) {
    this.#deps = deps;
    this.#accounts = new AccountStatus(deps.store);
    this.#billing = billingPolicy(deps.config);
    this.#models = deps.models ?? new DefaultCatalog();
  }

  /** The rules this lifecycle enforces. */
  get config(): LifecycleConfig {
    return this.#deps.config;
  }

  /** Throws `unauthorized` when the identity provider reported this account deleted. */
  assertActiveUser(userId: string): Promise<void> {
    return this.#accounts.assertActive(userId);
  }

  // ── Requests ────────────────────────────────────────────────────────────────────────────────

  /**
   * Admits and submits a video: under the user's lock checks terms, active jobs and quota, charges the
   * seconds and creates the video, then hands it to the provider. With an `Idempotency-Key` a repeated
   * request gets the first one's answer.
   *
   * @throws `OpenVError` `terms_required`, `too_many_active_jobs`, `quota_exceeded`, `idempotency_conflict`,
   * `idempotency_in_progress`, `not_found` for a key whose video was deleted, or `provider_unavailable`
   * when the provider refused the job (nothing is charged); `UnansweredVideoError` when the request
   * failed once its video was (or may have been) stored: its key then answers with that video.
   */
  async submitVideo(request: SubmitVideoRequest): Promise<SubmitVideoResult> {
    const { store } = this.#deps;
    const { userId, idempotency } = request;
    const { model, settings } = this.#models.resolve(request.request);
    const image = request.request.image === undefined ? null : await this.#findImage(userId, request.request.image);
    const enhancedPrompt = request.request.enhancePrompt ? await this.#enhance(settings.prompt, model, image) : null;
    // Set once the transaction's work is done: from then on its COMMIT may land even if we never hear so.
    const written: { video?: VideoRecord } = {};
    const admitting = store.transaction(async (tx) => {
      await tx.lockUser(userId);
      if (idempotency) {
        const replay = await this.#checkIdempotency(tx, userId, idempotency.key, idempotency.fingerprint);
        if (replay) return { replay };
      }
      const now = await tx.changeClock(userId);
      await this.#admit(tx, userId);
      const video: VideoRecord = {
        ...this.#newVideo(userId, settings, model, now),
        changeSeq: await tx.nextChangeSeq(userId),
        enhancedPrompt,
        inputImageId: image?.id ?? null,
        creditCost: this.#billing.priceOf(model),
      };
      await tx.insertVideo(video);
      await this.#billing.charge(tx, video, now);
      if (idempotency) {
        await tx.upsertIdempotency({
          userId,
          key: idempotency.key,
          fingerprint: idempotency.fingerprint,
          videoId: video.id,
          state: "running",
          responseStatus: null,
          responseBody: null,
          createdAt: now,
          expiresAt: new Date(now.getTime() + this.config.idempotencyTtlMs),
        });
      }
      written.video = video;
      return { video };
    });
    const admitted = await admitting.catch(async (error: unknown) => {
      // The answer to COMMIT was lost: the video may exist, charged. Say so, and let the key find it.
      if (!written.video) throw error;
      throw await this.#unanswered(error, written.video, userId, idempotency, "maybe");
    });
    if ("replay" in admitted) return this.#replay(userId, admitted.replay);
    try {
      return await this.#submitAdmitted(admitted.video, idempotency);
    } catch (error) {
      if (isOpenVError(error)) throw error;
      throw await this.#unanswered(error, admitted.video, userId, idempotency, "stored");
    }
  }

  /** Hands a stored video to the provider and answers the request (see `submitVideo`). */
  async #submitAdmitted(
    video: VideoRecord,
    idempotency: SubmitVideoRequest["idempotency"],
  ): Promise<SubmitVideoResult> {
    const { store, logger } = this.#deps;
    const { userId } = video;
    this.#logTransition(video, null, "queued");
    await this.#publish(video);
    const submitted = await this.#submitToProvider(video, { initial: true });
    if (submitted.status === "failed" && submitted.errorCode === "provider_unavailable") {
      if (idempotency) await this.#settleKey(this.#settlement(userId, idempotency.key, video.id, "delete"));
      throw new OpenVError({
        code: "provider_unavailable",
        message: `The video provider did not accept the job (${submitted.errorMessage}); nothing was charged. Try again in a moment.`,
      });
    }
    const body: GenerateResponse = { video: toVideo(submitted), usage: await this.usage(userId) };
    if (idempotency) {
      try {
        await store.transaction(async (tx) => {
          const record = await tx.findIdempotency(userId, idempotency.key);
          if (record) await tx.upsertIdempotency({ ...record, state: "done", responseStatus: 202, responseBody: body });
        });
      } catch (error) {
        // The answer is whole and true: give it. The key replays the video as it is now.
        logger.warn({ videoId: video.id, err: error }, "could not store the answer of an Idempotency-Key");
        await this.#settleKey(this.#settlement(userId, idempotency.key, video.id, "end"));
      }
    }
    return this.#presentAnswer({ status: 202, body, replayed: false });
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
    if (idempotency) await this.#settleKey(this.#settlement(userId, idempotency.key, video.id, "end"));
    return new UnansweredVideoError({ videoId: video.id, stored, keyed: idempotency !== undefined, cause: error });
  }

  #settlement(userId: string, key: string, videoId: string, action: KeySettlement["action"]): KeySettlement {
    return { userId, key, videoId, action, since: Date.now() };
  }

  /**
   * Records that a key's request ended (see `KeySettlement`). When the database cannot be reached,
   * this instance remembers it (its own replays honour it at once) and writes it every
   * `settleRetryMs` until it lands, so other instances stop answering `idempotency_in_progress`
   * too; after `staleIdempotencyMs` the stale-request rule covers it anyway. Never throws.
   */
  async #settleKey(settlement: KeySettlement): Promise<void> {
    const { userId, key, videoId, action } = settlement;
    const mapKey = `${userId}\u0000${key}`;
    try {
      await this.#deps.store.transaction(async (tx) => {
        const record = await tx.findIdempotency(userId, key);
        if (!record || record.videoId !== videoId) return;
        if (action === "delete") await tx.deleteIdempotency(userId, key);
        else if (record.state === "running") await tx.upsertIdempotency({ ...record, state: "done" });
      });
      if (this.#unsettledKeys.get(mapKey) === settlement) this.#unsettledKeys.delete(mapKey);
    } catch (error) {
      if (Date.now() - settlement.since > staleIdempotencyMs) {
        this.#unsettledKeys.delete(mapKey);
        return;
      }
      this.#deps.logger.warn(
        { videoId, err: error },
        "could not record that an Idempotency-Key's request ended; retrying",
      );
      this.#unsettledKeys.set(mapKey, settlement);
      this.#settleTimer ??= setTimeout(() => {
        this.#settleTimer = null;
        for (const pending of [...this.#unsettledKeys.values()]) void this.#settleKey(pending);
      }, settleRetryMs).unref();
    }
  }

  /**
   * What a repeated Idempotency-Key gets, decided under the user's lock: null for a new request (no
   * record, an expired one, or one whose provider refused it); else the key's video and its stored
   * answer, if any (`#replay` reads the video once the lock is released).
   *
   * @throws `OpenVError` `idempotency_conflict` for another body, `idempotency_in_progress` while
   * the first request still runs.
   */
  async #checkIdempotency(
    tx: StoreTransaction,
    userId: string,
    key: string,
    fingerprint: string,
  ): Promise<KeyReplay | null> {
    const record = await tx.findIdempotency(userId, key);
    const now = new Date();
    if (!record || record.expiresAt <= now) return null;
    if (record.fingerprint !== fingerprint) {
      throw new OpenVError({
        code: "idempotency_conflict",
        message:
          "This Idempotency-Key was already used with a different request body. Use a new key for a new request.",
      });
    }
    // This instance knows the request ended, though the database could not be told yet.
    const unsettled = this.#unsettledKeys.get(`${userId}\u0000${key}`);
    const settled = unsettled?.videoId === record.videoId ? unsettled?.action : undefined;
    if (settled === "delete") return null;
    if (record.state === "done" && record.responseStatus !== null) {
      const stored = { status: record.responseStatus, body: record.responseBody as GenerateResponse, replayed: true };
      return { videoId: record.videoId, stored };
    }
    const ended = record.state === "done" || settled === "end";
    const running = !ended && now.getTime() - record.createdAt.getTime() < staleIdempotencyMs;
    if (running || !record.videoId) {
      throw new OpenVError({
        code: "idempotency_in_progress",
        message: "A request with this Idempotency-Key is still being processed. Retry after it finishes.",
        retryAfterSeconds: 1,
      });
    }
    // The first request ended (or died) without a stored answer: answer with its video, as it is now.
    return { videoId: record.videoId, stored: null };
  }

  /**
   * The answer to a repeated key: its stored answer, or its video as it is now; a video deleted
   * since is gone, as `GET /videos/:id` says (404 `not_found`; the key stays spent).
   */
  async #replay(userId: string, replay: KeyReplay): Promise<SubmitVideoResult> {
    const video = replay.videoId ? await this.#deps.store.getVideoById(replay.videoId) : null;
    if (replay.videoId && (!video || video.deletedAt)) {
      throw new OpenVError({
        code: "not_found",
        message: `The video this Idempotency-Key created (${replay.videoId}) has been deleted. Send a new request with a new key to make another video.`,
        details: { videoId: replay.videoId },
      });
    }
    if (replay.stored) return this.#presentAnswer(replay.stored);
    if (!video) throw notFound();
    return this.#presentAnswer({
      status: 202,
      body: { video: toVideo(video), usage: await this.usage(userId) },
      replayed: true,
    });
  }

  /**
   * The checks of shared/API.md in order, under the user's lock: terms, then active jobs. The
   * billing policy's charge (quota or credits) follows once the video exists.
   */
  async #admit(tx: StoreTransaction, userId: string): Promise<void> {
    const { termsVersion, maxActiveJobs } = this.config;
    if (!(await tx.hasAcceptedTerms(userId, termsVersion))) {
      throw new OpenVError({
        code: "terms_required",
        message: `Accept the terms of use (version ${termsVersion}) with POST /terms/accept before generating videos.`,
        details: { version: termsVersion },
      });
    }
    const active = await tx.countActiveVideos(userId);
    if (active >= maxActiveJobs) {
      throw new OpenVError({
        code: "too_many_active_jobs",
        message: `You already have ${active} videos queued or processing (the limit is ${maxActiveJobs}). Wait for one to finish.`,
        details: { active, limit: maxActiveJobs },
      });
    }
  }

  /**
   * The user's upload that `reference` names: an upload id, or a URL our storage gave for one. It
   * is looked up, never fetched, so a client-supplied URL cannot make the server call anywhere.
   */
  async #findImage(userId: string, reference: string): Promise<UploadRecord> {
    const { store, storage } = this.#deps;
    let upload: UploadRecord | null = null;
    if (/^upl_[A-Za-z0-9_-]{1,100}$/.test(reference)) {
      upload = await store.getUpload(userId, reference);
    } else {
      const key = storage.keyForUrl(reference);
      if (key !== null) upload = await store.findUploadByKey(userId, key);
    }
    if (!upload) {
      throw new OpenVError({
        code: "validation_failed",
        message:
          "The image is not one of your uploads. Upload it with POST /api/uploads and pass the upload's id; this server never downloads images from other URLs.",
        details: {
          issues: [{ path: ["image"], code: "unknown_image", message: "not an upload of yours on this server" }],
        },
      });
    }
    return upload;
  }

  /** The enhanced prompt, or null when the enhancer failed (the original is rendered; the log says why). */
  async #enhance(prompt: string, model: ModelDefinition, image: UploadRecord | null): Promise<string | null> {
    const { enhancer, logger } = this.#deps;
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

  #newVideo(userId: string, settings: VideoSettings, model: ModelDefinition, now: Date): VideoRecord {
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
    };
  }

  /**
   * Submits the current attempt of a video. A refused first submission fails the video as
   * `provider_unavailable` and refunds it, in one transaction (the request answers 502). A refused
   * resubmission leaves the video `processing` without a job: the reconciler submits it again,
   * until `reconciler.resubmitGiveUpMs`. Returns the video as stored afterwards.
   */
  async #submitToProvider(video: VideoRecord, { initial }: { initial: boolean }): Promise<VideoRecord> {
    const { webhookUrl, logger } = this.#deps;
    const provider = this.providerOf(video);
    const attempt = video.retryCount;
    // An earlier attempt may have stored its file before it failed: it is superseded now.
    if (attempt > 0) await this.#deleteFiles([attemptOutputKey(video.id, attempt - 1)]);
    let jobId: string;
    try {
      ({ jobId } = await provider.submit({
        videoId: video.id,
        attempt,
        input: workerInputFor(video),
        webhookUrl: webhookUrl(video.id, attempt),
        outputKey: attemptOutputKey(video.id, attempt),
        model: this.#models.get(video.model)?.providerModel ?? video.model,
        durationSeconds: video.durationSeconds,
        fps: video.fps,
        image: await this.#providerImage(video),
      }));
    } catch (error) {
      logger.warn({ videoId: video.id, attempt, err: error }, "provider refused the job");
      if (!initial) return video;
      const reason = error instanceof Error ? error.message : String(error);
      return (
        (await this.#failAttempt(video.id, attempt, null, {
          code: "provider_unavailable",
          message: reason,
          retryable: false,
        })) ?? video
      );
    }
    const saved = await this.#transition(video.id, (current) =>
      current.retryCount === attempt &&
      !current.deletedAt &&
      !terminalStatuses.includes(current.status) &&
      (current.jobId === null || current.jobId === jobId)
        ? { patch: { jobId, submittedAt: new Date() } }
        : null,
    );
    if (saved) return saved;
    // The video moved on while we submitted (deleted, or another instance submitted this attempt
    // first): our job has no owner, so it must not run.
    const current = (await this.#deps.store.getVideoById(video.id)) ?? video;
    if (current.jobId !== jobId) {
      logger.warn({ videoId: video.id, attempt, jobId }, "cancelling a job the video no longer needs");
      await provider.cancel(jobId).catch((error: unknown) => {
        logger.warn({ videoId: video.id, jobId, err: error }, "could not cancel job");
      });
    }
    return current;
  }

  // ── Provider updates ────────────────────────────────────────────────────────────────────────

  /** The provider a video renders on (its registry key, else the server's main provider). */
  providerOf(video: Pick<VideoRecord, "provider">): Provider {
    return this.#deps.providers?.[video.provider] ?? this.#deps.provider;
  }

  /**
   * Reads a provider callback for `videoId` (token already verified) into a job update: through the
   * video's provider's own format when it has one, else as a RunPod job object.
   *
   * Null: read the body as a RunPod job object (also for a video that no longer exists: its update
   * then changes nothing).
   *
   * @throws `OpenVError` `unauthorized` or `validation_failed` from the provider's reader.
   */
  async readProviderWebhook(videoId: string, request: ProviderWebhookRequest): Promise<RunPodJob | null> {
    const { provider: main, providers = {} } = this.#deps;
    // RunPod-only servers (no provider reads its own format) skip the lookup on every webhook.
    if (!main.readWebhook && !Object.values(providers).some((provider) => provider.readWebhook)) return null;
    const video = await this.#deps.store.getVideoById(videoId);
    const provider = video ? this.providerOf(video) : this.#deps.provider;
    return provider.readWebhook ? provider.readWebhook({ ...request, jobId: video?.jobId ?? null }) : null;
  }

  /** Throws `unauthorized` unless `token` is the webhook token of this video's attempt. */
  verifyWebhookToken(videoId: string, attempt: number, token: string): void {
    if (!verifyWebhookToken(this.#deps.webhookSecret, videoId, attempt, token)) {
      throw new OpenVError({ code: "unauthorized", message: "The webhook token is not valid for this video." });
    }
  }

  /**
   * Applies a provider's job update (webhook or status poll). Idempotent and monotonic: duplicates,
   * updates of an earlier attempt and anything after a terminal status change nothing. A retryable
   * failure resubmits the video (once per failure: the decision is made under the row lock).
   */
  async applyJobUpdate(
    videoId: string,
    attempt: number,
    job: RunPodJob,
  ): Promise<{
    /** Whether the update changed the video. */
    applied: boolean;
  }> {
    const completion = job.status === "COMPLETED" ? readCompletion(job) : null;
    const copied =
      completion && "output" in completion
        ? await this.#copyForeignOutput(videoId, attempt, job, completion.output)
        : null;
    let resubmit = false;
    let orphanKey: string | null = null;
    const updated = await this.#transition(videoId, (video) => {
      if (video.deletedAt) {
        // A job that finished after its video was deleted: the file it stored at its own key has no
        // owner. Only that key: a URL naming any other file changes nothing (nor deletes it).
        const key = job.status === "COMPLETED" ? this.#outputKeyOf(job) : null;
        if (isAttemptOutputKey(videoId, attempt, key)) orphanKey = key;
        return null;
      }
      if (job.status === "COMPLETED" && video.status === "completed" && video.retryCount === attempt) {
        // The same job delivered twice by two runs (RunPod retries a job on another worker): the
        // second run's file, in this attempt's own namespace, is not the one kept.
        const key = this.#outputKeyOf(job);
        if (isAttemptOutputKey(videoId, attempt, key) && key !== video.storageKey) orphanKey = key;
      }
      if (!acceptsUpdate(video, attempt, job)) return null;
      const jobId = video.jobId ?? job.id;
      switch (job.status) {
        case "IN_QUEUE":
          return video.jobId === null ? { patch: { jobId } } : { patch: {}, quiet: true };
        case "IN_PROGRESS": {
          const reported = readProgress(job.output);
          const progress = reported === null ? video.progress : Math.max(reported, video.progress ?? 0);
          if (video.status === "processing" && progress === video.progress && video.jobId !== null) {
            return { patch: {}, quiet: true };
          }
          return { patch: { jobId, status: "processing", progress } };
        }
        case "COMPLETED": {
          // Read once above for every COMPLETED job; `??` only satisfies the type checker.
          const read = completion ?? readCompletion(job);
          if ("failure" in read) {
            const failure = this.#failure(video, read.failure);
            resubmit = failure.patch.status === "processing";
            return failure;
          }
          const url = copied?.url ?? read.output.url;
          const storageKey = copied?.key ?? this.#deps.storage.keyForUrl(url);
          if (!copied && !isAttemptOutputKey(video.id, attempt, storageKey)) {
            // A file of our storage that this attempt was not told to write: never adopted.
            this.#deps.logger.warn(
              { videoId, attempt, jobId, key: storageKey },
              "refused a completion naming a stored file other than this attempt's output",
            );
            return this.#failure(
              { ...video, jobId },
              {
                code: "invalid_output",
                message: "The provider reported an output stored somewhere this attempt was not told to write it.",
                retryable: false,
              },
            );
          }
          return { patch: { jobId, status: "completed", progress: 1, url, storageKey } };
        }
        default: {
          const failure = this.#failure({ ...video, jobId }, classifyFailure(job));
          resubmit = failure.patch.status === "processing";
          return failure;
        }
      }
    });
    if (orphanKey) await this.#deleteFiles([orphanKey]);
    if (copied && updated?.storageKey !== copied.key) {
      // Another delivery of the same completion won the race with its own copy: drop ours.
      const current = await this.#deps.store.getVideoById(videoId);
      if (current?.storageKey !== copied.key) await this.#deleteFiles([copied.key]);
    }
    if (updated && resubmit) await this.#submitToProvider(updated, { initial: false });
    return { applied: updated !== null };
  }

  /**
   * A completion whose file is not in our storage (another provider's bucket, an expiring link) is
   * copied in before the video counts as completed. A failed copy changes nothing and throws
   * `service_unavailable`: the provider's webhook retry or the reconciler tries again while the
   * provider still has the result.
   */
  async #copyForeignOutput(
    videoId: string,
    attempt: number,
    job: RunPodJob,
    output: WorkerOutput,
  ): Promise<StoredFile | null> {
    const { storage, store, logger } = this.#deps;
    // Our own storage: adopted at this attempt's key, refused at any other (never copied from).
    if (storage.keyForUrl(output.url) !== null) return null;
    const video = await store.getVideoById(videoId);
    if (!video || video.deletedAt || !acceptsUpdate(video, attempt, job)) return null;
    const source = output.url;
    try {
      const stored = await storage.copyFromUrl(attemptOutputKey(video.id, attempt), source, "video/mp4", {
        fetch: this.#deps.outboundFetch,
      });
      logger.info({ videoId, jobId: job.id, key: stored.key }, "copied the provider's video into storage");
      return stored;
    } catch (error) {
      logger.warn({ videoId, jobId: job.id, err: error }, "could not copy the provider's video into storage");
      throw new OpenVError({
        code: "service_unavailable",
        message: `Could not copy the finished video into storage (${error instanceof Error ? error.message : String(error)}). It will be tried again while the provider keeps the result.`,
        retryAfterSeconds: 10,
        cause: error,
      });
    }
  }

  // ── Reconciliation ──────────────────────────────────────────────────────────────────────────

  /**
   * Brings one silent video up to date with its provider (see reconciler.ts, which claims the
   * rows): asks for the job's status and applies it like a webhook; fails and refunds a video whose
   * job the provider no longer knows (deleted after `ttl`, or its result expired); submits a video
   * that has no job (a crash between commit and submission, or a refused resubmission).
   */
  async reconcileVideo(video: VideoRecord, timing: ReconcileTiming): Promise<ReconcileOutcome> {
    const { logger } = this.#deps;
    const provider = this.providerOf(video);
    const attempt = video.retryCount;
    const silentMs = Date.now() - (video.providerSeenAt ?? video.updatedAt).getTime();
    if (video.jobId === null) {
      if (silentMs < timing.joblessGraceMs) return "waiting";
      if (silentMs < timing.resubmitGiveUpMs) {
        const after = await this.#submitToProvider(video, { initial: false });
        return after.jobId === null ? "unreachable" : "submitted";
      }
      const failed = await this.#failAttempt(video.id, attempt, null, {
        code: "provider_unavailable",
        message: `The video provider did not accept the job for ${Math.round(silentMs / 60_000)} minutes; the seconds were refunded. Try again later.`,
        retryable: false,
      });
      return failed ? "failed" : "unchanged";
    }
    const jobId = video.jobId;
    let job: RunPodJob | null;
    try {
      job = await provider.status(jobId);
    } catch (error) {
      logger.warn({ videoId: video.id, jobId, err: error }, "could not ask the provider for a job's status");
      return "unreachable";
    }
    if (job === null) {
      const failed = await this.#failAttempt(video.id, attempt, jobId, {
        code: "job_expired",
        message: `The provider no longer knows job ${jobId}: jobs are deleted after their ttl and results expire 30 minutes after they finish, and no update reached this server in time. The seconds were refunded; generate the video again.`,
        retryable: false,
      });
      return failed ? "failed" : "unchanged";
    }
    const { applied } = await this.applyJobUpdate(video.id, attempt, job.id === jobId ? job : { ...job, id: jobId });
    return applied ? "updated" : "unchanged";
  }

  // ── Identity-provider events ────────────────────────────────────────────────────────────────

  /**
   * Applies a verified user event (Clerk). A delivery id seen before changes nothing; the work is
   * idempotent, so a delivery that fails half-way is simply applied again when it is retried.
   */
  async applyUserEvent(
    source: string,
    event: UserEvent,
  ): Promise<{
    /** False for a delivery seen before and for an ignored event. */
    applied: boolean;
  }> {
    const { store, logger } = this.#deps;
    if (await store.hasWebhookDelivery(source, event.deliveryId)) return { applied: false };
    switch (event.type) {
      case "user.upserted":
        if (event.created) await store.reactivateUser(event.userId);
        await store.upsertUser(event.userId, { email: event.email });
        this.#accounts.forget(event.userId);
        break;
      case "user.deleted": {
        await store.markUserDeleted(event.userId, new Date());
        this.#accounts.forget(event.userId);
        const deleted = await this.deleteVideos(event.userId, await store.liveVideoIds(event.userId), []);
        const uploads = await store.deleteUploadsOfUser(event.userId);
        await this.#deleteFiles(uploads.map((upload) => upload.key));
        logger.info(
          { userId: event.userId, videos: deleted.length, uploads: uploads.length },
          "user deleted: their videos, uploads and files are deleted",
        );
        break;
      }
      case "ignored":
        break;
    }
    await store.recordWebhookDelivery(source, event.deliveryId);
    return { applied: event.type !== "ignored" };
  }

  #outputKeyOf(job: RunPodJob): string | null {
    const url = (job.output as { url?: unknown } | undefined)?.url;
    return typeof url === "string" ? this.#deps.storage.keyForUrl(url) : null;
  }

  /**
   * Fails (or retries, per `#failure`) the video's attempt `attempt` with job `jobId` (null: not
   * submitted), unless the video has moved on meanwhile. Returns the video, or null when it moved on.
   */
  #failAttempt(videoId: string, attempt: number, jobId: string | null, failure: JobFailure) {
    return this.#transition(videoId, (current) =>
      current.retryCount === attempt && current.jobId === jobId && !terminalStatuses.includes(current.status)
        ? this.#failure(current, failure)
        : null,
    );
  }

  /** A failure: another attempt while retries remain and it can help, else `failed` with a refund. */
  #failure(video: VideoRecord, failure: JobFailure): TransitionResult {
    if (failure.retryable && video.retryCount < this.config.maxRetries) {
      this.#deps.logger.warn(
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
        },
      };
    }
    return {
      patch: { status: "failed", errorCode: failure.code, errorMessage: failure.message, progress: null },
      refund: true,
    };
  }

  /**
   * One transition: locks the video, asks `decide` what to change (null: nothing), stamps the
   * change, records a refund when asked, commits, then logs and publishes it.
   */
  async #transition(videoId: string, decide: (video: VideoRecord) => TransitionResult | null) {
    const result = await this.#deps.store.transaction(async (tx) => {
      const video = await tx.lockVideo(videoId);
      if (!video) return null;
      const decision = decide(video);
      if (!decision) return null;
      // A visible change takes the user's next event id first (video row, then user row, then clock).
      const changeSeq = decision.quiet ? video.changeSeq : await tx.nextChangeSeq(video.userId);
      const now = await tx.changeClock(video.userId);
      // A quiet decision changes nothing a user sees: it notes that the provider spoke, keeps updatedAt.
      const updatedAt = decision.quiet ? video.updatedAt : now;
      const updated = await tx.updateVideo(videoId, { ...decision.patch, providerSeenAt: now, updatedAt, changeSeq });
      if (decision.quiet) return null;
      if (decision.refund) await this.#refund(tx, updated, now);
      const queued = await this.#queueWebhook(tx, video, updated, now);
      return { before: video, after: updated, queued };
    });
    if (!result) return null;
    if (result.queued) this.#deps.onOutboxCommitted?.();
    if (result.before.status !== result.after.status) {
      this.#logTransition(result.after, result.before.status, result.after.status);
    }
    await this.#publish(result.after);
    return result.after;
  }

  /**
   * An outbox message as it is sent now: a completed or failed video's URL freshly signed for
   * private storage (the stored payload keeps the plain URL, and a retry a day later gets a URL
   * that still works).
   */
  async presentOutboxMessage(message: OutboxRecord): Promise<OutboxRecord> {
    const payload = message.payload as { data?: unknown } | null;
    const data = payload?.data as Video | undefined;
    if (!data || typeof data !== "object" || !("url" in data) || typeof data.url !== "string") return message;
    return { ...message, payload: { ...payload, data: await this.#present(data) } };
  }

  /**
   * Queues the outbound webhook a change calls for, in the change's transaction, so it is sent if
   * and only if the change commits: `video.completed` / `video.failed` when the status became
   * terminal, `video.deleted` when the video was deleted. Returns whether it queued one.
   */
  async #queueWebhook(tx: StoreTransaction, before: VideoRecord, after: VideoRecord, now: Date): Promise<boolean> {
    if (!this.#deps.outboundWebhooks) return false;
    let event: OutboundWebhookEvent;
    const timestamp = now.toISOString();
    if (after.deletedAt && !before.deletedAt) {
      const data = { id: after.id, userId: after.userId, deletedAt: after.deletedAt.toISOString() };
      event = { type: "video.deleted", timestamp, data };
    } else if (before.status !== after.status && (after.status === "completed" || after.status === "failed")) {
      event = { type: `video.${after.status}`, timestamp, data: toVideo(after) };
    } else {
      return false;
    }
    await tx.enqueueOutbox({ id: newOutboxMessageId(), eventType: event.type, payload: event, nextAttemptAt: now });
    return true;
  }

  async #refund(tx: StoreTransaction, video: VideoRecord, now: Date): Promise<void> {
    await this.#billing.refund(tx, video, now);
    this.#deps.logger.info(
      { videoId: video.id, seconds: video.durationSeconds, credits: video.creditCost, billing: this.#billing.kind },
      "video refunded",
    );
  }

  /** The input image of a video as its provider gets it, or null for a text-to-video one. */
  async #providerImage(video: VideoRecord): Promise<ProviderImage | null> {
    if (video.inputImageId === null) return null;
    const { store, storage } = this.#deps;
    const upload = await store.getUpload(video.userId, video.inputImageId);
    if (!upload) throw new Error(`The input image ${video.inputImageId} of video ${video.id} no longer exists.`);
    return {
      contentType: upload.contentType,
      width: upload.width,
      height: upload.height,
      url: await this.#fileUrl(upload.key, upload.url),
      read: () => storage.readBytes(upload.key),
    };
  }

  // ── Reads ───────────────────────────────────────────────────────────────────────────────────

  /**
   * The user's video.
   *
   * @throws `OpenVError` `not_found` when it does not exist, is deleted or is someone else's.
   */
  async getVideo(userId: string, videoId: string): Promise<Video> {
    const video = await this.#deps.store.getVideo(userId, videoId);
    if (!video || video.deletedAt) throw notFound();
    return this.#present(toVideo(video), video.storageKey);
  }

  /**
   * One page of the user's videos: the live ones newest first, or with `updatedSince` (ms) every
   * change after that time (tombstones too), oldest first.
   *
   * @throws `OpenVError` `validation_failed` for a cursor this server did not give out.
   */
  async listVideos(
    userId: string,
    query: { updatedSince?: number | undefined; limit: number; cursor?: string | undefined },
  ): Promise<ListVideosResponse> {
    const { store } = this.#deps;
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) {
      throw new OpenVError({
        code: "validation_failed",
        message: "The cursor is not one this server gave out. Start again without it.",
        details: { issues: [{ path: ["cursor"], message: "unknown cursor", code: "invalid_cursor" }] },
      });
    }
    // Taken before reading, so anything committed after the read is stamped later than serverTime.
    const serverTime = (await store.changeFeedTime(userId)).getTime();
    const records =
      query.updatedSince === undefined
        ? await store.listLiveVideos(userId, query.limit + 1, cursor)
        : await store.listChanges(userId, new Date(query.updatedSince), query.limit + 1, cursor);
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor =
      records.length > query.limit && last
        ? encodeCursor({ at: query.updatedSince === undefined ? last.createdAt : last.updatedAt, id: last.id })
        : null;
    const shape = query.updatedSince === undefined ? toVideo : toChange;
    return {
      videos: await Promise.all(page.map((record) => this.#present(shape(record), record.storageKey))),
      serverTime,
      nextCursor,
    };
  }

  /** The event id of the user's latest committed change (0 for none). */
  lastChangeSeq(userId: string): Promise<number> {
    return this.#deps.store.lastChangeSeq(userId);
  }

  /**
   * The SSE route's replay: each video changed after event id `afterSeq` (and, with `updatedAfter`
   * in ms, after that time) in its current state, in change order.
   */
  async *changesAfter(userId: string, afterSeq: number, updatedAfter?: number): AsyncGenerator<VideoChangeEvent> {
    const after = updatedAfter === undefined ? null : new Date(updatedAfter);
    for (let seq = afterSeq; ; ) {
      const page = await this.#deps.store.listChangesAfterSeq(userId, seq, after, 200);
      for (const record of page) {
        yield { seq: record.changeSeq, change: await this.#present(toChange(record), record.storageKey) };
        seq = record.changeSeq;
      }
      if (page.length < 200) return;
    }
  }

  /**
   * A video as users read it. The database keeps the URL the storage returned; private storage
   * (with `signedUrl`) serves a file only through a fresh signed URL, made here on every read, so
   * none handed out is older than this request. `storageKey` is the record's; for a change that
   * arrives without it (an event, a stored answer) it is read back from the URL.
   */
  async #present<T extends VideoOrTombstone>(change: T, storageKey?: string | null): Promise<T> {
    const { storage, logger } = this.#deps;
    if (!storage.signedUrl || !("url" in change) || change.url === null) return change;
    const key = storageKey === undefined ? storage.keyForUrl(change.url) : storageKey;
    if (key === null) return change;
    try {
      return { ...change, url: await this.#fileUrl(key, change.url) };
    } catch (error) {
      // The rest of the video is still worth answering; its stored URL is what is left to give.
      logger.error({ videoId: change.id, key, err: error }, "could not sign the video's URL");
      return change;
    }
  }

  async #presentAnswer(result: SubmitVideoResult): Promise<SubmitVideoResult> {
    return { ...result, body: { ...result.body, video: await this.#present(result.body.video) } };
  }

  /** The user's usage in the current period: seconds, and the credit balance under the credits policy. */
  usage(userId: string): Promise<Usage> {
    return this.#billing.usage(this.#deps.store, userId, new Date());
  }

  // ── Uploads ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores an input image for image-to-video requests. The kind and size come from the bytes
   * (magic numbers and the image header), never from a file name or a content type.
   *
   * @throws `OpenVError` `validation_failed` or `payload_too_large` for anything but a PNG, JPEG or
   * WebP image of at most 10 MB with sides the checks accept.
   */
  async createUpload(userId: string, bytes: Uint8Array): Promise<UploadResponse> {
    const { store, storage, logger } = this.#deps;
    const image = await checkUploadImage(bytes);
    const id = `upl_${randomBytes(12).toString("base64url")}`;
    const stored = await storage.putBytes(`${id}.${extensionOf(image.contentType)}`, bytes, image.contentType);
    const record: UploadRecord = {
      id,
      userId,
      key: stored.key,
      url: stored.url,
      contentType: image.contentType,
      bytes: bytes.byteLength,
      width: image.width,
      height: image.height,
      createdAt: new Date(),
    };
    try {
      await store.insertUpload(record);
    } catch (error) {
      await this.#deleteFiles([stored.key]);
      throw error;
    }
    logger.info({ userId, uploadId: id, contentType: image.contentType, bytes: record.bytes }, "image uploaded");
    return { upload: toUpload(record, await this.#fileUrl(record.key, record.url)) };
  }

  /** The URL to hand out for a stored file: freshly signed for private storage, else as stored. */
  async #fileUrl(key: string, storedUrl: string): Promise<string> {
    const { storage } = this.#deps;
    return storage.signedUrl ? storage.signedUrl(key) : storedUrl;
  }

  // ── Models and credits ──────────────────────────────────────────────────────────────────────

  /** `error` (a body's schema issues) with the issues of the body's other fields against its model's limits added. */
  withModelLimitIssues(error: unknown, body: unknown): unknown {
    return withModelLimitIssues(this.#models, error, body);
  }

  /** The catalog: the models a request may name, with their limits and prices. */
  listModels(): ListModelsResponse {
    return { models: this.#models.list() };
  }

  /** The user's credit balance and newest ledger entries. */
  async credits(userId: string, limit: number): Promise<CreditsResponse> {
    const { store } = this.#deps;
    const [balance, entries] = await Promise.all([store.creditBalance(userId), store.listCreditEntries(userId, limit)]);
    return { balance, entries: entries.map(toCreditEntry) };
  }

  /**
   * Adds (or removes) credits for a user, with a ledger entry naming the admin. Only users in
   * `config.adminUserIds` may.
   *
   * @throws `OpenVError` `forbidden` for anyone else; `insufficient_credits` when a removal would
   * take the balance below zero.
   */
  async grantCredits(actorId: string, grant: GrantCreditsRequest): Promise<GrantCreditsResponse> {
    if (!this.config.adminUserIds.includes(actorId)) {
      throw new OpenVError({
        code: "forbidden",
        message:
          "Only admins may grant credits. Ask an operator to add your user id to OPENV_ADMIN_USER_IDS (or adminUserIds).",
      });
    }
    const entry = await this.#deps.store.transaction(async (tx) => {
      await tx.lockUser(grant.userId);
      const added = await tx.addCreditEntry({
        id: newEntryId(),
        userId: grant.userId,
        delta: grant.credits,
        reason: grant.reason ?? "grant",
        videoId: null,
        actorId,
      });
      if (added === null) {
        const current = await tx.creditBalance(grant.userId);
        throw new OpenVError({
          code: "insufficient_credits",
          message: `Removing ${-grant.credits} credits would take the balance of ${grant.userId} (${current}) below zero. Remove at most ${current}.`,
          details: { balance: current, price: -grant.credits, model: "" },
        });
      }
      return added;
    });
    this.#deps.logger.info(
      { userId: grant.userId, actorId, credits: grant.credits, balance: entry.balanceAfter, reason: entry.reason },
      "credits granted",
    );
    return { balance: entry.balanceAfter, entry: toCreditEntry(entry) };
  }

  // ── Terms ───────────────────────────────────────────────────────────────────────────────────

  /** Whether the user has accepted the current terms version. */
  async checkTerms(userId: string): Promise<TermsStatus> {
    const version = this.config.termsVersion;
    const acceptance = await this.#deps.store.termsAcceptance(userId, version);
    return { accepted: acceptance !== null, version, acceptedAt: acceptance?.acceptedAt.toISOString() ?? null };
  }

  /**
   * Records that the user accepted terms `version`; accepting again keeps the first time.
   *
   * @throws `OpenVError` `terms_version_mismatch` when `version` is not the current one.
   */
  async acceptTerms(userId: string, version: string): Promise<AcceptTermsResponse> {
    const current = this.config.termsVersion;
    if (version !== current) {
      throw new OpenVError({
        code: "terms_version_mismatch",
        message: `Version ${version} is not the current terms version; read and accept version ${current}.`,
        details: { version: current },
      });
    }
    const { acceptedAt } = await this.#deps.store.acceptTerms(userId, version);
    return { accepted: true as const, version, acceptedAt: acceptedAt.toISOString() };
  }

  // ── Deletion ────────────────────────────────────────────────────────────────────────────────

  /**
   * Deletes the user's videos among `ids`/`jobIds`: leaves tombstones, refunds unfinished ones,
   * then removes their files and cancels their provider jobs. Returns the ids deleted.
   */
  async deleteVideos(userId: string, ids: string[], jobIds: string[]): Promise<string[]> {
    const deleted = await this.#deps.store.transaction(async (tx) => {
      const videos = (await tx.lockVideos(userId, ids, jobIds)).filter((video) => !video.deletedAt);
      if (videos.length === 0) return [];
      // Each tombstone gets its own event id, so a stream cut after one resumes with the rest.
      const firstSeq = await tx.nextChangeSeq(userId, videos.length);
      const now = await tx.changeClock(userId);
      const results: VideoRecord[] = [];
      for (const [index, video] of videos.entries()) {
        const changeSeq = firstSeq + index;
        const updated = await tx.updateVideo(video.id, { deletedAt: now, updatedAt: now, changeSeq });
        if (video.status !== "completed") await this.#refund(tx, updated, now);
        await this.#queueWebhook(tx, video, updated, now);
        results.push(updated);
      }
      return results;
    });
    if (deleted.length > 0 && this.#deps.outboundWebhooks) this.#deps.onOutboxCommitted?.();
    for (const video of deleted) {
      this.#deps.logger.info({ videoId: video.id, userId, status: video.status }, "video deleted");
      await this.#publish(video);
    }
    // The stored file, and whatever any attempt may have stored at its own key.
    await this.#deleteFiles([
      ...new Set(
        deleted.flatMap((video) => [
          ...(video.storageKey ? [video.storageKey] : []),
          ...attemptOutputKeys(video.id, video.retryCount),
        ]),
      ),
    ]);
    await Promise.all(
      deleted
        .filter((video) => video.jobId && !terminalStatuses.includes(video.status))
        .map((video) =>
          this.providerOf(video)
            .cancel(video.jobId as string)
            .catch((error: unknown) => {
              this.#deps.logger.warn({ videoId: video.id, jobId: video.jobId, err: error }, "could not cancel job");
            }),
        ),
    );
    return deleted.map((video) => video.id);
  }

  async #deleteFiles(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.#deps.storage.deleteFiles(keys);
    } catch (error) {
      this.#deps.logger.error({ keys, err: error }, "could not delete stored files; delete them by hand");
    }
  }

  // ── Events and logs ─────────────────────────────────────────────────────────────────────────

  /**
   * Calls `listener` with each change of the user's videos, as users read it (see `#present`);
   * returns the function that unsubscribes. With private storage a change's URL is signed when it
   * reaches this instance (once for all its subscribers here), not when it was published: an event
   * may travel through another instance first, and no listener gets a URL signed before then.
   * Changes still reach each listener in the order they arrived.
   */
  subscribe(userId: string, listener: Parameters<Events["subscribe"]>[1], onMissed?: () => void): () => void {
    const { events, storage } = this.#deps;
    if (!storage.signedUrl) return events.subscribe(userId, listener, onMissed);
    let delivered = Promise.resolve();
    return events.subscribe(
      userId,
      (event) => {
        let presented = this.#presentedChanges.get(event);
        if (!presented) {
          presented = this.#present(event.change).then((change) => ({ seq: event.seq, change }));
          this.#presentedChanges.set(event, presented);
        }
        const ready = presented;
        delivered = delivered.then(async () => {
          try {
            listener(await ready);
          } catch (error) {
            this.#deps.logger.error({ userId, err: error }, "a video change listener threw");
          }
        });
      },
      onMissed,
    );
  }

  async #publish(video: VideoRecord): Promise<void> {
    try {
      await this.#deps.events.publish(video.userId, { seq: video.changeSeq, change: toChange(video) });
    } catch (error) {
      // Subscribers catch up from the database on reconnect; a lost event loses no data.
      this.#deps.logger.warn({ videoId: video.id, err: error }, "could not publish a video change");
    }
  }

  #logTransition(video: VideoRecord, from: VideoStatus | null, to: VideoStatus): void {
    this.#deps.logger.info(
      {
        videoId: video.id,
        userId: video.userId,
        jobId: video.jobId,
        from,
        to,
        retryCount: video.retryCount,
        ...(video.errorCode && { error: video.errorCode }),
      },
      `video ${from ?? "new"} → ${to}`,
    );
  }
}

/** Whether a job update speaks for the video's current attempt and job and can still change it. */
function acceptsUpdate(video: VideoRecord, attempt: number, job: RunPodJob): boolean {
  if (video.retryCount !== attempt || terminalStatuses.includes(video.status)) return false;
  return video.jobId === null || video.jobId === job.id;
}

/** How long the reconciler lets a video without a provider job wait (see reconciler.ts). */
export interface ReconcileTiming {
  /** A submission may still be in flight this long after the last change. */
  joblessGraceMs: number;
  /** After this long without a job, the video fails as `provider_unavailable` and is refunded. */
  resubmitGiveUpMs: number;
}

/**
 * What `VideoLifecycle.reconcileVideo` did: applied a provider update, found nothing to change,
 * submitted a jobless video, failed it, let it wait (a submission may still be in flight), or could
 * not reach the provider.
 */
export type ReconcileOutcome = "updated" | "unchanged" | "submitted" | "failed" | "waiting" | "unreachable";

interface TransitionResult {
  patch: Omit<VideoPatch, "updatedAt">;
  /** Refund the video's charge in the same transaction. */
  refund?: boolean;
  /** Record only that the provider spoke (providerSeenAt); no visible change, no event. */
  quiet?: boolean;
}

/** The file extension a stored upload gets, from its detected type. */
function extensionOf(contentType: string): string {
  return contentType === "image/jpeg" ? "jpg" : contentType === "image/webp" ? "webp" : "png";
}
