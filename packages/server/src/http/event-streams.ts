import { OpenVError } from "../core/errors.js";

/** The default cap on one user's concurrent event streams (per server instance). */
export const defaultMaxEventStreamsPerUser = 10;

/**
 * The open event streams of this instance, by user: ended together when the server stops, and
 * capped per user so one account cannot hold thousands of connections open.
 */
export class EventStreams {
  readonly #byUser = new Map<string, Set<() => void>>();
  readonly #maxPerUser: number;

  constructor(maxPerUser: number = defaultMaxEventStreamsPerUser) {
    if (!Number.isInteger(maxPerUser) || maxPerUser < 1) {
      throw new Error(`maxEventStreamsPerUser must be a whole number ≥ 1 (got ${maxPerUser}).`);
    }
    this.#maxPerUser = maxPerUser;
  }

  /** Throws the contract's 429 `rate_limited` when `userId` already has the most streams open. */
  checkRoom(userId: string): void {
    const open = this.#byUser.get(userId)?.size ?? 0;
    if (open < this.#maxPerUser) return;
    throw new OpenVError({
      code: "rate_limited",
      message: `Too many open event streams for this user: at most ${this.#maxPerUser} at once. Close a tab or stream you no longer read (one stream per app is enough), then retry.`,
      details: { limit: this.#maxPerUser, scope: "streams" },
      retryAfterSeconds: 5,
    });
  }

  /** Counts an open stream of `userId`; `close` ends it when the server stops. */
  add(userId: string, close: () => void): void {
    const streams = this.#byUser.get(userId) ?? new Set<() => void>();
    streams.add(close);
    this.#byUser.set(userId, streams);
  }

  /** Forgets a stream that ended. */
  delete(userId: string, close: () => void): void {
    const streams = this.#byUser.get(userId);
    if (!streams) return;
    streams.delete(close);
    if (streams.size === 0) this.#byUser.delete(userId);
  }

  readonly #closing = new AbortController();

  /** Wait (eta21): aborts once the server stops (`closeAll`), ending every `Prefer: wait` early. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** Ends every open stream. */
  closeAll(): void {
    this.#closing.abort();
    for (const streams of [...this.#byUser.values()]) for (const close of [...streams]) close();
  }
}
