import type { ListPosition, VideoPage } from "../../core/ports.js";
import { dateOf, parseJson, type SqlRunner, videoFromRow } from "./operations.js";

/**
 * `Store.listVideos`: one call of `openv_list_videos` (migration
 * 20261207120200_delete_and_list_in_one_round_trip), which takes the change-feed lock, reads the
 * clock and then the page, in one statement. The page arrives as one JSON array, so an empty page
 * still brings its `serverTime`.
 */
export async function listVideos(
  sql: SqlRunner,
  userId: string,
  query: { since: Date | null; limit: number; cursor: ListPosition | null },
): Promise<VideoPage> {
  const [row] = await sql(`SELECT * FROM openv_list_videos($1, $2::timestamptz, $3::int, $4::timestamptz, $5)`, [
    userId,
    query.since,
    query.limit,
    query.cursor?.at ?? null,
    query.cursor?.id ?? null,
  ]);
  if (!row) throw new Error("openv_list_videos returned no row");
  const videos = parseJson(row.videos) as Record<string, unknown>[];
  return { serverTime: dateOf(row.serverTime), videos: videos.map(videoFromRow) };
}
