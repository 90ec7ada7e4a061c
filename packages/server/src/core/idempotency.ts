import { createHash } from "node:crypto";
import type { GenerateResponse } from "@openv/protocol";
import type { ChangeFeed } from "./change-feed.js";
import type { LifecycleContext } from "./context.js";
import { notFound, OpenVError } from "./errors.js";
import type { AdmissionRequest } from "./ports.js";
import type { SubmitVideoResult } from "./submission.js";
import { toVideo } from "./video-shape.js";

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

/** A request still "running" after this long died with its process; its key may be replayed. */
const staleIdempotencyMs = 2 * 60 * 1000;

/** A repeated Idempotency-Key's video, and the answer stored for it (null: answer the video as it is now). */
export interface KeyReplay {
  videoId: string | null;
  stored: { status: number; body: unknown } | null;
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

/**
 * Idempotency keys of generate requests: what the admission is told of a key (what a repeated key
 * gets is decided under the user's lock, in the statement that admits the video: see
 * `Store.admitAndInsertVideo`), the errors and replays it answers, and recording that a key's
 * request ended, retried while the database is away.
 */
export class IdempotencyKeys {
  readonly #ctx: LifecycleContext;
  readonly #feed: ChangeFeed;
  /** Keys whose request ended but whose record could not be written yet (see `settle`), by user and key. */
  readonly #unsettledKeys = new Map<string, KeySettlement>();
  #settleTimer: NodeJS.Timeout | null = null;

  constructor(ctx: LifecycleContext, feed: ChangeFeed) {
    this.#ctx = ctx;
    this.#feed = feed;
  }

  /**
   * The key as the admission gets it: its TTL and staleness, and what this instance knows about
   * its request that the database could not be told yet (see `#settleKey`).
   */
  admissionKey(userId: string, idempotency: { key: string; fingerprint: string }): AdmissionRequest["idempotency"] {
    const unsettled = this.#unsettledKeys.get(`${userId}\u0000${idempotency.key}`);
    return {
      key: idempotency.key,
      fingerprint: idempotency.fingerprint,
      ttlMs: this.#ctx.config.idempotencyTtlMs,
      staleMs: staleIdempotencyMs,
      settled: unsettled ? { videoId: unsettled.videoId, action: unsettled.action } : null,
    };
  }

  /**
   * Stores the answer of a key's request. When that fails the answer is still whole and true: it is
   * given, and the key replays the video as it is now.
   */
  async storeAnswer(userId: string, key: string, videoId: string, body: GenerateResponse): Promise<void> {
    try {
      await this.#ctx.deps.store.storeIdempotentAnswer({ userId, key, videoId, status: 202, body });
    } catch (error) {
      this.#ctx.logger.warn({ videoId, err: error }, "could not store the answer of an Idempotency-Key");
      await this.settle(userId, key, videoId, "end");
    }
  }

  /** Records that a key's request ended (see `KeySettlement`); never throws. */
  settle(userId: string, key: string, videoId: string, action: KeySettlement["action"]): Promise<void> {
    return this.#settleKey({ userId, key, videoId, action, since: Date.now() });
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
      await this.#ctx.deps.store.transaction(async (tx) => {
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
      this.#ctx.deps.logger.warn(
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

  /** The refusal the admission decided for a repeated key: another body, or the first request still running. */
  refusal(kind: "idempotency_conflict" | "idempotency_in_progress"): OpenVError {
    return kind === "idempotency_conflict"
      ? new OpenVError({
          code: "idempotency_conflict",
          message:
            "This Idempotency-Key was already used with a different request body. Use a new key for a new request.",
        })
      : new OpenVError({
          code: "idempotency_in_progress",
          message: "A request with this Idempotency-Key is still being processed. Retry after it finishes.",
          retryAfterSeconds: 1,
        });
  }

  /**
   * The answer to a repeated key: its stored answer, or its video as it is now; a video deleted
   * since is gone, as `GET /videos/:id` says (404 `not_found`; the key stays spent).
   */
  async replay(userId: string, replay: KeyReplay): Promise<SubmitVideoResult> {
    const video = replay.videoId ? await this.#ctx.deps.store.getVideoById(replay.videoId) : null;
    if (replay.videoId && (!video || video.deletedAt)) {
      throw new OpenVError({
        code: "not_found",
        message: `The video this Idempotency-Key created (${replay.videoId}) has been deleted. Send a new request with a new key to make another video.`,
        details: { videoId: replay.videoId },
      });
    }
    if (replay.stored) {
      const { status, body } = replay.stored;
      return this.#feed.presentAnswer({ status, body: body as GenerateResponse, replayed: true });
    }
    if (!video) throw notFound();
    return this.#feed.presentAnswer({
      status: 202,
      body: { video: toVideo(video), usage: await this.#ctx.usage(userId) },
      replayed: true,
    });
  }
}
