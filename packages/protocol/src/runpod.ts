import { z } from "zod";
import { FramesSchema, PromptSchema, SeedSchema } from "./generate.js";

/** The input worker-mochi takes (shared/API.md, "RunPod and worker-mochi"). */
export const WorkerInputSchema = z.object({
  /** What to render. */
  positive_prompt: PromptSchema,
  /** What to avoid. */
  negative_prompt: z.string().optional(),
  /** Width in pixels. */
  width: z.number().int(),
  /** Height in pixels. */
  height: z.number().int(),
  /** Frames to render. */
  num_frames: FramesSchema,
  /** Denoising steps. */
  steps: z.number().int(),
  /** Guidance scale. */
  cfg: z.number(),
  /** The seed; random when absent. */
  seed: SeedSchema.optional(),
  /**
   * The name the server chose for this attempt's MP4 (`<videoId>-<attempt>.mp4`): a worker that
   * stores the file itself (worker-mochi on UploadThing) uses it as the custom id, adding
   * `-<suffix>` before `.mp4` when a name must not be reused. The server adopts an output of its
   * own storage only under this name.
   */
  output_key: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/)
    .optional(),
  /**
   * Where to `PUT` the MP4: a single-use upload URL on the server, signed for this video and
   * attempt, and the largest file it takes. Absent: the worker's own storage (UploadThing).
   */
  upload: z
    .object({
      /** The signed upload URL on the server's public origin. */
      url: z.url(),
      /** The largest file it takes, in bytes. */
      max_bytes: z.number().int().positive(),
    })
    .optional(),
});
/** The input worker-mochi takes. */
export type WorkerInput = z.infer<typeof WorkerInputSchema>;

/** What worker-mochi returns for a finished job: the uploaded MP4 and its facts. */
export const WorkerOutputSchema = z.object({
  /** The uploaded MP4. */
  url: z.url(),
  /** The file's storage key (UploadThing's), used to delete it. */
  key: z.string().min(1),
  /** Frames rendered. */
  frames: z.number().int().positive(),
  /** Frames per second. */
  fps: z.number().positive(),
  /** Width in pixels. */
  width: z.number().int().positive(),
  /** Height in pixels. */
  height: z.number().int().positive(),
  /** Length in seconds: `frames / fps`. */
  seconds: z.number().positive(),
  /** The seed used: the request's, or the one the worker drew (absent from older workers). */
  seed: z.number().int().min(0).optional(),
});
/** What worker-mochi returns for a finished job. */
export type WorkerOutput = z.infer<typeof WorkerOutputSchema>;

/**
 * Progress a worker reports while a job is IN_PROGRESS (RunPod's `progress_update`): a fraction
 * 0..1, a `{progress}` object (optionally with `step`/`steps`), or text such as "12/64" or "40%".
 */
export const WorkerProgressSchema = z.union([
  z.number(),
  z.object({
    /** The fraction done, 0..1. */
    progress: z.number().optional(),
    /** The current denoising step. */
    step: z.number().optional(),
    /** Denoising steps in all. */
    steps: z.number().optional(),
  }),
  z.string(),
]);
/** Progress a worker reports (see {@link WorkerProgressSchema}). */
export type WorkerProgress = z.infer<typeof WorkerProgressSchema>;

/** A RunPod job's status. */
export const RunPodJobStatusSchema = z.enum([
  "IN_QUEUE",
  "IN_PROGRESS",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMED_OUT",
]);
/** A RunPod job's status. */
export type RunPodJobStatus = z.infer<typeof RunPodJobStatusSchema>;

/** RunPod's job object: what `/run` and `/status` answer and what the webhook receives. */
export const RunPodJobSchema = z.object({
  /** The job id. */
  id: z.string().min(1).max(200),
  /** Where the job stands. */
  status: RunPodJobStatusSchema,
  /** A {@link WorkerOutput} when `COMPLETED`, a {@link WorkerProgress} while `IN_PROGRESS`. */
  output: z.unknown().optional(),
  /** Why it failed, when `FAILED`: worker-mochi's `"<code>: <message>"`. */
  error: z.unknown().optional(),
  /** Milliseconds the job waited in the queue. */
  delayTime: z.number().optional(),
  /** Milliseconds the job ran. */
  executionTime: z.number().optional(),
});
/** RunPod's job object. */
export type RunPodJob = z.infer<typeof RunPodJobSchema>;

/** What `POST /{endpoint}/run` sends (shared/API.md). */
export const RunPodRunRequestSchema = z.object({
  /** The worker's input. */
  input: WorkerInputSchema,
  /** Where RunPod reports the job's end: the server's webhook URL with the video's token. */
  webhook: z.url(),
  /** RunPod's job policy. */
  policy: z.object({
    /** Milliseconds the job may run. */
    executionTimeout: z.number().int().positive(),
    /** Milliseconds RunPod keeps the job (queue and results). */
    ttl: z.number().int().positive(),
  }),
});
/** What `POST /{endpoint}/run` sends. */
export type RunPodRunRequest = z.infer<typeof RunPodRunRequestSchema>;

/** The stable first word of a worker's error message, which says whether a retry can help. */
export const workerErrorCodes = ["invalid_input", "out_of_memory", "upload_failed", "model_error"] as const;
/** A stable worker error code. */
export type WorkerErrorCode = (typeof workerErrorCodes)[number];
