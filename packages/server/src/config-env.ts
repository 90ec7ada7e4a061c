import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { ServiceOptions } from "./adapters/defaults.js";
import { parseAllowedHosts } from "./adapters/net/address-policy.js";
import { readSigningSecret } from "./adapters/webhooks/standard.js";
import { type ModelDefinition, ModelDefinitionSchema } from "./core/catalog.js";
import { defaultLifecycleConfig, type LifecycleConfig, parseLimitDate } from "./core/config.js";
import type { ReconcilerOptions } from "./core/reconciler.js";
import type { RateLimit } from "./http/rate-limit.js";
import type { OpenVOptions } from "./http/service.js";

/** An empty variable counts as unset (`FOO= openv-server`). */
const optionalText = z
  .string()
  .optional()
  .transform((value) => value?.trim() || undefined);

const positiveInt = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must be ≥ 0`);

/**
 * An empty variable counts as unset here too: without this, `z.coerce` reads "" as 0, which for a
 * rate limit would quietly mean "off".
 */
const emptyAsUnset = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema);

const EnvSchema = z.object({
  PORT: positiveInt("PORT").max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  PUBLIC_URL: z.url("PUBLIC_URL must be a URL such as https://videos.example.com").optional(),
  DATABASE_URL: z.string().startsWith("postgres", "DATABASE_URL must be a postgres:// or postgresql:// URL").optional(),
  OPENV_DATA_DIR: z.string().default("./.openv"),
  OPENV_WEBHOOK_SECRET: z.string().min(16, "OPENV_WEBHOOK_SECRET must be at least 16 characters").optional(),
  MONTHLY_LIMIT_SECONDS: positiveInt("MONTHLY_LIMIT_SECONDS").default(defaultLifecycleConfig.monthlyLimitSeconds),
  LIMIT_START_DATE: z.string().optional(),
  LIMIT_END_DATE: z.string().optional(),
  TERMS_VERSION: z.string().min(1).default(defaultLifecycleConfig.termsVersion),
  MAX_RETRIES: positiveInt("MAX_RETRIES").default(defaultLifecycleConfig.maxRetries),
  MAX_ACTIVE_JOBS: positiveInt("MAX_ACTIVE_JOBS").min(1).default(defaultLifecycleConfig.maxActiveJobs),
  NODE_ENV: z.string().optional(),
  OPENV_PREVIEW_STEP_MS: positiveInt("OPENV_PREVIEW_STEP_MS").default(300),
  /** Reconciler timing (operational knobs; the defaults suit RunPod, see core/reconciler.ts). */
  OPENV_RECONCILE_INTERVAL_MS: positiveInt("OPENV_RECONCILE_INTERVAL_MS").min(10).optional(),
  OPENV_RECONCILE_SILENT_MS: positiveInt("OPENV_RECONCILE_SILENT_MS").optional(),
  OPENV_RECONCILE_JOBLESS_GRACE_MS: positiveInt("OPENV_RECONCILE_JOBLESS_GRACE_MS").optional(),
  /** A built web app to serve at / (pnpm start points it at the react-gallery example). */
  OPENV_WEB_ROOT: optionalText,
  OPENV_BILLING: z
    .enum(["seconds", "credits"], { error: 'OPENV_BILLING must be "seconds" or "credits"' })
    .default(defaultLifecycleConfig.billing),
  OPENV_ADMIN_USER_IDS: optionalText,
  /** Invite-only access (access21): `invite` admits users only once they redeem a voucher. */
  OPENV_ACCESS: emptyAsUnset(
    z.enum(["open", "invite"], { error: 'OPENV_ACCESS must be "open" or "invite"' }).default("open"),
  ),
  OPENV_MODELS_FILE: optionalText,
  OPENAI_API_KEY: optionalText,
  OPENV_OPENAI_MODEL: optionalText,
  CLERK_SECRET_KEY: optionalText,
  CLERK_PUBLISHABLE_KEY: optionalText,
  CLERK_JWT_KEY: optionalText,
  CLERK_WEBHOOK_SIGNING_SECRET: optionalText,
  /** Comma-separated origins allowed as the token's `azp`, e.g. https://app.example.com. */
  CLERK_AUTHORIZED_PARTIES: optionalText,
  RUNPOD_API_KEY: optionalText,
  RUNPOD_ENDPOINT_ID: optionalText,
  RUNPOD_BASE_URL: z.url("RUNPOD_BASE_URL must be a URL such as https://api.runpod.ai/v2").optional(),
  RUNPOD_EXECUTION_TIMEOUT_MS: positiveInt("RUNPOD_EXECUTION_TIMEOUT_MS").min(5000).optional(),
  RUNPOD_TTL_MS: positiveInt("RUNPOD_TTL_MS").min(10_000).optional(),
  RUNPOD_DELIVERY: z
    .enum(["upload-url", "worker"], { error: "RUNPOD_DELIVERY must be upload-url or worker" })
    .optional(),
  UPLOADTHING_TOKEN: optionalText,
  /** An S3 bucket (AWS or S3-compatible) for the videos; the other S3_* settings need it. */
  S3_BUCKET: optionalText,
  S3_REGION: optionalText,
  S3_ENDPOINT: emptyAsUnset(
    z
      .url({
        protocol: /^https?$/,
        error: "S3_ENDPOINT must be an http(s) URL such as https://<account id>.r2.cloudflarestorage.com",
      })
      .optional(),
  ),
  S3_FORCE_PATH_STYLE: emptyAsUnset(
    z
      .enum(["true", "false", "1", "0"], { error: "S3_FORCE_PATH_STYLE must be true or false" })
      .transform((value) => value === "true" || value === "1")
      .optional(),
  ),
  S3_PREFIX: optionalText,
  S3_SIGNED_URL_TTL_SECONDS: emptyAsUnset(
    positiveInt("S3_SIGNED_URL_TTL_SECONDS")
      .min(1, "S3_SIGNED_URL_TTL_SECONDS must be at least 1 (second)")
      .max(604_800, "S3_SIGNED_URL_TTL_SECONDS must be at most 604800 (7 days, S3's limit)")
      .optional(),
  ),
  /** Read for S3 only; when unset, the AWS SDK's default chain (profiles, instance roles) applies. */
  AWS_ACCESS_KEY_ID: optionalText,
  AWS_SECRET_ACCESS_KEY: optionalText,
  AWS_SESSION_TOKEN: optionalText,
  /** fal.ai as the "fal" provider: the API key, and the endpoint id videos render on. */
  FAL_KEY: optionalText,
  FAL_MODEL: optionalText,
  /** Runway as the "runway" provider (the variable name Runway's own SDKs read). */
  RUNWAYML_API_SECRET: optionalText,
  RUNWAY_MODEL: optionalText,
  RUNWAY_BASE_URL: emptyAsUnset(z.url("RUNWAY_BASE_URL must be a URL such as https://api.dev.runwayml.com").optional()),
  /** An HTTP workflow (n8n and the like) as the "workflow" provider. */
  OPENV_WORKFLOW_URL: emptyAsUnset(
    z
      .url("OPENV_WORKFLOW_URL must be the workflow's trigger URL, e.g. https://n8n.example.com/webhook/openv")
      .optional(),
  ),
  OPENV_WORKFLOW_SECRET: optionalText,
  /** The host app's endpoint for outbound webhooks (Standard Webhooks), with OPENV_WEBHOOK_SIGNING_SECRET. */
  OPENV_WEBHOOK_URL: emptyAsUnset(
    z.url("OPENV_WEBHOOK_URL must be a URL such as https://app.example.com/api/openv-webhooks").optional(),
  ),
  /** The `whsec_…` secret outbound webhooks are signed with (not OPENV_WEBHOOK_SECRET, which signs provider URLs). */
  OPENV_WEBHOOK_SIGNING_SECRET: optionalText,
  /**
   * Proxies in front of the server whose X-Forwarded-For entries are trusted for the client's
   * address: a hop count ("1" behind one load balancer) or comma-separated addresses / CIDR ranges.
   */
  TRUST_PROXY: emptyAsUnset(
    z
      .string()
      .trim()
      .transform((value): number | string[] =>
        /^\d+$/.test(value)
          ? Number(value)
          : value
              .split(",")
              .map((entry) => entry.trim())
              .filter(Boolean),
      )
      .optional(),
  ),
  /** How long a client may take to send a whole request (slow clients are cut with 408). */
  OPENV_REQUEST_TIMEOUT_MS: emptyAsUnset(
    positiveInt("OPENV_REQUEST_TIMEOUT_MS")
      .min(1000, "OPENV_REQUEST_TIMEOUT_MS must be at least 1000 (milliseconds)")
      .default(30_000),
  ),
  /** Generate requests allowed per user and per client IP each minute; 0 turns that limit off. */
  OPENV_RATE_LIMIT_USER_PER_MINUTE: emptyAsUnset(positiveInt("OPENV_RATE_LIMIT_USER_PER_MINUTE").default(60)),
  OPENV_RATE_LIMIT_IP_PER_MINUTE: emptyAsUnset(positiveInt("OPENV_RATE_LIMIT_IP_PER_MINUTE").default(300)),
  /** Internal hosts server-side fetches may reach anyway: comma-separated host[:port] (a LAN worker). */
  OPENV_OUTPUT_ALLOWED_HOSTS: optionalText,
  /** Event streams one user may hold open at once on this instance. */
  OPENV_MAX_EVENT_STREAMS_PER_USER: emptyAsUnset(
    positiveInt("OPENV_MAX_EVENT_STREAMS_PER_USER")
      .min(1, "OPENV_MAX_EVENT_STREAMS_PER_USER must be at least 1")
      .default(10),
  ),
});

/** OPENV_OUTPUT_ALLOWED_HOSTS as its entries, each checked to be `host[:port]` (a bad one stops the start). */
function allowedHostsFromEnv(value: string | undefined): string[] {
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  parseAllowedHosts(entries);
  return entries;
}

/** A per-minute count from the environment as a rate limit; 0 turns it off. */
const perMinute = (max: number): RateLimit | false => (max === 0 ? false : { max, timeWindowMs: 60_000 });

/** The reference server's settings, as `settingsFromEnv` reads them from the environment. */
export interface ReferenceServerSettings {
  /** The port to listen on (PORT). Default 3000. */
  port: number;
  /** The address to listen on (HOST). Default 127.0.0.1. */
  host: string;
  /** The URL the server is reachable at (PUBLIC_URL); undefined: the address it listens on. */
  publicUrl: string | undefined;
  /** A PostgreSQL server (DATABASE_URL); undefined: embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  /** Where embedded data is kept (OPENV_DATA_DIR). Default ./.openv. */
  dataDir: string;
  /** The secret that signs webhook URLs (OPENV_WEBHOOK_SECRET, at least 16 characters); undefined: one kept in `dataDir`. */
  webhookSecret: string | undefined;
  /** The local preview provider's delay per simulated step in ms (OPENV_PREVIEW_STEP_MS). Default 300. */
  previewStepDelayMs: number;
  /** Reconciler timing overrides. */
  reconciler: Partial<ReconcilerOptions>;
  /**
   * How long a client may take to send a whole request, headers and body, in ms
   * (OPENV_REQUEST_TIMEOUT_MS, at least 1000). Default 30 000. Slower requests are cut with 408;
   * responses, such as the long-lived event stream, are not limited by it.
   */
  requestTimeoutMs: number;
  /**
   * The proxies whose X-Forwarded-For entries name the client (TRUST_PROXY): a hop count or a list
   * of addresses and CIDR ranges; undefined trusts none (the peer address is the client).
   */
  trustProxy: number | string[] | undefined;
  /**
   * Limits on generate requests (`POST /api/videos`, `POST /api/runpod`), answered 429 with
   * Retry-After: per user (OPENV_RATE_LIMIT_USER_PER_MINUTE, default 60 a minute) and per client
   * IP (OPENV_RATE_LIMIT_IP_PER_MINUTE, default 300 a minute); `false` where the variable is 0.
   */
  generateRateLimit: {
    /** Generate requests per user (OPENV_RATE_LIMIT_USER_PER_MINUTE), or false. */
    perUser: RateLimit | false;
    /** Generate requests per client IP (OPENV_RATE_LIMIT_IP_PER_MINUTE), or false. */
    perIp: RateLimit | false;
  };
  /** A folder with a built single-page app to serve at `/`. */
  webRoot: string | undefined;
  /**
   * Loopback, private or otherwise internal hosts that copies of provider outputs may fetch from
   * anyway (OPENV_OUTPUT_ALLOWED_HOSTS, comma-separated `host[:port]`). Default none.
   */
  outputAllowedHosts: string[];
  /**
   * The most event streams one user may hold open at once on this instance
   * (OPENV_MAX_EVENT_STREAMS_PER_USER, at least 1). Default 10.
   */
  maxEventStreamsPerUser: number;
  /** Quota, terms and retry rules (MONTHLY_LIMIT_SECONDS, LIMIT_START_DATE, LIMIT_END_DATE, TERMS_VERSION, MAX_RETRIES, MAX_ACTIVE_JOBS). */
  config: LifecycleConfig;
  /**
   * Clerk, RunPod, UploadThing or S3 (S3_BUCKET, S3_REGION, S3_ENDPOINT, S3_FORCE_PATH_STYLE,
   * S3_PREFIX, S3_SIGNED_URL_TTL_SECONDS, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and outbound
   * webhooks when configured; each absent one runs on its embedded default (outbound webhooks: none);
   * fal.ai, Runway and a workflow as more providers when configured.
   */
  services: ServiceOptions;
  /** The model catalog from OPENV_MODELS_FILE (a JSON array of models), or undefined for the default. */
  models: ModelDefinition[] | undefined;
}

/** Reads the reference server's settings (shared/API.md, "Reference server configuration"). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ReferenceServerSettings {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
  }
  const values = parsed.data;
  return {
    port: values.PORT,
    host: values.HOST,
    publicUrl: values.PUBLIC_URL,
    databaseUrl: values.DATABASE_URL,
    dataDir: values.OPENV_DATA_DIR,
    webhookSecret: values.OPENV_WEBHOOK_SECRET,
    previewStepDelayMs: values.OPENV_PREVIEW_STEP_MS,
    webRoot: values.OPENV_WEB_ROOT,
    outputAllowedHosts: allowedHostsFromEnv(values.OPENV_OUTPUT_ALLOWED_HOSTS),
    maxEventStreamsPerUser: values.OPENV_MAX_EVENT_STREAMS_PER_USER,
    requestTimeoutMs: values.OPENV_REQUEST_TIMEOUT_MS,
    trustProxy: values.TRUST_PROXY,
    generateRateLimit: {
      perUser: perMinute(values.OPENV_RATE_LIMIT_USER_PER_MINUTE),
      perIp: perMinute(values.OPENV_RATE_LIMIT_IP_PER_MINUTE),
    },
    reconciler: {
      ...(values.OPENV_RECONCILE_INTERVAL_MS !== undefined && { intervalMs: values.OPENV_RECONCILE_INTERVAL_MS }),
      ...(values.OPENV_RECONCILE_SILENT_MS !== undefined && { silentMs: values.OPENV_RECONCILE_SILENT_MS }),
      ...(values.OPENV_RECONCILE_JOBLESS_GRACE_MS !== undefined && {
        joblessGraceMs: values.OPENV_RECONCILE_JOBLESS_GRACE_MS,
      }),
    },
    config: {
      ...defaultLifecycleConfig,
      monthlyLimitSeconds: values.MONTHLY_LIMIT_SECONDS,
      limitStartDate: parseLimitDate(values.LIMIT_START_DATE, "start"),
      limitEndDate: parseLimitDate(values.LIMIT_END_DATE, "end"),
      termsVersion: values.TERMS_VERSION,
      maxRetries: values.MAX_RETRIES,
      maxActiveJobs: values.MAX_ACTIVE_JOBS,
      billing: values.OPENV_BILLING,
      adminUserIds: (values.OPENV_ADMIN_USER_IDS ?? "")
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
      access: values.OPENV_ACCESS, // access21
    },
    services: servicesFrom(values),
    models: values.OPENV_MODELS_FILE ? readModelsFile(values.OPENV_MODELS_FILE) : undefined,
  };
}

/** Reads and checks a catalog file: a JSON array of models (see `ModelDefinition`). */
function readModelsFile(file: string): ModelDefinition[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`OPENV_MODELS_FILE: cannot read ${file} (${(error as Error).message}). Point it at a JSON file.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`OPENV_MODELS_FILE: ${file} is not JSON (${(error as Error).message}).`);
  }
  const parsed = z.array(ModelDefinitionSchema).min(1).safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `OPENV_MODELS_FILE: ${file} is not a list of models: ${parsed.error.issues
        .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
        .join("; ")}`,
    );
  }
  return parsed.data;
}

function servicesFrom(values: z.infer<typeof EnvSchema>): ServiceOptions {
  const services: ServiceOptions = {};
  const clerkKey = values.CLERK_SECRET_KEY ?? values.CLERK_JWT_KEY;
  if (clerkKey) {
    services.clerk = {
      secretKey: values.CLERK_SECRET_KEY,
      // Environments often carry a PEM key on one line with literal "\n".
      jwtKey: values.CLERK_JWT_KEY?.replace(/\\n/g, "\n"),
      publishableKey: values.CLERK_PUBLISHABLE_KEY,
      authorizedParties: values.CLERK_AUTHORIZED_PARTIES?.split(",")
        .map((party) => party.trim())
        .filter(Boolean),
      webhookSigningSecret: values.CLERK_WEBHOOK_SIGNING_SECRET,
    };
  } else if (values.CLERK_PUBLISHABLE_KEY || values.CLERK_WEBHOOK_SIGNING_SECRET || values.CLERK_AUTHORIZED_PARTIES) {
    throw new Error(
      "Clerk is partly configured: set CLERK_SECRET_KEY (or CLERK_JWT_KEY for networkless verification) too, or unset the other CLERK_* variables to run with development auth.",
    );
  }
  if (values.RUNPOD_API_KEY || values.RUNPOD_ENDPOINT_ID) {
    if (!values.RUNPOD_API_KEY || !values.RUNPOD_ENDPOINT_ID) {
      throw new Error(
        `RunPod is partly configured: set ${values.RUNPOD_API_KEY ? "RUNPOD_ENDPOINT_ID" : "RUNPOD_API_KEY"} too, or unset the RUNPOD_* variables to use the local preview provider.`,
      );
    }
    services.runpod = {
      apiKey: values.RUNPOD_API_KEY,
      endpointId: values.RUNPOD_ENDPOINT_ID,
      baseUrl: values.RUNPOD_BASE_URL,
      executionTimeoutMs: values.RUNPOD_EXECUTION_TIMEOUT_MS,
      ttlMs: values.RUNPOD_TTL_MS,
      delivery: values.RUNPOD_DELIVERY,
    };
  } else if (values.RUNPOD_BASE_URL) {
    throw new Error("RUNPOD_BASE_URL is set without RUNPOD_API_KEY and RUNPOD_ENDPOINT_ID; set them too, or unset it.");
  }
  if (values.UPLOADTHING_TOKEN) services.uploadthing = { token: values.UPLOADTHING_TOKEN };
  if (values.OPENAI_API_KEY) {
    services.openai = {
      apiKey: values.OPENAI_API_KEY,
      ...(values.OPENV_OPENAI_MODEL && { model: values.OPENV_OPENAI_MODEL }),
    };
  }
  const s3 = s3From(values);
  if (s3) services.s3 = s3;
  if (values.FAL_KEY) services.fal = { apiKey: values.FAL_KEY, model: values.FAL_MODEL };
  else if (values.FAL_MODEL) {
    throw new Error("FAL_MODEL is set without FAL_KEY; set FAL_KEY (fal dashboard → Keys) too, or unset FAL_MODEL.");
  }
  if (values.RUNWAYML_API_SECRET) {
    services.runway = {
      apiKey: values.RUNWAYML_API_SECRET,
      model: values.RUNWAY_MODEL,
      baseUrl: values.RUNWAY_BASE_URL,
    };
  } else if (values.RUNWAY_MODEL || values.RUNWAY_BASE_URL) {
    throw new Error(
      `${values.RUNWAY_MODEL ? "RUNWAY_MODEL" : "RUNWAY_BASE_URL"} is set without RUNWAYML_API_SECRET; set RUNWAYML_API_SECRET (Runway developer portal → API Keys) too, or unset the RUNWAY_* variables.`,
    );
  }
  if (values.OPENV_WORKFLOW_URL || values.OPENV_WORKFLOW_SECRET) {
    if (!values.OPENV_WORKFLOW_URL || !values.OPENV_WORKFLOW_SECRET) {
      throw new Error(
        `The workflow provider is partly configured: set ${values.OPENV_WORKFLOW_URL ? "OPENV_WORKFLOW_SECRET (whsec_ followed by base64; the workflow signs and verifies with it)" : "OPENV_WORKFLOW_URL (the workflow's trigger URL)"} too, or unset OPENV_WORKFLOW_*.`,
      );
    }
    services.workflow = { url: values.OPENV_WORKFLOW_URL, secret: values.OPENV_WORKFLOW_SECRET };
  }
  if (values.OPENV_WEBHOOK_URL || values.OPENV_WEBHOOK_SIGNING_SECRET) {
    if (!values.OPENV_WEBHOOK_URL || !values.OPENV_WEBHOOK_SIGNING_SECRET) {
      throw new Error(
        `Outbound webhooks are partly configured: set ${values.OPENV_WEBHOOK_URL ? "OPENV_WEBHOOK_SIGNING_SECRET" : "OPENV_WEBHOOK_URL"} too, or unset both to send none.`,
      );
    }
    readSigningSecret(values.OPENV_WEBHOOK_SIGNING_SECRET, "OPENV_WEBHOOK_SIGNING_SECRET");
    services.outboundWebhooks = { url: values.OPENV_WEBHOOK_URL, secret: values.OPENV_WEBHOOK_SIGNING_SECRET };
  }
  return services;
}

/** S3 storage from S3_* (and AWS_* credentials), or undefined when S3_BUCKET is not set. */
function s3From(values: z.infer<typeof EnvSchema>): ServiceOptions["s3"] {
  const { S3_BUCKET: bucket, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = values;
  if (!bucket) {
    const stray = (
      ["S3_REGION", "S3_ENDPOINT", "S3_FORCE_PATH_STYLE", "S3_PREFIX", "S3_SIGNED_URL_TTL_SECONDS"] as const
    ).filter((name) => values[name] !== undefined);
    if (stray.length > 0) {
      throw new Error(
        `S3 is partly configured (${stray.join(", ")}): set S3_BUCKET too, or unset the S3_* variables to keep videos elsewhere.`,
      );
    }
    return undefined;
  }
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error(
      `S3 credentials are partly configured: set ${accessKeyId ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"} too, or unset both to use the AWS SDK's default chain (profile, instance or task role).`,
    );
  }
  return {
    bucket,
    region: values.S3_REGION,
    endpoint: values.S3_ENDPOINT,
    forcePathStyle: values.S3_FORCE_PATH_STYLE,
    prefix: values.S3_PREFIX,
    signedUrlTtlSeconds: values.S3_SIGNED_URL_TTL_SECONDS,
    ...(accessKeyId &&
      secretAccessKey && {
        credentials: { accessKeyId, secretAccessKey, sessionToken: values.AWS_SESSION_TOKEN },
      }),
  };
}

/**
 * The service options (for the Fastify plugin or the fetch handler) that `settings` describe, under
 * the prefix "/api": what the reference server mounts, and what a host reading the same
 * environment variables (the Next.js example) passes on.
 */
export function openvOptionsFromSettings(settings: ReferenceServerSettings): OpenVOptions {
  return {
    prefix: "/api",
    dataDir: path.resolve(settings.dataDir),
    config: settings.config,
    ...(settings.models && { models: settings.models }),
    previewStepDelayMs: settings.previewStepDelayMs,
    ...settings.services,
    reconciler: settings.reconciler,
    generateRateLimit: settings.generateRateLimit,
    maxEventStreamsPerUser: settings.maxEventStreamsPerUser,
    ...(settings.outputAllowedHosts.length > 0 && { outputAllowedHosts: settings.outputAllowedHosts }),
    ...(settings.databaseUrl && { databaseUrl: settings.databaseUrl }),
    ...(settings.publicUrl && { publicUrl: settings.publicUrl }),
    ...(settings.webhookSecret && { webhookSecret: settings.webhookSecret }),
  };
}

/**
 * The reference server's own listening address as its public URL when PUBLIC_URL is unset (all
 * interfaces are reached as 127.0.0.1 from this machine); undefined for a port chosen at listen
 * time (0), which the plugin then reads from the socket.
 */
export function listenUrl(settings: Pick<ReferenceServerSettings, "host" | "port">): string | undefined {
  if (!settings.port) return undefined;
  const host = settings.host === "0.0.0.0" || settings.host === "::" ? "127.0.0.1" : settings.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${settings.port}`;
}
