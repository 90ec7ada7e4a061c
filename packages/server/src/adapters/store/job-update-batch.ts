import type { BatchOutcome } from "../../core/group-commit.js";
import { GroupCommit } from "../../core/group-commit.js";
import type { JobUpdateChange, VideoRecord } from "../../core/ports.js";
import { applyJobUpdate, notifiedRow, parseJson, type SqlRunner, selectVideo, videoFromRow } from "./operations.js";

// Group commit of job updates (issue 17, item 3): `Store.applyJobUpdate` calls that arrive together
// run as one call of `openv_apply_video_changes` (migration 20261207120100_notify_in_statement),
// one statement and one transaction, which locks every video and then every owner in id order and
// applies each change in a subtransaction of its own. A lone call runs `openv_apply_video_change`.

/**
 * Applies `changes` in one statement; one outcome per change, in order: the row after it (null:
 * the video is gone or changed since it was read), or `retryAlone` for a change that failed and
 * was undone alone (run again on its own, it fails with its own error).
 */
export async function applyJobUpdates(
  sql: SqlRunner,
  changes: JobUpdateChange[],
  notifyChannel: string | null,
): Promise<BatchOutcome<VideoRecord | null>[]> {
  const rows = await sql(`SELECT "ord", "video", "failed" FROM openv_apply_video_changes($1::jsonb, $2::text)`, [
    JSON.stringify(changes),
    notifyChannel,
  ]);
  const outcomes: BatchOutcome<VideoRecord | null>[] = changes.map(() => ({ retryAlone: true }));
  for (const row of rows) {
    const index = Number(row.ord);
    const change = changes[index];
    if (!change || row.failed !== null) continue;
    const video = parseJson(row.video);
    outcomes[index] = {
      ok: video ? notifiedRow(videoFromRow(video as Record<string, unknown>), notifyChannel, change.quiet) : null,
    };
  }
  return outcomes;
}

/** `Store.applyJobUpdate` with group commit over `sql`; `notifyChannel()` is read per call. */
export function batchedJobUpdates(
  sql: SqlRunner,
  notifyChannel: () => string | null,
): (change: JobUpdateChange) => Promise<VideoRecord | null> {
  const batcher = new GroupCommit<JobUpdateChange, VideoRecord | null>({
    runOne: (change) => applyJobUpdate(sql, change, notifyChannel()),
    runBatch: (changes) => applyJobUpdates(sql, changes, notifyChannel()),
  });
  return (change) => batcher.run(change);
}

/**
 * `Store.getVideoById` with the same batching: reads that arrive together (a burst of webhooks, each
 * reading its video before deciding) go as one `SELECT … WHERE "id" = ANY($1)`.
 */
export function batchedVideoReads(sql: SqlRunner): (videoId: string) => Promise<VideoRecord | null> {
  const batcher = new GroupCommit<string, VideoRecord | null>({
    runOne: (videoId) => selectVideo(sql, videoId),
    runBatch: async (videoIds) => {
      const rows = await sql(`SELECT * FROM "Video" WHERE "id" = ANY($1::text[])`, [videoIds]);
      const byId = new Map(rows.map((row) => [row.id as string, row]));
      return videoIds.map((videoId) => {
        const row = byId.get(videoId);
        // Each caller its own object (the same video asked twice: two copies), as a lone read gives.
        return { ok: row ? videoFromRow(row) : null };
      });
    },
  });
  return (videoId) => batcher.run(videoId);
}
