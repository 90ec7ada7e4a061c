/**
 * The OpenV backend as a Web-standard fetch handler, `(request: Request) => Promise<Response>`, for
 * Next.js route handlers, Hono, Bun, Deno and other runtimes that speak `Request`/`Response`. It
 * serves the same routes over the same service as the Fastify plugin; only the translation of
 * requests and answers lives here.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { pino } from "pino";
import { OpenVError } from "./core/errors.js";
import type { Logger } from "./core/ports.js";
import { clientAddress, type TrustProxy } from "./http/client-address.js";
import { payloadTooLarge } from "./http/errors.js";
import { type OpenVOptions, OpenVService } from "./http/service.js";
import type { ApiRequest, ApiResponse } from "./http/types.js";

export type { TrustProxy } from "./http/client-address.js";
export type { CorsOptions } from "./http/cors.js";
export type { GenerateRateLimits, RateLimit } from "./http/rate-limit.js";
export type { OpenVOptions } from "./http/service.js";
export { OpenVService } from "./http/service.js";

/** Options of `createOpenVHandler`: the plugin's options, plus what a bare handler cannot know. */
export interface OpenVHandlerOptions extends OpenVOptions {
  /** Where logs go (any pino-compatible logger). Default: pino at `LOG_LEVEL` (info) on stdout. */
  logger?: Logger;
  /**
   * Which proxies in front of this handler to trust for the client's IP address (per-IP rate
   * limits): the client is the rightmost `X-Forwarded-For` entry that is not a trusted proxy (the
   * entries to its left are written by the client and prove nothing). A number trusts that many
   * hops (1: one load balancer); a list names proxy addresses or CIDR ranges ("10.0.0.0/8",
   * "loopback"); `true` trusts every hop (only when nothing but your proxy can reach this handler).
   * Default false: the address the runtime reports (`context.clientAddress`).
   */
  trustProxy?: TrustProxy;
}

/** What a host may pass along with a request. */
export interface OpenVHandlerContext {
  /** The client's IP address, when the runtime knows it (per-IP rate limits). */
  clientAddress?: string | undefined;
}

/** The handler: call it with a `Request`; `ready()` and `close()` manage its lifetime. */
export interface OpenVHandler {
  (request: Request, context?: OpenVHandlerContext): Promise<Response>;
  /** Resolves once the adapters are open (databases migrated); rejects if they cannot be. */
  ready(): Promise<OpenVService>;
  /** Ends event streams, stops the reconciler and closes the adapters. */
  close(): Promise<void>;
}

const requestIdPattern = /^[\w.:-]{1,128}$/;
const encoder = new TextEncoder();

class BodyTooLarge extends Error {}

/** The body as text, failing as soon as it passes `limit` bytes. */
async function readBody(request: Request, limit: number): Promise<Uint8Array | null> {
  if (!request.body) return null;
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return size === 0 ? null : Buffer.concat(chunks);
}

function eventStream(events: NonNullable<ApiResponse["events"]>, signal: AbortSignal): ReadableStream<Uint8Array> {
  let closed = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const end = () => {
        if (closed) return;
        closed = true;
        controller.close();
      };
      signal.addEventListener("abort", () => events.close(), { once: true });
      events.open({
        // A frame's bytes are shared by every stream of the change: enqueued as they are, not copied.
        write: (chunk) => closed || controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk),
        end,
      });
    },
    cancel() {
      closed = true;
      events.close();
    },
  });
}

/** The answer while the handler cannot start: the contract's 500, naming what to fix. */
function startFailure(error: unknown, requestId: string): Response {
  const message = `OpenV is not running: ${error instanceof Error ? error.message : String(error)}`;
  return new Response(JSON.stringify(new OpenVError({ code: "internal_error", message }).toBody()), {
    status: 500,
    headers: { "content-type": "application/json; charset=utf-8", "x-request-id": requestId },
  });
}

function toResponse(request: Request, response: ApiResponse): Response {
  const headers = new Headers(response.headers);
  const init = { status: response.status, headers };
  if (response.events) return new Response(eventStream(response.events, request.signal), init);
  if (request.method === "HEAD" || response.status === 204 || response.status === 304) {
    return new Response(null, init);
  }
  if (response.file) {
    const { path, start, end } = response.file;
    const stream = Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream<Uint8Array>;
    return new Response(stream, init);
  }
  if (response.bytes) return new Response(new Blob([response.bytes as Uint8Array<ArrayBuffer>]), init); // share links (issue 21)
  if (response.json === undefined) return new Response(null, init);
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(response.json), init);
}

/**
 * The OpenV backend as `(request: Request) => Promise<Response>`: every route of the HTTP contract
 * under `prefix` ("/api"), event streams included, with the same defaults as the Fastify plugin
 * (embedded PostgreSQL, local files, the local preview provider). Requests outside the prefix are
 * answered 404. `publicUrl` is required: webhook and file URLs are never built from a request's
 * `Host` header, so without it `ready()` rejects and every request answers 500 naming the option.
 *
 * @example
 * ```ts
 * // Next.js: app/api/[...openv]/route.ts
 * import { createOpenVHandler } from "@openv/server/fetch";
 * const handler = createOpenVHandler({ prefix: "/api", publicUrl: process.env.PUBLIC_URL });
 * export { handler as GET, handler as POST, handler as DELETE, handler as OPTIONS };
 * ```
 */
export function createOpenVHandler(options: OpenVHandlerOptions = {}): OpenVHandler {
  const logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? "info" });
  const created = options.publicUrl
    ? OpenVService.create(options, { logger, defaultPublicUrl: () => undefined })
    : Promise.reject(
        new Error(
          "OpenV's fetch handler needs `publicUrl`, the origin your users and the video provider reach it at (e.g. publicUrl: process.env.PUBLIC_URL, \"https://videos.example.com\"): webhook and file URLs are never taken from a request's Host header.",
        ),
      );
  // Failures surface through ready() and every request; this keeps them from being "unhandled".
  created.catch((error) => logger.error({ err: error }, "OpenV could not start"));

  const handler = async (request: Request, context?: OpenVHandlerContext): Promise<Response> => {
    const headers: Record<string, string | undefined> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const incomingId = headers["x-request-id"];
    const base = {
      headers,
      requestId: incomingId && requestIdPattern.test(incomingId) ? incomingId : randomUUID(),
      log: logger,
    };
    let service: OpenVService;
    try {
      service = await created;
    } catch (error) {
      return startFailure(error, base.requestId);
    }
    const url = new URL(request.url);
    service.start();
    if (!service.owns(url.pathname)) {
      const outside = new OpenVError({
        code: "not_found",
        message: `No route ${request.method} ${url.pathname}: the OpenV API is under ${service.prefix}/.`,
      });
      return toResponse(request, service.errorResponse(outside, base));
    }
    const path = url.pathname.slice(service.prefix.length) || "/";
    // Routing runs once, before the body: no route reads nothing; a route reads up to its limit.
    const match = service.match(request.method, path);
    let body: Uint8Array | null = null;
    try {
      if (match.bodyLimit > 0) body = await readBody(request, match.bodyLimit);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      const answer = service.errorResponse(payloadTooLarge(match.bodyLimit), base);
      // The rest of the body was not read: the connection cannot carry another request.
      return toResponse(request, { ...answer, headers: { ...answer.headers, connection: "close" } });
    }
    const apiRequest: ApiRequest = {
      ...base,
      method: request.method,
      path,
      query: url.searchParams,
      body,
      ip: clientAddress(context?.clientAddress, headers["x-forwarded-for"], options.trustProxy ?? false),
      signal: request.signal, // Wait (eta21): a runtime that aborts it on disconnect ends the wait
    };
    return toResponse(request, await service.handle(apiRequest, match));
  };

  return Object.assign(handler, {
    ready: () => created,
    async close() {
      const service = await created;
      await service.stop();
      await service.closeAdapters();
    },
  });
}
