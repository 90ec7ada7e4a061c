import { mkdir, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import { headers, type OpenApiDocument, openApiDocument } from "@openv/protocol";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import fp from "fastify-plugin";
import {
  type Adapters,
  loadOrCreateWebhookSecret,
  resolveAdapters,
  type ServiceOptions,
} from "../adapters/defaults.js";
import { defaultLifecycleConfig, type LifecycleConfig } from "../core/config.js";
import { VideoLifecycle } from "../core/lifecycle.js";
import { Reconciler, type ReconcilerOptions } from "../core/reconciler.js";
import { webhookToken } from "../core/webhook-token.js";
import { registerErrorHandling } from "./errors.js";
import { registerRoutes } from "./routes.js";

export interface OpenVPluginOptions extends Partial<Adapters>, ServiceOptions {
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
   * e.g. "https://videos.example.com". Default: the address the server listens on.
   */
  publicUrl?: string;
  /** Signs webhook URLs. Default: a secret kept in `dataDir` (or random per process). */
  webhookSecret?: string;
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** How often SSE streams send `event: ping`. Default 15 000 ms. */
  ssePingMs?: number;
  /** Per-user limit on generate requests (429 with Retry-After), or false. Default 60 a minute. */
  generateRateLimit?:
    | {
        /** Requests allowed per user in each window. */
        max: number;
        /** The window length in milliseconds. */
        timeWindowMs: number;
      }
    | false;
  /** The local preview provider's delay per simulated step, so progress is visible. Default 0. */
  previewStepDelayMs?: number;
  /**
   * The background loop that asks the provider about silent jobs (lost webhooks, progress, expired
   * jobs); see core/reconciler.ts for the timing. `false` turns it off (tests that drive it by hand).
   */
  reconciler?: Partial<ReconcilerOptions> | false;
  /** Serve the OpenAPI 3.1 document of these routes at `<prefix>/openapi.json`. Default true. */
  openapi?: boolean;
}

/** What the plugin adds to the Fastify instance as `fastify.openv`. */
export interface OpenVDecoration {
  /** The video lifecycle the routes use. */
  lifecycle: VideoLifecycle;
  /** The adapters in use, defaults filled in. */
  adapters: Adapters;
  /** The reconciler, also when its loop is off (`runOnce()` runs one pass). */
  reconciler: Reconciler;
  /** The base URL webhooks and file links use (resolved once the server listens). */
  publicUrl(): string;
}

declare module "fastify" {
  interface FastifyInstance {
    openv: OpenVDecoration;
  }
}

function listeningUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address === "string") {
    throw new Error("OpenV needs `publicUrl` when the server is not listening on a TCP port.");
  }
  const host = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

const openvPlugin: FastifyPluginAsync<OpenVPluginOptions> = async (app, options) => {
  const prefix = (options.prefix ?? "/api").replace(/\/$/, "");
  const dataDir =
    options.dataDir === undefined ? path.resolve(".openv") : options.dataDir && path.resolve(options.dataDir);
  const publicUrl = () => (options.publicUrl ?? listeningUrl(app)).replace(/\/$/, "");
  const config: LifecycleConfig = { ...defaultLifecycleConfig, ...options.config };
  const webhookSecret = options.webhookSecret ?? loadOrCreateWebhookSecret(dataDir);

  // Without a data dir (tests), local files still need a folder: a fresh temporary one.
  const filesDir = dataDir ? path.join(dataDir, "files") : await mkdtemp(path.join(os.tmpdir(), "openv-files-"));
  await mkdir(filesDir, { recursive: true });
  const adapters = await resolveAdapters(options, {
    dataDir,
    filesDir,
    databaseUrl: options.databaseUrl,
    filesBaseUrl: () => `${publicUrl()}${prefix}/files`,
    logger: app.log,
    previewStepDelayMs: options.previewStepDelayMs,
    clerk: options.clerk,
    runpod: options.runpod,
    uploadthing: options.uploadthing,
  });
  const servesLocalFiles = !options.storage && !options.uploadthing;
  const lifecycle = new VideoLifecycle({
    ...adapters,
    config,
    logger: app.log,
    webhookSecret,
    webhookUrl: (videoId, attempt) => {
      const query = new URLSearchParams({ video: videoId, attempt: String(attempt) });
      query.set("token", webhookToken(webhookSecret, videoId, attempt));
      return `${publicUrl()}${prefix}/runpod/webhook?${query}`;
    },
  });
  const reconciler = new Reconciler({
    lifecycle,
    store: adapters.store,
    logger: app.log,
    ...(options.reconciler && { options: options.reconciler }),
  });
  app.decorate("openv", { lifecycle, adapters, reconciler, publicUrl });

  const sseStreams = new Set<() => void>();
  // The loop starts once the server is ready (webhook URLs need its address) and stops before the
  // adapters close, finishing the pass in flight.
  if (options.reconciler !== false) app.addHook("onReady", async () => reconciler.start());
  app.addHook("preClose", async () => {
    for (const close of [...sseStreams]) close();
    await reconciler.stop();
  });
  app.addHook("onClose", async () => {
    await adapters.provider.close?.();
    await adapters.events.close?.();
    await adapters.store.close();
  });

  await app.register(
    async (api) => {
      const bodyLimit = options.bodyLimit ?? 1024 * 1024;
      api.addHook("onRoute", (route) => {
        route.bodyLimit ??= bodyLimit;
      });
      // Every answer names its request, so a client's error report can be found in the logs.
      api.addHook("onRequest", async (request, reply) => {
        reply.header(headers.requestId, request.id);
      });
      registerErrorHandling(api);
      await api.register(fastifyRateLimit, { global: false });
      if (servesLocalFiles) {
        await api.register(fastifyStatic, {
          root: filesDir,
          prefix: "/files/",
          decorateReply: false,
          index: false,
          maxAge: "1h",
        });
      }
      let document: OpenApiDocument | undefined;
      const describeRoutes = () =>
        (document ??= openApiDocument({
          prefix: prefix || "/",
          clerkWebhooks: adapters.userEvents !== null,
          localFiles: servesLocalFiles,
        }));
      await registerRoutes(api, {
        lifecycle,
        auth: adapters.auth,
        userEvents: adapters.userEvents,
        ssePingMs: options.ssePingMs ?? 15_000,
        sseStreams,
        generateRateLimit: options.generateRateLimit ?? { max: 60, timeWindowMs: 60_000 },
        openApiDocument: options.openapi === false ? null : describeRoutes,
      });
    },
    { prefix },
  );
};

/**
 * The OpenV backend as a Fastify plugin: every route of the HTTP contract under `prefix` ("/api").
 * Adapters not given are built from the options, down to embedded PostgreSQL, local files and the
 * local preview provider, so it runs with no configuration at all.
 *
 * @example
 * ```ts
 * const app = Fastify({ logger: true });
 * await app.register(openv, { prefix: "/api" });
 * await app.listen({ port: 3000 });
 * ```
 */
export const openv = fp(openvPlugin, { fastify: "5.x", name: "@openv/server" });
