import type { VideoRecord } from "./ports.js";

// Changes notified inside the statement that made them (issue 17). A store whose SQL calls
// `openv_notify_video` (see migration 20261207120100_notify_in_statement) marks the rows it returns
// for such changes; `ChangeFeed.publish` then does not NOTIFY them a second time. A WeakSet: the mark
// lives as long as the row object, and a copy (`{ ...row }`) is a different, unmarked change.

const notified = new WeakSet<VideoRecord>();

/** Marks `video` (a row a store operation returned) as already notified by the statement that made it. */
export function markNotifiedInStatement<T extends VideoRecord>(video: T): T {
  notified.add(video);
  return video;
}

/** Whether the change that produced `video` was notified by its own statement. */
export function wasNotifiedInStatement(video: VideoRecord): boolean {
  return notified.has(video);
}
