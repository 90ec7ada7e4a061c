import { writeFile } from "node:fs/promises";
import type { Video, VideoOrTombstone, VideoSprite } from "@openv/protocol";
import type { ChangeFeed } from "./change-feed.js";
import type { LifecycleContext } from "./context.js";
import type { DerivedImage, PreviewExtractor, VideoPreviewFields, VideoRecord } from "./ports.js";

// Posters and scrub sprites (issue 21): derived from a completed video's stored MP4 off the request
// path, stored beside it under keys the server chooses, signed like it, deleted with it. A failed
// derivation leaves the fields null; the reconciler tries again later and backfills old videos.

/** A video without previews: every preview field null. */
export const noPreviews: VideoPreviewFields = {
  posterKey: null,
  posterUrl: null,
  spriteKey: null,
  spriteUrl: null,
  spriteColumns: null,
  spriteRows: null,
  spriteFrameWidth: null,
  spriteFrameHeight: null,
  spriteInterval: null,
};

const extensions = { "image/jpeg": "jpg", "image/webp": "webp" } as const;

/** The storage key of attempt `attempt`'s poster or sprite sheet, in the image's format. */
export function previewKey(
  videoId: string,
  attempt: number,
  kind: "poster" | "sprite",
  contentType: DerivedImage["contentType"],
): string {
  return `${videoId}-${attempt}-${kind}.${extensions[contentType]}`;
}

/** Every key a preview of attempts `0..lastAttempt` may have been stored at (deleted with the video). */
export function previewKeys(videoId: string, lastAttempt: number): string[] {
  const keys: string[] = [];
  for (let attempt = 0; attempt <= lastAttempt; attempt++) {
    for (const kind of ["poster", "sprite"] as const) {
      for (const type of ["image/jpeg", "image/webp"] as const) keys.push(previewKey(videoId, attempt, kind, type));
    }
  }
  return keys;
}

/** The wire shape of a record's sprite sheet, or null. */
export function toSprite(record: VideoRecord): VideoSprite | null {
  const { spriteUrl, spriteColumns, spriteRows, spriteFrameWidth, spriteFrameHeight, spriteInterval } = record;
  if (
    spriteUrl === null ||
    spriteColumns === null ||
    spriteRows === null ||
    spriteFrameWidth === null ||
    spriteFrameHeight === null ||
    spriteInterval === null
  ) {
    return null;
  }
  return {
    url: spriteUrl,
    columns: spriteColumns,
    rows: spriteRows,
    frameWidth: spriteFrameWidth,
    frameHeight: spriteFrameHeight,
    interval: spriteInterval,
  };
}

/**
 * A video's preview URLs as users read them: freshly signed for private storage (like `url`, see
 * `ChangeFeed.present`), as stored otherwise. A URL that cannot be signed is left as stored.
 */
export async function signPreviewUrls<T extends VideoOrTombstone>(ctx: LifecycleContext, change: T): Promise<T> {
  const { storage, logger } = ctx.deps;
  if (!storage.signedUrl || !("posterUrl" in change)) return change;
  const video: Video = change;
  if (video.posterUrl === null && video.sprite === null) return change;
  const sign = async (url: string): Promise<string> => {
    const key = storage.keyForUrl(url);
    if (key === null) return url;
    try {
      return await ctx.fileUrl(key, url);
    } catch (error) {
      logger.error({ videoId: video.id, key, err: error }, "could not sign a preview URL");
      return url;
    }
  };
  const [posterUrl, spriteUrl] = await Promise.all([
    video.posterUrl === null ? null : sign(video.posterUrl),
    video.sprite === null ? null : sign(video.sprite.url),
  ]);
  const sprite = video.sprite && spriteUrl !== null ? { ...video.sprite, url: spriteUrl } : null;
  return { ...change, posterUrl, sprite };
}

/** The lifecycle dependencies that `options` stand for. */
export function previewDependencies(options: PreviewOptions): {
  previews: PreviewExtractor | null;
  previewRetry: Omit<PreviewOptions, "extractor">;
} {
  const { extractor, ...retry } = options;
  return { previews: extractor, previewRetry: retry };
}

/** Derivations queued in one process at most; later completions are left to the reconciler's backfill. */
const maxWaiting = 1_000;

/** How previews are derived and retried. */
export interface PreviewOptions {
  /** Derives the images; null turns previews off (the fields stay null, nothing is backfilled). */
  extractor: PreviewExtractor | null;
  /**
   * A failed or interrupted derivation is tried again this long after it was claimed (also the
   * claim's lease: longer than the extractor's own time limits, 2.5 minutes for ffmpeg's). Default 5 minutes.
   */
  retryAfterMs?: number;
  /** Derivation attempts per video before it is left without previews. Default 3. */
  maxAttempts?: number;
  /** Derivations running at once in this process. Default 2. */
  concurrency?: number;
}

/**
 * The previews room: derives a completed video's poster and sprite sheet after completion (queued
 * in this process, never awaited by the webhook that completed it) and, for the reconciler, backfills
 * completed videos that have none yet. Every derivation first claims the video in the database
 * (`Store.claimPreviewWork`), so instances never derive one video at once and a crash mid-way is
 * retried after `retryAfterMs`.
 */
export class Previews {
  readonly #ctx: LifecycleContext;
  readonly #feed: ChangeFeed;
  readonly #extractor: PreviewExtractor | null;
  readonly #retryAfterMs: number;
  readonly #maxAttempts: number;
  readonly #concurrency: number;
  /** Video ids queued by `afterCompletion`, oldest first (a Set: a burst of completions costs O(1) each). */
  readonly #waiting = new Set<string>();
  readonly #running = new Set<Promise<void>>();

  constructor(ctx: LifecycleContext, feed: ChangeFeed, options: PreviewOptions) {
    this.#ctx = ctx;
    this.#feed = feed;
    this.#extractor = options.extractor;
    this.#retryAfterMs = options.retryAfterMs ?? 5 * 60_000;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#concurrency = options.concurrency ?? 2;
  }

  /** Whether previews are derived at all. */
  get enabled(): boolean {
    return this.#extractor !== null;
  }

  /** Queues the derivation of a video that just completed; returns at once. */
  afterCompletion(video: VideoRecord): void {
    // Past `maxWaiting` the reconciler's backfill derives it later (it picks up every completed
    // video without previews), so a burst cannot grow this process's memory without bound.
    if (!this.#extractor || this.#waiting.has(video.id) || this.#waiting.size >= maxWaiting) return;
    this.#waiting.add(video.id);
    this.#pump();
  }

  /** Resolves once no derivation queued by `afterCompletion` is waiting or running (tests). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /**
   * For shutdown: drops the derivations not started (the reconciler's backfill does them later, on
   * any instance) and waits for those running.
   */
  async stop(): Promise<void> {
    this.#waiting.clear();
    await this.idle();
  }

  /**
   * Derives previews for up to `limit` completed videos that have none and are due (never tried,
   * or last tried `retryAfterMs` ago, fewer than `maxAttempts` times). Returns how many succeeded.
   */
  async backfill(limit: number): Promise<number> {
    if (!this.#extractor || limit <= 0) return 0;
    const videos = await this.#ctx.deps.store.claimPreviewWork({
      videoIds: null,
      retryAfterMs: this.#retryAfterMs,
      maxAttempts: this.#maxAttempts,
      limit,
    });
    let derived = 0;
    for (const video of videos) if (await this.#derive(video)) derived++;
    return derived;
  }

  #pump(): void {
    while (this.#running.size < this.#concurrency && this.#waiting.size > 0) {
      const videoId = this.#waiting.values().next().value as string;
      this.#waiting.delete(videoId);
      const run = this.#claimAndDerive(videoId).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  async #claimAndDerive(videoId: string): Promise<void> {
    try {
      const [video] = await this.#ctx.deps.store.claimPreviewWork({
        videoIds: [videoId],
        retryAfterMs: this.#retryAfterMs,
        maxAttempts: this.#maxAttempts,
        limit: 1,
      });
      if (video) await this.#derive(video);
    } catch (error) {
      this.#ctx.logger.warn(
        { videoId, err: error },
        "could not claim a video's preview derivation; the reconciler retries",
      );
    }
  }

  /** Extracts, stores and records one claimed video's previews. Never throws; returns whether it saved them. */
  async #derive(video: VideoRecord): Promise<boolean> {
    const { storage, logger } = this.#ctx.deps;
    const extractor = this.#extractor;
    const sourceKey = video.storageKey;
    if (!extractor || sourceKey === null) return false;
    const attempt = video.retryCount;
    const started = Date.now();
    let stored: string[] = [];
    try {
      const derived = await extractor.extract({
        writeTo: (path) => this.#writeSource(sourceKey, path),
        width: video.width,
        height: video.height,
        frames: video.frames,
        fps: video.fps,
      });
      const posterKey = previewKey(video.id, attempt, "poster", derived.poster.contentType);
      const spriteKey = previewKey(video.id, attempt, "sprite", derived.sprite.contentType);
      stored = [posterKey, spriteKey];
      const [poster, sprite] = await Promise.all([
        storage.putBytes(posterKey, derived.poster.bytes, derived.poster.contentType),
        storage.putBytes(spriteKey, derived.sprite.bytes, derived.sprite.contentType),
      ]);
      const fields: VideoPreviewFields = {
        posterKey: poster.key,
        posterUrl: poster.url,
        spriteKey: sprite.key,
        spriteUrl: sprite.url,
        spriteColumns: derived.sprite.columns,
        spriteRows: derived.sprite.rows,
        spriteFrameWidth: derived.sprite.frameWidth,
        spriteFrameHeight: derived.sprite.frameHeight,
        spriteInterval: derived.sprite.interval,
      };
      const saved = await this.#save(video.id, sourceKey, fields);
      if (saved !== true) {
        // Deleted (or changed) while it was derived: the images have no owner (unless another
        // derivation recorded the very same keys).
        await this.#ctx.deleteFiles(stored.filter((key) => !saved.keep.includes(key)));
        return false;
      }
      logger.info({ videoId: video.id, ms: Date.now() - started }, "video previews derived");
      return true;
    } catch (error) {
      // The message names the step that failed (ffmpeg's exit, a storage error), never a URL's query.
      logger.warn(
        { videoId: video.id, attempt, problem: error instanceof Error ? error.message : String(error) },
        "could not derive the video's poster and sprite; the reconciler tries again later",
      );
      if (stored.length > 0) await this.#ctx.deleteFiles(stored);
      return false;
    }
  }

  /** Streams the stored MP4 to `path` (buffered only for a storage that cannot stream). */
  async #writeSource(key: string, path: string): Promise<void> {
    const { storage } = this.#ctx.deps;
    if (storage.readToFile) {
      await storage.readToFile(key, path);
      return;
    }
    await writeFile(path, await storage.readBytes(key));
  }

  /**
   * Records the previews as a visible change (new event id and `updatedAt`, published to live
   * subscribers), unless the video was deleted, lost its file or got previews meanwhile.
   */
  async #save(
    videoId: string,
    sourceKey: string,
    fields: VideoPreviewFields,
  ): Promise<
    | true
    | {
        /** Keys the video records (another derivation's), not to be deleted. */
        keep: string[];
      }
  > {
    const result = await this.#ctx.deps.store.transaction(async (tx) => {
      const video = await tx.lockVideo(videoId);
      if (!video || video.deletedAt || video.status !== "completed" || video.storageKey !== sourceKey) {
        return { keep: [] };
      }
      if (video.posterKey !== null) return { keep: [video.posterKey, video.spriteKey ?? ""] };
      const changeSeq = await tx.nextChangeSeq(video.userId);
      const now = await tx.changeClock(video.userId);
      return { updated: await tx.updateVideo(videoId, { ...fields, updatedAt: now, changeSeq }) };
    });
    if (!("updated" in result)) return result;
    await this.#feed.publish(result.updated);
    return true;
  }
}
