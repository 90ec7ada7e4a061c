import { type ListVideosResponse, terminalStatuses, type Video, type VideoOrTombstone } from "@openv/protocol";
import type { LifecycleContext } from "./context.js";
import { notFound, OpenVError } from "./errors.js";
import { wasNotifiedInStatement } from "./notified-changes.js";
import type { Events, OutboxRecord, TimingBasis, VideoChangeEvent, VideoRecord } from "./ports.js";
import { signPreviewUrls } from "./previews.js"; // posters21
import { VideoTiming } from "./timing.js";
import { decodeCursor, encodeCursor, toChange, toVideo } from "./video-shape.js";

/**
 * The change feed: how users read their videos and follow their changes. Reads (one video, a page
 * of the list, the `updatedSince` feed), the SSE replay after an event id, live subscriptions, and
 * the one place a stored video becomes what users read (`present`: private URLs signed per read).
 */
export class ChangeFeed {
  readonly #ctx: LifecycleContext;
  /** A delivered change as presented, shared by the subscribers it fans out to (see `subscribe`). */
  readonly #presentedChanges = new WeakMap<VideoChangeEvent, Promise<VideoChangeEvent>>();
  /** Timing (eta21): queue positions and ETAs of unfinished videos, added as they are read. */
  readonly #timing: VideoTiming;

  constructor(ctx: LifecycleContext) {
    this.#ctx = ctx;
    this.#timing = new VideoTiming(ctx);
  }

  /**
   * The user's video.
   *
   * @throws `OpenVError` `not_found` when it does not exist, is deleted or is someone else's.
   */
  async getVideo(userId: string, videoId: string): Promise<Video> {
    const video = await this.#ctx.deps.store.getVideo(userId, videoId);
    if (!video || video.deletedAt) throw notFound();
    const [timed] = await this.#timing.annotate([toVideo(video)]);
    return this.present(timed as Video, video.storageKey);
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
    const { store } = this.#ctx.deps;
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) {
      throw new OpenVError({
        code: "validation_failed",
        message: "The cursor is not one this server gave out. Start again without it.",
        details: { issues: [{ path: ["cursor"], message: "unknown cursor", code: "invalid_cursor" }] },
      });
    }
    // One round trip: the change feed's time, then the page (so anything committed after the read
    // is stamped later than serverTime).
    const { serverTime, videos: records } = await store.listVideos(userId, {
      since: query.updatedSince === undefined ? null : new Date(query.updatedSince),
      limit: query.limit + 1,
      cursor,
    });
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor =
      records.length > query.limit && last
        ? encodeCursor({ at: query.updatedSince === undefined ? last.createdAt : last.updatedAt, id: last.id })
        : null;
    const shape = query.updatedSince === undefined ? toVideo : toChange;
    // Timing costs a query only when the page holds an unfinished video; signing, only with private storage.
    const timed = await this.#timing.annotate(page.map((record) => shape(record)));
    const videos = this.#ctx.deps.storage.signedUrl
      ? await Promise.all(page.map((record, index) => this.present(timed[index] ?? shape(record), record.storageKey)))
      : timed;
    return { videos, serverTime: serverTime.getTime(), nextCursor };
  }

  /** The event id of the user's latest committed change (0 for none). */
  lastChangeSeq(userId: string): Promise<number> {
    return this.#ctx.deps.store.lastChangeSeq(userId);
  }

  /**
   * The SSE route's replay: each video changed after event id `afterSeq` (and, with `updatedAfter`
   * in ms, after that time) in its current state, in change order.
   */
  async *changesAfter(userId: string, afterSeq: number, updatedAfter?: number): AsyncGenerator<VideoChangeEvent> {
    const after = updatedAfter === undefined ? null : new Date(updatedAfter);
    for (let seq = afterSeq; ; ) {
      const page = await this.#ctx.deps.store.listChangesAfterSeq(userId, seq, after, 200);
      const timed = await this.#timing.annotate(page.map(toChange));
      for (const [index, record] of page.entries()) {
        const change = timed[index] ?? toChange(record);
        yield { seq: record.changeSeq, change: await this.present(change, record.storageKey) };
        seq = record.changeSeq;
      }
      if (page.length < 200) return;
    }
  }

  /**
   * Calls `listener` with each change of the user's videos, as users read it (see `present`);
   * returns the function that unsubscribes. With private storage a change's URL is signed when it
   * reaches this instance (once for all its subscribers here), not when it was published: an event
   * may travel through another instance first, and no listener gets a URL signed before then.
   * Changes still reach each listener in the order they arrived.
   */
  subscribe(userId: string, listener: Parameters<Events["subscribe"]>[1], onMissed?: () => void): () => void {
    const { events } = this.#ctx.deps;
    let delivered = Promise.resolve();
    return events.subscribe(
      userId,
      (event) => {
        let presented = this.#presentedChanges.get(event);
        if (!presented) {
          // Timing (eta21): an unfinished video's frame carries its queue position and ETA as of now.
          presented = this.#timing
            .annotate([event.change])
            .then(([timed]) => this.present(timed ?? event.change))
            .then((change) => ({ seq: event.seq, change }));
          this.#presentedChanges.set(event, presented);
        }
        const ready = presented;
        delivered = delivered.then(async () => {
          try {
            listener(await ready);
          } catch (error) {
            this.#ctx.logger.error({ userId, err: error }, "a video change listener threw");
          }
        });
      },
      onMissed,
    );
  }

  /**
   * Wait (eta21): calls `listener` with each of the user's videos that finishes (completed or
   * failed), presented; unfinished changes and tombstones are skipped before any work is done for
   * them (no timing query, no signing). Returns the function that unsubscribes.
   */
  subscribeFinishes(userId: string, listener: (video: Video) => void, onMissed: () => void): () => void {
    return this.#ctx.deps.events.subscribe(
      userId,
      ({ change }) => {
        if ("deleted" in change || !terminalStatuses.includes(change.status)) return;
        this.present(change).then(listener, (error: unknown) =>
          this.#ctx.logger.error({ userId, err: error }, "could not present a finished video"),
        );
      },
      onMissed,
    );
  }

  /**
   * Publishes a committed change to live subscribers; a failure is logged, never thrown. A change
   * its own statement notified (issue 17, see notified-changes.ts) is not sent a second time.
   */
  async publish(video: VideoRecord): Promise<void> {
    const { events } = this.#ctx.deps;
    try {
      if (events.notified && wasNotifiedInStatement(video)) {
        events.notified(video.userId, () => ({ seq: video.changeSeq, change: toChange(video) }));
        return;
      }
      await events.publish(video.userId, { seq: video.changeSeq, change: toChange(video) });
    } catch (error) {
      // Subscribers catch up from the database on reconnect; a lost event loses no data.
      this.#ctx.logger.warn({ videoId: video.id, err: error }, "could not publish a video change");
    }
  }

  /**
   * A video as users read it. The database keeps the URL the storage returned; private storage
   * (with `signedUrl`) serves a file only through a fresh signed URL, made here on every read, so
   * none handed out is older than this request. `storageKey` is the record's; for a change that
   * arrives without it (an event, a stored answer) it is read back from the URL.
   */
  async present<T extends VideoOrTombstone>(change: T, storageKey?: string | null): Promise<T> {
    const { storage, logger } = this.#ctx.deps;
    if (!storage.signedUrl || !("url" in change) || change.url === null) return change;
    const key = storageKey === undefined ? storage.keyForUrl(change.url) : storageKey;
    if (key === null) return change;
    try {
      const signed = { ...change, url: await this.#ctx.fileUrl(key, change.url) };
      return await signPreviewUrls(this.#ctx, signed); // posters21
    } catch (error) {
      // The rest of the video is still worth answering; its stored URL is what is left to give.
      logger.error({ videoId: change.id, key, err: error }, "could not sign the video's URL");
      return change;
    }
  }

  /**
   * A generate answer (new or replayed) as users read it: its video presented. `timing`: the
   * video's timing basis when it is already known (a new video's admission read it), else it is read.
   */
  async presentAnswer<T extends { body: { video: Video } }>(result: T, timing?: TimingBasis): Promise<T> {
    const [timed] = timing
      ? this.#timing.annotateFrom(timing, [result.body.video])
      : await this.#timing.annotate([result.body.video]);
    return { ...result, body: { ...result.body, video: await this.present(timed ?? result.body.video) } };
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
    return { ...message, payload: { ...payload, data: await this.present(data) } };
  }
}
