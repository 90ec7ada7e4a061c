import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import { headers } from "@openv/protocol";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import { listenUrl, openvOptionsFromSettings, type ReferenceServerSettings } from "./config-env.js";
import { bodyUnread, openv, openvFrameworkErrors } from "./fastify/plugin.js";

/**
 * Fastify's request logging with one line per request instead of two: nothing on arrival, and the
 * answer's line ("request completed", or "request errored") carries the request too (method and URL,
 * through the route's serializer, which redacts capabilities in the plugin's URLs). The arrival line
 * repeated what the answer's says, and writing log lines was a tenth of the server's time per
 * webhook in a profile (`pnpm bench --cpu-prof`). Fastify's other log lines (its error handler,
 * 404s, stream errors) are as before.
 */
class AnsweredRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
    }
  }
}

/** Builds the reference server: Fastify with pino logging and the OpenV plugin under /api. */
export async function createReferenceServer(settings: ReferenceServerSettings): Promise<FastifyInstance> {
  const timeoutMs = settings.requestTimeoutMs;
  const app = Fastify({
    logger: { level: process.env.LOG_LEVEL ?? "info" },
    // One line per request, on answer (see AnsweredRequestLog).
    logController: new AnsweredRequestLog(),
    // The first start creates the embedded database, which can take several seconds.
    pluginTimeout: 120_000,
    // Slow clients (slowloris): a request's headers and body must all arrive within the timeout, or
    // Node answers 408 and closes the connection before any route runs. It covers receiving the
    // request only, so the long-lived event stream is not cut. No idle `connectionTimeout`: an
    // event stream may be silent between pings.
    requestTimeout: timeoutMs,
    // Which X-Forwarded-For entry is the client (per-IP limits): the rightmost untrusted one.
    trustProxy: trustProxyOption(settings.trustProxy),
    // Malformed URLs get the contract's error body, not Fastify's.
    frameworkErrors: openvFrameworkErrors,
    http: {
      headersTimeout: timeoutMs,
      // How often Node looks for expired requests (its default, 30 s, would let a slow request
      // run up to 30 s past the timeout).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(timeoutMs / 4)),
    },
  });
  // The reference server (and only it) may default its public URL to its own listening address.
  const options = openvOptionsFromSettings(settings);
  // On loopback the plugin reads the address it really listens on (a test may listen on port 0);
  // on all interfaces (0.0.0.0, a container) this machine reaches it as 127.0.0.1:PORT.
  const ownAddress = isLoopbackHost(settings.host) ? undefined : listenUrl(settings);
  await app.register(openv, { ...options, ...(!options.publicUrl && ownAddress && { publicUrl: ownAddress }) });
  // `Expect: 100-continue` (curl sends it with bodies over 1 MiB): Node would invite every body.
  // Invite it only where a route will read it (a known API route, within its cap); elsewhere the
  // answer (404, 405, 413) comes first and the client never sends the body.
  app.server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => {
    const { service } = app.openv;
    const pathname = (request.url ?? "/").split("?")[0] ?? "/";
    const declared = Number(request.headers["content-length"]);
    const match = service.owns(pathname)
      ? service.match(request.method ?? "GET", pathname.slice(service.prefix.length) || "/")
      : null;
    if (match?.kind === "route" && !(declared > match.bodyLimit)) response.writeContinue();
    app.server.emit("request", request, response);
  });
  const webRoot = settings.webRoot && path.resolve(settings.webRoot);
  const indexHtml =
    webRoot && existsSync(path.join(webRoot, "index.html"))
      ? await readFile(path.join(webRoot, "index.html"), "utf8")
      : null;
  // Outside /api, a path nothing serves gets the contract's 404 too, with its X-Request-Id, and
  // (but for the web app's client-side routes) before any byte of a body is read.
  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(404)
      .header(headers.requestId, request.id)
      .headers(bodyUnread(request) ? { connection: "close" } : {})
      .send({ error: { code: "not_found", message: `No route ${request.method} ${request.url.split("?")[0]}.` } });
  const servesApp = (request: FastifyRequest) =>
    indexHtml !== null &&
    request.method === "GET" &&
    !request.url.startsWith("/api/") &&
    !path.extname(request.url.split("?")[0] ?? "");
  app.addHook("onRequest", async (request, reply) => {
    if (request.is404 && !servesApp(request)) return notFound(request, reply);
    return undefined;
  });
  app.setNotFoundHandler(async (request, reply) =>
    servesApp(request) && indexHtml !== null
      ? reply.type("text/html; charset=utf-8").send(indexHtml)
      : notFound(request, reply),
  );
  if (webRoot && indexHtml !== null) {
    // A single-page web app (the react-gallery example's build): its files at /, and its
    // index.html for any other GET outside /api so client-side routes survive a reload.
    await app.register(fastifyStatic, { root: webRoot, prefix: "/", decorateReply: false, index: "index.html" });
  } else {
    app.get("/", async () => ({
      name: "OpenV reference server",
      api: "/api",
      health: "/api/health",
      docs: "https://github.com/openv/openv#readme",
    }));
  }
  return app;
}

/** Fastify's `trustProxy` from TRUST_PROXY: a hop count, a comma-separated list, or off. */
function trustProxyOption(
  trust: number | string[] | undefined,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trust === undefined) return false;
  return typeof trust === "number" ? (_address, hop) => hop < trust : trust;
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
