import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { CopyRequest, OutboundFetch } from "../../core/ports.js";
import { createGuardedFetch, OutboundFetchError, unavailableMessage } from "../net/guarded-fetch.js";

/** Limits on copying a foreign file into storage (`Storage.copyFromUrl`). */
export interface CopyFromUrlOptions {
  /** Largest file accepted, in bytes. @default 1 GiB */
  maxBytes?: number;
  /** Time allowed for the whole download, headers and body, in milliseconds. @default 10 minutes */
  timeoutMs?: number;
  /**
   * The fetch to download with. Default: the server's guarded fetcher (passed by the lifecycle, with
   * `outputAllowedHosts`), else a guarded fetcher with no allow-list. A fetch given here replaces
   * the guard: it must refuse internal addresses itself (see docs/security.md, "Server-side fetches").
   */
  fetch?: OutboundFetch;
}

export interface DownloadOptions extends CopyFromUrlOptions {
  /** The type the file must be, e.g. `video/mp4`; any type of the same family (`video/*`) is accepted. */
  contentType: string;
}

/**
 * The download settings of one `copyFromUrl`: the adapter's limits, and the fetch the adapter was
 * given, else the one the caller passed (the server's guarded fetcher), else the default guard.
 */
export function downloadOptionsFor(
  copy: CopyFromUrlOptions | undefined,
  request: CopyRequest | undefined,
  contentType: string,
): DownloadOptions {
  const fetch = copy?.fetch ?? request?.fetch;
  return { ...copy, contentType, ...(fetch && { fetch }) };
}

export interface DownloadedFile {
  /** The temporary file holding the body. */
  path: string;
  bytes: number;
  /** Removes the temporary file; safe to call more than once. */
  cleanup(): Promise<void>;
}

export const defaultMaxDownloadBytes = 1024 ** 3;
export const defaultDownloadTimeoutMs = 10 * 60_000;

let defaultGuardedFetch: OutboundFetch | undefined;
/** The guarded fetcher copies use when none is given: no host allowed beyond the public internet. */
function guardedFetchWithoutAllowList(): OutboundFetch {
  defaultGuardedFetch ??= createGuardedFetch();
  return defaultGuardedFetch;
}

// Object stores (S3, R2, GCS) often label every object with one of these whatever it holds.
const genericBinaryTypes = new Set(["application/octet-stream", "binary/octet-stream"]);

/**
 * Streams `url` into a new temporary file, checking status, type and size on the way.
 * Errors say what went wrong and what to do; they name the host but never the query string,
 * which for a signed link is a credential. Whatever fails before an answer arrives (a refused
 * address, a closed port, a timeout) gives one message, so the error cannot map an inside network.
 */
export async function downloadToTempFile(url: string, options: DownloadOptions): Promise<DownloadedFile> {
  const maxBytes = options.maxBytes ?? defaultMaxDownloadBytes;
  const timeoutMs = options.timeoutMs ?? defaultDownloadTimeoutMs;
  const fetchFile = options.fetch ?? guardedFetchWithoutAllowList();
  const what = options.contentType.startsWith("video/") ? "the video" : "the file";

  let source: URL;
  try {
    source = new URL(url);
  } catch {
    throw new Error(`Could not copy ${what}: the provider returned "${describeBadUrl(url)}", which is not a URL.`);
  }
  if (source.protocol !== "https:" && source.protocol !== "http:") {
    throw new Error(`Could not copy ${what}: only http and https links can be copied, not ${source.protocol} links.`);
  }
  const fail = (problem: string, advice: string, cause?: unknown): Error =>
    new Error(
      `Could not copy ${what} from ${source.host}: ${problem}. ${advice}`,
      cause === undefined ? {} : { cause },
    );

  const signal = AbortSignal.timeout(timeoutMs);
  const timeLimit = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
  const timedOut = () =>
    fail(
      `the download did not finish within ${timeLimit}`,
      "The source is too slow or stalled; try again, or raise the copy timeout.",
    );

  let response: Response;
  try {
    response = await fetchFile(source, { signal, maxBytes, timeoutMs });
  } catch (error) {
    if (isTooLarge(error)) {
      const declared = (error as OutboundFetchError).declaredBytes;
      throw fail(
        `it is ${declared === undefined ? "" : `${formatBytes(declared)}, `}more than the ${formatBytes(maxBytes)} limit`,
        "Raise the copy size limit if files this large are expected.",
      );
    }
    throw fail(
      unavailableMessage,
      "Check that the host is reachable from this server, or allow it (outputAllowedHosts).",
      error,
    );
  }

  if (!response.ok) {
    discard(response);
    throw fail(`it answered ${response.status}`, adviceForStatus(response.status));
  }

  const receivedType = response.headers.get("content-type");
  if (receivedType !== null && !isAcceptableType(receivedType, options.contentType)) {
    discard(response);
    const family = familyOf(options.contentType);
    throw fail(
      `it sent ${mediaTypeOf(receivedType)} instead of ${family}/* (${options.contentType})`,
      "The link probably leads to a web page (a sign-in or error page) rather than the file itself; check the URL the provider returned.",
    );
  }

  const declaredLength = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
    discard(response);
    throw fail(
      `it is ${formatBytes(declaredLength)}, more than the ${formatBytes(maxBytes)} limit`,
      "Raise the copy size limit if files this large are expected.",
    );
  }

  if (response.body === null) throw fail("it sent no body", "Check the URL the provider returned.");

  const directory = await mkdtemp(path.join(os.tmpdir(), "openv-copy-"));
  const cleanup = () => rm(directory, { recursive: true, force: true });
  const target = path.join(directory, "download");
  let bytes = 0;
  let tooLarge = false;
  try {
    await pipeline(
      Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
      async function* limitSize(chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          bytes += chunk.length;
          if (bytes > maxBytes) {
            tooLarge = true;
            throw new Error("size limit exceeded");
          }
          yield chunk;
        }
      },
      createWriteStream(target),
      { signal },
    );
  } catch (error) {
    await cleanup();
    if (tooLarge || isTooLarge(error)) {
      throw fail(
        `it sent more than the ${formatBytes(maxBytes)} limit`,
        "Raise the copy size limit if files this large are expected.",
      );
    }
    if (signal.aborted) throw timedOut();
    throw fail(`the download broke off after ${formatBytes(bytes)} (${messageOf(error)})`, "Try again.", error);
  }

  if (bytes === 0) {
    await cleanup();
    throw fail("it sent an empty file", "The provider's output is missing or was not written; check the provider.");
  }
  return { path: target, bytes, cleanup };
}

/**
 * Lets go of a body we will not read. Not awaited: the promise of cancelling a teed stream (as
 * interceptors and caches make) settles only when every branch is cancelled.
 */
function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}

function isTooLarge(error: unknown): boolean {
  return error instanceof OutboundFetchError && error.kind === "too_large";
}

function adviceForStatus(status: number): string {
  if (status === 401 || status === 403) {
    return "The link may have expired or need credentials; have the provider produce a fresh link, or keep its links valid for longer.";
  }
  if (status === 404 || status === 410) {
    return "The file is not there (any more); the link may have expired or the provider may have deleted the file.";
  }
  if (status === 429 || status >= 500) return "The source is overloaded or failing; try again later.";
  return "Check the URL the provider returned.";
}

function mediaTypeOf(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

function familyOf(contentType: string): string {
  return mediaTypeOf(contentType).split("/")[0] ?? "";
}

function isAcceptableType(received: string, expected: string): boolean {
  const type = mediaTypeOf(received);
  return genericBinaryTypes.has(type) || type === mediaTypeOf(expected) || familyOf(type) === familyOf(expected);
}

function messageOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return error instanceof Error ? `${error.message}${cause}` : String(error);
}

/** The start of a string that is not a URL, short enough for an error message. */
function describeBadUrl(value: string): string {
  const withoutQuery = value.split("?")[0] ?? "";
  return withoutQuery.length > 40 ? `${withoutQuery.slice(0, 40)}…` : withoutQuery;
}

function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
