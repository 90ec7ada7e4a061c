import type { VideoOrTombstone } from "@openv/protocol";

// Live changes of a user's videos, across server instances.

/** One committed change of a user's videos, as live subscribers get it. */
export interface VideoChangeEvent {
  /**
   * The change's number in its user's change sequence (the SSE event id): every change of the
   * user's videos gets the next one, in the order the changes commit, with no gaps.
   */
  seq: number;
  /** The video after the change, or its tombstone. */
  change: VideoOrTombstone;
}

/** Live changes per user: what the SSE route streams. */
export interface Events {
  /** A human-readable name for logs. */
  readonly name: string;
  /** Sends `event` to every subscriber of `userId`, on this instance and (for shared adapters) on others. */
  publish(userId: string, event: VideoChangeEvent): Promise<void>;
  /**
   * Returns the function that unsubscribes. `onMissed` is called when changes may have been missed
   * (a shared adapter's connection to the other instances dropped and is back): the subscriber
   * must catch up from the store.
   */
  subscribe(userId: string, listener: (event: VideoChangeEvent) => void, onMissed?: () => void): () => void;
  /**
   * The PostgreSQL NOTIFY channel this adapter listens on, for stores that notify a change in the
   * statement that makes it (`openv_notify_video`, migration 20261207120100_notify_in_statement).
   * Absent for adapters that do not listen to PostgreSQL (in-process events).
   */
  readonly notifyChannel?: string;
  /**
   * Called instead of `publish` for a change its own statement already notified on
   * `notifyChannel`: delivers what the NOTIFY cannot (this instance's subscribers while its LISTEN
   * connection is down). `event` is made only when needed.
   */
  notified?(userId: string, event: () => VideoChangeEvent): void;
  /** Stops delivering events and releases connections. */
  close?(): Promise<void>;
}
