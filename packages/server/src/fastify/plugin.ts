import { createReadStream } from "node:fs";
import { METHODS } from "node:http";
import type { Readable } from "node:stream";
import { headers } from "@openv/protocol";
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Adapters } from "../adapters/defaults.js";
import { OpenVError } from "../core/errors.js";
import type { VideoLifecycle } from "../core/lifecycle.js";
import type { Reconciler } from "../core/reconciler.js";
import { payloadTooLarge } from "../http/errors.js";
import { redactedRequest } from "../http/redact.js";
import type { RouteMatch } from "../http/router.js";
import { type OpenVOptions, OpenVService } from "../http/service.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { responseEventSink } from "./event-sink.js";

/** The plugin's options: the same as the fetch handler's (see `OpenVOptions`). */
export interface OpenVPluginOptions extends OpenVOptions {}

/** What the plugin adds to the Fastify instance as `fastify.openv`. */
export interface OpenVDecoration {
  /** The video lifecycle the routes use. */
  lifecycle: VideoLifecycle;
  /** The adapters in use, defaults filled in. */
  adapters: Adapters;
  /** The reconciler, also when its loop is off (`runOnce()` runs one pass). */
  reconciler: Reconciler;
  /** The base URL webhooks and file links use (resolved once the server listens). */
  publicUrl(): string;
  /** The framework-free service behind the routes (shared with the fetch handler). */
  service: OpenVService;
}

declare module "fastify" {
  interface FastifyInstance {
    openv: OpenVDecoration;
  }
}

const needsPublicUrl =
  "Set the plugin's `publicUrl` option (PUBLIC_URL for the reference server) to the origin users and the video provider reach this server at, e.g. https://videos.example.com. OpenV never takes it from a request's Host header.";

/**
 * The base URL when `publicUrl` is not set: the address the server listens on, but only on loopback
 * (a developer's machine, where that address is what the browser and the local provider use).
 */
function listeningUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address === "string") {
    throw new Error(`OpenV needs \`publicUrl\`: the server is not listening on a TCP port. ${needsPublicUrl}`);
  }
  if (!isLoopbackAddress(address.address)) {
    throw new Error(
      `OpenV needs \`publicUrl\`: the server listens on ${address.address}, not on loopback. ${needsPublicUrl}`,
    );
  }
  const host = address.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

function isLoopbackAddress(address: string): boolean {
  return address === "::1" || /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** Fastify's own request errors (body parsing) in the contract's terms. */
function fromFastifyError(error: FastifyError, bodyLimit: number): unknown {
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return payloadTooLarge(bodyLimit);
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new OpenVError({
      code: "validation_failed",
      message: `The request is not valid: ${error.message}. Send a JSON body that matches the API contract.`,
      details: { issues: [{ path: [], message: error.message, code: "invalid_request" }] },
    });
  }
  return error;
}

/** The request's path below the prefix and its query string. */
function splitUrl(service: OpenVService, request: FastifyRequest): { path: string; search: string } {
  const [pathname = "/", search = ""] = request.url.split(/\?(.*)/s);
  return { path: pathname.slice(service.prefix.length) || "/", search };
}

function toApiRequest(service: OpenVService, request: FastifyRequest, reply?: FastifyReply): ApiRequest {
  const { path, search } = splitUrl(service, request);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    method: request.method,
    path,
    query: new URLSearchParams(search),
    headers,
    // Buffer.isBuffer, not instanceof: under a test DOM (jsdom) Uint8Array may belong to another realm.
    body: Buffer.isBuffer(request.body) && request.body.byteLength > 0 ? request.body : null,
    ip: request.ip,
    requestId: request.id,
    log: request.log,
    ...(reply && { signal: clientGone(reply) }), // Wait (eta21)
  };
}

/** Aborts when the connection closes before the answer is written (the client went away). */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Whether the request has a body that has not (all) been read. */
export function bodyUnread(request: FastifyRequest): boolean {
  const { headers, complete } = request.raw;
  const declared = headers["transfer-encoding"] !== undefined || Number(headers["content-length"] ?? 0) > 0;
  return declared && !complete;
}

function send(request: FastifyRequest, reply: FastifyReply, response: ApiResponse): FastifyReply | undefined {
  const { events } = response;
  if (events) {
    reply.hijack();
    reply.raw.writeHead(response.status, response.headers);
    reply.raw.on("close", () => events.close());
    events.open(responseEventSink(reply.raw));
    return undefined;
  }
  reply.status(response.status).headers(response.headers ?? {});
  // Answered before the whole body arrived (no route, or over its limit): the rest is never read,
  // so the connection cannot carry another request.
  if (bodyUnread(request)) reply.header("connection", "close");
  if (request.method === "HEAD") return reply.send();
  if (response.file) {
    return reply.send(createReadStream(response.file.path, { start: response.file.start, end: response.file.end }));
  }
  if (response.bytes)
    return reply.send(Buffer.from(response.bytes.buffer, response.bytes.byteOffset, response.bytes.byteLength)); // share links (issue 21)
  return reply.send(response.json);
}

/**
 * Pass as Fastify's `frameworkErrors` server option: errors Fastify raises before any route runs
 * (a malformed percent-escape in the URL, a path parameter over `maxParamLength`) then get the
 * contract's error body too. A plugin cannot set this itself; the reference server does.
 */
export function openvFrameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const notFound = error.code === "FST_ERR_MAX_PARAM_LENGTH";
  const openvError = new OpenVError(
    notFound
      ? { code: "not_found", message: "No such resource: the path is longer than any this server serves." }
      : {
          code: "validation_failed",
          message: `The request URL is not valid (${error.message}). Percent-encode paths as UTF-8.`,
          details: { issues: [{ path: [], message: error.message, code: "invalid_request" }] },
        },
  );
  void reply.status(openvError.status).header(headers.requestId, request.id).send(openvError.toBody());
}

/**
 * Reads `payload` into one buffer, failing with 413 as soon as it passes `limit` bytes. It then
 * stops reading without destroying the request, so the answer still goes out (with
 * `Connection: close`, see `send`).
 */
function readLimited(payload: Readable, limit: number, done: (error: Error | null, body?: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.byteLength;
    if (size > limit) {
      stop();
      payload.pause();
      done(payloadTooLarge(limit));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => {
    stop();
    done(null, Buffer.concat(chunks, size));
  };
  // The body stream fails when the client goes away mid-body: its fault, not a server error to log.
  const onError = (error: Error) => {
    stop();
    done(
      new OpenVError({
        code: "validation_failed",
        message: "The request body ended before its declared length (the connection was closed).",
        details: { issues: [{ path: [], message: error.message, code: "incomplete_body" }] },
        cause: error,
      }),
    );
  };
  const stop = () => {
    payload.off("data", onData);
    payload.off("end", onEnd);
    payload.off("error", onError);
  };
  payload.on("data", onData);
  payload.on("end", onEnd);
  payload.on("error", onError);
}

const openvPlugin: FastifyPluginAsync<OpenVPluginOptions> = async (app, options) => {
  const service = await OpenVService.create(options, {
    logger: app.log,
    defaultPublicUrl: () => listeningUrl(app),
  });
  app.decorate("openv", {
    lifecycle: service.lifecycle,
    adapters: service.adapters,
    reconciler: service.reconciler,
    publicUrl: () => service.publicUrl(),
    service,
  });
  // The reconciler starts once the server is ready (webhook URLs need its address) and stops before
  // the adapters close, finishing the pass in flight.
  app.addHook("onReady", async () => service.start());
  // Say at once, not at the first video, when no public URL can be known.
  app.addHook("onListen", async () => {
    try {
      service.publicUrl();
    } catch (error) {
      app.log.error(error instanceof Error ? error.message : String(error));
    }
  });
  app.addHook("preClose", async () => service.stop());
  app.addHook("onClose", async () => service.closeAdapters());

  // Every method Node's HTTP parser accepts reaches the routes below (CONNECT aside: Node hands it to
  // no request handler), so PROPFIND or LOCK get the contract's 404/405 rather than Fastify's own.
  const methods = METHODS.filter((method) => method !== "CONNECT");
  for (const method of methods) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }
  // Routing runs once, before any byte of the body is read; the match rides along to the service.
  const matches = new WeakMap<FastifyRequest, RouteMatch>();

  await app.register(
    async (api) => {
      api.addHook("onRequest", async (request, reply) => {
        const match = service.match(request.method, splitUrl(service, request).path);
        matches.set(request, match);
        const declared = Number(request.headers["content-length"]);
        if (match.kind === "route" && !(declared > match.bodyLimit)) return undefined;
        // No route (nothing is read), or a declared length over the route's limit (413 unread).
        const apiRequest = toApiRequest(service, request);
        const response =
          match.kind === "route"
            ? service.errorResponse(payloadTooLarge(match.bodyLimit), apiRequest)
            : await service.handle(apiRequest, match);
        return send(request, reply, response);
      });
      // Bodies reach the service as bytes, whatever their type: it decodes and parses them itself
      // (so both bindings answer bad bodies alike) and the Clerk webhook checks the exact bytes.
      // Each is read up to its route's limit and no further.
      api.removeAllContentTypeParsers();
      api.addContentTypeParser("*", (request, payload, done) => {
        const limit = matches.get(request)?.bodyLimit ?? 0;
        readLimited(payload, limit, done);
      });
      api.setErrorHandler((error: FastifyError, request, reply) =>
        send(
          request,
          reply,
          service.errorResponse(
            fromFastifyError(error, matches.get(request)?.bodyLimit ?? service.bodyLimit),
            toApiRequest(service, request),
          ),
        ),
      );
      const handler = async (request: FastifyRequest, reply: FastifyReply) =>
        send(request, reply, await service.handle(toApiRequest(service, request, reply), matches.get(request)));
      // Request log lines of these routes carry the URL without its capabilities (webhook tokens).
      const logSerializers = { req: redactedRequest };
      api.route({ method: methods, url: "/", handler, logSerializers });
      api.route({ method: methods, url: "/*", handler, logSerializers });
    },
    { prefix: service.prefix },
  );
};

/**
 * The OpenV backend as a Fastify plugin: every route of the HTTP contract under `prefix` ("/api").
 * Adapters not given are built from the options, down to embedded PostgreSQL, local files and the
 * local preview provider, so it runs with no configuration at all. The routes themselves live in
 * the framework-free `OpenVService`, which the fetch handler (`@openv/server/fetch`) shares.
 *
 * @example
 * ```ts
 * const app = Fastify({ logger: true });
 * await app.register(openv, { prefix: "/api" });
 * await app.listen({ port: 3000 });
 * ```
 */
export const openv = fp(openvPlugin, { fastify: "5.x", name: "@openv/server" });
