import type { ModelLimits } from "@openv/protocol";

/** The fewest and most frames a model takes that also fit its step: `(frames − 1) % step == 0`. */
export function frameBounds(limits: ModelLimits): { lowest: number; highest: number } {
  const { min, max, step } = limits.frames;
  return { lowest: 1 + Math.ceil((min - 1) / step) * step, highest: 1 + Math.floor((max - 1) / step) * step };
}

/** The frame count nearest to `seconds` that the model accepts (Mochi: 7–163, one more than a multiple of 6). */
export function framesForSeconds(limits: ModelLimits, seconds: number): number {
  const { lowest, highest } = frameBounds(limits);
  const nearest = 1 + Math.round((seconds * limits.fps - 1) / limits.frames.step) * limits.frames.step;
  return Math.min(highest, Math.max(lowest, nearest));
}

/** The shortest and longest lengths, in seconds to a tenth, that a length field offers for the model. */
export function secondsRange(limits: ModelLimits): {
  /** The shortest, in seconds. */
  min: number;
  /** The longest, in seconds. */
  max: number;
} {
  const { lowest, highest } = frameBounds(limits);
  return {
    min: Math.floor((lowest / limits.fps) * 10) / 10,
    max: Math.floor((highest / limits.fps) * 10) / 10,
  };
}
