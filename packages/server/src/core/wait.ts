import { terminalStatuses, type Video } from "@openv/protocol";
import type { ChangeFeed } from "./change-feed.js";
import { OpenVError } from "./errors.js";
import type { SubmitVideoResult } from "./submission.js";

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
    options: { deadline: number; signal?: AbortSignal | undefined; reread: boolean },
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

/**
 * A generate answer held for the finish (`Prefer: wait`): watches the user's videos from before
 * `submit` runs, then waits up to `seconds` from now (or until `signal` aborts) for the submitted
 * video to complete or fail. Finished: status 201 with the finished video and `usage()` as it is
 * then; else the submission's own answer. An idempotent replay honours it too (its video is read
 * once: it may have finished before this watch began).
 */
export async function submitAndWait(
  feed: ChangeFeed,
  userId: string,
  submit: () => Promise<SubmitVideoResult>,
  usage: () => Promise<SubmitVideoResult["body"]["usage"]>,
  wait: { seconds: number; signal?: AbortSignal | undefined },
): Promise<SubmitVideoResult> {
  const deadline = Date.now() + wait.seconds * 1000;
  const watch = new FinishWatch(feed, userId);
  try {
    const result = await submit();
    const finished = isFinished(result.body.video)
      ? result.body.video
      : await watch.until(result.body.video.id, { deadline, signal: wait.signal, reread: result.replayed });
    if (!finished) return result;
    return { ...result, status: 201, body: { ...result.body, video: finished, usage: await usage() } };
  } finally {
    watch.close();
  }
}
