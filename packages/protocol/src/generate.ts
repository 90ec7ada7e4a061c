import { z } from "zod";
import { mochiLimits, mochiModelLimits } from "./limits.js";
import type { ModelLimits } from "./models.js";

const dimension = (axis: "width" | "height") =>
  z
    .number()
    .int()
    .min(mochiLimits.dimension.min)
    .max(mochiLimits.dimension.max)
    .multipleOf(mochiLimits.dimension.multipleOf, {
      error: `${axis} must be a multiple of ${mochiLimits.dimension.multipleOf}`,
    });

/** A Mochi frame count: 7–163, one more than a multiple of 6. */
export const FramesSchema = z
  .number()
  .int()
  .min(mochiLimits.frames.min)
  .max(mochiLimits.frames.max)
  .refine((frames) => (frames - 1) % mochiLimits.frames.step === 0, {
    error: `frames must be 1 more than a multiple of ${mochiLimits.frames.step} (7, 13, 19, … 163)`,
  })
  // The same rule as JSON Schema (the OpenAPI document): the counts it allows, listed.
  .meta({
    enum: Array.from(
      { length: (mochiLimits.frames.max - mochiLimits.frames.min) / mochiLimits.frames.step + 1 },
      (_, index) => mochiLimits.frames.min + index * mochiLimits.frames.step,
    ),
  });

/** A seed: a 32-bit unsigned integer. */
export const SeedSchema = z.number().int().min(0).max(mochiLimits.seedMax);
/** A prompt: 1–2000 characters after trimming. */
export const PromptSchema = z.string().trim().min(1).max(mochiLimits.promptMaxLength);

/** A model id of the server's catalog (`GET /api/models`), e.g. `"mochi-1"`. */
export const ModelIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, "a model id: letters, digits and . _ : / -");

/**
 * The canonical body of `POST /api/videos`. Omitted settings take the model's defaults; the ranges
 * here are the widest any model takes, and the server checks the chosen model's own limits
 * (`GET /api/models`), Mochi's by default.
 */
export const GenerateRequestSchema = z.strictObject({
  /** What to render, 1–2000 characters. */
  prompt: PromptSchema,
  /** What to avoid, up to 2000 characters. */
  negativePrompt: z.string().max(mochiLimits.promptMaxLength).optional(),
  /** Frames to render (Mochi: 7–163, one more than a multiple of 6; default 31, about one second). */
  frames: z.number().int().min(1).max(1000).optional(),
  /** Width in pixels, a multiple of 16 (Mochi: 256–1280, default 848). */
  width: z.number().int().min(16).max(4096).multipleOf(16, { error: "width must be a multiple of 16" }).optional(),
  /** Height in pixels, a multiple of 16 (Mochi: 256–1280, default 480). */
  height: z.number().int().min(16).max(4096).multipleOf(16, { error: "height must be a multiple of 16" }).optional(),
  /** A 32-bit unsigned integer. Default: random. */
  seed: SeedSchema.optional(),
  /** Denoising steps (Mochi: 1–200, default 64). */
  steps: z.number().int().min(1).max(1000).optional(),
  /** Guidance scale (Mochi: 0–20, default 4.5). */
  cfg: z.number().min(0).max(100).optional(),
  /** A model of the catalog. Default `"mochi-1"` (or the server's first model). */
  model: ModelIdSchema.optional(),
  /**
   * The input image of an image-to-video model: an upload id from `POST /api/uploads`, or the URL
   * this server gave for it. URLs of anything else are refused, never fetched.
   */
  image: z.string().min(1).max(2048).optional(),
  /** Rewrite the prompt with the server's prompt enhancer before rendering (both are kept). Default false. */
  enhancePrompt: z.boolean().optional(),
});
/** The canonical body of `POST /api/videos` (see {@link GenerateRequestSchema}). */
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

/** The seed app's body of `POST /api/runpod`, accepted for compatibility. */
export const RunPodGenerateRequestSchema = z
  .strictObject({
    /** The prompt as the seed app shows it; `input.positive_prompt` is what is rendered. */
    prompt: PromptSchema,
    /** The model; only `"mochi-1"`. */
    modelName: z.literal(mochiLimits.model).optional(),
    /** Must equal `input.num_frames`. */
    frames: FramesSchema,
    /** The worker input, with the same limits as {@link GenerateRequestSchema}. */
    input: z.strictObject({
      /** What to render. */
      positive_prompt: PromptSchema,
      /** What to avoid. */
      negative_prompt: z.string().max(mochiLimits.promptMaxLength).optional(),
      /** A multiple of 16 in 256–1280. Default 848. */
      width: dimension("width").optional(),
      /** A multiple of 16 in 256–1280. Default 480. */
      height: dimension("height").optional(),
      /** A 32-bit unsigned integer. Default: random. */
      seed: SeedSchema.optional(),
      /** Denoising steps, 1–200. Default 64. */
      steps: z.number().int().min(mochiLimits.steps.min).max(mochiLimits.steps.max).optional(),
      /** Guidance scale, 0–20. Default 4.5. */
      cfg: z.number().min(mochiLimits.cfg.min).max(mochiLimits.cfg.max).optional(),
      /** 7–163, one more than a multiple of 6. */
      num_frames: FramesSchema,
    }),
  })
  .refine((body) => body.frames === body.input.num_frames, {
    path: ["frames"],
    error: "frames must equal input.num_frames",
  });
/** The seed app's body of `POST /api/runpod` (see {@link RunPodGenerateRequestSchema}). */
export type RunPodGenerateRequest = z.infer<typeof RunPodGenerateRequestSchema>;

/** A generate request with every default filled in. */
export interface VideoSettings {
  /** What to render. */
  prompt: string;
  /** What to avoid, or null. */
  negativePrompt: string | null;
  /** The model, e.g. `"mochi-1"`. */
  model: string;
  /** Frames to render. */
  frames: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** The seed, or null for a random one. */
  seed: number | null;
  /** Denoising steps. */
  steps: number;
  /** Guidance scale. */
  cfg: number;
}

/**
 * The settings of a canonical request, the model's defaults filled in (Mochi's when no limits are
 * given). It does not check the values against the limits: the server does, per model.
 */
export function settingsFromRequest(
  body: GenerateRequest,
  model: { id: string; limits: ModelLimits } = { id: mochiLimits.model, limits: mochiModelLimits },
): VideoSettings {
  const { limits } = model;
  return {
    prompt: body.prompt,
    negativePrompt: body.negativePrompt?.trim() ? body.negativePrompt : null,
    model: body.model ?? model.id,
    frames: body.frames ?? limits.frames.default,
    width: body.width ?? limits.width.default,
    height: body.height ?? limits.height.default,
    seed: body.seed ?? null,
    steps: body.steps ?? limits.steps.default,
    cfg: body.cfg ?? limits.cfg.default,
  };
}

/** The canonical request a seed-compatible `POST /api/runpod` body stands for. */
export function requestFromRunPodBody(body: RunPodGenerateRequest): GenerateRequest {
  const { input } = body;
  return {
    prompt: input.positive_prompt,
    ...(input.negative_prompt !== undefined && { negativePrompt: input.negative_prompt }),
    frames: input.num_frames,
    ...(input.width !== undefined && { width: input.width }),
    ...(input.height !== undefined && { height: input.height }),
    ...(input.seed !== undefined && { seed: input.seed }),
    ...(input.steps !== undefined && { steps: input.steps }),
    ...(input.cfg !== undefined && { cfg: input.cfg }),
    ...(body.modelName !== undefined && { model: body.modelName }),
  };
}
