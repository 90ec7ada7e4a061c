import { OpenVError } from "../core/errors.js";
import type { Logger, VideoChangeEvent } from "../core/ports.js";
import { videoFrame } from "./sse.js";

/** The default cap on one user's concurrent event streams (per server instance). */
export const defaultMaxEventStreamsPerUser = 10;

/**
 * How many streams get a change before the fan-out lets the event loop run other work: one user's
 * 10,000 streams do not hold up every other request for the whole fan-out.
 */
const streamsPerTurn = 256;

/** One open event stream, as the fan-out sees it. Every method is synchronous and cheap. */
export interface OpenEventStream {
  /**
   * A live change of the stream's user, and its SSE frame: one buffer shared by every stream of
   * the change (write it as it is, never modify it). Called in the order changes arrive here.
   */
  deliver(event: VideoChangeEvent, frame: Uint8Array): void;
  /** The events adapter may have missed changes (its connection came back): catch up. */
  missed(): void;
  /** Ends the stream (the server is closing). */
  close(): void;
}

/** Where the streams' changes come from: the change feed's live subscription, presented changes. */
export type ChangeSubscriber = (
  userId: string,
  listener: (event: VideoChangeEvent) => void,
  onMissed: () => void,
) => () => void;

/** One user's open streams on this instance, and the one subscription that feeds all of them. */
interface UserStreams {
  readonly streams: Set<OpenEventStream>;
  readonly unsubscribe: () => void;
  /** Changes that arrived while an earlier one is still being fanned out, oldest first. */
  readonly pending: VideoChangeEvent[];
  fanningOut: boolean;
}

export interface EventStreamsOptions {
  /** At most this many streams per user on this instance. Default 10. */
  maxPerUser?: number | undefined;
  /** Subscribes to a user's changes (once per user with streams open, whatever their number). */
  subscribe?: ChangeSubscriber;
  /** Where a stream that throws while given a change is reported. Default: silent. */
  logger?: Logger;
}

/**
 * The open event streams of this instance, by user: fed from one change subscription per user,
 * ended together when the server stops, and capped per user so one account cannot hold thousands
 * of connections open.
 *
 * A change reaches a user's streams as one frame (presented and serialized once) written by a
 * synchronous loop, in arrival order: a change waits until the one before it went to every stream.
 * The loop yields to the event loop every few hundred streams; nothing per stream is queued.
 */
export class EventStreams {
  readonly #byUser = new Map<string, UserStreams>();
  readonly #maxPerUser: number;
  readonly #subscribe: ChangeSubscriber;
  readonly #logger: Logger | undefined;

  constructor(options: EventStreamsOptions = {}) {
    const maxPerUser = options.maxPerUser ?? defaultMaxEventStreamsPerUser;
    if (!Number.isInteger(maxPerUser) || maxPerUser < 1) {
      throw new Error(`maxEventStreamsPerUser must be a whole number ≥ 1 (got ${maxPerUser}).`);
    }
    this.#maxPerUser = maxPerUser;
    this.#subscribe = options.subscribe ?? (() => () => {});
    this.#logger = options.logger;
  }

  /** Throws the contract's 429 `rate_limited` when `userId` already has the most streams open. */
  checkRoom(userId: string): void {
    const open = this.#byUser.get(userId)?.streams.size ?? 0;
    if (open < this.#maxPerUser) return;
    throw new OpenVError({
      code: "rate_limited",
      message: `Too many open event streams for this user: at most ${this.#maxPerUser} at once. Close a tab or stream you no longer read (one stream per app is enough), then retry.`,
      details: { limit: this.#maxPerUser, scope: "streams" },
      retryAfterSeconds: 5,
    });
  }

  /**
   * Counts an open stream of `userId` and feeds it the user's live changes from now on (the first
   * stream of a user subscribes to them).
   */
  add(userId: string, stream: OpenEventStream): void {
    let user = this.#byUser.get(userId);
    if (!user) {
      const pending: VideoChangeEvent[] = [];
      const created: UserStreams = {
        streams: new Set(),
        pending,
        fanningOut: false,
        unsubscribe: this.#subscribe(
          userId,
          (event) => this.#receive(created, event),
          () => this.#missed(created),
        ),
      };
      user = created;
      this.#byUser.set(userId, user);
    }
    user.streams.add(stream);
  }

  /** Forgets a stream that ended (the user's last one unsubscribes from their changes). */
  delete(userId: string, stream: OpenEventStream): void {
    const user = this.#byUser.get(userId);
    if (!user?.streams.delete(stream) || user.streams.size > 0) return;
    this.#byUser.delete(userId);
    user.unsubscribe();
  }

  /** Users with at least one stream open here: each holds one change subscription. */
  get subscribedUsers(): number {
    return this.#byUser.size;
  }

  readonly #closing = new AbortController();

  /** Wait (eta21): aborts once the server stops (`closeAll`), ending every `Prefer: wait` early. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** Ends every open stream. */
  closeAll(): void {
    this.#closing.abort();
    for (const user of [...this.#byUser.values()]) for (const stream of [...user.streams]) stream.close();
  }

  #receive(user: UserStreams, event: VideoChangeEvent): void {
    user.pending.push(event);
    if (!user.fanningOut) void this.#fanOut(user);
  }

  /** Gives each pending change to every stream of the user, in order, one frame per change. */
  async #fanOut(user: UserStreams): Promise<void> {
    user.fanningOut = true;
    try {
      for (let event = user.pending.shift(); event; event = user.pending.shift()) {
        const frame = videoFrame(event);
        // A stream opened from here on is not given this change: its replay from the database
        // reads after the change committed. One closed meanwhile ignores it.
        const streams = [...user.streams];
        for (let index = 0; index < streams.length; index++) {
          if (index > 0 && index % streamsPerTurn === 0) await new Promise((resolve) => setImmediate(resolve));
          try {
            streams[index]?.deliver(event, frame);
          } catch (error) {
            this.#logger?.error({ err: error }, "an event stream threw while given a video change");
          }
        }
      }
    } finally {
      user.fanningOut = false;
    }
  }

  #missed(user: UserStreams): void {
    for (const stream of [...user.streams]) stream.missed();
  }
}
