import {
  AcceptTermsRequestSchema,
  DeleteVideosRequestSchema,
  EventsQuerySchema,
  GenerateRequestSchema,
  headers,
  IdempotencyKeySchema,
  ListVideosQuerySchema,
  RunPodGenerateRequestSchema,
  RunPodJobSchema,
  RunPodWebhookQuerySchema,
  settingsFromRequest,
  settingsFromRunPodRequest,
  type VideoSettings,
} from "@openv/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { notFound, OpenVError } from "../core/errors.js";
import { requestFingerprint, type VideoLifecycle } from "../core/lifecycle.js";
import type { Auth, UserEventVerifier } from "../core/ports.js";
import { streamVideoEvents } from "./sse.js";
import { parseInput } from "./validation.js";

export interface RouteOptions {
  lifecycle: VideoLifecycle;
  auth: Auth;
  /** Verifies Clerk's user webhooks; null: the route does not exist. */
  userEvents: UserEventVerifier | null;
  ssePingMs: number;
  sseStreams: Set<() => void>;
  /** Per-user limit on generate requests, or false. */
  generateRateLimit: { max: number; timeWindowMs: number } | false;
  /** The OpenAPI document served at `/openapi.json`; null: the route does not exist. */
  openApiDocument: (() => object) | null;
}

const IdParamsSchema = z.object({ id: z.string().min(1).max(200) });

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated OpenV user (set on every authenticated route). */
    openvUserId: string;
  }
}

const userOf = (request: FastifyRequest) => request.openvUserId;

/** The routes of shared/API.md. Each parses, authorizes, calls the core and shapes the reply. */
export async function registerRoutes(app: FastifyInstance, options: RouteOptions): Promise<void> {
  const { lifecycle, auth } = options;
  app.decorateRequest("openvUserId", "");

  const authenticate = async (request: FastifyRequest) => {
    request.openvUserId = (await auth.authenticate({ headers: request.headers })).userId;
  };
  const rateLimit = options.generateRateLimit && {
    max: options.generateRateLimit.max,
    timeWindow: options.generateRateLimit.timeWindowMs,
    hook: "preHandler" as const,
    keyGenerator: (request: FastifyRequest) => `user:${request.openvUserId}`,
  };

  const generate = async (request: FastifyRequest, reply: FastifyReply, route: string, settings: VideoSettings) => {
    const rawKey = request.headers[headers.idempotencyKey];
    const key = rawKey === undefined ? undefined : parseInput(IdempotencyKeySchema, rawKey, "header");
    const result = await lifecycle.submitVideo({
      userId: userOf(request),
      settings,
      ...(key !== undefined && { idempotency: { key, fingerprint: requestFingerprint(route, request.body) } }),
    });
    if (result.replayed) reply.header(headers.idempotentReplayed, "true");
    return reply.status(result.status).send(result.body);
  };

  app.get("/health", async () => ({ status: "ok" as const }));

  const { openApiDocument } = options;
  if (openApiDocument) app.get("/openapi.json", async () => openApiDocument());

  app.post("/videos", { onRequest: authenticate, config: { rateLimit } }, (request, reply) =>
    generate(request, reply, "videos", settingsFromRequest(parseInput(GenerateRequestSchema, request.body, "body"))),
  );

  app.post("/runpod", { onRequest: authenticate, config: { rateLimit } }, (request, reply) =>
    generate(
      request,
      reply,
      "runpod",
      settingsFromRunPodRequest(parseInput(RunPodGenerateRequestSchema, request.body, "body")),
    ),
  );

  app.get("/videos", { onRequest: authenticate }, async (request) =>
    lifecycle.listVideos(userOf(request), parseInput(ListVideosQuerySchema, request.query, "query")),
  );

  app.get("/videos/events", { onRequest: authenticate }, async (request, reply) => {
    const { since } = parseInput(EventsQuerySchema, request.query, "query");
    const lastEventId = request.headers[headers.lastEventId];
    const resume =
      typeof lastEventId === "string" && /^\d{1,15}$/.test(lastEventId.trim()) ? Number(lastEventId) : since;
    await streamVideoEvents(request, reply, lifecycle, userOf(request), resume, {
      pingMs: options.ssePingMs,
      streams: options.sseStreams,
    });
  });

  app.get("/videos/:id", { onRequest: authenticate }, async (request) => {
    const { id } = parseInput(IdParamsSchema, request.params, "query");
    return { video: await lifecycle.getVideo(userOf(request), id) };
  });

  app.delete("/videos/:id", { onRequest: authenticate }, async (request, reply) => {
    const { id } = parseInput(IdParamsSchema, request.params, "query");
    const deleted = await lifecycle.deleteVideos(userOf(request), [id], []);
    if (deleted.length === 0) throw notFound();
    return reply.status(204).send();
  });

  app.delete("/videos", { onRequest: authenticate }, async (request) => {
    const body = parseInput(DeleteVideosRequestSchema, request.body, "body");
    return { deleted: await lifecycle.deleteVideos(userOf(request), body.ids ?? [], body.jobIds ?? []) };
  });

  app.get("/usage", { onRequest: authenticate }, async (request) => lifecycle.usage(userOf(request)));

  app.get("/terms/check", { onRequest: authenticate }, async (request) => lifecycle.checkTerms(userOf(request)));

  app.post("/terms/accept", { onRequest: authenticate }, async (request) => {
    const { version } = parseInput(AcceptTermsRequestSchema, request.body, "body");
    return lifecycle.acceptTerms(userOf(request), version);
  });

  // Public: the provider calls it. The per-video token in the URL is checked before anything else.
  app.post("/runpod/webhook", async (request) => {
    const query = RunPodWebhookQuerySchema.safeParse(request.query);
    if (!query.success) {
      throw new OpenVError({ code: "unauthorized", message: "The webhook URL lacks a valid video token." });
    }
    const { video, attempt, token } = query.data;
    lifecycle.verifyWebhookToken(video, attempt, token);
    const job = parseInput(RunPodJobSchema, request.body, "body");
    const { applied } = await lifecycle.applyJobUpdate(video, attempt, job);
    return { received: true, applied };
  });

  const { userEvents } = options;
  if (userEvents) {
    // Public: Clerk calls it. The Svix signature covers the exact bytes sent, so this route keeps
    // the body as the raw string (its own scope, so other routes still parse JSON).
    await app.register(async (scope) => {
      scope.addContentTypeParser(["application/json", "text/plain"], { parseAs: "string" }, (_request, body, done) =>
        done(null, body),
      );
      scope.post("/webhooks/clerk", async (request) => {
        const raw = typeof request.body === "string" ? request.body : "";
        const event = await userEvents.verify(raw, request.headers);
        const { applied } = await lifecycle.applyUserEvent("clerk", event);
        return { received: true, applied };
      });
    });
  }
}
