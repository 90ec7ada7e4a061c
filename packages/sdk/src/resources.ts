import type {
  AcceptTermsResponse,
  CreditsResponse,
  GenerateResponse,
  GrantCreditsRequest,
  GrantCreditsResponse,
  Model,
  RemixRequest,
  TermsStatus,
  Upload,
  Usage,
  Video,
  VideoOrTombstone,
} from "@openv/protocol";
import type {
  APIPromise,
  CreateAndWaitOptions,
  CreateVideoInput,
  CreateVideoOptions,
  CreditsOptions,
  DeleteTarget,
  ListOptions,
  PagePromise,
  RequestOptions,
  UploadInput,
  UploadOptions,
} from "./options.js";

/** `client.videos`: the user's videos. */
export interface VideosResource {
  /**
   * Requests a video (`POST /videos`). Always sends an `Idempotency-Key` (yours, or a new one per
   * call), the same on every retry, so a retried submit is charged once. A `Blob`/`File` `image`
   * is uploaded first. The client's watchers show the new video at once. Whether the server
   * replayed an earlier answer: `(await create(…).withResponse()).response.headers.get("idempotent-replayed")`.
   *
   * @throws `ValidationError`, `TermsRequiredError`, `ConflictError` (`too_many_active_jobs`),
   * `QuotaExceededError` (seconds billing), `InsufficientCreditsError` (credits billing),
   * `ProviderUnavailableError`, `RateLimitedError`, and the transport errors.
   *
   * @example
   * ```ts
   * const { video, usage } = await client.videos.create({ prompt: "waves at night", frames: 31 });
   * ```
   */
  create(input: CreateVideoInput, options?: CreateVideoOptions): APIPromise<GenerateResponse>;
  /**
   * Requests a video and resolves once it has completed: the server is asked to hold its answer
   * until then (`wait`); only if the video is still unfinished after that does it follow that
   * video (its events on the stream, or `GET /videos/:id` while the stream is unavailable), never
   * the library.
   *
   * @throws `VideoFailedError` (with the failed `video`), `TimeoutError` after `timeoutMs`,
   * `AbortError`, `NotFoundError` if it is deleted meanwhile, and everything `create` throws.
   *
   * @example
   * ```ts
   * const video = await client.videos.createAndWait(
   *   { prompt: "a lighthouse at dusk" },
   *   { timeoutMs: 10 * 60_000, onProgress: (v) => console.log(v.status, v.progress) },
   * );
   * ```
   */
  createAndWait(input: CreateVideoInput, options?: CreateAndWaitOptions): Promise<Video>;
  /**
   * One video (`GET /videos/:id`).
   *
   * @throws `NotFoundError` when the user has no such video.
   */
  get(id: string, options?: RequestOptions): APIPromise<Video>;
  /**
   * The user's videos (`GET /videos`). Without `updatedSince`: live videos, newest first. With it:
   * every change after that time (ms), oldest first, tombstones of deleted videos included; pass
   * back the page's `serverTime` next time to miss nothing.
   *
   * @example
   * ```ts
   * const page = await client.videos.list({ limit: 20 });
   * for await (const video of client.videos.list()) console.log(video.id);
   * ```
   */
  list(options?: ListOptions & { updatedSince?: undefined }): PagePromise<Video>;
  /** With `updatedSince` (ms): every change after it, oldest first, tombstones included. */
  list(options: ListOptions & { updatedSince: number }): PagePromise<VideoOrTombstone>;
  /**
   * Deletes videos by id (or `{ids, jobIds}`), any number (sent 100 at a time). Resolves with the
   * ids deleted; ids the user does not own are left out, not an error. Unfinished jobs are
   * cancelled and their seconds refunded (deleting is how a render is cancelled). Every watcher of
   * the user sees the deletion.
   *
   * @example
   * ```ts
   * const deleted = await client.videos.delete([a.id, b.id]);
   * ```
   */
  delete(target: DeleteTarget, options?: RequestOptions): APIPromise<string[]>;
  /**
   * Remixes one of the user's completed videos (`POST /videos/:id/remix`): a new video with the
   * source's settings (prompt, negative prompt, frames, size, seed, steps, cfg, model, input image)
   * and `changes` applied; its `remixOf` names the source. Charged, limited and idempotent exactly
   * like `create` (an `Idempotency-Key` on every call, the same on retries); watchers show it at once.
   *
   * @throws `NotFoundError` when the source is not the user's or was deleted, `ConflictError`
   * (`video_not_completed`) when it has not completed, and everything `create` throws.
   *
   * @example
   * ```ts
   * const { video } = await client.videos.remix(source.id, { prompt: "the same fox, at night", seed: 7 });
   * ```
   */
  remix(id: string, changes?: RemixRequest, options?: RequestOptions): APIPromise<GenerateResponse>;
}

/** `client.uploads`: input images for image-to-video models. */
export interface UploadsResource {
  /**
   * Uploads an input image (`POST /uploads`): PNG, JPEG or WebP, up to 10 MiB, sent as the raw
   * body. Pass the upload's `id` as `image` to `videos.create` (or pass the `File` there
   * directly). Retried only when the server refused it without storing anything (429).
   *
   * @throws `ValidationError` (`unsupported_media_type`, `payload_too_large`, `validation_failed`),
   * `RateLimitedError`, and the transport errors.
   *
   * @example
   * ```ts
   * const upload = await client.uploads.create(input.files[0], { onProgress: ({ loaded, total }) => bar(loaded / total) });
   * ```
   */
  create(data: UploadInput, options?: UploadOptions): APIPromise<Upload>;
}

/** `client.terms`: the terms of use the user must accept before generating. */
export interface TermsResource {
  /** Whether the user has accepted the current terms version (`GET /terms/check`). */
  get(options?: RequestOptions): APIPromise<TermsStatus>;
  /**
   * Accepts a terms version (`POST /terms/accept`); accepting twice is not an error.
   *
   * @throws `ConflictError` (`terms_version_mismatch`) when `version` is not the current one.
   *
   * @example
   * ```ts
   * const terms = await client.terms.get();
   * if (!terms.accepted) await client.terms.accept(terms.version);
   * ```
   */
  accept(version: string, options?: RequestOptions): APIPromise<AcceptTermsResponse>;
}

/** `client.usage`: the current period's usage. Calling it (`client.usage()`) is deprecated. */
export interface UsageResource {
  /**
   * The current period's usage (`GET /usage`): seconds used, and either the seconds limit
   * (`limitSeconds`, `remainingSeconds`) or, under credits billing, the credit balance.
   */
  get(options?: RequestOptions): APIPromise<Usage>;
  /** @deprecated Use `client.usage.get()`. */
  (options?: RequestOptions): Promise<Usage>;
}

/** `client.models`: the server's model catalog. Calling it (`client.models()`) is deprecated. */
export interface ModelsResource {
  /**
   * The catalog (`GET /models`): each model's limits, whether it takes an input image and its
   * price in credits. The first model is the one a request without `model` gets.
   *
   * @example
   * ```ts
   * const imageModels = (await client.models.list()).filter((model) => model.image !== "none");
   * ```
   */
  list(options?: RequestOptions): APIPromise<Model[]>;
  /** @deprecated Use `client.models.list()`. */
  (options?: RequestOptions): Promise<Model[]>;
}

/** `client.credits`: the credit balance and ledger. Calling it (`client.credits()`) is deprecated. */
export interface CreditsResource {
  /**
   * The user's balance and newest ledger entries (`GET /credits`).
   *
   * @example
   * ```ts
   * const { balance, entries } = await client.credits.get({ limit: 10 });
   * ```
   */
  get(options?: CreditsOptions): APIPromise<CreditsResponse>;
  /**
   * Adds credits to a user's balance, or removes them with a negative `credits`
   * (`POST /admin/credits`, admins only). Not retried once sent (a lost answer could grant
   * twice): after a network error or timeout, check that user's balance before granting again.
   *
   * @throws `ForbiddenError` when the signed-in user is not an admin, `ValidationError`.
   *
   * @example
   * ```ts
   * await admin.credits.grant({ userId: "user_123", credits: 100, reason: "purchase #1234" });
   * ```
   */
  grant(input: GrantCreditsRequest, options?: RequestOptions): APIPromise<GrantCreditsResponse>;
  /** @deprecated Use `client.credits.get()`. */
  (options?: CreditsOptions): Promise<CreditsResponse>;
}
