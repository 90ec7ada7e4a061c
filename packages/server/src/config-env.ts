import { z } from "zod";
import { defaultLifecycleConfig, type LifecycleConfig, parseLimitDate } from "./core/config.js";

const positiveInt = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must be ≥ 0`);

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
});

/** Settings this version does not implement yet: refusing beats silently running without them. */
const notYetSupported = [
  "CLERK_SECRET_KEY",
  "CLERK_JWT_KEY",
  "RUNPOD_API_KEY",
  "RUNPOD_ENDPOINT_ID",
  "UPLOADTHING_TOKEN",
] as const;

export interface ReferenceServerSettings {
  port: number;
  host: string;
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  webhookSecret: string | undefined;
  previewStepDelayMs: number;
  config: LifecycleConfig;
}

/** Reads the reference server's settings (shared/API.md, "Reference server configuration"). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ReferenceServerSettings {
  const given = notYetSupported.filter((name) => env[name]);
  if (given.length > 0) {
    throw new Error(
      `${given.join(", ")} ${given.length === 1 ? "is" : "are"} set, but this version of the reference server has no Clerk, RunPod or UploadThing adapter yet. Unset ${given.length === 1 ? "it" : "them"} to run with the embedded defaults.`,
    );
  }
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
    config: {
      ...defaultLifecycleConfig,
      monthlyLimitSeconds: values.MONTHLY_LIMIT_SECONDS,
      limitStartDate: parseLimitDate(values.LIMIT_START_DATE, "start"),
      limitEndDate: parseLimitDate(values.LIMIT_END_DATE, "end"),
      termsVersion: values.TERMS_VERSION,
      maxRetries: values.MAX_RETRIES,
      maxActiveJobs: values.MAX_ACTIVE_JOBS,
    },
  };
}
