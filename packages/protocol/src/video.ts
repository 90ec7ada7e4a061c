import * as z from "zod/mini";
import { integer, timestamp } from "./formats.js";

/** A video's status: `queued → processing → completed | failed`, only ever forward. */
export const VideoStatusSchema = z.enum(["queued", "processing", "completed", "failed"]);
/** A video's status (see {@link VideoStatusSchema}). */
export type VideoStatus = z.infer<typeof VideoStatusSchema>;

/** Terminal statuses never change again. */
export const terminalStatuses: readonly VideoStatus[] = ["completed", "failed"];

/** Status only moves forward: the rank of each status in `queued → processing → completed | failed`. */
export const statusRank: Record<VideoStatus, number> = { queued: 0, processing: 1, completed: 2, failed: 2 };

/** Why a video failed. */
export const VideoErrorSchema = z.object({
  /** A stable code, e.g. `invalid_input`, `job_expired`, `provider_unavailable`. */
  code: z.string(),
  /** What happened, for people. */
  message: z.string(),
});

// posters21: the scrub-preview sprite sheet of a completed video.
/**
 * A sprite sheet of a completed video: `columns × rows` frames of `frameWidth × frameHeight` pixels,
 * left to right then top to bottom, one every `interval` seconds from the start (the last row may
 * end in blank cells). Frame `i` sits at (`(i % columns) × frameWidth`, `⌊i / columns⌋ × frameHeight`).
 */
export const VideoSpriteSchema = z.object({
  /** The image (JPEG), in the same storage as the video; signed like `url` where storage is private. */
  url: z.string(),
  /** Frames per row (at least 1; as are `rows`, `frameWidth` and `frameHeight`). */
  columns: integer(),
  /** Rows of frames. */
  rows: integer(),
  /** Width of one frame in pixels. */
  frameWidth: integer(),
  /** Height of one frame in pixels. */
  frameHeight: integer(),
  /** Seconds of video between two frames of the sheet (more than 0). */
  interval: z.number(),
});
/** A completed video's scrub-preview sprite sheet (see {@link VideoSpriteSchema}). */
export type VideoSprite = z.infer<typeof VideoSpriteSchema>;

/** A requested video and where it stands: the `Video` object of the contract. */
export const VideoSchema = z.object({
  /** Server-generated, opaque. */
  id: z.string(),
  /** The provider's job id (RunPod's), null until submitted; a retry gets a new one. */
  jobId: z.nullable(z.string()),
  /** The owner. */
  userId: z.string(),
  /** What to render. */
  prompt: z.string(),
  /** What to avoid, or null. */
  negativePrompt: z.nullable(z.string()),
  /** The model, e.g. `"mochi-1"`. */
  model: z.string(),
  /** Where the video stands; it only moves forward. */
  status: VideoStatusSchema,
  /** 0..1 while processing, when the provider reports it; else null. */
  progress: z.nullable(z.number().check(z.gte(0), z.lte(1))),
  /** The playable MP4 once completed; else null. */
  url: z.nullable(z.string()),
  /** Frames rendered. */
  frames: integer(),
  /** Frames per second (30 for Mochi). */
  fps: integer(),
  /** `frames / fps`: the seconds the quota charges. */
  durationSeconds: z.number(),
  /** Width in pixels. */
  width: integer(),
  /** Height in pixels. */
  height: integer(),
  /** The seed asked for, or null for a random one. */
  seed: z.nullable(integer()),
  /** Denoising steps. */
  steps: integer(),
  /** Classifier-free guidance scale. */
  cfg: z.number(),
  /** Why it failed, when `status` is `failed`; else null. */
  error: z.nullable(VideoErrorSchema),
  /** How many times it was resubmitted after a retryable failure. */
  retryCount: integer(),
  /** The prompt actually rendered when prompt enhancement rewrote `prompt` (kept as typed); else null. */
  enhancedPrompt: z.nullable(z.string()),
  /** The input image (an upload id, see `POST /api/uploads`) of an image-to-video request; else null. */
  imageId: z.nullable(z.string()),
  /** Credits charged for it under the credits policy (refunded if it fails); null under the seconds policy. */
  creditCost: z.nullable(integer()),
  // Remix (issue 21)
  /**
   * The video this one was remixed from (`POST /api/videos/:id/remix`); null for a fresh request.
   * Absent from servers before v1.1.
   */
  remixOf: z.optional(z.nullable(z.string())),
  // Timing (issue 21): where an unfinished video stands in line and how long it should take.
  /**
   * Unfinished videos: how many of the provider's queued jobs on this server are ahead of it (0:
   * next, or already rendering; counted up to 1,000, so 1,000 means 1,000 or more), or the
   * provider's own figure where it gives one; null when there
   * is no basis (finished videos, a provider this server cannot see into). Absent from servers
   * before v1.1.
   */
  queuePosition: z.optional(z.nullable(integer().check(z.gte(0)))),
  /**
   * Unfinished videos: estimated seconds until it is finished, from this server's history of
   * renders of the same model and size and the worker's progress; null when there is no basis.
   */
  etaSeconds: z.optional(z.nullable(z.number().check(z.gte(0)))),
  /** Seconds the current attempt waited for a worker (the provider's figure, else measured); null until known. */
  queueSeconds: z.optional(z.nullable(z.number().check(z.gte(0)))),
  /** Seconds the worker rendered it (the provider's figure, else measured); null until it finishes. */
  renderSeconds: z.optional(z.nullable(z.number().check(z.gte(0)))),
  // posters21: derived from the MP4 after completion; null until then, and when derivation failed or is off.
  /** A still of the completed video (JPEG, its size or at most 640 px wide), for `<video poster>`; else null. */
  posterUrl: z.nullable(z.string()),
  /** The completed video's scrub-preview sprite sheet; else null. */
  sprite: z.nullable(VideoSpriteSchema),
  /** When it was requested (ISO-8601). */
  createdAt: timestamp(),
  /** When it last changed (ISO-8601). */
  updatedAt: timestamp(),
});
/** A requested video and where it stands (see {@link VideoSchema}). */
export type Video = z.infer<typeof VideoSchema>;

/** A deleted video, as incremental lists and live events report it. */
export const TombstoneSchema = z.object({
  /** The deleted video's id. */
  id: z.string(),
  /** Always true. */
  deleted: z.literal(true),
  /** When it was deleted (ISO-8601). */
  updatedAt: timestamp(),
});
/** A deleted video (see {@link TombstoneSchema}). */
export type Tombstone = z.infer<typeof TombstoneSchema>;

/** An entry of an incremental list or a live event: a video, or the tombstone of a deleted one. */
export const VideoOrTombstoneSchema = z.union([TombstoneSchema, VideoSchema]);
/** A video, or the tombstone of a deleted one. */
export type VideoOrTombstone = z.infer<typeof VideoOrTombstoneSchema>;

/** True when the entry is a {@link Tombstone}. */
export function isTombstone(entry: VideoOrTombstone): entry is Tombstone {
  return "deleted" in entry && entry.deleted === true;
}
