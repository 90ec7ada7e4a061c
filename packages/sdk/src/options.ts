import type {
  DeleteVideosRequest,
  GenerateRequest,
  GenerateResponse,
  ListVideosResponse,
  Video,
  VideoOrTombstone,
} from "@openv/protocol";
import type { UploadProgress } from "./_internal/upload-progress.js";

export type { UploadProgress };

/** Options of {@link createClient}. */
export interface ClientOptions {
  /**
   * Where the OpenV routes are mounted, prefix included: `"https://app.example.com/api"`, or
   * `"/api"` in a browser on the same origin.
   */
  baseUrl: string;
  /**
   * Returns the session token sent as `Authorization: Bearer …`, called before every attempt so
   * a retry gets a fresh one (e.g. Clerk's `getToken`). Default: none (cookies or dev auth).
   */
  getToken?: (() => string | null | undefined | Promise<string | null | undefined>) | undefined;
  /** The fetch to use. Default: the global `fetch`, looked up on every request. */
  fetch?: typeof globalThis.fetch | undefined;
  /** Headers for every request, e.g. `{"x-openv-user": "alice"}` against a development server. */
  headers?: Record<string, string> | undefined;
  /**
   * How many times a failed request is retried: network errors, timeouts, 408, 429 and 5xx, and a
   * submit's own `idempotency_in_progress`. Contract errors (other 4xx) never are. Default 3;
   * a call's `maxRetries` replaces it.
   */
  maxRetries?: number | undefined;
  /**
   * Time allowed for each attempt of a request, in ms; `0` for none. Default 30 000. (A call's
   * `timeoutMs` is something else: its whole deadline, every attempt and wait included.)
   */
  attemptTimeoutMs?: number | undefined;
  /** @deprecated Renamed `attemptTimeoutMs` (the same meaning); removed in the next minor version. */
  timeoutMs?: number | undefined;
  /** The first retry delay; each next one doubles, with random jitter. Default 500 ms. */
  retryDelayMs?: number | undefined;
  /** The longest backoff delay. Default 8000 ms. */
  maxRetryDelayMs?: number | undefined;
  /**
   * A `Retry-After` up to this long is waited out; a longer one fails the request at once with
   * its `retryAfterSeconds`. Default 60 000 ms.
   */
  maxRetryAfterMs?: number | undefined;
}

/**
 * The options every call takes. Every field may be `undefined` (the same as leaving it out), so
 * `{signal: maybeSignal}` type-checks under `exactOptionalPropertyTypes`.
 */
export interface RequestOptions {
  /** Aborts the call, including a wait between retries; it rejects with `AbortError` at once. */
  signal?: AbortSignal | undefined;
  /**
   * The call's deadline in ms: every attempt, retry wait and (for `createAndWait`) the wait for
   * the video together. Past it the call rejects with `TimeoutError`. Default: none (each attempt
   * still has the client's `attemptTimeoutMs`).
   */
  timeoutMs?: number | undefined;
  /** Retries for this call. Default: the client's `maxRetries` (3). */
  maxRetries?: number | undefined;
  /** Extra headers for this call; they win over the client's. */
  headers?: Record<string, string> | undefined;
  /**
   * The `Idempotency-Key` of a submit (`videos.create`, `createAndWait`): the same key and body
   * within 24 h give back the first video instead of a second charge. Default: a new random key
   * per call, reused by that call's retries. Calls the server does not deduplicate ignore it.
   */
  idempotencyKey?: string | undefined;
}

/** What `.withResponse()` resolves with. */
export interface WithResponse<T> {
  /** What the call resolves with. */
  data: T;
  /** The HTTP response (its body already read): headers, status. */
  response: Response;
  /** The server's `X-Request-Id`, to quote in bug reports; null when it sent none. */
  requestId: string | null;
}

/** What a call returns: a promise of its data, and `.withResponse()` for the HTTP metadata too. */
export interface APIPromise<T> extends Promise<T> {
  /**
   * The data with the response it came in and its request id.
   *
   * @example
   * ```ts
   * const { data: video, requestId } = await client.videos.get(id).withResponse();
   * ```
   */
  withResponse(): Promise<WithResponse<T>>;
}

/** What `videos.create` takes: the generate request, with `image` also as a `Blob` or `File`. */
export interface CreateVideoInput extends Omit<GenerateRequest, "image"> {
  /**
   * The input image of an image-to-video model: an upload id or URL this server gave, or a `Blob`
   * / `File` (uploaded first with `uploads.create`).
   */
  image?: string | Blob | undefined;
}

// Wait (issue 21)
/** Options of `videos.create`. */
export interface CreateVideoOptions extends RequestOptions {
  /**
   * Seconds (1–60; the server clamps more to 60) the server may hold its answer until the video is
   * completed or failed (`Prefer: wait=N`): finished in time, the answer (status 201) carries the
   * finished video; else the usual queued one. The call's attempt timeout grows by as much.
   */
  wait?: number | undefined;
}

/** Options of `videos.createAndWait`. */
export interface CreateAndWaitOptions extends CreateVideoOptions {
  /**
   * Inherited from `create`: how long the server holds the submit's answer for the finish before
   * this call follows the video's events (`timeoutMs` still bounds the whole call). Default: 60 s;
   * with `onProgress`, none, so that progress arrives as it happens.
   */
  wait?: number | undefined;
  /**
   * Called with the video each time it moves on: queued, processing (with `progress` when the
   * provider reports it), and the terminal state.
   */
  onProgress?: ((video: Video) => void) | undefined;
  /** While the event stream is unavailable: how often to ask for the video. Default 1000 ms. */
  pollIntervalMs?: number | undefined;
}

/** Options of `videos.list`. */
export interface ListOptions extends RequestOptions {
  /** Page size, 1–200. Default 50 (the server's). */
  limit?: number | undefined;
  /** Where to continue: a previous page's `nextCursor`. */
  cursor?: string | undefined;
}

/** Options of `credits.get`. */
export interface CreditsOptions extends RequestOptions {
  /** How many ledger entries to return, newest first, 0–200. Default 50 (the server's). */
  limit?: number | undefined;
}

/** Options of `uploads.create`. */
export interface UploadOptions extends RequestOptions {
  /**
   * The `Content-Type` sent with the bytes. Default: the Blob's (a `File` from an
   * `<input type="file">` has one), else `application/octet-stream`. The server reads the real
   * format (PNG, JPEG or WebP) from the bytes either way.
   */
  contentType?: string | undefined;
  /**
   * Upload progress in bytes. In a browser it follows the bytes as they leave; where there is no
   * `XMLHttpRequest` (Node) or with a custom `fetch`, it is called at the start and at the end.
   */
  onProgress?: ((progress: UploadProgress) => void) | undefined;
}

/** @deprecated Use {@link UploadOptions}. */
export type UploadImageOptions = UploadOptions;

/** What `uploads.create` accepts: a `Blob` or `File`, or the raw bytes. */
export type UploadInput = Blob | ArrayBuffer | Uint8Array;
/** @deprecated Use {@link UploadInput}. */
export type UploadImageInput = UploadInput;

/** @deprecated Use {@link RequestOptions} (it has `idempotencyKey`). */
export type GenerateOptions = RequestOptions;

/** What the deprecated `generate()` resolves with: the server's answer plus how it was obtained. */
export interface GenerateResult extends GenerateResponse {
  /** True when the server replayed an earlier answer for the same key (nothing new was charged). */
  replayed: boolean;
  /** The `Idempotency-Key` the request carried. */
  idempotencyKey: string;
}

/** One page of `videos.list`. */
export interface VideoPage<T extends VideoOrTombstone = Video> extends Omit<ListVideosResponse, "videos"> {
  /** The page's videos (and, with `updatedSince`, tombstones). */
  videos: T[];
}

/**
 * What `videos.list` returns: await it for one page, or iterate it with `for await` for every
 * video across all pages (fetched one page at a time, as the loop asks).
 */
export interface PagePromise<T extends VideoOrTombstone> extends APIPromise<VideoPage<T>>, AsyncIterable<T> {}

/** What `videos.delete` takes: one id, ids, or `{ids, jobIds}`. */
export type DeleteTarget = string | readonly string[] | DeleteVideosRequest;
