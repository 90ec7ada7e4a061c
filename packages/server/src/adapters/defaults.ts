import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type {
  Auth,
  Events,
  Logger,
  Provider,
  Storage,
  Store,
  UserEventVerifier,
  WebhookSender,
} from "../core/ports.js";
import { type ClerkAuthOptions, createClerkAuth } from "./auth/clerk.js";
import { createClerkWebhookVerifier } from "./auth/clerk-webhook.js";
import { createDevHeaderAuth } from "./auth/dev-header.js";
import { createMemoryEvents } from "./events/memory.js";
import { createPostgresEvents } from "./events/postgres.js";
import { createLocalPreviewProvider } from "./provider/local.js";
import { createRunPodProvider, type RunPodProviderOptions } from "./provider/runpod.js";
import { createLocalStorage } from "./storage/local.js";
import { createUploadThingStorage } from "./storage/uploadthing.js";
import { createEmbeddedStore } from "./store/embedded.js";
import { createPostgresStore } from "./store/postgres.js";
import { createStandardWebhookSender, type StandardWebhookSenderOptions } from "./webhooks/standard.js";

/** The implementations of the ports a server runs with. */
export interface Adapters {
  /** The database. Default: PostgreSQL at `databaseUrl`, else embedded PostgreSQL (PGlite) in `dataDir`. */
  store: Store;
  /** Who is calling. Default: Clerk when configured, else the development header auth. */
  auth: Auth;
  /** Where finished videos are kept. Default: UploadThing when configured, else local files. */
  storage: Storage;
  /** The service that renders videos. Default: RunPod when configured, else the local preview provider. */
  provider: Provider;
  /** Live video changes. Default: PostgreSQL LISTEN/NOTIFY with `databaseUrl`, else in this process. */
  events: Events;
  /** Verifies the identity provider's user webhooks; null when none is configured (no route). */
  userEvents: UserEventVerifier | null;
  /**
   * Sends outbound webhooks (`video.completed`, `video.failed`, `video.deleted`) to the host app.
   * Default: Standard Webhooks to `outboundWebhooks.url` when configured, else null (none are queued).
   */
  webhookSender: WebhookSender | null;
}

/** Clerk settings: auth for every route, and the signing secret of its user webhooks. */
export interface ClerkOptions extends ClerkAuthOptions {
  /** CLERK_WEBHOOK_SIGNING_SECRET (`whsec_…`): enables POST /webhooks/clerk. */
  webhookSigningSecret?: string | undefined;
}

/** The production services, each replacing its embedded default when given. */
export interface ServiceOptions {
  /** Clerk authentication and user webhooks; replaces the development header auth. */
  clerk?: ClerkOptions | undefined;
  /** RunPod as the video provider; replaces the local preview provider. */
  runpod?: RunPodProviderOptions | undefined;
  /** UploadThing storage for finished videos; replaces local files. */
  uploadthing?:
    | {
        /** The UploadThing API token (UPLOADTHING_TOKEN). */
        token: string;
      }
    | undefined;
  /**
   * Outbound webhooks to the host app, signed per Standard Webhooks (OPENV_WEBHOOK_URL,
   * OPENV_WEBHOOK_SIGNING_SECRET): a video that completes, fails or is deleted queues a message in
   * the outbox with the change, and the dispatcher delivers it with retries. Default: none.
   */
  outboundWebhooks?: StandardWebhookSenderOptions | undefined;
}

export interface DefaultAdapterOptions extends ServiceOptions {
  /** Where embedded data lives (database, files, webhook secret); null keeps everything in memory. */
  dataDir: string | null;
  /** Where local files are kept (`dataDir`/files, or a temporary folder). */
  filesDir: string;
  /** A PostgreSQL server; when absent, embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string | undefined;
  /** The public URL local files are served under (`<public URL><prefix>/files`). */
  filesBaseUrl: () => string;
  logger: Logger;
  previewStepDelayMs?: number | undefined;
  nodeEnv?: string | undefined;
}

/**
 * Fills every adapter not given: from the service settings when present (Clerk, RunPod,
 * UploadThing, LISTEN/NOTIFY with a PostgreSQL server), else with its embedded default
 * (shared/DESIGN.md, "ports").
 */
export async function resolveAdapters(given: Partial<Adapters>, options: DefaultAdapterOptions): Promise<Adapters> {
  const { logger } = options;
  // Auth first: a refusal (dev auth in production) must come before any database is opened.
  const auth =
    given.auth ?? (options.clerk ? createClerkAuth(options.clerk) : createDevHeaderAuth({ nodeEnv: options.nodeEnv }));
  // So must a refused webhook secret.
  const webhookSender =
    given.webhookSender ?? (options.outboundWebhooks ? createStandardWebhookSender(options.outboundWebhooks) : null);
  const store =
    given.store ??
    (options.databaseUrl
      ? await createPostgresStore({ connectionString: options.databaseUrl })
      : await createEmbeddedStore(options.dataDir ? { dataDir: options.dataDir } : {}));
  const userEvents =
    given.userEvents ??
    (options.clerk?.webhookSigningSecret
      ? createClerkWebhookVerifier({ signingSecret: options.clerk.webhookSigningSecret })
      : null);
  const storage =
    given.storage ??
    (options.uploadthing
      ? createUploadThingStorage({ token: options.uploadthing.token, logger })
      : createLocalStorage({ directory: options.filesDir, baseUrl: options.filesBaseUrl }));
  const provider =
    given.provider ??
    (options.runpod
      ? createRunPodProvider(options.runpod)
      : createLocalPreviewProvider({ storage, logger, stepDelayMs: options.previewStepDelayMs ?? 0 }));
  const events =
    given.events ??
    (options.databaseUrl
      ? await createPostgresEvents({ connectionString: options.databaseUrl, logger })
      : createMemoryEvents());
  return { store, auth, storage, provider, events, userEvents, webhookSender };
}

/**
 * The secret that signs webhook URLs. Kept in the data dir so URLs handed to a provider before a
 * restart still verify after it.
 */
export function loadOrCreateWebhookSecret(dataDir: string | null): string {
  if (!dataDir) return randomBytes(32).toString("base64url");
  const file = path.join(dataDir, "webhook-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
