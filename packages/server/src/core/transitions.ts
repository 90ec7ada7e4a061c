import { randomBytes } from "node:crypto";
import { type OutboundWebhookEvent, terminalStatuses } from "@openv/protocol";
import type { ChangeFeed } from "./change-feed.js";
import type { LifecycleContext } from "./context.js";
import type { JobFailure } from "./failure.js";
import { failureTransition, type TransitionResult } from "./job-rules.js";
import type { StoreTransaction, VideoRecord } from "./ports.js";
import { toVideo } from "./video-shape.js";

/** A Standard Webhooks message id (`webhook-id`), the same on every delivery attempt. */
function newOutboxMessageId(): string {
  return `msg_${randomBytes(16).toString("base64url")}`;
}

/** The `video.deleted` outbound webhook: the video's id and owner, deleted at `timestamp`. */
function videoDeletedEvent(id: string, userId: string, timestamp: string): OutboundWebhookEvent {
  return { type: "video.deleted", timestamp, data: { id, userId, deletedAt: timestamp } };
}

/**
 * A video row already read for the request (null: the video did not exist), to decide a transition
 * from without reading it again. A row changed since is caught by the apply's change-number check.
 */
export interface KnownVideo {
  /** The row as read (null: the video does not exist). */
  video: VideoRecord | null;
}

/**
 * How a decided change of one video is applied: in one transaction with its change number, its
 * refund and its outbox message, then logged and published. Submission, job updates and deletion
 * all change videos through here.
 */
export class Transitions {
  readonly #ctx: LifecycleContext;
  readonly #feed: ChangeFeed;

  constructor(ctx: LifecycleContext, feed: ChangeFeed) {
    this.#ctx = ctx;
    this.#feed = feed;
  }

  /** A failure of the video's current attempt, per the retry policy (see job-rules.ts). */
  failure(video: VideoRecord, failure: JobFailure): TransitionResult {
    return failureTransition(video, failure, this.#ctx.config.maxRetries, this.#ctx.logger);
  }

  /**
   * Fails (or retries, per `failure`) the video's attempt `attempt` with job `jobId` (null: not
   * submitted), unless the video has moved on meanwhile. Returns the video, or null when it moved on.
   */
  failAttempt(videoId: string, attempt: number, jobId: string | null, failure: JobFailure) {
    return this.transition(videoId, (current) =>
      current.retryCount === attempt && current.jobId === jobId && !terminalStatuses.includes(current.status)
        ? this.failure(current, failure)
        : null,
    );
  }

  /**
   * One transition: reads the video, asks `decide` what to change (null: nothing), and applies it
   * with its change number, clock and outbox message in one round trip (`Store.applyJobUpdate`),
   * which applies it only if the video is still as read; when it changed meanwhile, the video is
   * read and `decide` asked again. A change that refunds takes the interactive path
   * (`#transitionLocked`): the billing policy's refund rules run in TypeScript under the row lock.
   * Once committed the change is logged and published. `read`: the row the caller already read,
   * decided from first instead of reading it again.
   */
  async transition(
    videoId: string,
    decide: (video: VideoRecord) => TransitionResult | null,
    read?: KnownVideo,
  ): Promise<VideoRecord | null> {
    const { store } = this.#ctx.deps;
    for (let known = read; ; known = undefined) {
      const video = known ? known.video : await store.getVideoById(videoId);
      if (!video) return null;
      const decision = decide(video);
      if (!decision) return null;
      if (decision.refund) return this.#transitionLocked(videoId, decide);
      const event = this.#outboundEvent(video, { ...video, ...decision.patch }, video.updatedAt);
      const after = await store.applyJobUpdate({
        videoId,
        expectedSeq: video.changeSeq,
        patch: decision.patch,
        quiet: decision.quiet === true,
        outbox: event && { id: newOutboxMessageId(), eventType: event.type, payload: event },
      });
      if (!after) continue;
      if (decision.quiet) return null;
      return this.#committed(video, after, event !== null);
    }
  }

  /**
   * A transition in an interactive transaction: locks the video, asks `decide`, stamps the change,
   * records a refund when asked, commits, then logs and publishes it.
   */
  async #transitionLocked(
    videoId: string,
    decide: (video: VideoRecord) => TransitionResult | null,
  ): Promise<VideoRecord | null> {
    const result = await this.#ctx.deps.store.transaction(async (tx) => {
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
      if (decision.refund) await this.refund(tx, updated, now);
      const queued = await this.queueWebhook(tx, video, updated, now);
      return { before: video, after: updated, queued };
    });
    if (!result) return null;
    return this.#committed(result.before, result.after, result.queued);
  }

  /** After a change committed: wakes the outbox dispatcher, logs a status change, publishes the change. */
  async #committed(before: VideoRecord, after: VideoRecord, queued: boolean): Promise<VideoRecord> {
    if (queued) this.#ctx.deps.onOutboxCommitted?.();
    if (before.status !== after.status) this.#ctx.logTransition(after, before.status, after.status);
    await this.#feed.publish(after);
    return after;
  }

  /**
   * Queues the outbound webhook a change calls for, in the change's transaction, so it is sent if
   * and only if the change commits (see `#outboundEvent`). Returns whether it queued one.
   */
  async queueWebhook(tx: StoreTransaction, before: VideoRecord, after: VideoRecord, now: Date): Promise<boolean> {
    const event = this.#outboundEvent(before, after, now);
    if (!event) return false;
    await tx.enqueueOutbox({ id: newOutboxMessageId(), eventType: event.type, payload: event, nextAttemptAt: now });
    return true;
  }

  /**
   * The outbound webhook a change calls for, if outbound webhooks are on: `video.completed` /
   * `video.failed` when the status became terminal (deletions queue theirs with the tombstones:
   * `deletionWebhook`).
   */
  #outboundEvent(before: VideoRecord, after: VideoRecord, now: Date): OutboundWebhookEvent | null {
    if (!this.#ctx.deps.outboundWebhooks) return null;
    const timestamp = now.toISOString();
    if (before.status !== after.status && (after.status === "completed" || after.status === "failed")) {
      return { type: `video.${after.status}`, timestamp, data: toVideo(after) };
    }
    return null;
  }

  /**
   * The `video.deleted` webhook queued with each tombstone of a user's deletion (see
   * `Store.deleteVideos`, which fills in the video's id and the deletion time), or null when
   * outbound webhooks are off.
   */
  deletionWebhook(userId: string): { eventType: "video.deleted"; payload: OutboundWebhookEvent } | null {
    if (!this.#ctx.deps.outboundWebhooks) return null;
    // Placeholders: the store sets `timestamp`, `data.id` and `data.deletedAt` as it deletes.
    return { eventType: "video.deleted", payload: videoDeletedEvent("", userId, "") };
  }

  /** Gives back a video's charge (quota or credits) in the transaction `tx`, and logs it. */
  async refund(tx: StoreTransaction, video: VideoRecord, now: Date): Promise<void> {
    await this.#ctx.billing.refund(tx, video, now);
    this.logRefund(video);
  }

  /** Logs that a video's charge was given back (by `refund`, or with its deletion). */
  logRefund(video: VideoRecord): void {
    const { billing, logger } = this.#ctx;
    logger.info(
      { videoId: video.id, seconds: video.durationSeconds, credits: video.creditCost, billing: billing.kind },
      "video refunded",
    );
  }
}
