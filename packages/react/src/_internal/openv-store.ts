import type { GenerateRequest, TermsStatus, Usage, Video } from "@openv/protocol";
import {
  type GenerateOptions,
  type GenerateResult,
  isOpenVError,
  type OpenVClient,
  OpenVClientError,
  QuotaExceededError,
  TermsRequiredError,
  type VideoWatcher,
  type WatchOptions,
  type WatchStatus,
} from "@openv/sdk";
import { ValueStore } from "./value-store.js";

/** What `useVideos()` returns: the watcher's live view plus its latest error. */
export interface VideosState {
  /** The user's videos, newest first, as the watcher last saw them. */
  readonly videos: readonly Video[];
  /** Where the underlying watcher stands (`connecting`, `live`, `polling`, …). */
  readonly status: WatchStatus;
  /** True once the first full list has loaded. */
  readonly ready: boolean;
  /**
   * The latest error the watcher reported (it keeps retrying on its own); null again once the
   * stream or polling works.
   */
  readonly error: OpenVClientError | null;
}

/** The usage part of the provider's state (see `useUsage()`). */
export interface UsageState {
  /** The current period's seconds; null until the first answer. */
  readonly usage: Usage | null;
  /** True while a request for it is in flight (and before the first one). */
  readonly loading: boolean;
  /** Why the latest request failed; null after a success. */
  readonly error: OpenVClientError | null;
}

/** The terms part of the provider's state (see `useTerms()`). */
export interface TermsState {
  /** Whether the current version is accepted, and which version that is; null until the first answer. */
  readonly terms: TermsStatus | null;
  /** True while the check is in flight (and before the first one). */
  readonly loading: boolean;
  /** True while an acceptance is being sent. */
  readonly accepting: boolean;
  /** Why the latest check or acceptance failed; null after a success. */
  readonly error: OpenVClientError | null;
}

const initialVideos: VideosState = Object.freeze({
  videos: Object.freeze([]),
  status: "connecting",
  ready: false,
  error: null,
});
const initialUsage: UsageState = Object.freeze({ usage: null, loading: true, error: null });
const initialTerms: TermsState = Object.freeze({ terms: null, loading: true, accepting: false, error: null });

/** Every rejection as an SDK error, so hooks can promise one error type. */
export function toClientError(error: unknown): OpenVClientError {
  if (isOpenVError(error)) return error;
  return new OpenVClientError({
    code: "client_error",
    message: error instanceof Error ? error.message : String(error),
    cause: error,
  });
}

const healthy: readonly WatchStatus[] = ["live", "polling", "idle"];

/**
 * The state one `<OpenVProvider>` shares with its hooks: the client, one watcher (opened when the
 * first component subscribes, closed shortly after the last one leaves, so nothing runs during
 * server rendering), and the usage and terms answers, refreshed when something changes them.
 */
export class OpenVStore {
  readonly client: OpenVClient;
  readonly videos = new ValueStore<VideosState>(initialVideos);
  readonly usage = new ValueStore<UsageState>(initialUsage);
  readonly terms = new ValueStore<TermsState>(initialTerms);
  readonly #watchOptions: WatchOptions;
  #watcher: VideoWatcher | null = null;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #usageRequests = 0;
  #termsRequests = 0;

  constructor(client: OpenVClient, watchOptions: WatchOptions = {}) {
    this.client = client;
    this.#watchOptions = watchOptions;
  }

  // ── Videos ───────────────────────────────────────────────────────────────────────────────────

  subscribeVideos = (listener: () => void): (() => void) => {
    const unsubscribe = this.videos.subscribe(listener);
    clearTimeout(this.#closeTimer);
    if (!this.#watcher) this.#openWatcher();
    return () => {
      unsubscribe();
      if (this.videos.size > 0) return;
      // Deferred: React's StrictMode (and a remount) unsubscribes and subscribes again at once.
      clearTimeout(this.#closeTimer);
      this.#closeTimer = setTimeout(() => this.#closeWatcher(), 0);
    };
  };

  #openWatcher(): void {
    const watcher = this.client.watch(this.#watchOptions);
    this.#watcher = watcher;
    let error: OpenVClientError | null = null;
    const publish = () => {
      if (this.#watcher !== watcher) return;
      const { videos, status, ready } = watcher.getSnapshot();
      const current = this.videos.get();
      if (
        current.videos === videos &&
        current.status === status &&
        current.ready === ready &&
        current.error === error
      ) {
        return;
      }
      this.videos.set(Object.freeze({ videos, status, ready, error }));
    };
    watcher.on("change", publish);
    watcher.on("error", (reported) => {
      error = reported;
      publish();
    });
    watcher.on("status", (status) => {
      if (healthy.includes(status)) error = null;
    });
    watcher.on("video", (video, previous) => {
      error = null;
      // Completion and failure (a refund) change the seconds used.
      const settled = video.status === "completed" || video.status === "failed";
      if (settled && previous && previous.status !== video.status) void this.refreshUsage();
    });
    watcher.on("deleted", () => {
      error = null;
      void this.refreshUsage();
    });
    publish();
  }

  #closeWatcher(): void {
    const watcher = this.#watcher;
    if (!watcher || this.videos.size > 0) return;
    this.#watcher = null;
    watcher.removeAllListeners();
    watcher.close();
  }

  // ── Usage ────────────────────────────────────────────────────────────────────────────────────

  subscribeUsage = (listener: () => void): (() => void) => {
    const unsubscribe = this.usage.subscribe(listener);
    if (this.#usageRequests === 0) void this.refreshUsage();
    return unsubscribe;
  };

  refreshUsage = async (): Promise<void> => {
    const request = ++this.#usageRequests;
    if (!this.usage.get().loading) this.usage.update({ loading: true });
    try {
      const usage = await this.client.usage();
      if (request === this.#usageRequests) this.usage.set({ usage, loading: false, error: null });
    } catch (error) {
      if (request === this.#usageRequests) this.usage.update({ loading: false, error: toClientError(error) });
    }
  };

  /** An answer that carries fresh usage (a generate): newer than any request still in flight. */
  #setUsage(usage: Usage): void {
    this.#usageRequests++;
    this.usage.set({ usage, loading: false, error: null });
  }

  // ── Terms ────────────────────────────────────────────────────────────────────────────────────

  subscribeTerms = (listener: () => void): (() => void) => {
    const unsubscribe = this.terms.subscribe(listener);
    if (this.#termsRequests === 0) void this.refreshTerms();
    return unsubscribe;
  };

  refreshTerms = async (): Promise<void> => {
    const request = ++this.#termsRequests;
    if (!this.terms.get().loading) this.terms.update({ loading: true });
    try {
      const terms = await this.client.checkTerms();
      if (request === this.#termsRequests) this.terms.update({ terms, loading: false, error: null });
    } catch (error) {
      if (request === this.#termsRequests) this.terms.update({ loading: false, error: toClientError(error) });
    }
  };

  acceptTerms = async (version?: string): Promise<boolean> => {
    let target = version ?? this.terms.get().terms?.version;
    if (target === undefined) {
      await this.refreshTerms();
      target = this.terms.get().terms?.version;
      if (target === undefined) return false;
    }
    this.terms.update({ accepting: true, error: null });
    try {
      const answer = await this.client.acceptTerms(target);
      this.#termsRequests++;
      this.terms.set({
        terms: { accepted: true, version: answer.version, acceptedAt: answer.acceptedAt },
        loading: false,
        accepting: false,
        error: null,
      });
      return true;
    } catch (error) {
      const clientError = toClientError(error);
      this.terms.update({ accepting: false, error: clientError });
      // The current version moved on since it was shown: show the new one.
      if (clientError.code === "terms_version_mismatch") {
        const request = ++this.#termsRequests;
        try {
          const terms = await this.client.checkTerms();
          if (request === this.#termsRequests) this.terms.update({ terms, loading: false });
        } catch {
          // The acceptance error already says what went wrong.
        }
      }
      return false;
    }
  };

  // ── Mutations ────────────────────────────────────────────────────────────────────────────────

  /** `client.generate()`, keeping usage and terms in step with the answer. Rejects with an SDK error. */
  generate = async (input: GenerateRequest, options?: GenerateOptions): Promise<GenerateResult> => {
    try {
      const result = await this.client.generate(input, options);
      this.#setUsage(result.usage);
      return result;
    } catch (error) {
      if (error instanceof TermsRequiredError) void this.refreshTerms();
      if (error instanceof QuotaExceededError) void this.refreshUsage();
      throw toClientError(error);
    }
  };

  /** `client.delete()`, then fresh usage (deleting an unfinished video refunds it). */
  deleteVideos = async (ids: string | readonly string[]): Promise<string[]> => {
    try {
      return await this.client.delete(ids);
    } catch (error) {
      throw toClientError(error);
    } finally {
      void this.refreshUsage();
    }
  };
}
