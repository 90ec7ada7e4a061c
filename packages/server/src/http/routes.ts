import {
  AcceptTermsRequestSchema,
  CreditsQuerySchema,
  DeleteVideosRequestSchema,
  EventsQuerySchema,
  type GenerateRequest,
  GenerateRequestSchema,
  GrantCreditsRequestSchema,
  headers,
  IdempotencyKeySchema,
  ListVideosQuerySchema,
  RunPodGenerateRequestSchema,
  RunPodWebhookQuerySchema,
  requestFromRunPodBody,
  waitHeaders,
} from "@openv/protocol";
import { RunPodJobSchema } from "@openv/protocol/worker";
import { z } from "zod";
import { notFound, OpenVError } from "../core/errors.js";
import {
  requestFingerprint,
  type SubmitVideoRequest,
  type SubmitVideoResult,
  type VideoLifecycle,
} from "../core/lifecycle.js";
import type { Logger, UserEventVerifier } from "../core/ports.js";
import { accessRoutes } from "./access-routes.js";
import { bodyText, parseJsonBody } from "./body.js";
import type { EventStreams } from "./event-streams.js";
import { serveLocalFile } from "./files.js";
import { preferredWait } from "./prefer.js";
import { videoEventStream } from "./sse.js";
import type { ApiRequest, ApiResponse } from "./types.js";
import { parseInput } from "./validation.js";

/** What the route handlers use. */
export interface RouteDependencies {
  lifecycle: VideoLifecycle;
  /** Verifies Clerk's user webhooks; null: the route does not exist. */
  userEvents: UserEventVerifier | null;
  /** The folder local storage files are served from; null: no `/files` route. */
  filesDir: string | null;
  /** The OpenAPI document served at `/openapi.json`; null: the route does not exist. */
  openApiDocument: (() => object) | null;
  ssePingMs: number;
  sseStreams: EventStreams;
  log: Logger;
}

/** A request on its way through a route: path parameters, the caller and the parsed body. */
export interface RouteContext {
  /** The request as the binding translated it. */
  request: ApiRequest;
  /** Path parameters, decoded. */
  params: Record<string, string>;
  /** The authenticated user ("" on public routes). */
  userId: string;
  /** The body parsed as JSON (undefined when there is none). */
  json(): unknown;
  /** The query string as an object; a repeated parameter becomes an array. */
  query(): Record<string, string | string[]>;
}

/** One route of shared/API.md. Bindings never see these: the service matches and runs them. */
export interface Route {
  /** The HTTP method (HEAD is served by GET routes). */
  method: "GET" | "POST" | "DELETE" | "PUT";
  /** Below the prefix; `:name` segments are parameters. */
  path: string;
  /** Needs an authenticated user (the `Auth` port). */
  auth: boolean;
  /** Counts against the generate rate limits. */
  generate?: boolean;
  /** A larger body limit than the service's (uploads). */
  maxBodyBytes?: number;
  /**
   * Accept any well-formed JSON text, NUL characters and lone surrogates included: a provider's
   * update must not be lost over a stray byte in its error message (the core cleans what it stores).
   */
  anyText?: boolean;
  /** Serves a matched, authenticated request. */
  handle(context: RouteContext): Promise<ApiResponse>;
}

/** The largest input image `POST /uploads` takes: 10 MiB. */
export const uploadBodyLimit = 10 * 1024 * 1024;

const IdParamsSchema = z.object({ id: z.string().min(1).max(200) });

const ok = (json: unknown, status = 200): ApiResponse => ({ status, json });

/** How long a generate-like request may hold its answer (`Prefer: wait=N`), and what ends the wait early. */
export interface SubmissionWait {
  seconds: number;
  signal: AbortSignal;
}

/**
 * The answer of a route that makes a video (generate, remix): its `Idempotency-Key` parsed and
 * fingerprinted with the route's name and body, `Prefer: wait=N` honoured (201 with
 * `Preference-Applied` once the video finished within N s, else 202; the wait ends with the client
 * or the server), and `Idempotent-Replayed` on a replay.
 */
export async function submissionAnswer(
  deps: Pick<RouteDependencies, "sseStreams">,
  context: RouteContext,
  fingerprinted: { route: string; body: unknown },
  submit: (
    idempotency: SubmitVideoRequest["idempotency"],
    wait: SubmissionWait | undefined,
  ) => Promise<SubmitVideoResult>,
): Promise<ApiResponse> {
  const rawKey = context.request.headers[headers.idempotencyKey];
  const key = rawKey === undefined ? undefined : parseInput(IdempotencyKeySchema, rawKey, "header");
  const idempotency =
    key === undefined ? undefined : { key, fingerprint: requestFingerprint(fingerprinted.route, fingerprinted.body) };
  const seconds = preferredWait(context.request.headers[waitHeaders.prefer]);
  const { closing } = deps.sseStreams;
  const signal = context.request.signal ? AbortSignal.any([context.request.signal, closing]) : closing;
  const result = await submit(idempotency, seconds === null ? undefined : { seconds, signal });
  const answerHeaders = {
    ...(result.replayed && { [headers.idempotentReplayed]: "true" }),
    ...(result.status === 201 && { [waitHeaders.preferenceApplied]: `wait=${seconds}` }),
  };
  return { status: result.status, json: result.body, headers: answerHeaders };
}

/** The routes of shared/API.md. Each parses, authorizes, calls the core and shapes the answer. */
export function apiRoutes(deps: RouteDependencies): Route[] {
  const { lifecycle } = deps;

  const generate = (context: RouteContext, route: string, request: GenerateRequest): Promise<ApiResponse> =>
    submissionAnswer(deps, context, { route, body: context.json() }, (idempotency, wait) => {
      const submission = { userId: context.userId, request, ...(idempotency && { idempotency }) };
      return wait === undefined ? lifecycle.submitVideo(submission) : lifecycle.submitVideoAndWait(submission, wait);
    });
  const parseGenerateBody = (json: unknown) => {
    try {
      return parseInput(GenerateRequestSchema, json, "body");
    } catch (error) {
      throw lifecycle.withModelLimitIssues(error, json);
    }
  };
  const videoId = (context: RouteContext) => parseInput(IdParamsSchema, context.params, "query").id;

  const routes: Route[] = [
    { method: "GET", path: "/health", auth: false, handle: async () => ok({ status: "ok" }) },
    {
      method: "POST",
      path: "/videos",
      auth: true,
      generate: true,
      handle: (context) => generate(context, "videos", parseGenerateBody(context.json())),
    },
    {
      method: "POST",
      path: "/runpod",
      auth: true,
      generate: true,
      handle: (context) =>
        generate(
          context,
          "runpod",
          requestFromRunPodBody(parseInput(RunPodGenerateRequestSchema, context.json(), "body")),
        ),
    },
    {
      method: "GET",
      path: "/videos",
      auth: true,
      handle: async (context) =>
        ok(await lifecycle.listVideos(context.userId, parseInput(ListVideosQuerySchema, context.query(), "query"))),
    },
    {
      method: "GET",
      path: "/videos/events",
      auth: true,
      handle: async (context) => {
        const { since } = parseInput(EventsQuerySchema, context.query(), "query");
        deps.sseStreams.checkRoom(context.userId);
        const lastEventId = context.request.headers[headers.lastEventId];
        const resume =
          typeof lastEventId === "string" && /^\d{1,15}$/.test(lastEventId.trim()) ? Number(lastEventId) : since;
        return videoEventStream({
          lifecycle,
          userId: context.userId,
          since: resume,
          pingMs: deps.ssePingMs,
          streams: deps.sseStreams,
          log: context.request.log ?? deps.log,
        });
      },
    },
    {
      method: "GET",
      path: "/videos/:id",
      auth: true,
      handle: async (context) => ok({ video: await lifecycle.getVideo(context.userId, videoId(context)) }),
    },
    {
      method: "DELETE",
      path: "/videos/:id",
      auth: true,
      handle: async (context) => {
        const deleted = await lifecycle.deleteVideos(context.userId, [videoId(context)], []);
        if (deleted.length === 0) throw notFound();
        return { status: 204 };
      },
    },
    {
      method: "DELETE",
      path: "/videos",
      auth: true,
      handle: async (context) => {
        const body = parseInput(DeleteVideosRequestSchema, context.json(), "body");
        return ok({ deleted: await lifecycle.deleteVideos(context.userId, body.ids ?? [], body.jobIds ?? []) });
      },
    },
    { method: "GET", path: "/usage", auth: true, handle: async (context) => ok(await lifecycle.usage(context.userId)) },
    // Public: a pricing page may list the models before anyone signs in.
    { method: "GET", path: "/models", auth: false, handle: async () => ok(lifecycle.listModels()) },
    {
      method: "GET",
      path: "/credits",
      auth: true,
      handle: async (context) => {
        const { limit } = parseInput(CreditsQuerySchema, context.query(), "query");
        return ok(await lifecycle.credits(context.userId, limit));
      },
    },
    {
      method: "POST",
      path: "/admin/credits",
      auth: true,
      handle: async (context) =>
        ok(await lifecycle.grantCredits(context.userId, parseInput(GrantCreditsRequestSchema, context.json(), "body"))),
    },
    {
      // The body is the image itself, whatever its content type or name claims: the core reads its kind from the bytes.
      method: "POST",
      path: "/uploads",
      auth: true,
      generate: true,
      maxBodyBytes: uploadBodyLimit,
      handle: async (context) =>
        ok(await lifecycle.createUpload(context.userId, context.request.body ?? new Uint8Array()), 201),
    },
    {
      method: "GET",
      path: "/terms/check",
      auth: true,
      handle: async (context) => ok(await lifecycle.checkTerms(context.userId)),
    },
    {
      method: "POST",
      path: "/terms/accept",
      auth: true,
      handle: async (context) => {
        const { version } = parseInput(AcceptTermsRequestSchema, context.json(), "body");
        return ok(await lifecycle.acceptTerms(context.userId, version));
      },
    },
    {
      // Public: the provider calls it. The per-video token in the URL is checked before anything else.
      method: "POST",
      path: "/runpod/webhook",
      auth: false,
      anyText: true,
      handle: async (context) => {
        const query = RunPodWebhookQuerySchema.safeParse(context.query());
        if (!query.success) {
          throw new OpenVError({ code: "unauthorized", message: "The webhook URL lacks a valid video token." });
        }
        const { video, attempt, token } = query.data;
        lifecycle.verifyWebhookToken(video, attempt, token);
        // The video is read once per webhook: the row read here (if any) is the one decided from.
        const update = await lifecycle.readProviderWebhookUpdate(video, {
          body: context.request.body,
          headers: context.request.headers,
        });
        const job = update.job ?? parseInput(RunPodJobSchema, context.json(), "body");
        const { applied } = await lifecycle.applyJobUpdate(video, attempt, job, update.read);
        return ok({ received: true, applied });
      },
    },
  ];

  routes.push(...accessRoutes(lifecycle)); // Invite-only access (access21)

  const { userEvents, openApiDocument, filesDir } = deps;
  if (userEvents) {
    routes.push({
      // Public: Clerk calls it. The Svix signature covers the exact bytes sent, so this route reads
      // the raw body, whatever its content type.
      method: "POST",
      path: "/webhooks/clerk",
      auth: false,
      handle: async (context) => {
        const event = await userEvents.verify(bodyText(context.request.body), context.request.headers);
        const { applied } = await lifecycle.applyUserEvent("clerk", event);
        return ok({ received: true, applied });
      },
    });
  }
  if (openApiDocument) {
    routes.push({ method: "GET", path: "/openapi.json", auth: false, handle: async () => ok(openApiDocument()) });
  }
  if (filesDir) {
    routes.push({
      method: "GET",
      path: "/files/:key",
      auth: false,
      handle: async (context) => serveLocalFile(filesDir, context.params.key ?? "", context.request.headers),
    });
  }
  return routes;
}

/** The body of a request as JSON, parsed once on first use. */
export function lazyJson(request: ApiRequest, route: Pick<Route, "anyText">): () => unknown {
  let parsed: { value: unknown } | undefined;
  return () => {
    parsed ??= {
      value: parseJsonBody(request.body, request.headers["content-type"], { storableText: !route.anyText }),
    };
    return parsed.value;
  };
}
