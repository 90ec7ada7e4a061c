import {
  isTombstone,
  type ListVideosResponse,
  headers as protocolHeaders,
  type Video,
  type VideoOrTombstone,
} from "@openv/protocol";
import { abortErrorFrom, linkSignals, sleep } from "./_internal/abort.js";
import { newestFirst, supersedes } from "./_internal/order.js";
import { readEventStream, type SseMessage, videoEventData } from "./_internal/sse.js";
import { backoffDelay } from "./_internal/transport.js";
import {
  AbortError,
  isOpenVError,
  NetworkError,
  NotFoundError,
  OpenVClientError,
  TimeoutError,
  VideoFailedError,
} from "./errors.js";

/**
 * How a watcher follows changes. `"auto"` (the default) streams Server-Sent Events and falls back
 * to polling when the stream cannot be opened; `"sse"` only streams (retrying for ever);
 * `"polling"` only polls.
 */
export type WatchMode = "auto" | "sse" | "polling";

/**
 * Where a watcher stands: `connecting` (first load, or opening the stream), `live` (the stream
 * is delivering), `reconnecting` (the stream dropped, or a poll failed: it retries by itself and
 * resumes where it left off), `polling` (polling while something is pending), `idle` (polling stopped: nothing is pending
 * until the next `generate`, `wait` or `refresh`), `closed`.
 */
export type WatchStatus = "connecting" | "live" | "reconnecting" | "polling" | "idle" | "closed";

/**
 * What `getSnapshot()` returns: immutable, and the same object until something in it changes, as
 * React's `useSyncExternalStore` requires.
 */
export interface WatchSnapshot {
  /** The user's live videos, newest first. Deleted videos are gone; statuses never go back. */
  readonly videos: readonly Video[];
  /** Where the watcher stands. */
  readonly status: WatchStatus;
  /** True once the first full list has loaded. */
  readonly ready: boolean;
}

/** The events of a {@link VideoWatcher} and their arguments. */
export interface WatchEvents {
  /** The snapshot changed (videos or status); the argument is the new `getSnapshot()`. */
  change: [snapshot: WatchSnapshot];
  /** A video appeared or moved on (status, progress, url); `previous` is undefined for a new one. */
  video: [video: Video, previous: Video | undefined];
  /** A video was deleted (here or on any other client of the same user). */
  deleted: [id: string, previous: Video];
  /** Something failed; the watcher keeps trying (with backoff) until closed. */
  error: [error: OpenVClientError];
  /** The status changed. */
  status: [status: WatchStatus];
}

/** Options of `client.watch()`. */
export interface WatchOptions {
  /** Stops the watcher (every request, stream and timer) when it aborts, like `close()`. */
  signal?: AbortSignal;
  /** SSE, polling, or SSE with a polling fallback. Default `"auto"`. */
  mode?: WatchMode;
  /** Polling: the interval while a video is queued or processing. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * Polling: while no video is queued or processing, the interval doubles from `pollIntervalMs`
   * after each poll; when it would pass this, polling stops (status `idle`) until the next
   * `generate`, `wait` or `refresh`, unless a `wait()` is pending, which keeps polling at this
   * interval. Default 30 000 ms.
   */
  idlePollMaxMs?: number;
  /** SSE: the first reconnect delay; the server's `retry:` field replaces it. Default 1000 ms. */
  reconnectDelayMs?: number;
  /** SSE: reconnect delays double up to this while attempts fail. Default 30 000 ms. */
  reconnectMaxDelayMs?: number;
  /**
   * SSE: a stream that brings no byte for this long (the server pings every 20 s at most) is
   * taken as dead and reopened. Default 45 000 ms.
   */
  heartbeatTimeoutMs?: number;
  /** `"auto"`: fall back to polling after this many stream attempts in a row bring nothing. Default 3. */
  sseFailuresBeforePolling?: number;
}

/** Options of `watcher.wait()`. */
export interface WaitOptions {
  /** Stops waiting (rejects with `AbortError`); the watcher goes on. */
  signal?: AbortSignal;
  /** Rejects with `TimeoutError` after this long. Default: no limit. */
  timeoutMs?: number;
}

/** @internal What a watcher needs from its client. Not public API. */
export interface WatcherHost {
  list(query: { updatedSince?: number; cursor?: string }, signal: AbortSignal): Promise<ListVideosResponse>;
  get(id: string, signal: AbortSignal): Promise<Video>;
  openStream(
    query: { since?: number },
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>>;
  /** Hears about the client's own generates and deletes; returns the unsubscribe. */
  register(listener: (changes: VideoOrTombstone[]) => void): () => void;
}

interface Waiter {
  resolve(video: Video): void;
  reject(error: OpenVClientError): void;
}

const heartbeatLost = Symbol("heartbeat lost");

function toClientError(error: unknown): OpenVClientError {
  if (isOpenVError(error)) return error;
  return new NetworkError({ code: "network_error", message: `The connection failed: ${String(error)}`, cause: error });
}

const isActive = (video: Video) => video.status === "queued" || video.status === "processing";

/**
 * A live, consistent view of the signed-in user's videos. Create it with `client.watch()`.
 *
 * It loads the list, then follows changes over Server-Sent Events (`GET /videos/events`, resumed
 * with `Last-Event-ID` after a drop) or by polling `list({updatedSince})` with the server's
 * `serverTime`. Whatever order changes arrive in, a video's status only moves forward and a
 * deleted video never comes back.
 *
 * @example
 * ```ts
 * const watcher = client.watch();
 * watcher.on("video", (video) => console.log(video.id, video.status));
 * const { video } = await client.generate({ prompt: "a lighthouse at dusk" });
 * const done = await watcher.wait(video.id, { timeoutMs: 10 * 60_000 });
 * console.log(done.url);
 * watcher.close();
 * ```
 *
 * @example React
 * ```tsx
 * const snapshot = useSyncExternalStore(
 *   (onChange) => { watcher.on("change", onChange); return () => watcher.off("change", onChange); },
 *   () => watcher.getSnapshot(),
 * );
 * ```
 */
export class VideoWatcher implements AsyncIterable<WatchSnapshot> {
  /** The mode it was created with. */
  readonly mode: WatchMode;
  readonly #host: WatcherHost;
  readonly #options: Required<Omit<WatchOptions, "signal" | "mode">>;
  readonly #controller = new AbortController();
  readonly #videos = new Map<string, Video>();
  readonly #deleted = new Set<string>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #unregister: () => void;
  readonly #signal: AbortSignal | undefined;
  readonly #onSignalAbort = () => this.close();
  #snapshot: WatchSnapshot = Object.freeze({ videos: Object.freeze([]), status: "connecting" as const, ready: false });
  #closed = false;
  /** Changes after this (the list's `serverTime`, ms) are still to be fetched by polling (`updatedSince`). */
  #cursor = 0;
  /** The last SSE event id received: opaque, sent back as it came as `Last-Event-ID` to resume. */
  #lastEventId: string | undefined;
  readonly #handlers: { [E in keyof WatchEvents]?: Set<(...args: WatchEvents[E]) => void> } = {};
  #reconnectDelayMs: number;
  #heartbeat: ReturnType<typeof setTimeout> | undefined;
  #wakeRequested = false;
  #wake: (() => void) | null = null;

  /** @internal Use `client.watch()`. */
  constructor(host: WatcherHost, options: WatchOptions = {}) {
    this.#host = host;
    this.mode = options.mode ?? "auto";
    this.#options = {
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      idlePollMaxMs: options.idlePollMaxMs ?? 30_000,
      reconnectDelayMs: options.reconnectDelayMs ?? 1000,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 45_000,
      sseFailuresBeforePolling: options.sseFailuresBeforePolling ?? 3,
    };
    this.#reconnectDelayMs = this.#options.reconnectDelayMs;
    this.#unregister = host.register((changes) => {
      this.#apply(changes);
      this.#wakeUp();
    });
    this.#signal = options.signal;
    if (this.#signal?.aborted) {
      this.close();
      return;
    }
    this.#signal?.addEventListener("abort", this.#onSignalAbort, { once: true });
    void this.#run();
  }

  /**
   * The current view, synchronously. The same object is returned until the videos or the status
   * change, so it can back `useSyncExternalStore` directly.
   */
  getSnapshot(): WatchSnapshot {
    return this.#snapshot;
  }

  /**
   * Calls `listener` with the new snapshot whenever it changes (videos or status). Returns the
   * unsubscribe. The shape `useSyncExternalStore` and TanStack-style observers take.
   *
   * @example
   * ```ts
   * const unsubscribe = watcher.subscribe((snapshot) => render(snapshot.videos));
   * ```
   */
  subscribe(listener: (snapshot: WatchSnapshot) => void): () => void {
    return this.on("change", listener);
  }

  /**
   * Listens to one kind of event (see {@link WatchEvents}); returns the unsubscribe.
   *
   * @example
   * ```ts
   * const stop = watcher.on("video", (video, previous) => console.log(video.id, previous?.status, "→", video.status));
   * ```
   */
  on<E extends keyof WatchEvents>(event: E, listener: (...args: WatchEvents[E]) => void): () => void {
    const set: Set<(...args: WatchEvents[E]) => void> = this.#handlers[event] ?? new Set();
    (this.#handlers as Record<string, unknown>)[event] = set;
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link VideoWatcher.on}. */
  off<E extends keyof WatchEvents>(event: E, listener: (...args: WatchEvents[E]) => void): void {
    this.#handlers[event]?.delete(listener);
  }

  #emit<E extends keyof WatchEvents>(event: E, ...args: WatchEvents[E]): void {
    for (const listener of [...(this.#handlers[event] ?? [])]) this.#safely(() => listener(...args));
  }

  /**
   * Each snapshot from now on, as the watcher changes (the latest when several arrive between
   * reads); ends when the watcher closes or the loop breaks.
   *
   * @example
   * ```ts
   * for await (const { videos } of watcher) if (videos.every((v) => v.status === "completed")) break;
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<WatchSnapshot> {
    let latest: WatchSnapshot | undefined;
    let wake: (() => void) | undefined;
    const unsubscribe = this.subscribe((snapshot) => {
      latest = snapshot;
      wake?.();
    });
    const finish = (): IteratorResult<WatchSnapshot> => {
      unsubscribe();
      return { done: true, value: undefined };
    };
    return {
      next: async () => {
        while (latest === undefined) {
          if (this.#closed) return finish();
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
        const value = latest;
        latest = undefined;
        return { done: false, value };
      },
      return: async () => finish(),
    };
  }

  /** Where the watcher stands (also `getSnapshot().status`). */
  get status(): WatchStatus {
    return this.#snapshot.status;
  }

  /**
   * Resolves with the video once it has completed; rejects with `VideoFailedError` when it fails,
   * `NotFoundError` when it does not exist or is deleted, `TimeoutError` after `timeoutMs`, and
   * `AbortError` when `signal` aborts or the watcher closes.
   *
   * @example
   * ```ts
   * try {
   *   const video = await watcher.wait(id, { timeoutMs: 600_000 });
   *   play(video.url);
   * } catch (error) {
   *   if (error instanceof VideoFailedError) showFailure(error.video.error);
   * }
   * ```
   */
  wait(id: string, options: WaitOptions = {}): Promise<Video> {
    return new Promise<Video>((resolve, reject) => {
      if (this.#closed) return reject(this.#closedError());
      if (options.signal?.aborted) return reject(abortErrorFrom(options.signal));
      if (this.#deleted.has(id)) return reject(this.#deletedError(id));
      const known = this.#videos.get(id);
      if (known?.status === "completed") return resolve(known);
      if (known?.status === "failed") return reject(new VideoFailedError(known));

      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => waiter.reject(abortErrorFrom(options.signal));
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        const waiters = this.#waiters.get(id);
        waiters?.delete(waiter);
        if (waiters?.size === 0) this.#waiters.delete(id);
      };
      const waiter: Waiter = {
        resolve: (video) => {
          cleanup();
          resolve(video);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const waiters = this.#waiters.get(id) ?? new Set();
      waiters.add(waiter);
      this.#waiters.set(id, waiters);
      if (options.timeoutMs !== undefined) {
        const ms = options.timeoutMs;
        timer = setTimeout(
          () =>
            waiter.reject(
              new TimeoutError({ code: "timeout", message: `Video ${id} did not finish within ${ms} ms.` }),
            ),
          ms,
        );
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
      // A video this watcher has not seen (made elsewhere, or polling was idle): ask for it once.
      if (!known) void this.#fetchOne(id);
      this.#wakeUp();
    });
  }

  /**
   * Polls now when polling (also out of `idle`), and reconnects a dropped stream now instead of
   * after its backoff; with a live stream there is nothing to do. Call it when the connection is
   * known to be back (the browser's `online` event; `@openv/sdk/store` does).
   */
  refresh(): void {
    this.#wakeUp();
  }

  /**
   * Stops everything: requests, the stream and every timer; pending `wait()`s reject with
   * `AbortError`. The snapshot keeps the last videos, with status `closed`. Calling it again does
   * nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = this.#closedError();
    this.#controller.abort(error);
    clearTimeout(this.#heartbeat);
    this.#unregister();
    this.#signal?.removeEventListener("abort", this.#onSignalAbort);
    for (const waiters of [...this.#waiters.values()]) for (const waiter of [...waiters]) waiter.reject(error);
    this.#setStatus("closed");
  }

  // ── Applying changes ─────────────────────────────────────────────────────────────────────────

  /** Merges changes from any source; emits once per batch, after the snapshot is up to date. */
  #apply(changes: readonly VideoOrTombstone[], ready = this.#snapshot.ready): void {
    // An answer that was already on its way when the watcher closed changes nothing.
    if (this.#closed) return;
    const emits: (() => void)[] = [];
    const settled: Video[] = [];
    const gone: string[] = [];
    for (const change of changes) {
      if (this.#deleted.has(change.id)) continue;
      const previous = this.#videos.get(change.id);
      if (isTombstone(change)) {
        this.#deleted.add(change.id);
        gone.push(change.id);
        if (!previous) continue;
        this.#videos.delete(change.id);
        emits.push(() => this.#emit("deleted", change.id, previous));
        continue;
      }
      if (previous && !supersedes(previous, change)) continue;
      this.#videos.set(change.id, change);
      if (change.status === "completed" || change.status === "failed") settled.push(change);
      emits.push(() => this.#emit("video", change, previous));
    }
    if (emits.length === 0 && ready === this.#snapshot.ready) {
      this.#settleWaiters(settled, gone);
      return;
    }
    this.#snapshot = Object.freeze({
      videos: Object.freeze([...this.#videos.values()].sort(newestFirst)),
      status: this.#snapshot.status,
      ready,
    });
    for (const emit of emits) emit();
    this.#emit("change", this.#snapshot);
    this.#settleWaiters(settled, gone);
  }

  #settleWaiters(settled: Video[], gone: string[]): void {
    for (const video of settled) {
      for (const waiter of [...(this.#waiters.get(video.id) ?? [])]) {
        if (video.status === "completed") waiter.resolve(video);
        else waiter.reject(new VideoFailedError(video));
      }
    }
    for (const id of gone) {
      for (const waiter of [...(this.#waiters.get(id) ?? [])]) waiter.reject(this.#deletedError(id));
    }
  }

  /** A listener that throws must not break the watcher: its error is rethrown on its own. */
  #safely(emit: () => void): void {
    try {
      emit();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #setStatus(status: WatchStatus): void {
    if (this.#snapshot.status === status || (this.#closed && status !== "closed")) return;
    this.#snapshot = Object.freeze({ ...this.#snapshot, status });
    this.#emit("status", status);
    this.#emit("change", this.#snapshot);
  }

  #emitError(error: unknown): void {
    if (this.#closed) return;
    const clientError = toClientError(error);
    this.#emit("error", clientError);
  }

  #closedError(): AbortError {
    return new AbortError({ code: "aborted", message: "The watcher was closed." });
  }

  #deletedError(id: string): NotFoundError {
    return new NotFoundError({ code: "not_found", status: 404, message: `Video ${id} was deleted.` });
  }

  async #fetchOne(id: string): Promise<void> {
    try {
      this.#apply([await this.#host.get(id, this.#controller.signal)]);
    } catch (error) {
      if (this.#closed) return;
      if (error instanceof NotFoundError && !this.#videos.has(id)) {
        for (const waiter of [...(this.#waiters.get(id) ?? [])]) waiter.reject(error);
      } else {
        this.#emitError(error);
      }
    }
  }

  // ── The loop: load, stream, poll ─────────────────────────────────────────────────────────────

  async #run(): Promise<void> {
    try {
      await this.#loadFirstList();
      if (this.mode !== "polling") await this.#stream();
      await this.#poll();
    } catch (error) {
      // Closing aborts every wait in the loop; that is the only way out of it.
      if (!this.#closed) this.#emitError(error);
    }
  }

  /** Sleeps `ms`, or until a generate, wait or refresh wakes it (then true); rejects when closed. */
  async #pause(ms: number): Promise<boolean> {
    let woken = this.#wakeRequested;
    if (!woken) {
      await sleep(ms, this.#controller.signal, (wake) => {
        this.#wake = () => {
          woken = true;
          wake();
        };
      });
    }
    this.#wake = null;
    this.#wakeRequested = false;
    return woken;
  }

  #wakeUp(): void {
    if (this.#closed) return;
    this.#wakeRequested = true;
    this.#wake?.();
  }

  async #loadFirstList(): Promise<void> {
    for (let failures = 0; ; failures++) {
      try {
        await this.#listAll(undefined);
        return;
      } catch (error) {
        if (this.#closed) throw error;
        this.#emitError(error);
        await sleep(
          backoffDelay(failures, this.#options.pollIntervalMs, this.#options.idlePollMaxMs),
          this.#controller.signal,
        );
      }
    }
  }

  /** Every page of the list (all videos, or the changes after `updatedSince`); applies them. */
  async #listAll(updatedSince: number | undefined): Promise<void> {
    const changes: VideoOrTombstone[] = [];
    let serverTime: number | undefined;
    let cursor: string | undefined;
    do {
      const page = await this.#host.list(
        { ...(updatedSince !== undefined && { updatedSince }), ...(cursor !== undefined && { cursor }) },
        this.#controller.signal,
      );
      // The first page's time: anything committed after that read is stamped later (shared/API.md).
      serverTime ??= page.serverTime;
      changes.push(...page.videos);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    this.#apply(changes, true);
    this.#cursor = serverTime;
  }

  /** Streams until it is time to fall back to polling (mode "auto" only); reconnects otherwise. */
  async #stream(): Promise<void> {
    let failures = 0;
    for (;;) {
      let received = false;
      try {
        await this.#streamOnce(() => {
          received = true;
          failures = 0;
          this.#setStatus("live");
        });
      } catch (error) {
        if (this.#closed) throw error;
        // A healthy stream that drops is not worth an `error` event: it resumes by itself.
        if (!received) this.#emitError(error);
        const missingRoute =
          error instanceof NotFoundError || (isOpenVError(error) && error.code === "invalid_response");
        if (this.mode === "auto" && missingRoute) return;
      }
      if (!received) failures++;
      if (this.mode === "auto" && failures >= this.#options.sseFailuresBeforePolling) return;
      this.#setStatus("reconnecting");
      // Wakeable: `refresh()` (e.g. the browser's `online` event) reconnects at once.
      await this.#pause(backoffDelay(failures, this.#reconnectDelayMs, this.#options.reconnectMaxDelayMs));
    }
  }

  async #streamOnce(onData: () => void): Promise<void> {
    const connection = linkSignals(this.#controller.signal);
    const { heartbeatTimeoutMs } = this.#options;
    const armHeartbeat = () => {
      clearTimeout(this.#heartbeat);
      this.#heartbeat = setTimeout(() => connection.abort(heartbeatLost), heartbeatTimeoutMs);
    };
    armHeartbeat();
    try {
      // The first connection resumes after the list it loaded (`?since=` its serverTime); a
      // reconnection after the last event it received, whose id it sends back untouched.
      const body =
        this.#lastEventId === undefined
          ? await this.#host.openStream({ since: this.#cursor }, {}, connection.signal)
          : await this.#host.openStream({}, { [protocolHeaders.lastEventId]: this.#lastEventId }, connection.signal);
      await readEventStream(
        body,
        connection.signal,
        (message) => this.#onMessage(message),
        (ms) => {
          this.#reconnectDelayMs = ms;
        },
        () => {
          armHeartbeat();
          onData();
        },
      );
    } catch (error) {
      if (this.#closed) throw this.#closedError();
      if (connection.signal.reason === heartbeatLost) {
        throw new NetworkError({
          code: "network_error",
          message: `The event stream brought nothing for ${heartbeatTimeoutMs} ms.`,
        });
      }
      throw toClientError(error);
    } finally {
      clearTimeout(this.#heartbeat);
      this.#heartbeat = undefined;
      // Releases the connection whichever way the stream ended.
      connection.abort();
      connection.dispose();
    }
  }

  #onMessage(message: SseMessage): void {
    const change = videoEventData(message);
    if (change) this.#apply([change]);
    else if (change === null) {
      this.#emitError(
        new OpenVClientError({
          code: "invalid_response",
          message: "An event on the stream is not a video or tombstone.",
        }),
      );
    }
    if (message.id !== "") this.#lastEventId = message.id;
  }

  /**
   * Polls every `pollIntervalMs` while a video is queued or processing. Once none is, the interval
   * doubles after each poll (changes from the user's other clients still show up for a while);
   * when it would pass `idlePollMaxMs`, polling stops until a generate, wait or refresh wakes it,
   * unless a `wait()` is pending, which keeps it polling at `idlePollMaxMs`.
   */
  async #poll(): Promise<void> {
    const { pollIntervalMs, idlePollMaxMs } = this.#options;
    let idleDelay = pollIntervalMs;
    let failures = 0;
    for (;;) {
      // After a failed poll it stays `reconnecting` until a poll answers.
      if (this.#snapshot.status !== "reconnecting") this.#setStatus("polling");
      let delay: number;
      try {
        await this.#listAll(this.#cursor);
        failures = 0;
        this.#setStatus("polling");
        if ([...this.#videos.values()].some(isActive)) {
          idleDelay = pollIntervalMs;
          delay = pollIntervalMs;
        } else {
          idleDelay *= 2;
          if (idleDelay > idlePollMaxMs && this.#waiters.size === 0) {
            this.#setStatus("idle");
            delay = Number.POSITIVE_INFINITY;
          } else {
            idleDelay = Math.min(idleDelay, idlePollMaxMs);
            delay = idleDelay;
          }
        }
      } catch (error) {
        if (this.#closed) throw error;
        this.#emitError(error);
        this.#setStatus("reconnecting");
        delay = backoffDelay(failures++, pollIntervalMs, idlePollMaxMs);
      }
      if (await this.#pause(delay)) idleDelay = pollIntervalMs;
    }
  }
}
