import type {
  AcceptTermsResponse,
  AccessStatus,
  CreateVoucherRequest,
  CreditsResponse,
  GrantCreditsRequest,
  GrantCreditsResponse,
  ListModelsResponse,
  ListVideosResponse,
  ListVouchersResponse,
  RedeemVoucherResponse,
  TermsStatus,
  UploadResponse,
  Usage,
  Video,
  Voucher,
} from "@openv/protocol";
import type { RunPodJob } from "@openv/protocol/worker";
import { Access } from "./access.js";
import { CreditAccounts } from "./billing.js";
import { withModelLimitIssues } from "./catalog.js";
import { ChangeFeed } from "./change-feed.js";
import type { LifecycleConfig } from "./config.js";
import { LifecycleContext, type LifecycleDependencies } from "./context.js";
import { Deletion } from "./deletion.js";
import { IdempotencyKeys } from "./idempotency.js";
import { JobUpdates, type ReconcileOutcome, type ReconcileTiming } from "./job-updates.js";
import type {
  Events,
  OutboxRecord,
  Provider,
  ProviderWebhookRequest,
  UserEvent,
  VideoChangeEvent,
  VideoRecord,
} from "./ports.js";
import { Previews } from "./previews.js"; // posters21
import { ProviderSubmitter } from "./provider-submit.js";
import { Remix, type RemixVideoRequest } from "./remix.js"; // Remix (issue 21)
import { Submission, type SubmitVideoRequest, type SubmitVideoResult } from "./submission.js";
import { Terms } from "./terms.js";
import { type KnownVideo, Transitions } from "./transitions.js";
import { Uploads } from "./uploads.js";
import { submitAndWait } from "./wait.js";

export type { LifecycleDependencies } from "./context.js";
export { requestFingerprint } from "./idempotency.js";
export type { ReconcileOutcome, ReconcileTiming } from "./job-updates.js";
export { workerInputFor } from "./provider-submit.js";
export type { RemixVideoRequest } from "./remix.js"; // Remix (issue 21)
export { newVideoId, type SubmitVideoRequest, type SubmitVideoResult } from "./submission.js";

/**
 * The video-job lifecycle: `queued → processing → completed | failed`. Every transition is one
 * transaction that also records the quota charge or refund; provider calls happen outside
 * transactions, and webhook updates are idempotent and monotonic.
 *
 * This class is the one entry point the bindings use; each concern lives in its own room:
 * submission.ts (admission, idempotency.ts, enhancement, provider-submit.ts), job-updates.ts
 * (webhooks, the reconciler, the retry policy of job-rules.ts), deletion.ts, terms.ts, uploads.ts,
 * billing.ts and change-feed.ts (reads, replay, live subscriptions), all changing videos through
 * transitions.ts.
 */
export class VideoLifecycle {
  readonly #ctx: LifecycleContext;
  readonly #feed: ChangeFeed;
  readonly #submission: Submission;
  readonly #jobs: JobUpdates;
  readonly #deletion: Deletion;
  readonly #terms: Terms;
  readonly #uploads: Uploads;
  readonly #credits: CreditAccounts;
  readonly #remix: Remix; // Remix (issue 21)
  readonly #access: Access;
  readonly #previews: Previews; // posters21

  constructor(deps: LifecycleDependencies) {
    const ctx = new LifecycleContext(deps);
    const feed = new ChangeFeed(ctx);
    const transitions = new Transitions(ctx, feed);
    const submitter = new ProviderSubmitter(ctx, transitions);
    this.#ctx = ctx;
    this.#feed = feed;
    this.#access = new Access(ctx);
    this.#uploads = new Uploads(ctx, this.#access);
    this.#submission = new Submission(ctx, {
      access: this.#access,
      feed,
      keys: new IdempotencyKeys(ctx, feed),
      submitter,
      uploads: this.#uploads,
    });
    // posters21
    this.#previews = new Previews(ctx, feed, { ...deps.previewRetry, extractor: deps.previews ?? null });
    this.#jobs = new JobUpdates(ctx, transitions, submitter, this.#previews);
    this.#deletion = new Deletion(ctx, feed, transitions);
    this.#terms = new Terms(ctx);
    this.#credits = new CreditAccounts(ctx);
    this.#remix = new Remix(ctx, this.#submission); // Remix (issue 21)
  }

  /** The rules this lifecycle enforces. */
  get config(): LifecycleConfig {
    return this.#ctx.config;
  }

  /** Throws `unauthorized` when the identity provider reported this account deleted. */
  assertActiveUser(userId: string): Promise<void> {
    return this.#ctx.accounts.assertActive(userId);
  }

  // ── Submission ──────────────────────────────────────────────────────────────────────────────

  /** See `Submission.submitVideo`. */
  submitVideo(request: SubmitVideoRequest): Promise<SubmitVideoResult> {
    return this.#submission.submitVideo(request);
  }

  /** Remix (issue 21): see `Remix.remixVideo`. */
  remixVideo(request: RemixVideoRequest): Promise<SubmitVideoResult> {
    return this.#remix.remixVideo(request);
  }

  /** `remixVideo` held until the new video finishes, at most `wait.seconds` (see `submitAndWait`). */
  remixVideoAndWait(
    request: RemixVideoRequest,
    wait: { seconds: number; signal?: AbortSignal | undefined },
  ): Promise<SubmitVideoResult> {
    return submitAndWait(
      this.#feed,
      request.userId,
      () => this.#remix.remixVideo(request),
      () => this.#ctx.usage(request.userId),
      wait,
    );
  }

  /** Wait (eta21): `submitVideo` held until the video finishes, at most `wait.seconds` (see `submitAndWait`). */
  submitVideoAndWait(
    request: SubmitVideoRequest,
    wait: { seconds: number; signal?: AbortSignal | undefined },
  ): Promise<SubmitVideoResult> {
    return submitAndWait(
      this.#feed,
      request.userId,
      () => this.#submission.submitVideo(request),
      () => this.#ctx.usage(request.userId),
      wait,
    );
  }

  /** The provider a video renders on (its registry key, else the server's main provider). */
  providerOf(video: Pick<VideoRecord, "provider">): Provider {
    return this.#ctx.providerOf(video);
  }

  // ── Job updates ─────────────────────────────────────────────────────────────────────────────

  /** See `JobUpdates.readProviderWebhook`. */
  readProviderWebhook(videoId: string, request: ProviderWebhookRequest): Promise<RunPodJob | null> {
    return this.#jobs.readProviderWebhook(videoId, request);
  }

  /** See `JobUpdates.readProviderWebhookUpdate`. */
  readProviderWebhookUpdate(videoId: string, request: ProviderWebhookRequest) {
    return this.#jobs.readProviderWebhookUpdate(videoId, request);
  }

  /** Throws `unauthorized` unless `token` is the webhook token of this video's attempt. */
  verifyWebhookToken(videoId: string, attempt: number, token: string): void {
    this.#jobs.verifyWebhookToken(videoId, attempt, token);
  }

  /** See `JobUpdates.applyJobUpdate`. */
  applyJobUpdate(
    videoId: string,
    attempt: number,
    job: RunPodJob,
    read?: KnownVideo,
  ): ReturnType<JobUpdates["applyJobUpdate"]> {
    return this.#jobs.applyJobUpdate(videoId, attempt, job, read);
  }

  /** See `JobUpdates.reconcileVideo`. */
  reconcileVideo(video: VideoRecord, timing: ReconcileTiming): Promise<ReconcileOutcome> {
    return this.#jobs.reconcileVideo(video, timing);
  }

  // ── Previews (posters21) ────────────────────────────────────────────────────────────────────

  /** See `Previews.backfill`: the reconciler's bounded batch per pass. */
  backfillPreviews(limit: number): Promise<number> {
    return this.#previews.backfill(limit);
  }

  /** See `Previews.idle`. */
  previewsIdle(): Promise<void> {
    return this.#previews.idle();
  }

  /** See `Previews.stop`. */
  stopPreviews(): Promise<void> {
    return this.#previews.stop();
  }

  // ── Deletion and identity-provider events ───────────────────────────────────────────────────

  /** See `Deletion.deleteVideos`. */
  deleteVideos(userId: string, ids: string[], jobIds: string[]): Promise<string[]> {
    return this.#deletion.deleteVideos(userId, ids, jobIds);
  }

  /** See `Deletion.applyUserEvent`. */
  applyUserEvent(source: string, event: UserEvent): ReturnType<Deletion["applyUserEvent"]> {
    return this.#deletion.applyUserEvent(source, event);
  }

  // ── The change feed ─────────────────────────────────────────────────────────────────────────

  /** See `ChangeFeed.getVideo`. */
  getVideo(userId: string, videoId: string): Promise<Video> {
    return this.#feed.getVideo(userId, videoId);
  }

  /** See `ChangeFeed.listVideos`. */
  listVideos(
    userId: string,
    query: { updatedSince?: number | undefined; limit: number; cursor?: string | undefined },
  ): Promise<ListVideosResponse> {
    return this.#feed.listVideos(userId, query);
  }

  /** The event id of the user's latest committed change (0 for none). */
  lastChangeSeq(userId: string): Promise<number> {
    return this.#feed.lastChangeSeq(userId);
  }

  /** See `ChangeFeed.changesAfter`. */
  changesAfter(userId: string, afterSeq: number, updatedAfter?: number): AsyncGenerator<VideoChangeEvent> {
    return this.#feed.changesAfter(userId, afterSeq, updatedAfter);
  }

  /** See `ChangeFeed.subscribe`. */
  subscribe(userId: string, listener: Parameters<Events["subscribe"]>[1], onMissed?: () => void): () => void {
    return this.#feed.subscribe(userId, listener, onMissed);
  }

  /** See `ChangeFeed.presentOutboxMessage`. */
  presentOutboxMessage(message: OutboxRecord): Promise<OutboxRecord> {
    return this.#feed.presentOutboxMessage(message);
  }

  // ── Billing, models, uploads, terms ─────────────────────────────────────────────────────────

  /** The user's usage in the current period: seconds, and the credit balance under the credits policy. */
  usage(userId: string): Promise<Usage> {
    return this.#ctx.usage(userId);
  }

  /** See `CreditAccounts.credits`. */
  credits(userId: string, limit: number): Promise<CreditsResponse> {
    return this.#credits.credits(userId, limit);
  }

  /** See `CreditAccounts.grantCredits`. */
  grantCredits(actorId: string, grant: GrantCreditsRequest): Promise<GrantCreditsResponse> {
    return this.#credits.grantCredits(actorId, grant);
  }

  /** `error` (a body's schema issues) with the issues of the body's other fields against its model's limits added. */
  withModelLimitIssues(error: unknown, body: unknown): unknown {
    return withModelLimitIssues(this.#ctx.models, error, body);
  }

  /** The catalog: the models a request may name, with their limits and prices. */
  listModels(): ListModelsResponse {
    return { models: this.#ctx.models.list() };
  }

  /** See `Uploads.createUpload`. */
  createUpload(userId: string, bytes: Uint8Array): Promise<UploadResponse> {
    return this.#uploads.createUpload(userId, bytes);
  }

  /** See `Terms.checkTerms`. */
  checkTerms(userId: string): Promise<TermsStatus> {
    return this.#terms.checkTerms(userId);
  }

  /** See `Terms.acceptTerms`. */
  acceptTerms(userId: string, version: string): Promise<AcceptTermsResponse> {
    return this.#terms.acceptTerms(userId, version);
  }

  // ── Invite-only access (access21) ───────────────────────────────────────────────────────────

  /** See `Access.status`. */
  accessStatus(userId: string): Promise<AccessStatus> {
    return this.#access.status(userId);
  }

  /** See `Access.redeem`. */
  redeemVoucher(userId: string, code: string): Promise<RedeemVoucherResponse> {
    return this.#access.redeem(userId, code);
  }

  /** See `Access.createVoucher`. */
  createVoucher(actorId: string, request: CreateVoucherRequest): Promise<Voucher> {
    return this.#access.createVoucher(actorId, request);
  }

  /** See `Access.listVouchers`. */
  listVouchers(actorId: string): Promise<ListVouchersResponse> {
    return this.#access.listVouchers(actorId);
  }

  /** See `Access.deactivateVoucher`. */
  deactivateVoucher(actorId: string, code: string): Promise<void> {
    return this.#access.deactivateVoucher(actorId, code);
  }
}
