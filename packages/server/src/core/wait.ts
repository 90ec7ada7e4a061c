import { terminalStatuses, type Video } from "@openv/protocol";
import type { ChangeFeed } from "./change-feed.js";
import { OpenVError } from "./errors.js";

// Wait (issue 21): `Prefer: wait=N` holds a generate answer until the video is finished. Fed by the
// change feed the SSE route uses (events from this instance or, through LISTEN/NOTIFY, any other),
// never by polling the database.

/** Whether a video is completed or failed. */
export const isFinished = (video: Video): boolean => terminalStatuses.includes(video.status);

/**
 * Watches one user's videos for a finish, from the moment it is made: make it before submitting,
 * so a video that finishes before the submission returns is not missed. Close it when done.
 */
export class FinishWatch {
  readonly #feed: ChangeFeed;
  readonly #userId: string;
  readonly #finished = new Map<string, Video>();
  readonly #waiters = new Set<() => void>();
  readonly #unsubscribe: () => void;
  #missed = false;

  constructor(feed: ChangeFeed, userId: string) {
    this.#feed = feed;
    this.#userId = userId;
    this.#unsubscribe = feed.subscribeFinishes(
      userId,
      (video) => {
        this.#finished.set(video.id, video);
        this.#wake();
      },
      () => {
        // The events adapter may have dropped changes: read the video again.
        this.#missed = true;
        this.#wake();
      },
    );
  }

  /**
   * The video, presented, once it is completed or failed; null when `deadline` (epoch ms) passes
   * first or `signal` aborts (the client went away, the server is stopping). With `reread` (an
   * idempotent replay: its video may have finished before this watch began) the video is read
   * once from the store first.
   */
  async until(
    videoId: string,
    options: { deadline: number; signal?: AbortSignal; reread: boolean },
  ): Promise<Video | null> {
    const { deadline, signal } = options;
    let reread = options.reread;
    for (;;) {
      if (signal?.aborted || Date.now() >= deadline) return null;
      const seen = this.#finished.get(videoId);
      if (seen) return seen;
      if (reread || this.#missed) {
        reread = false;
        this.#missed = false;
        const current = await this.#current(videoId);
        if (current === "gone") return null;
        if (current) return current;
        continue;
      }
      await this.#nextChange(deadline, signal);
    }
  }

  /** Stops watching. */
  close(): void {
    this.#unsubscribe();
    this.#wake();
  }

  async #current(videoId: string): Promise<Video | null | "gone"> {
    try {
      const video = await this.#feed.getVideo(this.#userId, videoId);
      return isFinished(video) ? video : null;
    } catch (error) {
      // Deleted meanwhile: the answer is the submission's own.
      if (error instanceof OpenVError && error.code === "not_found") return "gone";
      throw error;
    }
  }

  #nextChange(deadline: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      signal?.addEventListener("abort", done, { once: true });
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
