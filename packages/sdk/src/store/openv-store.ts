import type { CreditsResponse, Model, TermsStatus, Upload, Usage, Video } from "@openv/protocol";
import {
  type CreateVideoInput,
  type DeleteTarget,
  type GenerateOptions,
  type GenerateResult,
  InsufficientCreditsError,
  isOpenVError,
  type OpenVClient,
  OpenVClientError,
  QuotaExceededError,
  type RequestOptions,
  TermsRequiredError,
  type UploadImageInput,
  type UploadImageOptions,
  type VideoWatcher,
  type WatchOptions,
  type WatchStatus,
} from "../index.js";
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
  /**
   * Why the latest check failed; null after a success. An acceptance's own state (pending, its
   * error) is the caller's: `acceptTerms` rejects, and `useAcceptTerms` tracks it.
   */
  readonly error: OpenVClientError | null;
}

/** The model catalog part of the provider's state (see `useModels()`). */
export interface ModelsState {
  /** The server's models, the default first; null until the first answer. */
  readonly models: readonly Model[] | null;
  /** True while a request for it is in flight (and before the first one). */
  readonly loading: boolean;
  /** Why the latest request failed; null after a success. */
  readonly error: OpenVClientError | null;
}

/** The credits part of the provider's state (see `useCredits()`). */
export interface CreditsState {
  /** The balance and the newest ledger entries (up to 50); null until the first answer. */
  readonly credits: CreditsResponse | null;
  /** True while a request for it is in flight (and before the first one). */
  readonly loading: boolean;
  /** Why the latest request failed; null after a success. */
  readonly error: OpenVClientError | null;
}

const initialVideos: VideosState = Object.freeze({
  videos: Object.freeze([]),
  status: "connecting",
  ready: false,
  error: null,
});
const initialUsage: UsageState = Object.freeze({ usage: null, loading: true, error: null });
const initialModels: ModelsState = Object.freeze({ models: null, loading: true, error: null });
const initialCredits: CreditsState = Object.freeze({ credits: null, loading: true, error: null });
const initialTerms: TermsState = Object.freeze({ terms: null, loading: true, error: null });

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
 * What a server fetched for the first render (`fetchInitialState` of `@openv/react/server`): plain
 * JSON, so it crosses from a server component to a client one. Each part left out loads as usual.
 */
export interface OpenVInitialState {
  /** The first page of the user's videos, newest first. */
  videos?: readonly Video[] | undefined;
  /** The current period's usage. */
  usage?: Usage | undefined;
  /** The terms status. */
  terms?: TermsStatus | undefined;
  /** The model catalog. */
  models?: readonly Model[] | undefined;
  /** The credit balance and ledger (credits billing). */
  credits?: CreditsResponse | undefined;
}

/**
 * The state one `<OpenVProvider>` shares with its hooks: the client, one watcher (opened when the
 * first component subscribes, closed shortly after the last one leaves, so nothing runs during
 * server rendering), and the usage and terms answers, refreshed when something changes them.
 */
export class OpenVStore {
  /** The client every call goes through. */
  readonly client: OpenVClient;
  /** The shared watcher's view: videos, status, readiness, latest error. */
  readonly videos = new ValueStore<VideosState>(initialVideos);
  /** The current period's usage. */
  readonly usage = new ValueStore<UsageState>(initialUsage);
  /** The terms status. */
  readonly terms = new ValueStore<TermsState>(initialTerms);
  /** The model catalog. */
  readonly models = new ValueStore<ModelsState>(initialModels);
  /** The credit balance and ledger. */
  readonly credits = new ValueStore<CreditsState>(initialCredits);
  /** The images uploaded through this provider, by id: where a video's `imageId` can be seen. */
  readonly uploads = new ValueStore<ReadonlyMap<string, Upload>>(new Map());
  readonly #watchOptions: WatchOptions;
  #watcher: VideoWatcher | null = null;
  #unsubscribeWatcher: () => void = () => {};
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #usageRequests = 0;
  #termsRequests = 0;
  #modelsRequests = 0;
  #creditsRequests = 0;

  constructor(client: OpenVClient, watchOptions: WatchOptions = {}) {
    this.client = client;
    this.#watchOptions = watchOptions;
  }

  /**
   * Seeds what a server fetched, so the first render (on the server and the hydrating client
   * alike) shows data, not a spinner. A part this store already has is left as it is; the seeded
   * videos stay on screen until the watcher's own first list replaces them.
   */
  seed(state: OpenVInitialState): void {
    if (state.videos && !this.videos.get().ready) {
      this.videos.set(Object.freeze({ ...this.videos.get(), videos: Object.freeze([...state.videos]), ready: true }));
    }
    if (state.usage && this.usage.get().usage === null) {
      this.usage.set(Object.freeze({ usage: state.usage, loading: false, error: null }));
    }
    if (state.terms && this.terms.get().terms === null) {
      this.terms.set(Object.freeze({ terms: state.terms, loading: false, error: null }));
    }
    if (state.credits && this.credits.get().credits === null) {
      this.credits.set(Object.freeze({ credits: state.credits, loading: false, error: null }));
    }
    if (state.models && this.models.get().models === null) {
      this.models.set(Object.freeze({ models: Object.freeze([...state.models]), loading: false, error: null }));
    }
  }

  // ── Videos ───────────────────────────────────────────────────────────────────────────────────

  /** Subscribes to `videos`; the first subscriber opens the shared watcher, the last one's leaving closes it. */
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
      const snapshot = watcher.getSnapshot();
      const current = this.videos.get();
      // Seeded videos stay until the watcher's first list has loaded.
      const seeded = !snapshot.ready && current.ready;
      const videos = seeded ? current.videos : snapshot.videos;
      const ready = seeded || snapshot.ready;
      const { status } = snapshot;
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
    const unsubscribes = [
      watcher.subscribe(publish),
      watcher.on("error", (reported) => {
        error = reported;
        publish();
      }),
      watcher.on("status", (status) => {
        if (healthy.includes(status)) error = null;
      }),
      watcher.on("video", (video, previous) => {
        error = null;
        // Completion and failure (a refund) change the seconds used.
        const settled = video.status === "completed" || video.status === "failed";
        if (settled && previous && previous.status !== video.status) {
          void this.refreshUsage();
          // A failed video's credits are refunded; a completed one's stay charged.
          if (video.status === "failed") this.#refreshCreditsIfShown();
        }
      }),
      watcher.on("deleted", () => {
        error = null;
        void this.refreshUsage();
        this.#refreshCreditsIfShown();
      }),
    ];
    // Back online: reconnect now rather than after the backoff, and check what changed meanwhile.
    const target = globalThis as {
      addEventListener?: typeof addEventListener;
      removeEventListener?: typeof removeEventListener;
    };
    const onOnline = () => {
      watcher.refresh();
      void this.refreshUsage();
    };
    target.addEventListener?.("online", onOnline);
    unsubscribes.push(() => target.removeEventListener?.("online", onOnline));
    this.#unsubscribeWatcher = () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
    publish();
  }

  #closeWatcher(): void {
    const watcher = this.#watcher;
    if (!watcher || this.videos.size > 0) return;
    this.#watcher = null;
    this.#unsubscribeWatcher();
    watcher.close();
  }

  // ── Usage ────────────────────────────────────────────────────────────────────────────────────

  /** Subscribes to `usage`, loading it on first use. */
  subscribeUsage = (listener: () => void): (() => void) => {
    const unsubscribe = this.usage.subscribe(listener);
    if (this.#usageRequests === 0) void this.refreshUsage();
    return unsubscribe;
  };

  /** Loads the usage again. */
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

  // ── Models ───────────────────────────────────────────────────────────────────────────────────

  /** Subscribes to `models`, loading the catalog on first use. */
  subscribeModels = (listener: () => void): (() => void) => {
    const unsubscribe = this.models.subscribe(listener);
    if (this.#modelsRequests === 0) void this.refreshModels();
    return unsubscribe;
  };

  /** Loads the catalog again. */
  refreshModels = async (): Promise<void> => {
    const request = ++this.#modelsRequests;
    if (!this.models.get().loading) this.models.update({ loading: true });
    try {
      const models = Object.freeze(await this.client.models());
      if (request === this.#modelsRequests) this.models.set({ models, loading: false, error: null });
    } catch (error) {
      if (request === this.#modelsRequests) this.models.update({ loading: false, error: toClientError(error) });
    }
  };

  // ── Credits ──────────────────────────────────────────────────────────────────────────────────

  /** Subscribes to `credits`, loading them on first use. */
  subscribeCredits = (listener: () => void): (() => void) => {
    const unsubscribe = this.credits.subscribe(listener);
    if (this.#creditsRequests === 0) void this.refreshCredits();
    return unsubscribe;
  };

  /** Loads the balance and ledger again. */
  refreshCredits = async (): Promise<void> => {
    const request = ++this.#creditsRequests;
    if (!this.credits.get().loading) this.credits.update({ loading: true });
    try {
      const credits = await this.client.credits();
      if (request === this.#creditsRequests) this.credits.set({ credits, loading: false, error: null });
    } catch (error) {
      if (request === this.#creditsRequests) this.credits.update({ loading: false, error: toClientError(error) });
    }
  };

  /**
   * Asks for the credits again, but only once something showed them: an app on the seconds policy
   * (or one that never shows the ledger) makes no credits requests.
   */
  #refreshCreditsIfShown(): void {
    if (this.#creditsRequests > 0) void this.refreshCredits();
  }

  /** Subscribes to `uploads`. */
  subscribeUploads = (listener: () => void): (() => void) => this.uploads.subscribe(listener);

  // ── Terms ────────────────────────────────────────────────────────────────────────────────────

  /** Subscribes to `terms`, checking them on first use. */
  subscribeTerms = (listener: () => void): (() => void) => {
    const unsubscribe = this.terms.subscribe(listener);
    if (this.#termsRequests === 0) void this.refreshTerms();
    return unsubscribe;
  };

  /** Checks the terms again. */
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

  /**
   * Accepts `version` (default: the current one the check returned); resolves with the accepted
   * status, rejects with the SDK's typed error. When the version moved on in the meantime
   * (`terms_version_mismatch`) the new one is loaded for the user to read before it rejects.
   */
  acceptTerms = async (version?: string): Promise<TermsStatus> => {
    let target = version ?? this.terms.get().terms?.version;
    if (target === undefined) {
      await this.refreshTerms();
      target = this.terms.get().terms?.version;
      if (target === undefined) {
        throw this.terms.get().error ?? toClientError(new Error("The current terms version could not be checked."));
      }
    }
    try {
      const answer = await this.client.terms.accept(target);
      this.#termsRequests++;
      const terms: TermsStatus = { accepted: true, version: answer.version, acceptedAt: answer.acceptedAt };
      this.terms.set({ terms, loading: false, error: null });
      return terms;
    } catch (error) {
      const clientError = toClientError(error);
      // The current version moved on since it was shown: show the new one.
      if (clientError.code === "terms_version_mismatch") await this.refreshTerms();
      throw clientError;
    }
  };

  // ── Mutations ────────────────────────────────────────────────────────────────────────────────

  /** `client.generate()`, keeping usage and terms in step with the answer. Rejects with an SDK error. */
  generate = async (input: CreateVideoInput, options?: GenerateOptions): Promise<GenerateResult> => {
    try {
      const result = await this.client.generate(input, options);
      this.#setUsage(result.usage);
      // The answer's balance at once; the ledger line of the charge with the next answer.
      const shown = this.credits.get().credits;
      if (shown && result.usage.credits) {
        this.credits.update({ credits: { ...shown, balance: result.usage.credits.balance } });
      }
      this.#refreshCreditsIfShown();
      return result;
    } catch (error) {
      if (error instanceof TermsRequiredError) void this.refreshTerms();
      if (error instanceof QuotaExceededError || error instanceof InsufficientCreditsError) void this.refreshUsage();
      if (error instanceof InsufficientCreditsError) this.#refreshCreditsIfShown();
      throw toClientError(error);
    }
  };

  /** `client.uploadImage()`, remembering the upload so the video made from it can show it. */
  uploadImage = async (data: UploadImageInput, options?: UploadImageOptions): Promise<Upload> => {
    try {
      const upload = await this.client.uploads.create(data, options);
      this.uploads.set(new Map([...this.uploads.get(), [upload.id, upload]]));
      return upload;
    } catch (error) {
      throw toClientError(error);
    }
  };

  /** `client.delete()`, then fresh usage (deleting an unfinished video refunds it). */
  deleteVideos = async (target: DeleteTarget, options?: RequestOptions): Promise<string[]> => {
    try {
      return await this.client.videos.delete(target, options);
    } catch (error) {
      throw toClientError(error);
    } finally {
      void this.refreshUsage();
      this.#refreshCreditsIfShown();
    }
  };
}
