import {
  AcceptTermsResponseSchema,
  CreditsResponseSchema,
  DeleteVideosResponseSchema,
  type GenerateRequest,
  GenerateResponseSchema,
  GrantCreditsResponseSchema,
  ListLiveVideosResponseSchema,
  ListModelsResponseSchema,
  ListVideosResponseSchema,
  headers as protocolHeaders,
  type RemixRequest,
  TermsStatusSchema,
  type Upload,
  UploadResponseSchema,
  UsageSchema,
  type Video,
  type VideoOrTombstone,
  VideoResponseSchema,
} from "@openv/protocol";
import { apiPromise, type Sent } from "./_internal/api-promise.js";
import { followVideo } from "./_internal/follow-video.js";
import { type Call, Transport, transportOptions } from "./_internal/transport.js";
import type {
  APIPromise,
  ClientOptions,
  CreateVideoInput,
  CreateVideoOptions,
  DeleteTarget,
  GenerateResult,
  ListOptions,
  PagePromise,
  RequestOptions,
  UploadInput,
  UploadOptions,
  VideoPage,
} from "./options.js";
import type {
  CreditsResource,
  ModelsResource,
  TermsResource,
  UploadsResource,
  UsageResource,
  VideosResource,
} from "./resources.js";
import { VideoWatcher, type WatcherHost, type WatchOptions } from "./watcher.js";

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

const same = <T>(data: T) => data;

/**
 * The OpenV client: resources for every route of the contract (`videos`, `uploads`, `terms`,
 * `usage`, `credits`, `models`), idempotent submits, retries and live watchers. Create it with
 * {@link createClient}.
 */
export class OpenVClient {
  readonly #transport: Transport;
  readonly #listeners = new Set<(changes: VideoOrTombstone[]) => void>();

  /** The user's videos: create (and wait), get, list, delete. */
  readonly videos: VideosResource;
  /** Input images for image-to-video models. */
  readonly uploads: UploadsResource;
  /** The terms of use. */
  readonly terms: TermsResource;
  /** The current period's usage. */
  readonly usage: UsageResource;
  /** The credit balance and ledger, and admin grants. */
  readonly credits: CreditsResource;
  /** The model catalog. */
  readonly models: ModelsResource;

  /** @internal Use {@link createClient}. */
  constructor(options: ClientOptions) {
    this.#transport = new Transport(transportOptions(options));
    const send = <T, R = T>(call: Call<T>, map: (data: T) => R) => apiPromise(this.#transport.request(call), map);
    const get = (path: string) => ({ method: "GET" as const, path });

    const upload = (data: UploadInput, options: UploadOptions = {}): APIPromise<Upload> => {
      const isBlob = typeof Blob === "function" && data instanceof Blob;
      const contentType = options.contentType || (isBlob && data.type) || "application/octet-stream";
      // The bytes, not the Blob: any Blob implementation (a polyfill, a test DOM) reaches fetch as
      // bytes it can send, and the same bytes can go again after a 429.
      const sent = (isBlob ? data.arrayBuffer().then((bytes) => new Uint8Array(bytes)) : Promise.resolve(data)).then(
        (body) =>
          this.#transport.request({
            method: "POST",
            path: "/uploads",
            body,
            headers: { "content-type": contentType },
            schema: UploadResponseSchema,
            options,
            notIdempotent: true,
            onUploadProgress: options.onProgress,
          }),
      );
      return apiPromise(sent, (answer) => answer.upload);
    };

    // Remix (issue 21) sends its changes the same way, to the source's `/remix`.
    const create = (input: CreateVideoInput | RemixRequest, options: CreateVideoOptions = {}, path = "/videos") => {
      const sent = (async () => {
        const { image, ...rest } = input as CreateVideoInput;
        const body: GenerateRequest = { ...rest };
        if (typeof image === "string") body.image = image;
        else if (image) body.image = (await upload(image, options)).id;
        const answer = await this.#transport.request({
          method: "POST",
          path,
          body,
          headers: {
            [protocolHeaders.idempotencyKey]: options.idempotencyKey ?? newIdempotencyKey(),
            ...(options.wait && { prefer: `wait=${options.wait}` }),
          },
          schema: GenerateResponseSchema,
          options,
          retryInProgress: true,
          holdMs: (options.wait ?? 0) * 1000,
        });
        this.#notify([answer.data.video]);
        return answer;
      })();
      return apiPromise(sent, same);
    };
    const videoPath = (id: string) => `/videos/${encodeURIComponent(id)}`;

    const list = (options: ListOptions & { updatedSince?: number | undefined } = {}) => {
      const { updatedSince, limit } = options;
      const fetchPage = (cursor: string | undefined): Sent<VideoPage<VideoOrTombstone>> =>
        this.#transport.request<VideoPage<VideoOrTombstone>>({
          ...get("/videos"),
          query: { updatedSince, limit, cursor },
          schema: updatedSince === undefined ? ListLiveVideosResponseSchema : ListVideosResponseSchema,
          options,
        });
      const first = fetchPage(options.cursor);
      return Object.assign(apiPromise(first, same), {
        async *[Symbol.asyncIterator]() {
          let page = (await first).data;
          for (;;) {
            yield* page.videos;
            if (page.nextCursor === null) return;
            page = (await fetchPage(page.nextCursor)).data;
          }
        },
      });
    };

    const remove = (target: DeleteTarget, options: RequestOptions = {}) => {
      const { ids = [], jobIds = [] }: { ids?: readonly string[] | undefined; jobIds?: readonly string[] | undefined } =
        typeof target === "string" ? { ids: [target] } : isReadonlyArray(target) ? { ids: target } : target;
      const sent = (async () => {
        const deleted: string[] = [];
        let response: Response | undefined;
        // Ids first, then job ids, 100 per request.
        for (let start = 0; start < ids.length + jobIds.length; start += deleteBatch) {
          const end = start + deleteBatch;
          const batchIds = ids.slice(start, end);
          const batchJobIds = jobIds.slice(Math.max(0, start - ids.length), Math.max(0, end - ids.length));
          const answer = await this.#transport.request({
            method: "DELETE",
            path: "/videos",
            body: {
              ...(batchIds.length > 0 && { ids: batchIds }),
              ...(batchJobIds.length > 0 && { jobIds: batchJobIds }),
            },
            schema: DeleteVideosResponseSchema,
            options,
          });
          response = answer.response;
          deleted.push(...answer.data.deleted);
          const updatedAt = new Date().toISOString();
          this.#notify(answer.data.deleted.map((id) => ({ id, deleted: true as const, updatedAt })));
        }
        return { data: deleted, response: response ?? new Response(null, { status: 204 }) };
      })();
      return apiPromise(sent, same);
    };

    this.videos = {
      create,
      createAndWait: async (input, options = {}) => {
        const started = Date.now();
        // Wait (issue 21): the server holds the answer for the finish first (not with onProgress);
        // `timeoutMs` still bounds the whole call.
        const { video } = await create(input, { ...options, wait: options.wait ?? (options.onProgress ? 0 : 60) });
        const left =
          options.timeoutMs === undefined ? undefined : Math.max(0, options.timeoutMs - (Date.now() - started));
        return followVideo(
          {
            get: (id, signal) =>
              send(
                {
                  ...get(`/videos/${encodeURIComponent(id)}`),
                  schema: VideoResponseSchema,
                  options: { ...options, signal, timeoutMs: undefined },
                },
                (answer) => answer.video,
              ),
            openStream: (signal) => this.#transport.openStream("/videos/events", {}, options.headers ?? {}, signal),
          },
          video,
          { ...options, timeoutMs: left },
        );
      },
      get: (id, options) =>
        send(
          { ...get(`/videos/${encodeURIComponent(id)}`), schema: VideoResponseSchema, options },
          (answer) => answer.video,
        ),
      list: list as VideosResource["list"],
      delete: remove,
      remix: (id, changes = {}, options) => create(changes, options, `${videoPath(id)}/remix`),
    };

    this.uploads = { create: upload };
    this.terms = {
      get: (options) => send({ ...get("/terms/check"), schema: TermsStatusSchema, options }, same),
      accept: (version, options) =>
        send(
          { method: "POST", path: "/terms/accept", body: { version }, schema: AcceptTermsResponseSchema, options },
          same,
        ),
    };
    const usage = (options?: RequestOptions) => send({ ...get("/usage"), schema: UsageSchema, options }, same);
    this.usage = Object.assign(usage, { get: usage });
    const models = (options?: RequestOptions) =>
      send({ ...get("/models"), schema: ListModelsResponseSchema, options }, (answer) => answer.models);
    this.models = Object.assign(models, { list: models });
    const credits: CreditsResource["get"] = (options) =>
      send({ ...get("/credits"), query: { limit: options?.limit }, schema: CreditsResponseSchema, options }, same);
    this.credits = Object.assign(credits, {
      get: credits,
      grant: (input: Parameters<CreditsResource["grant"]>[0], options?: RequestOptions) =>
        send(
          {
            method: "POST" as const,
            path: "/admin/credits",
            body: input,
            schema: GrantCreditsResponseSchema,
            options,
            notIdempotent: true,
          },
          same,
        ),
    });
  }

  /** @deprecated Use `client.videos.create()` (its answer without `replayed`/`idempotencyKey`; read those from `.withResponse()`). */
  async generate(input: CreateVideoInput, options: RequestOptions = {}): Promise<GenerateResult> {
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    const { data, response } = await this.videos.create(input, { ...options, idempotencyKey }).withResponse();
    return { ...data, replayed: response.headers.get(protocolHeaders.idempotentReplayed) === "true", idempotencyKey };
  }

  /** @deprecated Use `client.videos.get()`. */
  get(id: string, options?: RequestOptions): APIPromise<Video> {
    return this.videos.get(id, options);
  }

  /** @deprecated Use `client.videos.list()`. */
  list(options?: ListOptions & { updatedSince?: undefined }): PagePromise<Video>;
  /** @deprecated Use `client.videos.list()`. */
  list(options: ListOptions & { updatedSince: number }): PagePromise<VideoOrTombstone>;
  list(options?: ListOptions & { updatedSince?: number | undefined }): PagePromise<VideoOrTombstone> {
    return (this.videos.list as (options?: ListOptions) => PagePromise<VideoOrTombstone>)(options);
  }

  /** @deprecated Use `client.videos.delete()`. */
  delete(target: DeleteTarget, options?: RequestOptions): APIPromise<string[]> {
    return this.videos.delete(target, options);
  }

  /** @deprecated Use `client.uploads.create()`. */
  uploadImage(data: UploadInput, options?: UploadOptions): APIPromise<Upload> {
    return this.uploads.create(data, options);
  }

  /** @deprecated Use `client.credits.grant()`. */
  grantCredits(...args: Parameters<CreditsResource["grant"]>): ReturnType<CreditsResource["grant"]> {
    return this.credits.grant(...args);
  }

  /** @deprecated Use `client.terms.get()`. */
  checkTerms(options?: RequestOptions): ReturnType<TermsResource["get"]> {
    return this.terms.get(options);
  }

  /** @deprecated Use `client.terms.accept()`. */
  acceptTerms(version: string, options?: RequestOptions): ReturnType<TermsResource["accept"]> {
    return this.terms.accept(version, options);
  }

  /**
   * A live view of the user's videos; see {@link VideoWatcher}. Close it (or abort
   * `options.signal`) when done.
   *
   * @example
   * ```ts
   * const watcher = client.watch({ signal: controller.signal });
   * const unsubscribe = watcher.subscribe((snapshot) => render(snapshot.videos));
   * ```
   */
  watch(options: WatchOptions = {}): VideoWatcher {
    const transport = this.#transport;
    const host: WatcherHost = {
      list: async (query, signal) =>
        (
          await transport.request({
            ...{ method: "GET", path: "/videos" },
            query: { ...query, limit: 200 },
            schema: ListVideosResponseSchema,
            options: { signal },
          })
        ).data,
      get: (id, signal) => this.videos.get(id, { signal }),
      openStream: (query, headers, signal) => transport.openStream("/videos/events", query, headers, signal),
      register: (listener) => {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
      },
    };
    return new VideoWatcher(host, options);
  }

  /**
   * @internal Sends one call through this client's transport (retries, auth, typed errors): how the
   * tree-shakable calls outside the class (`getAccess`, `@openv/sdk/admin`) reach the server.
   *
   * @hidden
   */
  _send<T>(call: Call<T>): APIPromise<T> {
    return apiPromise(this.#transport.request(call), same);
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
