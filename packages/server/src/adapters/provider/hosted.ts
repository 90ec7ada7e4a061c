import { isIP } from "node:net";
import type { RunPodJob, WorkerOutput } from "@openv/protocol/worker";
import type { z } from "zod";
import { OpenVError } from "../../core/errors.js";
import type { OutboundFetch, ProviderImage } from "../../core/ports.js";
import { hostsOfUrls } from "../net/address-policy.js";
import { createGuardedFetch } from "../net/guarded-fetch.js";

// What the hosted-provider adapters (fal.ai, Runway, a workflow) share: how an input image is
// handed over, how a finished job becomes the lifecycle's COMPLETED update, and plain JSON calls
// over an injectable fetch. Not exported from the package.

/**
 * Whether a hosted provider can fetch `url` itself: https on a domain name that is not local.
 * Runway refuses IP addresses outright; a loopback or LAN name would only ever reach the provider's
 * own machine. Anything else travels inline as a data URI.
 */
export function isPublicHttpsUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "https:") return false;
  const host = parsed.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIP(host) !== 0) return false;
  if (!host.includes(".")) return false;
  return !/\.(?:localhost|local|internal|lan|home\.arpa)$/.test(host);
}

/** The image as a provider takes it: its public https URL, else a `data:` URI of its bytes. */
export async function imageReference(image: ProviderImage): Promise<string> {
  if (isPublicHttpsUrl(image.url)) return image.url;
  const bytes = await image.read();
  return `data:${image.contentType};base64,${Buffer.from(bytes).toString("base64")}`;
}

/** Facts about a finished video that a provider may report; each may be missing. */
export interface ReportedOutput {
  /** The storage key the provider gave the file, if any. */
  key?: string | undefined;
  /** Frames rendered. */
  frames?: number | undefined;
  /** Frames per second. */
  fps?: number | undefined;
  /** Width in pixels. */
  width?: number | undefined;
  /** Height in pixels. */
  height?: number | undefined;
  /** Length in seconds. */
  seconds?: number | undefined;
}

const positive = (value: number | undefined): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
const positiveInt = (value: number | undefined): number | undefined => {
  const number = positive(value);
  return number === undefined ? undefined : Math.max(1, Math.round(number));
};

/**
 * The COMPLETED update of a job whose video is at `url`. Hosted providers report only some of the
 * worker-output facts (Runway none at all). The lifecycle reads `url` (it copies the file into
 * storage) and keeps the video's own frames, fps and size, so a fact the provider did not report is
 * derived from the others where it can be (`frames = seconds × fps`) and is otherwise 1, meaning
 * "not reported". `key` defaults to the URL's file name.
 */
export function completedJob(id: string, url: string, reported: ReportedOutput = {}): RunPodJob {
  const fps = positive(reported.fps);
  let frames = positiveInt(reported.frames);
  let seconds = positive(reported.seconds);
  if (frames === undefined && seconds !== undefined && fps !== undefined) frames = positiveInt(seconds * fps);
  if (seconds === undefined && frames !== undefined && fps !== undefined) seconds = frames / fps;
  const output: WorkerOutput = {
    url,
    key: reported.key || fileNameOf(url) || id,
    frames: frames ?? 1,
    fps: fps ?? 1,
    width: positiveInt(reported.width) ?? 1,
    height: positiveInt(reported.height) ?? 1,
    seconds: seconds ?? 1,
  };
  return { id, status: "COMPLETED", output };
}

function fileNameOf(url: string): string | undefined {
  try {
    const name = new URL(url).pathname.split("/").filter(Boolean).at(-1);
    return name ? decodeURIComponent(name) : undefined;
  } catch {
    return undefined;
  }
}

/** A header's values, whatever shape the binding gave it in. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The answer of one HTTP call: status, headers and the body (parsed JSON when it is JSON, else text). */
export interface HttpAnswer {
  /** The HTTP status. */
  status: number;
  /** The response headers. */
  headers: Headers;
  /** The body as JSON when it parses, else its text ("" for none). */
  body: unknown;
}

/** Largest answer a provider's API may send (JSON status and job objects are a few kB). */
export const providerAnswerMaxBytes = 8 * 1024 * 1024;

/** Plain `fetch` with a deadline; a network failure or timeout throws, any HTTP status is answered. */
export async function callHttp(
  fetchFn: OutboundFetch,
  url: string,
  init: RequestInit & { timeoutMs: number },
): Promise<HttpAnswer> {
  const { timeoutMs, ...rest } = init;
  let response: Response;
  try {
    response = await fetchFn(url, {
      ...rest,
      signal: AbortSignal.timeout(timeoutMs),
      maxBytes: providerAnswerMaxBytes,
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new Error(
      timedOut ? `no answer within ${timeoutMs} ms` : `the request failed (${messageOf(error)})`,
      error === undefined ? {} : { cause: error },
    );
  }
  const text = await response.text();
  let body: unknown = text;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (an HTML error page, plain text): keep the text for the error message.
    }
  }
  return { status: response.status, headers: response.headers, body };
}

/** A short, printable excerpt of an answer body for error messages. */
export function excerpt(body: unknown, max = 300): string {
  const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

/**
 * The fetch an adapter uses: the one given, else the guarded fetcher (adapters/net/guarded-fetch.ts)
 * with the adapter's own configured endpoints (`ownUrls`: its base URL, status URL…) admitted.
 * Those were written by the operator, so they may be on a LAN; every other host, including where
 * one of them redirects to, is checked like any URL. Either way `globalThis.fetch` is looked up at
 * call time (so test interceptors apply).
 */
export function fetchOf(given: typeof fetch | undefined, ownUrls: readonly (string | undefined)[]): OutboundFetch {
  return given ?? createGuardedFetch({ allowedHosts: hostsOfUrls(ownUrls), maxBytes: providerAnswerMaxBytes });
}

/**
 * A callback body that is not JSON (`error` null) or not of the provider's shape: `validation_failed`
 * with `details.issues`, the contract's form. `what` names the callback, `expected` its shape.
 */
export function invalidCallback(what: string, expected: string, error: z.ZodError | null): OpenVError {
  const issues = error
    ? error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message, code: issue.code }))
    : [{ path: [], message: "not JSON", code: "invalid_json" }];
  const first = issues[0];
  const summary = first ? `${first.path.join(".") || "body"}: ${first.message}` : "invalid";
  return new OpenVError({
    code: "validation_failed",
    message: `${what} is not ${expected} (${summary}${issues.length > 1 ? `, and ${issues.length - 1} more` : ""}). See details.issues.`,
    details: { issues },
  });
}

/** The callback body as JSON, or `validation_failed` when it is not. */
export function parseCallbackJson(body: Uint8Array | null, what: string, expected: string): unknown {
  try {
    return JSON.parse(Buffer.from(body ?? new Uint8Array()).toString("utf8"));
  } catch {
    throw invalidCallback(what, expected, null);
  }
}
