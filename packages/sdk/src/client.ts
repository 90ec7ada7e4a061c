import {
  type AcceptTermsResponse,
  AcceptTermsResponseSchema,
  type CreditsResponse,
  CreditsResponseSchema,
  type DeleteVideosRequest,
  DeleteVideosResponseSchema,
  type GenerateRequest,
  type GenerateResponse,
  GenerateResponseSchema,
  type GrantCreditsRequest,
  type GrantCreditsResponse,
  GrantCreditsResponseSchema,
  ListModelsResponseSchema,
  type ListVideosResponse,
  ListVideosResponseSchema,
  type Model,
  headers as protocolHeaders,
  type TermsStatus,
  TermsStatusSchema,
  type Upload,
  UploadResponseSchema,
  type Usage,
  UsageSchema,
  type Video,
  type VideoOrTombstone,
  VideoResponseSchema,
  VideoSchema,
} from "@openv/protocol";
import { Transport } from "./_internal/transport.js";
import { VideoWatcher, type WatcherHost, type WatchOptions } from "./watcher.js";

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
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** The fetch to use. Default: the global `fetch`, looked up on every request. */
  fetch?: typeof globalThis.fetch;
  /** Headers for every request, e.g. `{"x-openv-user": "alice"}` against a development server. */
  headers?: Record<string, string>;
  /**
   * How many times a failed request is retried: network errors, timeouts, 408, 429 and 5xx, and a
   * submit's own `idempotency_in_progress`. Contract errors (other 4xx) never are. Default 3.
   */
  maxRetries?: number;
  /** Time allowed for each attempt, in ms; `0` for none. Default 30 000. */
  timeoutMs?: number;
  /** The first retry delay; each next one doubles, with random jitter. Default 500 ms. */
  retryDelayMs?: number;
  /** The longest backoff delay. Default 8000 ms. */
  maxRetryDelayMs?: number;
  /**
   * A `Retry-After` up to this long is waited out; a longer one fails the request at once with
   * its `retryAfterSeconds`. Default 60 000 ms.
   */
  maxRetryAfterMs?: number;
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the call, including a wait between retries; it rejects with `AbortError` at once. */
  signal?: AbortSignal;
  /** Time allowed for each attempt of this call, in ms. Default: the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** Options of `generate()`. */
export interface GenerateOptions extends RequestOptions {
  /**
   * The `Idempotency-Key`: the same key and body within 24 h gives back the first video instead
   * of a second charge. Default: a new random key per call, reused by that call's retries. Pass
   * your own to make a submit safe across page reloads or process restarts.
   */
  idempotencyKey?: string;
}

/** What `generate()` resolves with: the server's answer plus how it was obtained. */
export interface GenerateResult extends GenerateResponse {
  /** True when the server replayed an earlier answer for the same key (nothing new was charged). */
  replayed: boolean;
  /** The `Idempotency-Key` the request carried. */
  idempotencyKey: string;
}

/** Options of `list()`. */
export interface ListOptions extends RequestOptions {
  /** Page size, 1–200. Default 50 (the server's). */
  limit?: number;
  /** Where to continue: a previous page's `nextCursor`. */
  cursor?: string;
}

/** Options of `credits()`. */
export interface CreditsOptions extends RequestOptions {
  /** How many ledger entries to return, newest first, 0–200. Default 50 (the server's). */
  limit?: number;
}

/** Options of `uploadImage()`. */
export interface UploadImageOptions extends RequestOptions {
  /**
   * The `Content-Type` sent with the bytes. Default: the Blob's (a `File` from an
   * `<input type="file">` has one), else `application/octet-stream`. The server reads the real
   * format (PNG, JPEG or WebP) from the bytes either way.
   */
  contentType?: string;
}

/** What `uploadImage()` accepts: a `Blob` or `File`, or the raw bytes. */
export type UploadImageInput = Blob | ArrayBuffer | Uint8Array;

/** One page of `list()`. */
export interface VideoPage<T extends VideoOrTombstone = Video> extends Omit<ListVideosResponse, "videos"> {
  /** The page's videos (and, with `updatedSince`, tombstones). */
  videos: T[];
}

/**
 * What `list()` returns: await it for one page, or iterate it with `for await` for every video
 * across all pages (fetched one page at a time, as the loop asks).
 */
export interface PagePromise<T extends VideoOrTombstone> extends Promise<VideoPage<T>>, AsyncIterable<T> {}

const LiveListSchema = ListVideosResponseSchema.extend({ videos: VideoSchema.array() });

/** At most this many ids per `DELETE /videos` (shared/API.md). */
const deleteBatch = 100;

// Array.isArray does not narrow a readonly array out of a union.
const isReadonlyArray = (value: unknown): value is readonly string[] => Array.isArray(value);

function newIdempotencyKey(): string {
  const crypto = globalThis.crypto;
  // randomUUID exists only in secure contexts (https, localhost); getRandomValues everywhere.
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The OpenV client: typed calls for every route of the contract, idempotent submits, retries and
 * live watchers. Create it with {@link createClient}.
 */
export class OpenVClient {
  readonly #transport: Transport;
  readonly #listeners = new Set<(changes: VideoOrTombstone[]) => void>();

  /** @internal Use {@link createClient}. */
  constructor(options: ClientOptions) {
    this.#transport = new Transport({
      baseUrl: options.baseUrl,
      getToken: options.getToken,
      fetch: options.fetch,
      headers: options.headers ?? {},
      maxRetries: options.maxRetries ?? 3,
      timeoutMs: options.timeoutMs ?? 30_000,
      retryDelayMs: options.retryDelayMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 8000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    });
  }

  /**
   * Requests a video (`POST /videos`). Always sends an `Idempotency-Key`, the same on every retry
   * of this call, so a retried submit is charged once. The client's watchers show the new video
   * at once.
   *
   * @throws `ValidationError`, `TermsRequiredError`, `ConflictError` (`too_many_active_jobs`),
   * `QuotaExceededError` (seconds billing), `InsufficientCreditsError` (credits billing),
   * `ProviderUnavailableError`, `RateLimitedError`, and the transport errors.
   *
   * @example
   * ```ts
   * const { video, usage } = await client.generate({ prompt: "waves at night", frames: 31 });
   * ```
   */
  async generate(input: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    const { data, response } = await this.#transport.request({
      method: "POST",
      path: "/videos",
      body: input,
      headers: { [protocolHeaders.idempotencyKey]: idempotencyKey },
      schema: GenerateResponseSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      retryInProgress: true,
    });
    this.#notify([data.video]);
    return {
      ...data,
      replayed: response.headers.get(protocolHeaders.idempotentReplayed) === "true",
      idempotencyKey,
    };
  }

  /**
   * One video (`GET /videos/:id`).
   *
   * @throws `NotFoundError` when the user has no such video.
   */
  async get(id: string, options: RequestOptions = {}): Promise<Video> {
    const { data } = await this.#transport.request({
      method: "GET",
      path: `/videos/${encodeURIComponent(id)}`,
      schema: VideoResponseSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return data.video;
  }

  /**
   * The user's videos (`GET /videos`). Without `updatedSince`: live videos, newest first. With it:
   * every change after that time (ms), oldest first, tombstones of deleted videos included; pass
   * back the page's `serverTime` next time to miss nothing.
   *
   * @example
   * ```ts
   * const page = await client.list({ limit: 20 });
   * for await (const video of client.list()) console.log(video.id);
   * ```
   */
  list(options?: ListOptions & { updatedSince?: undefined }): PagePromise<Video>;
  list(options: ListOptions & { updatedSince: number }): PagePromise<VideoOrTombstone>;
  list(options: ListOptions & { updatedSince?: number | undefined } = {}): PagePromise<VideoOrTombstone> {
    const { updatedSince, limit, signal, timeoutMs } = options;
    const fetchPage = async (cursor: string | undefined): Promise<VideoPage<VideoOrTombstone>> => {
      const { data } = await this.#transport.request<VideoPage<VideoOrTombstone>>({
        method: "GET",
        path: "/videos",
        query: { updatedSince, limit, cursor },
        schema: updatedSince === undefined ? LiveListSchema : ListVideosResponseSchema,
        signal,
        timeoutMs,
      });
      return data;
    };
    const first = fetchPage(options.cursor);
    return Object.assign(first, {
      async *[Symbol.asyncIterator]() {
        let page = await first;
        for (;;) {
          yield* page.videos;
          if (page.nextCursor === null) return;
          page = await fetchPage(page.nextCursor);
        }
      },
    });
  }

  /**
   * Deletes videos by id (or `{ids, jobIds}`), any number (sent 100 at a time). Resolves with the
   * ids deleted; ids the user does not own are left out, not an error. Unfinished jobs are
   * cancelled and their seconds refunded. Every watcher of the user sees the deletion.
   *
   * @example
   * ```ts
   * const deleted = await client.delete([a.id, b.id]);
   * ```
   */
  async delete(
    target: string | readonly string[] | DeleteVideosRequest,
    options: RequestOptions = {},
  ): Promise<string[]> {
    const { ids = [], jobIds = [] }: { ids?: readonly string[] | undefined; jobIds?: readonly string[] | undefined } =
      typeof target === "string" ? { ids: [target] } : isReadonlyArray(target) ? { ids: target } : target;
    const deleted: string[] = [];
    // Ids first, then job ids, 100 per request.
    for (let start = 0; start < ids.length + jobIds.length; start += deleteBatch) {
      const end = start + deleteBatch;
      const batchIds = ids.slice(start, end);
      const batchJobIds = jobIds.slice(Math.max(0, start - ids.length), Math.max(0, end - ids.length));
      const { data } = await this.#transport.request({
        method: "DELETE",
        path: "/videos",
        body: {
          ...(batchIds.length > 0 && { ids: batchIds }),
          ...(batchJobIds.length > 0 && { jobIds: batchJobIds }),
        },
        schema: DeleteVideosResponseSchema,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
      });
      deleted.push(...data.deleted);
      const updatedAt = new Date().toISOString();
      this.#notify(data.deleted.map((id) => ({ id, deleted: true as const, updatedAt })));
    }
    return deleted;
  }

  /**
   * The current period's usage (`GET /usage`): seconds used, and either the seconds limit
   * (`limitSeconds`, `remainingSeconds`) or, under credits billing, the credit balance
   * (`credits.balance`, with the seconds limit null).
   */
  async usage(options: RequestOptions = {}): Promise<Usage> {
    const { data } = await this.#transport.request({
      method: "GET",
      path: "/usage",
      schema: UsageSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return data;
  }

  /**
   * The server's model catalog (`GET /models`): what each model accepts (`limits`), whether it
   * takes an input image (`image`: `none`, `optional`, `required`) and its price in credits. The
   * first model is the one a generate request without `model` gets.
   *
   * @example
   * ```ts
   * const models = await client.models();
   * const imageModels = models.filter((model) => model.image !== "none");
   * ```
   */
  async models(options: RequestOptions = {}): Promise<Model[]> {
    const { data } = await this.#transport.request({
      method: "GET",
      path: "/models",
      schema: ListModelsResponseSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return data.models;
  }

  /**
   * The user's credit balance and newest ledger entries (`GET /credits`), under the server's
   * credits billing policy.
   *
   * @example
   * ```ts
   * const { balance, entries } = await client.credits({ limit: 10 });
   * ```
   */
  async credits(options: CreditsOptions = {}): Promise<CreditsResponse> {
    const { data } = await this.#transport.request({
      method: "GET",
      path: "/credits",
      query: { limit: options.limit },
      schema: CreditsResponseSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return data;
  }

  /**
   * Uploads an input image for an image-to-video model (`POST /uploads`): PNG, JPEG or WebP, up to
   * 10 MiB, sent as the raw body. Resolves with the stored upload; pass its `id` as `image` to
   * `generate()`. An upload is not idempotent, so it is retried only when the server refused it
   * without storing anything (429); after a network error or timeout it rejects, and calling
   * again may store a second copy (harmless: only the id you pass to `generate()` is used).
   *
   * @throws `ValidationError` (code `unsupported_media_type` for a file that is not a PNG, JPEG or
   * WebP, `payload_too_large` over the size limit, `validation_failed` for an unreadable image),
   * `RateLimitedError`, and the transport errors.
   *
   * @example
   * ```ts
   * const upload = await client.uploadImage(fileInput.files[0]);
   * await client.generate({ prompt: "the cat wakes up", model: "an-image-to-video-model", image: upload.id });
   * ```
   */
  async uploadImage(data: UploadImageInput, options: UploadImageOptions = {}): Promise<Upload> {
    const isBlob = typeof (data as Partial<Blob>).arrayBuffer === "function";
    const contentType = options.contentType || (isBlob && (data as Blob).type) || "application/octet-stream";
    // The bytes, not the Blob: any Blob implementation (a polyfill, a test DOM) reaches fetch as
    // bytes it can send, and the same bytes can go again after a 429.
    const body = isBlob ? new Uint8Array(await (data as Blob).arrayBuffer()) : data;
    const { data: answer } = await this.#transport.request({
      method: "POST",
      path: "/uploads",
      body,
      headers: { "content-type": contentType },
      schema: UploadResponseSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      notIdempotent: true,
    });
    return answer.upload;
  }

  /**
   * Adds credits to a user's balance, or removes them with a negative `credits`
   * (`POST /admin/credits`, admins only). Resolves with the new balance and the ledger entry. Not
   * retried once sent (a lost answer could otherwise grant twice): after a network error or
   * timeout, check `credits()` of that user before granting again.
   *
   * @throws `ForbiddenError` when the signed-in user is not an admin, `ValidationError`.
   *
   * @example
   * ```ts
   * const { balance } = await admin.grantCredits({ userId: "user_123", credits: 100, reason: "purchase #1234" });
   * ```
   */
  async grantCredits(input: GrantCreditsRequest, options: RequestOptions = {}): Promise<GrantCreditsResponse> {
    const { data } = await this.#transport.request({
      method: "POST",
      path: "/admin/credits",
      body: input,
      schema: GrantCreditsResponseSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      notIdempotent: true,
    });
    return data;
  }

  /** Whether the user has accepted the current terms version (`GET /terms/check`). */
  async checkTerms(options: RequestOptions = {}): Promise<TermsStatus> {
    const { data } = await this.#transport.request({
      method: "GET",
      path: "/terms/check",
      schema: TermsStatusSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return data;
  }

  /**
   * Accepts a terms version (`POST /terms/accept`); accepting twice is not an error.
   *
   * @throws `ConflictError` (`terms_version_mismatch`) when `version` is not the current one.
   *
   * @example
   * ```ts
   * const terms = await client.checkTerms();
   * if (!terms.accepted) await client.acceptTerms(terms.version);
   * ```
   */
  async acceptTerms(version: string, options: RequestOptions = {}): Promise<AcceptTermsResponse> {
    const { data } = await this.#transport.request({
      method: "POST",
      path: "/terms/accept",
      body: { version },
      schema: AcceptTermsResponseSchema,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return data;
  }

  /**
   * A live view of the user's videos; see {@link VideoWatcher}. Close it (or abort
   * `options.signal`) when done.
   *
   * @example
   * ```ts
   * const watcher = client.watch({ signal: controller.signal });
   * watcher.on("change", (snapshot) => render(snapshot.videos));
   * ```
   */
  watch(options: WatchOptions = {}): VideoWatcher {
    const transport = this.#transport;
    const host: WatcherHost = {
      list: async (query, signal) =>
        (
          await transport.request({
            method: "GET",
            path: "/videos",
            query: { ...query, limit: 200 },
            schema: ListVideosResponseSchema,
            signal,
          })
        ).data,
      get: (id, signal) => this.get(id, { signal }),
      openStream: (headers, signal) => transport.openStream("/videos/events", headers, signal),
      register: (listener) => {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
      },
    };
    return new VideoWatcher(host, options);
  }

  #notify(changes: VideoOrTombstone[]): void {
    if (changes.length === 0) return;
    for (const listener of this.#listeners) listener(changes);
  }
}

/**
 * Creates an OpenV client.
 *
 * @example Browser, signed in with Clerk
 * ```ts
 * const client = createClient({ baseUrl: "/api", getToken: () => clerk.session?.getToken() });
 * ```
 *
 * @example Node, against a development server
 * ```ts
 * const client = createClient({ baseUrl: "http://127.0.0.1:3000/api", headers: { "x-openv-user": "alice" } });
 * ```
 */
export function createClient(options: ClientOptions): OpenVClient {
  return new OpenVClient(options);
}
