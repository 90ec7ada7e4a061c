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
