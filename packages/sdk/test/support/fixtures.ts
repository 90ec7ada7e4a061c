import type { Model, Tombstone, Usage, Video, VideoStatus } from "@openv/protocol";

/** A contract-valid video; `at` is its updatedAt in ms (createdAt is fixed per id order). */
export function video(id: string, status: VideoStatus, at: number, extra: Partial<Video> = {}): Video {
  return {
    id,
    jobId: status === "queued" ? null : `job-${id}`,
    userId: "alice",
    prompt: `video ${id}`,
    negativePrompt: null,
    model: "mochi-1",
    status,
    progress: status === "processing" ? 0.5 : null,
    url: status === "completed" ? `https://files.example/${id}.mp4` : null,
    frames: 31,
    fps: 30,
    durationSeconds: 31 / 30,
    width: 848,
    height: 480,
    seed: null,
    steps: 64,
    cfg: 4.5,
    error: status === "failed" ? { code: "model_error", message: "model_error: it broke" } : null,
    retryCount: 0,
    enhancedPrompt: null,
    imageId: null,
    creditCost: null,
    posterUrl: null, // posters21
    sprite: null, // posters21
    remixOf: null,
    createdAt: new Date(1_700_000_000_000).toISOString(),
    updatedAt: new Date(at).toISOString(),
    ...extra,
  };
}

export function tombstone(id: string, at: number): Tombstone {
  return { id, deleted: true, updatedAt: new Date(at).toISOString() };
}

export const usage: Usage = {
  credits: null,
  usedSeconds: 1,
  limitSeconds: 600,
  remainingSeconds: 599,
  periodStart: "2026-11-01T00:00:00.000Z",
  periodEnd: "2026-12-01T00:00:00.000Z",
};

/** An `{error}` body of the contract. */
export const errorBody = (code: string, message = `failed: ${code}`, details?: Record<string, unknown>) => ({
  error: { code, message, ...(details && { details }) },
});

/** One `event: video` frame of the SSE route. */
export const sseFrame = (change: Video | Tombstone) =>
  `event: video\nid: ${Date.parse(change.updatedAt)}\ndata: ${JSON.stringify(change)}\n\n`;

/** A catalog model with Mochi's limits, priced at 5 credits, text-to-video unless `extra` says. */
export const model = (id: string, extra: Partial<Model> = {}): Model => ({
  id,
  name: `Model ${id}`,
  description: "Renders things.",
  image: "none",
  limits: {
    promptMaxLength: 2000,
    frames: { min: 7, max: 163, step: 6, default: 31 },
    fps: 30,
    width: { min: 256, max: 1280, multipleOf: 16, default: 848 },
    height: { min: 256, max: 1280, multipleOf: 16, default: 480 },
    steps: { min: 1, max: 200, default: 64 },
    cfg: { min: 0, max: 20, default: 4.5 },
  },
  cost: { credits: 5 },
  ...extra,
});

/** A period allowance of 600 s with `remainingSeconds` left (no credits). */
export const secondsLeft = (remainingSeconds: number): Usage => ({
  usedSeconds: 600 - remainingSeconds,
  limitSeconds: 600,
  remainingSeconds,
  credits: null,
  periodStart: "2026-12-01T00:00:00.000Z",
  periodEnd: "2027-01-01T00:00:00.000Z",
});

/** A credit-billed account holding `balance` credits (no period allowance). */
export const creditBalance = (balance: number): Usage => ({
  ...secondsLeft(0),
  limitSeconds: null,
  remainingSeconds: null,
  credits: { balance },
});
