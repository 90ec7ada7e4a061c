import { statusRank, type Video } from "@openv/protocol";

/**
 * Whether `incoming` is a later state of the video than `current`. Status only moves forward
 * (queued → processing → completed | failed) and a terminal status never changes, so a higher
 * rank wins, a lower rank or another terminal status loses, and within one status the later
 * `updatedAt` wins. Equal stamps are the same change seen twice (SSE replay, overlapping polls).
 */
export function supersedes(current: Video, incoming: Video): boolean {
  const rank = statusRank[incoming.status] - statusRank[current.status];
  if (rank !== 0) return rank > 0;
  if (incoming.status !== current.status) return false;
  return Date.parse(incoming.updatedAt) > Date.parse(current.updatedAt);
}

/** Newest first by creation, then by id (the order of `GET /api/videos`). */
export function newestFirst(a: Video, b: Video): number {
  const created = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (created !== 0) return created;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
