import { mkdir, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { headers, type OpenApiDocument, openApiDocument } from "@openv/protocol";
import {
  type Adapters,
  defaultModels,
  loadOrCreateWebhookSecret,
  resolveAdapters,
  type ServiceOptions,
} from "../adapters/defaults.js";
import { type PreviewSettings, previewSettingsFor } from "../adapters/media/ffmpeg-previews.js"; // posters21
import { createGuardedFetch } from "../adapters/net/guarded-fetch.js";
import { ModelCatalog, type ModelDefinition } from "../core/catalog.js";
import { defaultLifecycleConfig, type LifecycleConfig } from "../core/config.js";
import { isOpenVError } from "../core/errors.js";
import { VideoLifecycle } from "../core/lifecycle.js";
import { OutboxDispatcher, type OutboxDispatcherOptions } from "../core/outbox.js";
import type { Logger, OutboxRecord } from "../core/ports.js";
import { previewDependencies } from "../core/previews.js"; // posters21
import { Reconciler, type ReconcilerOptions } from "../core/reconciler.js";
import { Shares } from "../core/shares.js"; // Share links (issue 21)
import { webhookToken } from "../core/webhook-token.js";
import { Cors, type CorsOptions } from "./cors.js";
import { payloadTooLarge, toOpenVError } from "./errors.js";
import { EventStreams } from "./event-streams.js";
import { GenerateRateLimiter, type GenerateRateLimits } from "./rate-limit.js";
import { decodeParams, noRouteError, type RouteMatch, Router } from "./router.js";
import { apiRoutes, lazyJson, type Route } from "./routes.js";
import { shareRoutes } from "./share-routes.js"; // Remix and share links (issue 21)
import type { ApiRequest, ApiResponse } from "./types.js";
import { workerUploadRoute, workerUploadsFor } from "./worker-upload-route.js";

/** The options both bindings (the Fastify plugin and the fetch handler) take. */
export interface OpenVOptions extends Partial<Adapters>, ServiceOptions, CorsOptions {
  /** Route prefix. Default "/api". */
  prefix?: string;
  /** Lifecycle rules (limits, terms version, retries); defaults per shared/API.md. */
  config?: Partial<LifecycleConfig>;
  /**
   * Where the embedded defaults keep their data (database, files, webhook secret). Default
   * "./.openv"; null keeps everything in memory (tests).
   */
  dataDir?: string | null;
  /** A PostgreSQL server for the store; when absent, embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string;
  /**
   * The URL this server is reachable at from the provider (webhooks) and from players (local files),
   * e.g. "https://videos.example.com". Never taken from a request header. Required by the fetch
   * handler; the Fastify plugin, when it is absent, uses the address it listens on if that is a
   * loopback address (development), else answers a configuration error naming this option.
   */
  publicUrl?: string | undefined;
  /**
   * Let development header auth (`X-OpenV-User`, used when no `clerk` is configured) run whatever
   * NODE_ENV says. Without it, dev auth runs only when NODE_ENV is unset, `development` or `test`.
   * Every binding logs a warning while it runs. Default false.
   */
  devAuth?: boolean | undefined;
  /**
   * Hosts a server-side fetch (copying a provider's output) may reach although they are loopback,
   * private, link-local or otherwise internal: `host[:port]` entries (no port: any), e.g.
   * `["gpu-box.lan:8000", "10.0.0.5"]` or the comma-separated OPENV_OUTPUT_ALLOWED_HOSTS. Default
   * none: such hosts are refused on every hop (docs/security.md, "Server-side fetches").
   */
  outputAllowedHosts?: string | readonly string[] | undefined;
  /** Signs webhook URLs. Default: a secret kept in `dataDir` (or random per process). */
  webhookSecret?: string;
  /** Largest request body in bytes (413 `payload_too_large` above it). Default 1 MiB. */
  bodyLimit?: number;
  /**
   * The most event streams (`GET /videos/events`) one user may hold open at once on this instance;
   * one more is answered 429 `rate_limited`. Default 10.
   */
  maxEventStreamsPerUser?: number;
  /** How often SSE streams send `event: ping`. Default 15 000 ms. */
  ssePingMs?: number;
  /**
   * Limits on generate requests per user and per client IP (429 `rate_limited` with Retry-After),
   * or false for none. Default 60 a minute per user, 300 a minute per IP.
   */
  generateRateLimit?: GenerateRateLimits | false;
  /** The local preview provider's delay per simulated step, so progress is visible. Default 0. */
  previewStepDelayMs?: number;
  /**
   * The background loop that asks the provider about silent jobs (lost webhooks, progress, expired
   * jobs); see core/reconciler.ts for the timing. `false` turns it off (tests that drive it by hand).
   */
  reconciler?: Partial<ReconcilerOptions> | false;
  /**
   * The background loop that delivers outbound webhooks from the outbox (when `outboundWebhooks` or
   * a `webhookSender` is configured); see core/outbox.ts for the timing and retries. `false` turns
   * the loop off (tests that drive it with `service.outbox.runOnce()`).
   */
  outbox?: Partial<OutboxDispatcherOptions> | false;
  /**
   * posters21: derive a poster (`posterUrl`) and a scrub sprite sheet (`sprite`) from each completed
   * video, stored beside it. `false` turns it off (the fields stay null); an object sets the ffmpeg
   * extractor's limits and the retry timing, or replaces ffmpeg (`extractor`). Default: on, with ffmpeg.
   * @example previews: { timeoutMs: 10_000 }
   */
  previews?: boolean | PreviewSettings | undefined;
  /** Serve the OpenAPI 3.1 document of these routes at `<prefix>/openapi.json`. Default true. */
  openapi?: boolean;
  // Invite-only access (access21):
  /**
   * `invite` makes new users `restricted`: generate, remix and uploads answer 403
   * `access_restricted` until they redeem a voucher an admin (`config.adminUserIds`) issued
   * (`POST /admin/vouchers`). Same as `config.access`; the reference server reads OPENV_ACCESS.
   * Default `open`.
   */
  access?: "open" | "invite" | undefined;
  /** The time voucher expiry is judged by. Default the system clock (tests pass one they advance). */
  clock?: () => Date;
  /**
   * The models users may ask for (`GET /models`), each with its limits, price in credits and the
   * provider registry key it renders on. The first is the default. Default: Mochi 1 on the main provider.
   */
  models?: ModelDefinition[];
  /** Share links (issue 21). */
  shares?: {
    /** The clock links expire by, in Unix ms (tests advance it). Default `Date.now`. */
    now?: () => number;
  };
}

/** What a binding tells the service about its host. */
export interface ServiceHost {
  /** Where the service logs. */
  logger: Logger;
  /** The base URL when `publicUrl` is not set, or undefined when not known yet. */
  defaultPublicUrl(): string | undefined;
}

export const defaultBodyLimit = 1024 * 1024;

/** Refuses a `publicUrl` that is not an absolute http(s) origin (with an optional path). */
function checkPublicUrl(value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash || url.username) {
    throw new Error(
      `OpenV's publicUrl must be an absolute http(s) URL without query, fragment or credentials, e.g. "https://videos.example.com" (got ${JSON.stringify(value)}).`,
    );
  }
}

function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [key, value] of query) {
    const previous = result[key];
    result[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return result;
}

/**
 * The OpenV backend without a web framework: the adapters, the lifecycle, the reconciler and the
 * routes of shared/API.md behind one `handle(request)`. The Fastify plugin and the fetch handler
 * only translate requests and answers; everything else happens here, once.
 */
export class OpenVService {
  /** The video lifecycle the routes use. */
  readonly lifecycle: VideoLifecycle;
  /** The adapters in use, defaults filled in. */
  readonly adapters: Adapters;
  /** The reconciler, also when its loop is off (`runOnce()` runs one pass). */
  readonly reconciler: Reconciler;
  /**
   * The dispatcher of outbound webhooks, also when its loop is off (`runOnce()` runs one pass);
   * null when no outbound webhooks are configured.
   */
  readonly outbox: OutboxDispatcher | null;
  /** The route prefix, without a trailing slash ("" for none). */
  readonly prefix: string;
  /** The largest request body in bytes. */
  readonly bodyLimit: number;
  /** CORS decisions. */
  readonly #cors: Cors;
  readonly #router: Router;
  readonly #rateLimiter: GenerateRateLimiter;
  readonly #sseStreams: EventStreams;
  readonly #logger: Logger;
  readonly #runReconciler: boolean;
  readonly #runOutbox: boolean;
  readonly #publicUrl: () => string;
  #started = false;

  private constructor(init: {
    lifecycle: VideoLifecycle;
    adapters: Adapters;
    reconciler: Reconciler;
    outbox: OutboxDispatcher | null;
    prefix: string;
    options: OpenVOptions;
    routes: Route[];
    sseStreams: EventStreams;
    logger: Logger;
    publicUrl: () => string;
  }) {
    this.lifecycle = init.lifecycle;
    this.adapters = init.adapters;
    this.reconciler = init.reconciler;
    this.outbox = init.outbox;
    this.prefix = init.prefix;
    this.bodyLimit = init.options.bodyLimit ?? defaultBodyLimit;
    this.#cors = new Cors(init.options);
    this.#router = new Router(init.routes, this.bodyLimit);
    this.#rateLimiter = new GenerateRateLimiter(init.options.generateRateLimit ?? {});
    this.#sseStreams = init.sseStreams;
    this.#logger = init.logger;
    this.#runReconciler = init.options.reconciler !== false;
    this.#runOutbox = init.options.outbox !== false;
    this.#publicUrl = init.publicUrl;
  }

  /** Builds the adapters not given (opening databases, applying migrations) and the lifecycle. */
  static async create(options: OpenVOptions, host: ServiceHost): Promise<OpenVService> {
    const prefix = (options.prefix ?? "/api").replace(/\/$/, "");
    const dataDir =
      options.dataDir === undefined ? path.resolve(".openv") : options.dataDir && path.resolve(options.dataDir);
    if (options.publicUrl !== undefined) checkPublicUrl(options.publicUrl);
    const publicUrl = () => {
      const url = options.publicUrl ?? host.defaultPublicUrl();
      if (!url)
        throw new Error("OpenV needs `publicUrl`: the origin users and the video provider reach this server at.");
      return url.replace(/\/$/, "");
    };
    const config: LifecycleConfig = {
      ...defaultLifecycleConfig,
      ...options.config,
      ...(options.access !== undefined && { access: options.access }), // access21
    };
    if (config.access !== "open" && config.access !== "invite") {
      throw new Error(`OpenV's access must be "open" or "invite" (got ${JSON.stringify(config.access)}).`);
    }
    // Before any database opens, so a bad allow-list entry stops the start at once.
    const outboundFetch = createGuardedFetch({ allowedHosts: options.outputAllowedHosts, logger: host.logger });
    const webhookSecret = options.webhookSecret ?? loadOrCreateWebhookSecret(dataDir);

    // Without a data dir (tests), local files still need a folder: a fresh temporary one.
    const filesDir = dataDir ? path.join(dataDir, "files") : await mkdtemp(path.join(os.tmpdir(), "openv-files-"));
    await mkdir(filesDir, { recursive: true });
    const servesLocalFiles = !options.storage && !options.uploadthing && !options.s3;
    const workerUploads = workerUploadsFor(options, { secret: webhookSecret, publicUrl, prefix });
    const adapters = await resolveAdapters(options, {
      dataDir,
      filesDir,
      databaseUrl: options.databaseUrl,
      filesBaseUrl: () => `${publicUrl()}${prefix}/files`,
      logger: host.logger,
      previewStepDelayMs: options.previewStepDelayMs,
      devAuth: options.devAuth,
      clerk: options.clerk,
      runpod:
        workerUploads && options.runpod
          ? { ...options.runpod, uploadTarget: (videoId, attempt) => workerUploads.target(videoId, attempt) }
          : options.runpod,
      fal: options.fal,
      runway: options.runway,
      workflow: options.workflow,
      uploadthing: options.uploadthing,
      openai: options.openai,
      s3: options.s3,
      outboundWebhooks: options.outboundWebhooks,
    });
    // One line, whichever binding runs the service (plugin, fetch handler, reference server).
    host.logger.info(
      {
        store: adapters.store.name,
        auth: adapters.auth.name,
        storage: adapters.storage.name,
        provider: adapters.provider.name,
        providers: Object.fromEntries(
          Object.entries(adapters.providers).map(([key, provider]) => [key, provider.name]),
        ),
        events: adapters.events.name,
        enhancer: adapters.enhancer?.name ?? "none",
        userWebhooks:
          adapters.userEvents?.name ??
          "none (no `clerk.webhookSigningSecret`; CLERK_WEBHOOK_SIGNING_SECRET for the reference server)",
        outboundWebhooks:
          adapters.webhookSender?.name ?? "none (no `outboundWebhooks`; OPENV_WEBHOOK_URL for the reference server)",
      },
      "OpenV adapters",
    );
    const outbox = adapters.webhookSender
      ? new OutboxDispatcher({
          store: adapters.store,
          sender: adapters.webhookSender,
          logger: host.logger,
          // Signs a private storage URL at each attempt; `lifecycle` exists by the first send.
          prepare: (message: OutboxRecord): Promise<OutboxRecord> => lifecycle.presentOutboxMessage(message),
          ...(options.outbox && { options: options.outbox }),
        })
      : null;
    const lifecycle = new VideoLifecycle({
      ...adapters,
      outboundFetch,
      models: new ModelCatalog(options.models ?? defaultModels(options)),
      config,
      logger: host.logger,
      webhookSecret,
      outboundWebhooks: outbox !== null,
      ...(options.clock && { clock: options.clock }),
      ...previewDependencies(previewSettingsFor(options.previews)), // posters21
      ...(outbox && { onOutboxCommitted: () => outbox.nudge() }),
      webhookUrl: (videoId, attempt) => {
        const query = new URLSearchParams({ video: videoId, attempt: String(attempt) });
        query.set("token", webhookToken(webhookSecret, videoId, attempt));
        return `${publicUrl()}${prefix}/runpod/webhook?${query}`;
      },
    });
    const reconciler = new Reconciler({
      lifecycle,
      store: adapters.store,
      storage: adapters.storage,
      logger: host.logger,
      ...(options.reconciler && { options: options.reconciler }),
    });
    let document: OpenApiDocument | undefined;
    const describeRoutes = () =>
      (document ??= openApiDocument({
        prefix: prefix || "/",
        clerkWebhooks: adapters.userEvents !== null,
        localFiles: servesLocalFiles,
        workerUploads: workerUploads !== null,
      }));
    const sseStreams = new EventStreams({
      maxPerUser: options.maxEventStreamsPerUser,
      subscribe: (userId, listener, onMissed) => lifecycle.subscribe(userId, listener, onMissed),
      logger: host.logger,
    });
    const routes = [
      ...(workerUploads ? [workerUploadRoute(workerUploads, adapters)] : []),
      ...apiRoutes({
        lifecycle,
        userEvents: adapters.userEvents,
        filesDir: servesLocalFiles ? filesDir : null,
        openApiDocument: options.openapi === false ? null : describeRoutes,
        ssePingMs: options.ssePingMs ?? 15_000,
        sseStreams,
        log: host.logger,
      }),
      // Remix and share links (issue 21)
      ...shareRoutes({
        lifecycle,
        shares: new Shares({
          store: adapters.store,
          logger: host.logger,
          shareUrl: (token) => `${publicUrl()}${prefix}/share/${token}`,
          now: options.shares?.now,
        }),
        storage: adapters.storage,
        filesDir: servesLocalFiles ? filesDir : null,
        sseStreams,
      }),
    ];
    return new OpenVService({
      lifecycle,
      adapters,
      reconciler,
      outbox,
      prefix,
      options,
      routes,
      sseStreams,
      logger: host.logger,
      publicUrl,
    });
  }

  /** The base URL webhooks and file links use. Throws until it is known. */
  publicUrl(): string {
    return this.#publicUrl();
  }

  /** Starts the reconciler's and the outbox's loops (unless turned off); the public URL must be known by then. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#runReconciler) this.reconciler.start();
    if (this.#runOutbox) this.outbox?.start();
  }

  /** Ends the event streams and stops the reconciler and the outbox dispatcher, finishing the passes in flight. */
  async stop(): Promise<void> {
    this.#sseStreams.closeAll();
    await Promise.all([this.reconciler.stop(), this.outbox?.stop(), this.lifecycle.stopPreviews()]);
  }

  /** Closes the adapters (provider, events, database). Call after `stop()`. */
  async closeAdapters(): Promise<void> {
    const providers = new Set([this.adapters.provider, ...Object.values(this.adapters.providers)]);
    for (const provider of providers) await provider.close?.();
    await this.adapters.events.close?.();
    await this.adapters.store.close();
  }

  /** Every route served, as method and full path (`:name` for parameters), e.g. `GET /api/videos/:id`. */
  routes(): {
    /** The HTTP method. */
    method: string;
    /** The full path, prefix included. */
    path: string;
  }[] {
    return this.#router.routes.map((route) => ({ method: route.method, path: `${this.prefix}${route.path}` }));
  }

  /**
   * Where `method` `path` (below the prefix, as in `ApiRequest.path`) leads, and so how many body
   * bytes a binding may read for it: the route's limit (1 MiB by default, 10 MiB on uploads), and
   * none on an unknown path or method. Pass the match on to `handle` so routing runs once.
   */
  match(method: string, path: string): RouteMatch {
    return this.#router.match(method, path);
  }

  /** Whether `path` (a full request path) belongs to this service's prefix. */
  owns(pathname: string): boolean {
    return this.prefix === "" || pathname === this.prefix || pathname.startsWith(`${this.prefix}/`);
  }

  /**
   * Serves one request: CORS, routing, auth, rate limits, the route, and errors as the contract's
   * bodies. `match` is what `match()` gave for this request (matched here when absent).
   */
  async handle(request: ApiRequest, match?: RouteMatch): Promise<ApiResponse> {
    if (this.#cors.isPreflight(request.method, request.headers)) {
      return {
        status: 204,
        headers: { ...this.#cors.preflightHeaders(request.headers.origin), [headers.requestId]: request.requestId },
      };
    }
    let response: ApiResponse;
    try {
      response = await this.#route(request, match ?? this.match(request.method, request.path));
    } catch (error) {
      response = this.#errorAnswer(error, request);
    }
    return this.#withCommonHeaders(response, request);
  }

  /** An error raised by the binding itself (an oversize body, say) as the contract's answer. */
  errorResponse(error: unknown, request: Pick<ApiRequest, "headers" | "requestId" | "log">): ApiResponse {
    return this.#withCommonHeaders(this.#errorAnswer(error, request), request);
  }

  /** What every answer carries: the CORS headers for its origin and the request's id. */
  #withCommonHeaders(response: ApiResponse, request: Pick<ApiRequest, "headers" | "requestId">): ApiResponse {
    return {
      ...response,
      headers: {
        ...response.headers,
        ...this.#cors.responseHeaders(request.headers.origin),
        [headers.requestId]: request.requestId,
      },
    };
  }

  #errorAnswer(error: unknown, request: Pick<ApiRequest, "log">): ApiResponse {
    const openvError = toOpenVError(error);
    if (openvError.status >= 500) (request.log ?? this.#logger).error({ err: error }, "request failed");
    const errorHeaders: Record<string, string> = {};
    if (openvError.retryAfterSeconds !== undefined) errorHeaders["retry-after"] = String(openvError.retryAfterSeconds);
    if (openvError.allow) errorHeaders.allow = openvError.allow.join(", ");
    return {
      status: openvError.status,
      json: openvError.toBody(this.prefix),
      ...(Object.keys(errorHeaders).length > 0 && { headers: errorHeaders }),
    };
  }

  /**
   * The caller's user id. On generate routes a failed authentication counts against the address's
   * unauthenticated budget (429 once spent, else the 401). A user whose account was deleted gets 401
   * on every route until the account is re-created.
   */
  async #authenticate(request: ApiRequest, generate: boolean): Promise<string> {
    let userId: string;
    try {
      ({ userId } = await this.adapters.auth.authenticate({ headers: request.headers }));
    } catch (error) {
      if (generate && isOpenVError(error) && error.code === "unauthorized") {
        await this.#rateLimiter.countFailedAuthentication(request.ip);
      }
      throw error;
    }
    await this.lifecycle.assertActiveUser(userId);
    return userId;
  }

  async #route(request: ApiRequest, match: RouteMatch): Promise<ApiResponse> {
    if (match.kind !== "route") throw noRouteError(match, request.method, `${this.prefix}${request.path}`);
    const { route, params, bodyLimit } = match;
    if (request.body && request.body.byteLength > bodyLimit) throw payloadTooLarge(bodyLimit);
    let rateHeaders: Record<string, string> = {};
    const userId = route.auth ? await this.#authenticate(request, route.generate === true) : "";
    if (route.generate) {
      // After authentication: strangers cannot spend an address's budget (see rate-limit.ts).
      await this.#rateLimiter.checkIp(request.ip);
      rateHeaders = await this.#rateLimiter.checkUser(userId);
    }
    const response = await route.handle({
      request,
      params: decodeParams(params),
      userId,
      json: lazyJson(request, route),
      query: () => queryObject(request.query),
    });
    return Object.keys(rateHeaders).length
      ? { ...response, headers: { ...rateHeaders, ...response.headers } }
      : response;
  }
}
