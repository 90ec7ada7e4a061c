/**
 * Where each attempt of a video must store its MP4: a storage key the server chooses before it
 * submits the attempt. A completion is adopted only at its own attempt's key (see
 * `VideoLifecycle.applyJobUpdate`); every attempt's key is known, so nothing is left behind when
 * an attempt is superseded or the video deleted.
 */
export function attemptOutputKey(videoId: string, attempt: number): string {
  return `${videoId}-${attempt}.mp4`;
}

/** The output keys of attempts `0..lastAttempt` of a video. */
export function attemptOutputKeys(videoId: string, lastAttempt: number): string[] {
  return Array.from({ length: lastAttempt + 1 }, (_, attempt) => attemptOutputKey(videoId, attempt));
}

const suffixPattern = /^-[A-Za-z0-9]{1,32}$/;

/**
 * Whether `key` is in attempt `attempt`'s own namespace: its output key, or that key with a
 * `-<suffix>` before `.mp4` (a worker that must not reuse a name, e.g. an UploadThing custom id
 * when RunPod runs the same job twice). Only such a key is ever adopted for the attempt.
 */
export function isAttemptOutputKey(videoId: string, attempt: number, key: string | null): boolean {
  if (key === null) return false;
  const exact = attemptOutputKey(videoId, attempt);
  if (key === exact) return true;
  const stem = exact.slice(0, -".mp4".length);
  return key.startsWith(stem) && key.endsWith(".mp4") && suffixPattern.test(key.slice(stem.length, -".mp4".length));
}
