import { isAttemptOutputKey } from "./output-keys.js";
import type { Logger, Storage, Store, VideoRecord } from "./ports.js";

/** `vid_<16 base64url>-<attempt>[-<suffix>].mp4`: a video attempt's output (see output-keys.ts). */
const outputKeyPattern = /^(vid_[A-Za-z0-9_-]{16})-(\d{1,6})(?:-[A-Za-z0-9]{1,32})?\.mp4$/;
/** posters21: `vid_<16 base64url>-<attempt>-poster|sprite.jpg|webp`: a video's derived preview. */
const previewKeyPattern = /^(vid_[A-Za-z0-9_-]{16})-\d{1,6}-(?:poster|sprite)\.(?:jpg|webp)$/;
/** `upl_<id>.<ext>`: an uploaded image. */
const uploadKeyPattern = /^upl_[A-Za-z0-9_-]{1,100}\.(?:png|jpg|webp)$/;

/**
 * Whether a stored output file is still pointed at: the video's recorded file, or a file the
 * current attempt of an unfinished video may be writing. Anything else (a deleted or unknown video,
 * a superseded attempt, a second copy of a finished one) is an orphan.
 */
export function isOutputReferenced(key: string, video: VideoRecord | undefined): boolean {
  const match = outputKeyPattern.exec(key);
  if (!match || !video || video.deletedAt) return false;
  if (video.storageKey === key) return true;
  const attempt = Number(match[2]);
  const unfinished = video.status === "queued" || video.status === "processing";
  return unfinished && attempt === video.retryCount && isAttemptOutputKey(video.id, attempt, key);
}

/**
 * Deletes files of this server's naming (video outputs, uploads, previews) that no record points at any more
 * and that are older than `olderThan` (so a file being written now is never taken): what a crash
 * between a delete's commit and its file deletion, or a worker's extra upload, leaves behind.
 * Files of other names are never touched. Returns the keys deleted.
 */
export async function sweepOrphanFiles(deps: {
  storage: Storage;
  store: Pick<Store, "videosByIds" | "existingUploadKeys">;
  logger: Logger;
  olderThan: Date;
}): Promise<string[]> {
  const { storage, store, logger, olderThan } = deps;
  if (!storage.listKeys) return [];
  const keys = await storage.listKeys({ olderThan, limit: 1000 });
  const outputs = keys.filter((key) => outputKeyPattern.test(key));
  const previews = keys.filter((key) => previewKeyPattern.test(key)); // posters21
  const uploads = keys.filter((key) => uploadKeyPattern.test(key));
  const videoIds = [
    ...new Set([
      ...outputs.map((key) => outputKeyPattern.exec(key)?.[1] as string),
      ...previews.map((key) => previewKeyPattern.exec(key)?.[1] as string), // posters21
    ]),
  ];
  const videos = new Map((await store.videosByIds(videoIds)).map((video) => [video.id, video]));
  const liveUploads = new Set(await store.existingUploadKeys(uploads));
  const orphans = [
    ...outputs.filter((key) => !isOutputReferenced(key, videos.get(outputKeyPattern.exec(key)?.[1] as string))),
    ...uploads.filter((key) => !liveUploads.has(key)),
    // posters21: a preview is kept while its live video records it.
    ...previews.filter((key) => {
      const video = videos.get(previewKeyPattern.exec(key)?.[1] as string);
      return !video || video.deletedAt !== null || (video.posterKey !== key && video.spriteKey !== key);
    }),
  ];
  if (orphans.length === 0) return [];
  await storage.deleteFiles(orphans);
  logger.info({ files: orphans.length }, "deleted stored files no record points at");
  return orphans;
}
