import { CreateShareRequestSchema, RemixRequestSchema } from "@openv/protocol";
import { z } from "zod";
import { isOpenVError, notFound } from "../core/errors.js";
import type { VideoLifecycle } from "../core/lifecycle.js";
import type { Storage } from "../core/ports.js";
import type { OpenedShare, Shares } from "../core/shares.js";
import type { EventStreams } from "./event-streams.js";
import { byteRange, range206, range416, serveLocalFile } from "./files.js";
import type { Route, RouteContext } from "./routes.js";
import { submissionAnswer } from "./routes.js";
import { goneSharePageHtml, posterOf, sharePageHeaders, sharePageHtml } from "./share-page.js";
import type { ApiResponse } from "./types.js";
import { parseInput } from "./validation.js";

// Remix and share links (issue 21): `POST /videos/:id/remix`, the owner's share-link routes, and
// the public page and MP4 a link opens.

/** What these routes use. */
export interface ShareRouteDependencies {
  lifecycle: VideoLifecycle;
  shares: Shares;
  /** Where videos are kept (remote storage is proxied through the link, see `shareVideo`). */
  storage: Storage;
  /** The folder local storage serves files from; null when storage is remote. */
  filesDir: string | null;
  /** The open event streams, whose `closing` signal also ends a remix's `Prefer: wait`. */
  sseStreams: EventStreams;
}

const IdParamsSchema = z.object({ id: z.string().min(1).max(200) });
const ShareParamsSchema = z.object({ id: z.string().min(1).max(200), shareId: z.string().min(1).max(200) });

const encoder = new TextEncoder();
/** Nothing a link serves may be kept by any cache: a revoke or the expiry must end it at once. */
const noStore = { "cache-control": "no-store", "referrer-policy": "no-referrer" };

/** The remix route and the share-link routes. */
export function shareRoutes(deps: ShareRouteDependencies): Route[] {
  const { lifecycle, shares } = deps;
  const videoId = (context: RouteContext) => parseInput(IdParamsSchema, context.params, "query").id;
  const bodyOrEmpty = (context: RouteContext) => context.json() ?? {};
  return [
    {
      method: "POST",
      path: "/videos/:id/remix",
      auth: true,
      generate: true,
      handle: async (context) => {
        const sourceId = videoId(context);
        const changes = parseInput(RemixRequestSchema, bodyOrEmpty(context), "body");
        const fingerprinted = { route: `remix:${sourceId}`, body: bodyOrEmpty(context) };
        return submissionAnswer(deps, context, fingerprinted, (idempotency, wait) => {
          const request = { userId: context.userId, sourceId, changes, ...(idempotency && { idempotency }) };
          return wait === undefined ? lifecycle.remixVideo(request) : lifecycle.remixVideoAndWait(request, wait);
        });
      },
    },
    {
      method: "POST",
      path: "/videos/:id/shares",
      auth: true,
      handle: async (context) => {
        const request = parseInput(CreateShareRequestSchema, bodyOrEmpty(context), "body");
        return { status: 201, json: await shares.createShare(context.userId, videoId(context), request) };
      },
    },
    {
      method: "GET",
      path: "/videos/:id/shares",
      auth: true,
      handle: async (context) => ({ status: 200, json: await shares.listShares(context.userId, videoId(context)) }),
    },
    {
      method: "DELETE",
      path: "/videos/:id/shares/:shareId",
      auth: true,
      handle: async (context) => {
        const { id, shareId } = parseInput(ShareParamsSchema, context.params, "query");
        await shares.revokeShare(context.userId, id, shareId);
        return { status: 204 };
      },
    },
    {
      // Public: the token in the path is the capability (http/redact.ts keeps it out of logs).
      method: "GET",
      path: "/share/:token",
      auth: false,
      handle: async (context) => {
        let opened: OpenedShare;
        try {
          opened = await shares.openShare(context.params.token ?? "");
        } catch (error) {
          if (!isOpenVError(error) || error.code !== "not_found") throw error;
          return { status: 404, headers: sharePageHeaders(null), bytes: encoder.encode(goneSharePageHtml()) };
        }
        const pageUrl = shares.shareUrlOf(context.params.token ?? "");
        const video = await lifecycle.getVideo(opened.video.userId, opened.video.id);
        const html = sharePageHtml({
          video,
          pageUrl,
          videoUrl: `${pageUrl}/video.mp4`,
          expiresAt: opened.share.expiresAt,
        });
        return { status: 200, headers: sharePageHeaders(posterOf(video)), bytes: encoder.encode(html) };
      },
    },
    {
      method: "GET",
      path: "/share/:token/video.mp4",
      auth: false,
      handle: async (context) => {
        const { video } = await shares.openShare(context.params.token ?? "");
        return shareVideo(deps, video.storageKey, context.request.headers);
      },
    },
  ];
}

/**
 * A shared video's MP4, with Range. Local storage: the server's own file serving. Remote storage
 * (S3, UploadThing): proxied through the link rather than redirected to a signed URL, because a
 * redirect hands out a URL that outlives a revoke (an S3 signature lasts its TTL; UploadThing URLs
 * never expire) and shows the storage's address; a proxy ends with the link, at the cost of the
 * bytes passing through this server (Mochi's MP4s are a few MB).
 */
async function shareVideo(
  deps: ShareRouteDependencies,
  key: string | null,
  requestHeaders: Record<string, string | undefined>,
): Promise<ApiResponse> {
  if (key === null) throw notFound("video file");
  // No validators: a 304 would let a cache answer for the link after it ended.
  const { "if-none-match": _tag, "if-modified-since": _since, ...rangeOnly } = requestHeaders;
  if (deps.filesDir !== null) {
    const served = await serveLocalFile(deps.filesDir, key, rangeOnly);
    const { etag: _etag, "last-modified": _modified, ...kept } = served.headers ?? {};
    return { ...served, headers: { ...kept, ...noStore } };
  }
  const bytes = await deps.storage.readBytes(key);
  const size = bytes.byteLength;
  const common = { ...noStore, "accept-ranges": "bytes", "content-type": "video/mp4" };
  const range = byteRange(size, rangeOnly.range);
  if (range === "unsatisfiable") return { status: 416, headers: { ...common, ...range416(size) } };
  if (range !== null) {
    return {
      status: 206,
      headers: { ...common, ...range206(range, size) },
      bytes: bytes.subarray(range.start, range.end + 1),
    };
  }
  return { status: 200, headers: { ...common, "content-length": String(size) }, bytes };
}
