import type { RunPodJob, WorkerOutput } from "@openv/protocol/worker";
import type { LifecycleContext } from "./context.js";
import { OpenVError } from "./errors.js";
import { classifyFailure, readCompletion, readProgress } from "./failure.js";
import { acceptsUpdate, type TransitionResult } from "./job-rules.js";
import { attemptOutputKey, isAttemptOutputKey } from "./output-keys.js";
import type { ProviderWebhookRequest, StoredFile, VideoRecord } from "./ports.js";
import type { Previews } from "./previews.js"; // posters21
import type { ProviderSubmitter } from "./provider-submit.js";
import { withJobTiming } from "./timing.js";
import type { KnownVideo, Transitions } from "./transitions.js";
import { verifyWebhookToken } from "./webhook-token.js";

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

/**
 * Job updates: what the provider reports about a video's job (webhooks and the reconciler's status
 * polls) becomes its transitions here, with the retry policy of job-rules.ts.
 */
export class JobUpdates {
  readonly #ctx: LifecycleContext;
  readonly #transitions: Transitions;
  readonly #submitter: ProviderSubmitter;

  readonly #previews: Previews | null; // posters21

  constructor(ctx: LifecycleContext, transitions: Transitions, submitter: ProviderSubmitter, previews?: Previews) {
    this.#ctx = ctx;
    this.#transitions = transitions;
    this.#submitter = submitter;
    this.#previews = previews ?? null; // posters21
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
    return (await this.readProviderWebhookUpdate(videoId, request)).job;
  }

  /**
   * `readProviderWebhook`, also returning the video row it read (`read`; absent when it read none:
   * RunPod-only servers skip the lookup), for `applyJobUpdate` to decide from instead of reading
   * the video again (issue 17: one read per webhook).
   */
  async readProviderWebhookUpdate(
    videoId: string,
    request: ProviderWebhookRequest,
  ): Promise<{
    /** The update in RunPod's shape, or null when no provider reads its own format (see `readProviderWebhook`). */
    job: RunPodJob | null;
    /** The video row read to find its provider, absent when none was read. */
    read?: KnownVideo;
  }> {
    const { provider: main, providers = {} } = this.#ctx.deps;
    // RunPod-only servers (no provider reads its own format) skip the lookup on every webhook.
    if (!main.readWebhook && !Object.values(providers).some((provider) => provider.readWebhook)) return { job: null };
    const video = await this.#ctx.deps.store.getVideoById(videoId);
    const provider = video ? this.#ctx.providerOf(video) : this.#ctx.deps.provider;
    const job = provider.readWebhook ? await provider.readWebhook({ ...request, jobId: video?.jobId ?? null }) : null;
    return { job, read: { video } };
  }

  /** Throws `unauthorized` unless `token` is the webhook token of this video's attempt. */
  verifyWebhookToken(videoId: string, attempt: number, token: string): void {
    if (!verifyWebhookToken(this.#ctx.deps.webhookSecret, videoId, attempt, token)) {
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
    read?: KnownVideo,
  ): Promise<{
    /** Whether the update changed the video. */
    applied: boolean;
  }> {
    const completion = job.status === "COMPLETED" ? readCompletion(job) : null;
    const copied =
      completion && "output" in completion
        ? await this.#copyForeignOutput(videoId, attempt, job, completion.output, read)
        : null;
    let resubmit = false;
    let orphanKey: string | null = null;
    const decide = (video: VideoRecord): TransitionResult | null => {
      // Decided again when the video changed before the decision could be applied.
      resubmit = false;
      orphanKey = null;
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
          if (
            video.status === "processing" &&
            progress === video.progress &&
            video.jobId !== null &&
            video.startedAt !== null // Timing (eta21): the first report of an attempt starts its clock
          ) {
            return { patch: {}, quiet: true };
          }
          return { patch: { jobId, status: "processing", progress } };
        }
        case "COMPLETED": {
          // Read once above for every COMPLETED job; `??` only satisfies the type checker.
          const read = completion ?? readCompletion(job);
          if ("failure" in read) {
            const failure = this.#transitions.failure(video, read.failure);
            resubmit = failure.patch.status === "processing";
            return failure;
          }
          const url = copied?.url ?? read.output.url;
          const storageKey = copied?.key ?? this.#ctx.deps.storage.keyForUrl(url);
          if (!copied && !isAttemptOutputKey(video.id, attempt, storageKey)) {
            // A file of our storage that this attempt was not told to write: never adopted.
            this.#ctx.deps.logger.warn(
              { videoId, attempt, jobId, key: storageKey },
              "refused a completion naming a stored file other than this attempt's output",
            );
            return this.#transitions.failure(
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
          const failure = this.#transitions.failure({ ...video, jobId }, classifyFailure(job));
          resubmit = failure.patch.status === "processing";
          return failure;
        }
      }
    };
    // Timing (eta21): the decision with the queue and render seconds it implies.
    const updated = await this.#transitions.transition(
      videoId,
      (video) => withJobTiming(video, job, decide(video), Date.now()),
      read,
    );
    if (orphanKey) await this.#ctx.deleteFiles([orphanKey]);
    if (copied && updated?.storageKey !== copied.key) {
      // Another delivery of the same completion won the race with its own copy: drop ours.
      const current = await this.#ctx.deps.store.getVideoById(videoId);
      if (current?.storageKey !== copied.key) await this.#ctx.deleteFiles([copied.key]);
    }
    if (updated && resubmit) await this.#submitter.submit(updated, { initial: false });
    // posters21: the poster and sprite are derived in the background; this answer does not wait.
    if (updated?.status === "completed") this.#previews?.afterCompletion(updated);
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
    read: KnownVideo | undefined,
  ): Promise<StoredFile | null> {
    const { storage, store, logger } = this.#ctx.deps;
    // Our own storage: adopted at this attempt's key, refused at any other (never copied from).
    if (storage.keyForUrl(output.url) !== null) return null;
    const video = read ? read.video : await store.getVideoById(videoId);
    if (!video || video.deletedAt || !acceptsUpdate(video, attempt, job)) return null;
    const source = output.url;
    try {
      const stored = await storage.copyFromUrl(attemptOutputKey(video.id, attempt), source, "video/mp4", {
        fetch: this.#ctx.deps.outboundFetch,
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
    const { logger } = this.#ctx.deps;
    const provider = this.#ctx.providerOf(video);
    const attempt = video.retryCount;
    const silentMs = Date.now() - (video.providerSeenAt ?? video.updatedAt).getTime();
    if (video.jobId === null) {
      if (silentMs < timing.joblessGraceMs) return "waiting";
      if (silentMs < timing.resubmitGiveUpMs) {
        const after = await this.#submitter.submit(video, { initial: false });
        return after.jobId === null ? "unreachable" : "submitted";
      }
      const failed = await this.#transitions.failAttempt(video.id, attempt, null, {
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
      const failed = await this.#transitions.failAttempt(video.id, attempt, jobId, {
        code: "job_expired",
        message: `The provider no longer knows job ${jobId}: jobs are deleted after their ttl and results expire 30 minutes after they finish, and no update reached this server in time. The seconds were refunded; generate the video again.`,
        retryable: false,
      });
      return failed ? "failed" : "unchanged";
    }
    const { applied } = await this.applyJobUpdate(video.id, attempt, job.id === jobId ? job : { ...job, id: jobId });
    return applied ? "updated" : "unchanged";
  }

  #outputKeyOf(job: RunPodJob): string | null {
    const url = (job.output as { url?: unknown } | undefined)?.url;
    return typeof url === "string" ? this.#ctx.deps.storage.keyForUrl(url) : null;
  }
}
