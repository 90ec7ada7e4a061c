// The one source of the compute budget, shared with worker-mochi's input validation. tsup inlines
// it into the published build.
import budget from "../../../worker-mochi/contract/compute-budget.json" with { type: "json" };

import type { ModelLimits } from "./models.js";

/**
 * What one Mochi job may cost: the transformer's sequence length in visual tokens and the
 * denoising steps. Mochi 1 preview is specified for 848×480 at up to 163 frames, 44,520 tokens.
 */
export const mochiComputeBudget = {
  /** Most visual tokens: `((frames − 1) / temporalCompression + 1) · (width / patchPixels) · (height / patchPixels)`. */
  maxVisualTokens: budget.maxVisualTokens,
  /** Frames per latent frame (after the first). */
  temporalCompression: budget.temporalCompression,
  /** Pixels per token along each side (VAE ×8, then 2×2 patches). */
  patchPixels: budget.patchPixels,
  /** Most denoising steps. */
  maxSteps: budget.maxSteps,
} as const;

/** The visual tokens of a Mochi video: what its attention costs. */
export function mochiVisualTokens(frames: number, width: number, height: number): number {
  const { temporalCompression, patchPixels } = mochiComputeBudget;
  return (
    (Math.floor((frames - 1) / temporalCompression) + 1) *
    Math.floor(width / patchPixels) *
    Math.floor(height / patchPixels)
  );
}

/** Mochi 1's accepted ranges and defaults (shared/API.md, "POST /api/videos"). */
export const mochiLimits = {
  /** The longest prompt (and negative prompt), in characters. */
  promptMaxLength: 2000,
  /** Frame counts: `min`–`max`, one more than a multiple of `step`. */
  frames: {
    /** Fewest frames. */
    min: 7,
    /** Most frames. */
    max: 163,
    /** `(frames − 1)` must be a multiple of it. */
    step: 6,
    /** Frames when the request names none. */
    default: 31,
  },
  /** Width and height: multiples of `multipleOf` in `min`–`max` pixels. */
  dimension: {
    /** Smallest side. */
    min: 256,
    /** Largest side. */
    max: 1280,
    /** Each side is a multiple of it. */
    multipleOf: 16,
  },
  /** Width when the request names none. */
  width: {
    /** In pixels. */
    default: 848,
  },
  /** Height when the request names none. */
  height: {
    /** In pixels. */
    default: 480,
  },
  /** Denoising steps. */
  steps: {
    /** Fewest. */
    min: 1,
    /** Most: the compute budget's cap. */
    max: mochiComputeBudget.maxSteps,
    /** When the request names none. */
    default: 64,
  },
  /** Guidance scale. */
  cfg: {
    /** Lowest. */
    min: 0,
    /** Highest. */
    max: 20,
    /** When the request names none. */
    default: 4.5,
  },
  /** The largest seed (a 32-bit unsigned integer). */
  seedMax: 4_294_967_295,
  /** Mochi's frames per second. */
  fps: 30,
  /** The model name. */
  model: "mochi-1",
} as const;

/** Seconds of video that `frames` frames make at `fps`: what the quota charges. */
export function durationSeconds(frames: number, fps: number = mochiLimits.fps): number {
  return frames / fps;
}

/** The nearest valid Mochi frame count ((frames − 1) % 6 == 0, 7–163) for a length in seconds. */
export function framesForSeconds(seconds: number, fps: number = mochiLimits.fps): number {
  const { min, max, step } = mochiLimits.frames;
  const steps = Math.round((seconds * fps - 1) / step);
  return Math.min(max, Math.max(min, steps * step + 1));
}

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
