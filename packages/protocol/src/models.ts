import * as z from "zod/mini";
import { integer } from "./formats.js";

/** A range of whole numbers with a default. */
const IntRangeSchema = z.object({
  /** Smallest value. */
  min: integer(),
  /** Largest value. */
  max: integer(),
  /** The value when the request names none. */
  default: integer(),
});

/** What a model accepts: the server checks every request against its model's limits. */
export const ModelLimitsSchema = z.object({
  /** The longest prompt (and negative prompt), in characters. */
  promptMaxLength: integer(),
  /** Frame counts: `min`–`max`, where `(frames − 1)` is a multiple of `step`. */
  frames: z.object({
    ...IntRangeSchema.shape,
    /** `(frames − 1)` must be a multiple of it (1: any count). */
    step: integer(1),
  }),
  /** Frames per second of the output: `frames / fps` is the video's length. */
  fps: integer(),
  /** Width in pixels: a multiple of `multipleOf` in `min`–`max`. */
  width: z.object({
    ...IntRangeSchema.shape,
    /** Each side is a multiple of it. */
    multipleOf: integer(1),
  }),
  /** Height in pixels: a multiple of `multipleOf` in `min`–`max`. */
  height: z.object({
    ...IntRangeSchema.shape,
    /** Each side is a multiple of it. */
    multipleOf: integer(1),
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
  computeBudget: z.optional(
    z.object({
      /** Most visual tokens. */
      maxVisualTokens: integer(1),
      /** Frames per latent frame. */
      temporalCompression: integer(1),
      /** Pixels per token along each side. */
      patchPixels: integer(1),
    }),
  ),
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
    credits: integer(0),
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
