import { z } from "zod";
import { mochiComputeBudget, mochiLimits } from "./limits.js";

/** A range of whole numbers with a default. */
const IntRangeSchema = z.object({
  /** Smallest value. */
  min: z.number().int(),
  /** Largest value. */
  max: z.number().int(),
  /** The value when the request names none. */
  default: z.number().int(),
});

/** What a model accepts: the server checks every request against its model's limits. */
export const ModelLimitsSchema = z.object({
  /** The longest prompt (and negative prompt), in characters. */
  promptMaxLength: z.number().int(),
  /** Frame counts: `min`–`max`, where `(frames − 1)` is a multiple of `step`. */
  frames: IntRangeSchema.extend({
    /** `(frames − 1)` must be a multiple of it (1: any count). */
    step: z.number().int().min(1),
  }),
  /** Frames per second of the output: `frames / fps` is the video's length. */
  fps: z.number().int(),
  /** Width in pixels: a multiple of `multipleOf` in `min`–`max`. */
  width: IntRangeSchema.extend({
    /** Each side is a multiple of it. */
    multipleOf: z.number().int().min(1),
  }),
  /** Height in pixels: a multiple of `multipleOf` in `min`–`max`. */
  height: IntRangeSchema.extend({
    /** Each side is a multiple of it. */
    multipleOf: z.number().int().min(1),
  }),
  /** Denoising steps. */
  steps: IntRangeSchema,
  /** Guidance scale. */
  cfg: z.object({
    /** Lowest. */
    min: z.number(),
    /** Highest. */
    max: z.number(),
    /** When the request names none. */
    default: z.number(),
  }),
  /**
   * The most work one video may be, when the model has such a cap: visual tokens
   * `((frames − 1) / temporalCompression + 1) · (width / patchPixels) · (height / patchPixels)`
   * at most `maxVisualTokens`. Frames, width and height each inside their range can still exceed it.
   */
  computeBudget: z
    .object({
      /** Most visual tokens. */
      maxVisualTokens: z.number().int().positive(),
      /** Frames per latent frame. */
      temporalCompression: z.number().int().positive(),
      /** Pixels per token along each side. */
      patchPixels: z.number().int().positive(),
    })
    .optional(),
});
/** What a model accepts (see {@link ModelLimitsSchema}). */
export type ModelLimits = z.infer<typeof ModelLimitsSchema>;

/** One model of the server's catalog, as `GET /api/models` lists it. */
export const ModelSchema = z.object({
  /** What a generate request names in `model`. */
  id: z.string(),
  /** A name for people. */
  name: z.string(),
  /** A sentence about what it is good at. */
  description: z.string(),
  /** Whether it takes an input image: `none` (text-to-video), `optional`, or `required` (image-to-video). */
  image: z.enum(["none", "optional", "required"]),
  /** What it accepts. */
  limits: ModelLimitsSchema,
  /** What one video costs under the credits policy, set by the server (clients never send a price). */
  cost: z.object({
    /** Credits charged per video, refunded if it fails. */
    credits: z.number().int().min(0),
  }),
});
/** One model of the catalog (see {@link ModelSchema}). */
export type Model = z.infer<typeof ModelSchema>;

/** Answer of `GET /api/models`. */
export const ListModelsResponseSchema = z.object({
  /** The models a generate request may name; the first is the default. */
  models: z.array(ModelSchema),
});
/** Answer of `GET /api/models`. */
export type ListModelsResponse = z.infer<typeof ListModelsResponseSchema>;

/** Mochi 1's limits (shared/API.md), as a catalog entry states them. */
export const mochiModelLimits: ModelLimits = {
  promptMaxLength: mochiLimits.promptMaxLength,
  frames: { ...mochiLimits.frames },
  fps: mochiLimits.fps,
  width: { ...mochiLimits.dimension, default: mochiLimits.width.default },
  height: { ...mochiLimits.dimension, default: mochiLimits.height.default },
  steps: { ...mochiLimits.steps },
  cfg: { ...mochiLimits.cfg },
  computeBudget: {
    maxVisualTokens: mochiComputeBudget.maxVisualTokens,
    temporalCompression: mochiComputeBudget.temporalCompression,
    patchPixels: mochiComputeBudget.patchPixels,
  },
};
