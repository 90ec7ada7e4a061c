// Share links (issue 21): functions over a client rather than client methods (like access.ts), so
// a bundle that never shares carries none of their code.
import {
  type CreatedShare,
  CreatedShareSchema,
  type CreateShareRequest,
  type ListSharesResponse,
  ListSharesResponseSchema,
} from "@openv/protocol";
import type { OpenVClient } from "./client.js";
import type { APIPromise, RequestOptions } from "./options.js";

const sharesPath = (videoId: string) => `/videos/${encodeURIComponent(videoId)}/shares`;

/**
 * Makes a share link to one of the user's completed videos (`POST /videos/:id/shares`). The
 * answer's `url` is shown this once (the server keeps only its hash); anyone holding it can watch
 * the video, without an account, until `expiresAt` (default 7 days; `expiresInSeconds` 60 s to 90
 * days), a revoke, or the video's deletion.
 *
 * @throws `NotFoundError` for a video that is not the user's, `ConflictError` (`video_not_completed`).
 *
 * @example
 * ```ts
 * const { url } = await createShare(client, video.id, { expiresInSeconds: 24 * 3600 });
 * ```
 */
export function createShare(
  client: OpenVClient,
  videoId: string,
  input: CreateShareRequest = {},
  options?: RequestOptions,
): APIPromise<CreatedShare> {
  return client._send({ method: "POST", path: sharesPath(videoId), body: input, schema: CreatedShareSchema, options });
}

/**
 * The video's share links that still work, newest first, without their URLs (`GET /videos/:id/shares`).
 *
 * @example
 * ```ts
 * const { shares } = await listShares(client, video.id);
 * ```
 */
export function listShares(
  client: OpenVClient,
  videoId: string,
  options?: RequestOptions,
): APIPromise<ListSharesResponse> {
  return client._send({ method: "GET", path: sharesPath(videoId), schema: ListSharesResponseSchema, options });
}

/**
 * Revokes a share link (`DELETE /videos/:id/shares/:shareId`): it stops working at once.
 *
 * @throws `NotFoundError` when the user has no such link.
 *
 * @example
 * ```ts
 * await revokeShare(client, video.id, share.id);
 * ```
 */
export function revokeShare(
  client: OpenVClient,
  videoId: string,
  shareId: string,
  options?: RequestOptions,
): APIPromise<void> {
  return client._send({
    method: "DELETE",
    path: `${sharesPath(videoId)}/${encodeURIComponent(shareId)}`,
    schema: { safeParse: () => ({ success: true, data: undefined }) },
    options,
  });
}
