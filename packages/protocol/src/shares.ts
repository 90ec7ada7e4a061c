import * as zm from "zod/mini";
import { timestamp } from "./formats.js";

// Share links (issue 21): a URL that plays one video with no account, until revoked or expired.

/**
 * A live share link of a video. Its URL is shown once, when it is made: the server keeps only a
 * hash of the token in it, so a list cannot show it again (revoke and make a new one instead).
 */
export const ShareSchema = zm.object({
  /** `shr_…`, opaque: what `DELETE /videos/:id/shares/:shareId` takes. */
  id: zm.string(),
  /** The video it plays. */
  videoId: zm.string(),
  /** When it was made (ISO-8601). */
  createdAt: timestamp(),
  /** When it stops working (ISO-8601). */
  expiresAt: timestamp(),
});
/** A live share link (see {@link ShareSchema}). */
export type Share = zm.infer<typeof ShareSchema>;

/** Answer of `POST /api/videos/:id/shares` (201): the link, with its URL (shown this once). */
export const CreatedShareSchema = zm.object({
  ...ShareSchema.shape,
  /** The page anyone with it may open, without an account: a player, and Open Graph tags for chat apps. */
  url: zm.string(),
});
/** Answer of `POST /api/videos/:id/shares` (see {@link CreatedShareSchema}). */
export type CreatedShare = zm.infer<typeof CreatedShareSchema>;

/** Answer of `GET /api/videos/:id/shares`: the video's links that still work, newest first. */
export const ListSharesResponseSchema = zm.object({
  /** Links neither revoked nor expired. */
  shares: zm.array(ShareSchema),
});
/** Answer of `GET /api/videos/:id/shares` (see {@link ListSharesResponseSchema}). */
export type ListSharesResponse = zm.infer<typeof ListSharesResponseSchema>;
