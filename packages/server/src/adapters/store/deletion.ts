import type { VideoDeletion, VideoRecord } from "../../core/ports.js";
import { notifiedRow, type SqlRunner, videoFromRow } from "./operations.js";

// Deletion as one round trip: the SQL functions of migration
// 20261207120200_delete_and_list_in_one_round_trip state what they do, and the locks they take, once.

/**
 * `Store.deleteVideos`: one call of `openv_delete_videos`, which also notifies each tombstone on
 * `notifyChannel` (null: none; the rows come back marked as notified otherwise).
 */
export async function deleteVideos(
  sql: SqlRunner,
  deletion: VideoDeletion,
  notifyChannel: string | null,
): Promise<VideoRecord[]> {
  if (deletion.ids.length === 0 && deletion.jobIds.length === 0) return [];
  const rows = await sql(`SELECT * FROM openv_delete_videos($1, $2::text[], $3::text[], $4, $5::jsonb, $6::text)`, [
    deletion.userId,
    deletion.ids,
    deletion.jobIds,
    deletion.refundCredits,
    deletion.outbox === null ? null : JSON.stringify(deletion.outbox),
    notifyChannel,
  ]);
  return rows.map((row) => notifiedRow(videoFromRow(row), notifyChannel));
}
