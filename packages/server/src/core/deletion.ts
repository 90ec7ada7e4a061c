import { terminalStatuses } from "@openv/protocol";
import type { ChangeFeed } from "./change-feed.js";
import type { LifecycleContext } from "./context.js";
import { attemptOutputKeys } from "./output-keys.js";
import type { UserEvent } from "./ports.js";
import { previewKeys } from "./previews.js"; // posters21
import type { Transitions } from "./transitions.js";

/**
 * Deletion: tombstones with their refunds and outbox messages, then the files and the provider jobs;
 * and the identity provider's user events, whose `user.deleted` deletes a whole account.
 */
export class Deletion {
  readonly #ctx: LifecycleContext;
  readonly #feed: ChangeFeed;
  readonly #transitions: Transitions;

  constructor(ctx: LifecycleContext, feed: ChangeFeed, transitions: Transitions) {
    this.#ctx = ctx;
    this.#feed = feed;
    this.#transitions = transitions;
  }

  /**
   * Deletes the user's videos among `ids`/`jobIds`: leaves tombstones, refunds unfinished ones,
   * then removes their files and cancels their provider jobs. Returns the ids deleted.
   */
  async deleteVideos(userId: string, ids: string[], jobIds: string[]): Promise<string[]> {
    const { store, logger, outboundWebhooks, onOutboxCommitted } = this.#ctx.deps;
    // One round trip: the tombstones with consecutive event ids, their refunds and their outbox
    // messages, committed together (see Store.deleteVideos).
    const deleted = await store.deleteVideos({
      userId,
      ids,
      jobIds,
      refundCredits: this.#ctx.billing.kind === "credits",
      outbox: this.#transitions.deletionWebhook(userId),
    });
    if (deleted.length > 0 && outboundWebhooks) onOutboxCommitted?.();
    for (const video of deleted) {
      logger.info({ videoId: video.id, userId, status: video.status }, "video deleted");
      if (video.status !== "completed") this.#transitions.logRefund(video);
      await this.#feed.publish(video);
    }
    // The stored file, and whatever any attempt may have stored at its own key.
    await this.#ctx.deleteFiles([
      ...new Set(
        deleted.flatMap((video) => [
          ...(video.storageKey ? [video.storageKey] : []),
          ...attemptOutputKeys(video.id, video.retryCount),
          ...previewKeys(video.id, video.retryCount), // posters21: poster and sprite of any attempt
        ]),
      ),
    ]);
    await Promise.all(
      deleted
        .filter((video) => video.jobId && !terminalStatuses.includes(video.status))
        .map((video) =>
          this.#ctx
            .providerOf(video)
            .cancel(video.jobId as string)
            .catch((error: unknown) => {
              this.#ctx.deps.logger.warn({ videoId: video.id, jobId: video.jobId, err: error }, "could not cancel job");
            }),
        ),
    );
    return deleted.map((video) => video.id);
  }

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
    const { store, logger } = this.#ctx.deps;
    if (await store.hasWebhookDelivery(source, event.deliveryId)) return { applied: false };
    switch (event.type) {
      case "user.upserted":
        if (event.created) await store.reactivateUser(event.userId);
        await store.upsertUser(event.userId, { email: event.email });
        this.#ctx.accounts.forget(event.userId);
        break;
      case "user.deleted": {
        await store.markUserDeleted(event.userId, new Date());
        this.#ctx.accounts.forget(event.userId);
        const deleted = await this.deleteVideos(event.userId, await store.liveVideoIds(event.userId), []);
        const uploads = await store.deleteUploadsOfUser(event.userId);
        await this.#ctx.deleteFiles(uploads.map((upload) => upload.key));
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
}
