import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ModelLimits } from "@openv/protocol";
import { type ModelDefinition, mochiModel } from "../core/catalog.js";
import type {
  Auth,
  Events,
  Logger,
  PromptEnhancer,
  Provider,
  Storage,
  Store,
  UserEventVerifier,
  WebhookSender,
} from "../core/ports.js";
import { type ClerkAuthOptions, createClerkAuth } from "./auth/clerk.js";
import { createClerkWebhookVerifier } from "./auth/clerk-webhook.js";
import { createDevHeaderAuth, devAuthWarning } from "./auth/dev-header.js";
import { createOpenAIEnhancer, type OpenAIEnhancerOptions } from "./enhancer/openai.js";
import { createTemplateEnhancer } from "./enhancer/template.js";
import { createMemoryEvents } from "./events/memory.js";
import { createPostgresEvents } from "./events/postgres.js";
import { createFalProvider, type FalProviderOptions } from "./provider/fal.js";
import { createLocalPreviewProvider } from "./provider/local.js";
import { createRunPodProvider, type RunPodProviderOptions } from "./provider/runpod.js";
import { createRunwayProvider, type RunwayProviderOptions } from "./provider/runway.js";
import { createWorkflowProvider, type WorkflowProviderOptions } from "./provider/workflow.js";
import { createLocalStorage } from "./storage/local.js";
import { createS3Storage, type S3StorageOptions } from "./storage/s3.js";
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
  /** Where finished videos are kept. Default: UploadThing when configured, else S3 when configured, else local files. */
  storage: Storage;
  /** The service that renders videos. Default: RunPod when configured, else the local preview provider. */
  provider: Provider;
  /**
   * More providers by registry key, for videos that render elsewhere than `provider`: `"fal"`,
   * `"runway"` and `"workflow"` when configured (`ServiceOptions.fal`, `.runway`, `.workflow`).
   * Given providers are added to (and replace same-named) configured ones. Default `{}`.
   */
  providers: Record<string, Provider>;
  /** Live video changes. Default: PostgreSQL LISTEN/NOTIFY with `databaseUrl`, else in this process. */
  events: Events;
  /** Verifies the identity provider's user webhooks; null when none is configured (no route). */
  userEvents: UserEventVerifier | null;
  /**
   * Rewrites prompts of requests that ask for it (`enhancePrompt: true`). Default: OpenAI when
   * configured, else the template enhancer; null refuses such requests.
   */
  enhancer: PromptEnhancer | null;
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
  /** OpenAI for prompt enhancement; replaces the template enhancer. */
  openai?: OpenAIEnhancerOptions | undefined;
  /** fal.ai's queue API as the `"fal"` provider (FAL_KEY, FAL_MODEL). */
  fal?: FalProviderOptions | undefined;
  /** Runway's image-to-video API as the `"runway"` provider (RUNWAYML_API_SECRET, RUNWAY_MODEL, RUNWAY_BASE_URL). */
  runway?: RunwayProviderOptions | undefined;
  /** An HTTP workflow (n8n and the like) as the `"workflow"` provider (OPENV_WORKFLOW_URL, OPENV_WORKFLOW_SECRET). */
  workflow?: WorkflowProviderOptions | undefined;
  /** UploadThing storage for finished videos; replaces local files (and wins over `s3` when both are given). */
  uploadthing?:
    | {
        /** The UploadThing API token (UPLOADTHING_TOKEN). */
        token: string;
      }
    | undefined;
  /**
   * An S3 bucket (AWS, or an S3-compatible service such as MinIO or R2) for finished videos;
   * replaces local files. Users get signed URLs that expire. Not used when `uploadthing` is given too.
   * @example { bucket: "my-app-videos", region: "eu-west-1" }
   */
  s3?: Omit<S3StorageOptions, "client" | "logger"> | undefined;
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
  /** Let development header auth run under any NODE_ENV (see `OpenVOptions.devAuth`). */
  devAuth?: boolean | undefined;
}

/**
 * Fills every adapter not given: from the service settings when present (Clerk, RunPod,
 * UploadThing or else S3, LISTEN/NOTIFY with a PostgreSQL server; fal.ai, Runway and a workflow as
 * more providers), else with its embedded default
 * (shared/DESIGN.md, "ports").
 */
export async function resolveAdapters(given: Partial<Adapters>, options: DefaultAdapterOptions): Promise<Adapters> {
  const { logger } = options;
  // Auth first: a refusal (dev auth in production) must come before any database is opened.
  const auth =
    given.auth ??
    (options.clerk
      ? createClerkAuth({ ...options.clerk, logger, nodeEnv: options.nodeEnv })
      : createDevHeaderAuth({ nodeEnv: options.nodeEnv, devAuth: options.devAuth }));
  if (!given.auth && !options.clerk) logger.warn({ auth: "development header" }, devAuthWarning);
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
  if (!given.storage && options.uploadthing && options.s3) {
    logger.warn(
      { bucket: options.s3.bucket },
      "both UploadThing and S3 are configured: videos go to UploadThing; unset UPLOADTHING_TOKEN to use S3",
    );
  }
  const storage =
    given.storage ??
    (options.uploadthing
      ? createUploadThingStorage({ token: options.uploadthing.token, logger })
      : options.s3
        ? createS3Storage({ ...options.s3, logger })
        : createLocalStorage({ directory: options.filesDir, baseUrl: options.filesBaseUrl }));
  const provider =
    given.provider ??
    (options.runpod
      ? createRunPodProvider(options.runpod)
      : createLocalPreviewProvider({ storage, logger, stepDelayMs: options.previewStepDelayMs ?? 0 }));
  const providers: Record<string, Provider> = {
    ...(options.fal && { fal: createFalProvider(options.fal) }),
    ...(options.runway && { runway: createRunwayProvider(options.runway) }),
    ...(options.workflow && { workflow: createWorkflowProvider(options.workflow) }),
    ...given.providers,
  };
  const events =
    given.events ??
    (options.databaseUrl
      ? await createPostgresEvents({ connectionString: options.databaseUrl, logger })
      : createMemoryEvents());
  // Issue 17: store and events on the same database (both made here from DATABASE_URL): each change
  // is notified by the statement that makes it, and not published a second time.
  if (!given.store && !given.events && options.databaseUrl && events.notifyChannel) {
    store.notifyChangesOn?.(events.notifyChannel);
  }
  const enhancer =
    given.enhancer !== undefined
      ? given.enhancer
      : options.openai
        ? createOpenAIEnhancer(options.openai)
        : createTemplateEnhancer();
  return { store, auth, storage, provider, providers, events, userEvents, enhancer, webhookSender };
}

/** Limits of the hosted models in the default catalog: 24 fps clips of about 1 to 10 seconds. */
const hostedLimits: ModelLimits = {
  promptMaxLength: 1000,
  frames: { min: 25, max: 241, step: 24, default: 121 },
  fps: 24,
  width: { min: 256, max: 1584, multipleOf: 16, default: 1280 },
  height: { min: 256, max: 1584, multipleOf: 16, default: 720 },
  steps: { min: 1, max: 100, default: 30 },
  cfg: { min: 0, max: 20, default: 3 },
};

/**
 * The catalog when the host names none: Mochi 1 on the main provider, then one model per
 * configured extra provider (prices are defaults; set `models` to choose your own).
 */
export function defaultModels(options: ServiceOptions): ModelDefinition[] {
  const models: ModelDefinition[] = [mochiModel];
  if (options.fal) {
    models.push({
      id: "fal",
      name: "fal.ai",
      description: `Text- or image-to-video on fal.ai (${options.fal.model ?? "the FAL_MODEL endpoint"}).`,
      image: "optional",
      limits: hostedLimits,
      cost: { credits: 2 },
      provider: "fal",
      ...(options.fal.model && { providerModel: options.fal.model }),
    });
  }
  if (options.runway) {
    const runwayModel = options.runway.model ?? "gen4_turbo";
    models.push({
      id: `runway-${runwayModel.replaceAll("_", "-")}`,
      name: `Runway ${runwayModel}`,
      description: "Runway image-to-video: animates an uploaded image for 5 or 10 seconds.",
      image: "required",
      limits: {
        ...hostedLimits,
        frames: { min: 121, max: 241, step: 120, default: 121 },
        width: { min: 672, max: 1584, multipleOf: 16, default: 1280 },
        height: { min: 672, max: 1584, multipleOf: 16, default: 720 },
      },
      cost: { credits: 5 },
      provider: "runway",
      providerModel: runwayModel,
    });
  }
  if (options.workflow) {
    models.push({
      id: "workflow",
      name: "Workflow",
      description: "Rendered by the configured HTTP workflow (n8n or similar).",
      image: "optional",
      limits: mochiModel.limits,
      cost: { credits: 1 },
      provider: "workflow",
    });
  }
  return models;
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
