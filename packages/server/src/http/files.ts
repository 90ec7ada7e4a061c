import { stat } from "node:fs/promises";
import path from "node:path";
import parseRange from "range-parser";
import { isLocalFileKey } from "../adapters/storage/local.js";
import { notFound } from "../core/errors.js";
import type { ApiResponse } from "./types.js";

const contentTypes: Record<string, string> = {
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".webp": "image/webp",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
};

/**
 * A local storage file as an answer, with what video players need: `Accept-Ranges`, single byte
 * ranges (206, or 416 past the end), validators (`ETag`, `Last-Modified`, 304) and an hour of
 * caching. Anything that is not a finished file under `directory` is 404.
 */
export async function serveLocalFile(
  directory: string,
  key: string,
  requestHeaders: Record<string, string | undefined>,
): Promise<ApiResponse> {
  if (!isLocalFileKey(key)) throw notFound("file");
  const filePath = path.join(directory, key);
  const info = await stat(filePath).catch(() => null);
  if (!info?.isFile()) throw notFound("file");

  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const common = {
    "accept-ranges": "bytes",
    "cache-control": "public, max-age=3600",
    etag,
    "last-modified": info.mtime.toUTCString(),
  };
  const ifNoneMatch = requestHeaders["if-none-match"];
  if (ifNoneMatch?.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*")) {
    return { status: 304, headers: common };
  }
  const type = contentTypes[path.extname(key).toLowerCase()] ?? "application/octet-stream";
  const range = byteRange(info.size, requestHeaders.range);
  if (range === "unsatisfiable") return { status: 416, headers: { ...common, ...range416(info.size) } };
  if (range !== null) {
    return {
      status: 206,
      headers: { ...common, "content-type": type, ...range206(range, info.size) },
      file: { path: filePath, ...range },
    };
  }
  return {
    status: 200,
    headers: { ...common, "content-type": type, "content-length": String(info.size) },
    file: { path: filePath, start: 0, end: Math.max(info.size - 1, 0) },
  };
}

/** One byte range of a body, both ends included. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What a `Range` header asks of a body of `size` bytes: one range; `"unsatisfiable"` (416) when
 * it starts past the end; null (the whole body) without a header, for a malformed one, and for
 * several ranges at once (players ask for one).
 */
export function byteRange(size: number, header: string | undefined): ByteRange | "unsatisfiable" | null {
  if (header === undefined) return null;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return "unsatisfiable";
  if (ranges === -2 || ranges.type !== "bytes" || ranges.length !== 1) return null;
  const { start, end } = ranges[0] as parseRange.Range;
  return { start, end };
}

/** The headers of a 206 answer carrying `range` of a body of `size` bytes. */
export function range206(range: ByteRange, size: number): Record<string, string> {
  return {
    "content-length": String(range.end - range.start + 1),
    "content-range": `bytes ${range.start}-${range.end}/${size}`,
  };
}

/** The header of a 416 answer for a body of `size` bytes. */
export function range416(size: number): Record<string, string> {
  return { "content-range": `bytes */${size}` };
}
