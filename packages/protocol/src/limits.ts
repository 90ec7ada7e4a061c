/** Mochi 1's accepted ranges and defaults (shared/API.md, "POST /api/videos"). */
export const mochiLimits = {
  promptMaxLength: 2000,
  frames: { min: 7, max: 163, step: 6, default: 31 },
  dimension: { min: 256, max: 1280, multipleOf: 16 },
  width: { default: 848 },
  height: { default: 480 },
  steps: { min: 1, max: 200, default: 64 },
  cfg: { min: 0, max: 20, default: 4.5 },
  seedMax: 4_294_967_295,
  fps: 30,
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
