import { z } from "zod";
import { mochiLimits } from "./limits.js";

export const VideoStatusSchema = z.enum(["queued", "processing", "completed", "failed"]);
export type VideoStatus = z.infer<typeof VideoStatusSchema>;

/** Terminal statuses never change again. */
export const terminalStatuses: readonly VideoStatus[] = ["completed", "failed"];

/** Status only moves forward: the rank of each status in `queued → processing → completed | failed`. */
export const statusRank: Record<VideoStatus, number> = { queued: 0, processing: 1, completed: 2, failed: 2 };

export const VideoErrorSchema = z.object({ code: z.string(), message: z.string() });

export const VideoSchema = z.object({
  id: z.string(),
  jobId: z.string().nullable(),
  userId: z.string(),
  prompt: z.string(),
  negativePrompt: z.string().nullable(),
  model: z.string(),
  status: VideoStatusSchema,
  progress: z.number().min(0).max(1).nullable(),
  url: z.string().nullable(),
  frames: z.number().int(),
  fps: z.number().int(),
  durationSeconds: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  seed: z.number().int().nullable(),
  steps: z.number().int(),
  cfg: z.number(),
  error: VideoErrorSchema.nullable(),
  retryCount: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Video = z.infer<typeof VideoSchema>;

/** A deleted video, as incremental lists and live events report it. */
export const TombstoneSchema = z.object({
  id: z.string(),
  deleted: z.literal(true),
  updatedAt: z.iso.datetime(),
});
export type Tombstone = z.infer<typeof TombstoneSchema>;

export const VideoOrTombstoneSchema = z.union([TombstoneSchema, VideoSchema]);
export type VideoOrTombstone = z.infer<typeof VideoOrTombstoneSchema>;

export function isTombstone(entry: VideoOrTombstone): entry is Tombstone {
  return "deleted" in entry && entry.deleted === true;
}

const dimension = (axis: "width" | "height") =>
  z
    .number()
    .int()
    .min(mochiLimits.dimension.min)
    .max(mochiLimits.dimension.max)
    .multipleOf(mochiLimits.dimension.multipleOf, {
      error: `${axis} must be a multiple of ${mochiLimits.dimension.multipleOf}`,
    });

export const FramesSchema = z
  .number()
  .int()
  .min(mochiLimits.frames.min)
  .max(mochiLimits.frames.max)
  .refine((frames) => (frames - 1) % mochiLimits.frames.step === 0, {
    error: `frames must be 1 more than a multiple of ${mochiLimits.frames.step} (7, 13, 19, … 163)`,
  });

export const SeedSchema = z.number().int().min(0).max(mochiLimits.seedMax);
export const PromptSchema = z.string().trim().min(1).max(mochiLimits.promptMaxLength);

/** The canonical body of `POST /api/videos`. Omitted settings take Mochi's defaults. */
export const GenerateRequestSchema = z.strictObject({
  prompt: PromptSchema,
  negativePrompt: z.string().max(mochiLimits.promptMaxLength).optional(),
  frames: FramesSchema.optional(),
  width: dimension("width").optional(),
  height: dimension("height").optional(),
  seed: SeedSchema.optional(),
  steps: z.number().int().min(mochiLimits.steps.min).max(mochiLimits.steps.max).optional(),
  cfg: z.number().min(mochiLimits.cfg.min).max(mochiLimits.cfg.max).optional(),
  model: z.literal(mochiLimits.model).optional(),
});
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

/** The seed app's body of `POST /api/runpod`, accepted for compatibility. */
export const RunPodGenerateRequestSchema = z
  .strictObject({
    prompt: PromptSchema,
    modelName: z.literal(mochiLimits.model).optional(),
    frames: FramesSchema,
    input: z.strictObject({
      positive_prompt: PromptSchema,
      negative_prompt: z.string().max(mochiLimits.promptMaxLength).optional(),
      width: dimension("width").optional(),
      height: dimension("height").optional(),
      seed: SeedSchema.optional(),
      steps: z.number().int().min(mochiLimits.steps.min).max(mochiLimits.steps.max).optional(),
      cfg: z.number().min(mochiLimits.cfg.min).max(mochiLimits.cfg.max).optional(),
      num_frames: FramesSchema,
    }),
  })
  .refine((body) => body.frames === body.input.num_frames, {
    path: ["frames"],
    error: "frames must equal input.num_frames",
  });
export type RunPodGenerateRequest = z.infer<typeof RunPodGenerateRequestSchema>;

/** A generate request with every default filled in. */
export interface VideoSettings {
  prompt: string;
  negativePrompt: string | null;
  model: string;
  frames: number;
  width: number;
  height: number;
  seed: number | null;
  steps: number;
  cfg: number;
}

export function settingsFromRequest(body: GenerateRequest): VideoSettings {
  return {
    prompt: body.prompt,
    negativePrompt: body.negativePrompt?.trim() ? body.negativePrompt : null,
    model: body.model ?? mochiLimits.model,
    frames: body.frames ?? mochiLimits.frames.default,
    width: body.width ?? mochiLimits.width.default,
    height: body.height ?? mochiLimits.height.default,
    seed: body.seed ?? null,
    steps: body.steps ?? mochiLimits.steps.default,
    cfg: body.cfg ?? mochiLimits.cfg.default,
  };
}

export function settingsFromRunPodRequest(body: RunPodGenerateRequest): VideoSettings {
  const { input } = body;
  return settingsFromRequest({
    prompt: input.positive_prompt,
    ...(input.negative_prompt !== undefined && { negativePrompt: input.negative_prompt }),
    frames: input.num_frames,
    ...(input.width !== undefined && { width: input.width }),
    ...(input.height !== undefined && { height: input.height }),
    ...(input.seed !== undefined && { seed: input.seed }),
    ...(input.steps !== undefined && { steps: input.steps }),
    ...(input.cfg !== undefined && { cfg: input.cfg }),
    ...(body.modelName !== undefined && { model: body.modelName }),
  });
}
