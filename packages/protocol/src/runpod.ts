import { z } from "zod";
import { FramesSchema, PromptSchema, SeedSchema } from "./video.js";

/** The input worker-mochi takes (shared/API.md, "RunPod and worker-mochi"). */
export const WorkerInputSchema = z.object({
  positive_prompt: PromptSchema,
  negative_prompt: z.string().optional(),
  width: z.number().int(),
  height: z.number().int(),
  num_frames: FramesSchema,
  steps: z.number().int(),
  cfg: z.number(),
  seed: SeedSchema.optional(),
});
export type WorkerInput = z.infer<typeof WorkerInputSchema>;

/** What worker-mochi returns for a finished job: the uploaded MP4 and its facts. */
export const WorkerOutputSchema = z.object({
  url: z.url(),
  key: z.string().min(1),
  frames: z.number().int().positive(),
  fps: z.number().positive(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  seconds: z.number().positive(),
});
export type WorkerOutput = z.infer<typeof WorkerOutputSchema>;

/**
 * Progress a worker reports while a job is IN_PROGRESS (RunPod's `progress_update`): a fraction
 * 0..1, a `{progress}` object (optionally with `step`/`steps`), or text such as "12/64" or "40%".
 */
export const WorkerProgressSchema = z.union([
  z.number(),
  z.object({ progress: z.number().optional(), step: z.number().optional(), steps: z.number().optional() }),
  z.string(),
]);
export type WorkerProgress = z.infer<typeof WorkerProgressSchema>;

export const RunPodJobStatusSchema = z.enum([
  "IN_QUEUE",
  "IN_PROGRESS",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMED_OUT",
]);
export type RunPodJobStatus = z.infer<typeof RunPodJobStatusSchema>;

/** RunPod's job object: what `/run` and `/status` answer and what the webhook receives. */
export const RunPodJobSchema = z.object({
  id: z.string().min(1).max(200),
  status: RunPodJobStatusSchema,
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  delayTime: z.number().optional(),
  executionTime: z.number().optional(),
});
export type RunPodJob = z.infer<typeof RunPodJobSchema>;

/** What `POST /{endpoint}/run` sends (shared/API.md). */
export const RunPodRunRequestSchema = z.object({
  input: WorkerInputSchema,
  webhook: z.url(),
  policy: z.object({ executionTimeout: z.number().int().positive(), ttl: z.number().int().positive() }),
});
export type RunPodRunRequest = z.infer<typeof RunPodRunRequestSchema>;

/** The stable first word of a worker's error message, which says whether a retry can help. */
export const workerErrorCodes = ["invalid_input", "out_of_memory", "upload_failed", "model_error"] as const;
export type WorkerErrorCode = (typeof workerErrorCodes)[number];
