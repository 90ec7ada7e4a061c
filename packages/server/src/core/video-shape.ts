import type { CreditEntry, Tombstone, Upload, Video, VideoOrTombstone } from "@openv/protocol";
import type { CreditEntryRecord, ListPosition, UploadRecord, VideoRecord } from "./ports.js";
import { toSprite } from "./previews.js"; // posters21
import { recordedTiming } from "./timing.js";

/** The wire shape of a stored video (shared/API.md, "The Video object"). */
export function toVideo(record: VideoRecord): Video {
  return {
    id: record.id,
    jobId: record.jobId,
    userId: record.userId,
    prompt: record.prompt,
    negativePrompt: record.negativePrompt,
    model: record.model,
    status: record.status,
    progress: record.progress,
    url: record.url,
    frames: record.frames,
    fps: record.fps,
    durationSeconds: record.durationSeconds,
    width: record.width,
    height: record.height,
    seed: record.seed,
    steps: record.steps,
    cfg: record.cfg,
    error:
      record.errorCode === null ? null : { code: record.errorCode, message: record.errorMessage ?? record.errorCode },
    retryCount: record.retryCount,
    enhancedPrompt: record.enhancedPrompt,
    imageId: record.inputImageId,
    creditCost: record.creditCost,
    remixOf: record.remixOf, // Remix (issue 21)
    ...recordedTiming(record), // Timing (eta21)
    posterUrl: record.posterUrl, // posters21
    sprite: toSprite(record), // posters21
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

export function toTombstone(record: VideoRecord): Tombstone {
  return { id: record.id, deleted: true, updatedAt: record.updatedAt.toISOString() };
}

export function toChange(record: VideoRecord): VideoOrTombstone {
  return record.deletedAt ? toTombstone(record) : toVideo(record);
}

/** Opaque list cursors: the (time, id) of the last row of a page. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(`${position.at.getTime()}:${position.id}`).toString("base64url");
}

export function decodeCursor(cursor: string): ListPosition | null {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^(\d{1,15}):(.+)$/.exec(text);
  if (!match?.[1] || !match[2]) return null;
  return { at: new Date(Number(match[1])), id: match[2] };
}

/** The wire shape of a ledger entry (the actor stays on the server). */
export function toCreditEntry(record: CreditEntryRecord): CreditEntry {
  return {
    id: record.id,
    delta: record.delta,
    balanceAfter: record.balanceAfter,
    reason: record.reason,
    videoId: record.videoId,
    createdAt: record.createdAt.toISOString(),
  };
}

/** The wire shape of an upload, with the URL to show it by (signed for private storage). */
export function toUpload(record: UploadRecord, url: string): Upload {
  return {
    id: record.id,
    url,
    contentType: record.contentType,
    bytes: record.bytes,
    width: record.width,
    height: record.height,
    createdAt: record.createdAt.toISOString(),
  };
}
