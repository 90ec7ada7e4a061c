import { z } from "zod";
// Invite-only access (access21):
import {
  AccessStatusSchema,
  ListVouchersResponseSchema,
  RedeemVoucherResponseSchema,
  VoucherSchema,
} from "./access.js";
import { CreateVoucherRequestSchema, RedeemVoucherRequestSchema } from "./access-requests.js";
import {
  AcceptTermsRequestSchema,
  CreditsQuerySchema,
  DeleteVideosRequestSchema,
  EventsQuerySchema,
  GrantCreditsRequestSchema,
  HealthResponseSchema,
  IdempotencyKeySchema,
  ListVideosQuerySchema,
  RunPodWebhookQuerySchema,
  WebhookReceivedSchema,
} from "./api.js";
import { type ErrorCode, errorStatusByCode } from "./error-codes.js";
import { ErrorBodySchema } from "./errors.js";
import { integerSchemas, timestampSchemas } from "./formats.js";
import { GenerateRequestSchema, RunPodGenerateRequestSchema } from "./generate.js";
import { ListModelsResponseSchema } from "./models.js";
import { remixAndSharePaths } from "./openapi-shares.js"; // Remix and share links (issue 21)
import { RemixRequestSchema } from "./remix.js"; // Remix (issue 21)
import {
  AcceptTermsResponseSchema,
  CreditsResponseSchema,
  DeleteVideosResponseSchema,
  GenerateResponseSchema,
  GrantCreditsResponseSchema,
  ListVideosResponseSchema,
  TermsStatusSchema,
  UploadResponseSchema,
  UsageSchema,
  VideoResponseSchema,
} from "./responses.js";
import { RunPodJobSchema } from "./runpod.js";
import { CreateShareRequestSchema } from "./share-request.js"; // Share links (issue 21)
import { CreatedShareSchema, ListSharesResponseSchema } from "./shares.js"; // Share links (issue 21)
import { TombstoneSchema, VideoOrTombstoneSchema, VideoSchema, VideoSpriteSchema, VideoStatusSchema } from "./video.js";
import { maxPreferWaitSeconds } from "./wire.js";

/** A JSON object of the document: an OpenAPI object or a JSON Schema. */
export type OpenApiObject = { [key: string]: unknown };

/** Options of {@link openApiDocument}: describe the server the document is for. */
export interface OpenApiDocumentOptions {
  /** Where the routes are mounted; it becomes the document's `servers[0].url`. Default `"/api"`. */
  prefix?: string;
  /**
   * Whether `POST /webhooks/clerk` exists (the server has a Clerk webhook signing secret).
   * Default true.
   */
  clerkWebhooks?: boolean;
  /** Whether the server serves stored videos itself under `/files/` (local storage). Default true. */
  localFiles?: boolean;
  /**
   * Whether `PUT /worker-uploads/{video}/{attempt}` exists (RunPod delivery through upload URLs).
   * Default false.
   */
  workerUploads?: boolean;
}

/** An OpenAPI 3.1 document, as {@link openApiDocument} writes it. */
export interface OpenApiDocument {
  /** Always `"3.1.0"`: the schemas are JSON Schema 2020-12. */
  openapi: "3.1.0";
  /** Title, contract version, contact and license. */
  info: OpenApiObject & {
    /** `"OpenV API"`. */
    title: string;
    /** The contract version. */
    version: string;
  };
  /** One entry: the prefix the routes are mounted under. */
  servers: {
    /** The prefix, e.g. `"/api"`. */
    url: string;
    /** What the URL is. */
    description: string;
  }[];
  /** The default for every operation: a Clerk session (bearer or cookie) or, in development, the dev header. */
  security: Record<string, string[]>[];
  /** The operations' tags (`videos`, `account`, `files`, `webhooks`, `service`), each described. */
  tags: {
    /** The tag operations name. */
    name: string;
    /** What its operations are for. */
    description: string;
  }[];
  /** The operations by path (relative to `servers[0].url`) and lower-case method. */
  paths: Record<string, Record<string, OpenApiObject>>;
  /** Schemas, security schemes and shared headers the operations refer to. */
  components: {
    /** JSON Schemas (2020-12) of every body, by name (`Video`, `GenerateRequest`, `ErrorBody`, …). */
    schemas: Record<string, OpenApiObject>;
    /** `sessionToken` (Clerk bearer), `sessionCookie` (`__session`) and `developmentUser` (`X-OpenV-User`). */
    securitySchemes: Record<string, OpenApiObject>;
    /** The answer headers operations refer to: `X-Request-Id`, `Retry-After`, `Allow`, … */
    headers: Record<string, OpenApiObject>;
    /** `MethodNotAllowed` (405) and `NotFound` (404): what methods and paths outside the document get. */
    responses: Record<string, OpenApiObject>;
  };
}

/** The contract version the document describes (shared/API.md is v1). */
const contractVersion = "1.0.0";

// Component names → the schemas behind them. Requests are converted as the server reads them
// (`io: "input"`: defaults optional, coerced query numbers), answers as the server writes them.
const requestComponents = {
  GenerateRequest: GenerateRequestSchema,
  RunPodGenerateRequest: RunPodGenerateRequestSchema,
  DeleteVideosRequest: DeleteVideosRequestSchema,
  AcceptTermsRequest: AcceptTermsRequestSchema,
  GrantCreditsRequest: GrantCreditsRequestSchema,
  RunPodJob: RunPodJobSchema,
  // Remix and share links (issue 21)
  RemixRequest: RemixRequestSchema,
  CreateShareRequest: CreateShareRequestSchema,
  // Invite-only access (access21):
  RedeemVoucherRequest: RedeemVoucherRequestSchema,
  CreateVoucherRequest: CreateVoucherRequestSchema,
} satisfies Record<string, z.core.$ZodType>;

const responseComponents = {
  VideoStatus: VideoStatusSchema,
  Video: VideoSchema,
  VideoSprite: VideoSpriteSchema, // posters21
  Tombstone: TombstoneSchema,
  VideoOrTombstone: VideoOrTombstoneSchema,
  VideoResponse: VideoResponseSchema,
  ListVideosResponse: ListVideosResponseSchema,
  GenerateResponse: GenerateResponseSchema,
  DeleteVideosResponse: DeleteVideosResponseSchema,
  Usage: UsageSchema,
  TermsStatus: TermsStatusSchema,
  AcceptTermsResponse: AcceptTermsResponseSchema,
  HealthResponse: HealthResponseSchema,
  ListModelsResponse: ListModelsResponseSchema,
  CreditsResponse: CreditsResponseSchema,
  GrantCreditsResponse: GrantCreditsResponseSchema,
  UploadResponse: UploadResponseSchema,
  WebhookReceived: WebhookReceivedSchema,
  ErrorBody: ErrorBodySchema,
  // Share links (issue 21)
  CreatedShare: CreatedShareSchema,
  ListSharesResponse: ListSharesResponseSchema,
  // Invite-only access (access21):
  AccessStatus: AccessStatusSchema,
  RedeemVoucherResponse: RedeemVoucherResponseSchema,
  Voucher: VoucherSchema,
  ListVouchersResponse: ListVouchersResponseSchema,
} satisfies Record<string, z.core.$ZodType>;

type ComponentName = keyof typeof requestComponents | keyof typeof responseComponents;

const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });

/** zod writes ±2^53−1 bounds on every integer; they say nothing to a reader. */
function dropSafeIntegerBounds(ctx: {
  zodSchema: object;
  jsonSchema: { type?: string | string[]; minimum?: number; maximum?: number; format?: string };
}): void {
  if (ctx.jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete ctx.jsonSchema.minimum;
  if (ctx.jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete ctx.jsonSchema.maximum;
  // Response timestamps and integers are plain strings and numbers in the schemas (see
  // formats.ts); say what they hold.
  if (timestampSchemas.has(ctx.zodSchema)) ctx.jsonSchema.format = "date-time";
  if (integerSchemas.has(ctx.zodSchema)) ctx.jsonSchema.type = "integer";
}

function convertComponents(
  schemas: Record<string, z.core.$ZodType>,
  io: "input" | "output",
): Record<string, OpenApiObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, {
    io,
    uri: (id) => `#/components/schemas/${id}`,
    override: dropSafeIntegerBounds,
  }).schemas;
  // `$schema` and `$id` belong to standalone documents, not to schemas inside an OpenAPI document.
  return Object.fromEntries(
    Object.entries(converted).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema as OpenApiObject]),
  );
}

/**
 * A query object's parameters. Each schema comes from the output side of the zod schema: a query
 * number is parsed from text (`"50"`), and its bounds (`limit` 1–200, …) live on the number it
 * becomes, so that is what the document declares. Whether one is required comes from the input
 * side (a parameter with a default may be left out).
 */
function queryParameters(schema: z.ZodObject, descriptions: Record<string, string>): OpenApiObject[] {
  type Converted = { properties: Record<string, OpenApiObject>; required?: string[] };
  const input = z.toJSONSchema(schema, { io: "input", override: dropSafeIntegerBounds }) as Converted;
  const output = z.toJSONSchema(schema, { io: "output", override: dropSafeIntegerBounds }) as Converted;
  return Object.entries(output.properties).map(([name, property]) => ({
    name,
    in: "query",
    required: input.required?.includes(name) ?? false,
    ...(descriptions[name] && { description: descriptions[name] }),
    schema: property,
  }));
}

const requestIdHeader = { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } };

const jsonResponse = (description: string, schema: OpenApiObject, headers: OpenApiObject = {}) => ({
  description,
  headers: { ...requestIdHeader, ...headers },
  content: { "application/json": { schema } },
});

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/**
 * The error answers an operation can give, grouped by status; each narrows `error.code` to the
 * codes of that status. Every operation can also fail with `payload_too_large` (413: every route
 * caps its body, 1 MiB unless it says otherwise) and `internal_error` (500).
 */
function errorResponses(codes: readonly ErrorCode[]): Record<string, OpenApiObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set<ErrorCode>([...codes, "payload_too_large", "internal_error"])) {
    const status = errorStatusByCode[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, statusCodes]) => [
        String(status),
        jsonResponse(
          `Error: ${statusCodes.map((code) => `\`${code}\``).join(" or ")}.`,
          errorSchema(statusCodes),
          status === 429 || status === 503 ? { "Retry-After": headerRef("Retry-After") } : {},
        ),
      ]),
  );
}

/** `ErrorBody` with `error.code` narrowed to `codes`. */
const errorSchema = (codes: readonly ErrorCode[]) => ({
  allOf: [
    ref("ErrorBody"),
    {
      type: "object",
      properties: { error: { type: "object", properties: { code: { type: "string", enum: [...codes] } } } },
    },
  ],
});

const jsonBody = (name: ComponentName, description: string) => ({
  required: true,
  description,
  content: { "application/json": { schema: ref(name) } },
});

/** The per-user generate limit's state, on answers of the routes it counts (when it is on). */
const rateLimitHeaders = {
  "X-RateLimit-Limit": headerRef("X-RateLimit-Limit"),
  "X-RateLimit-Remaining": headerRef("X-RateLimit-Remaining"),
};

/** Open to anyone: the operation overrides the document's default security. */
const publicRoute = { security: [] };

/** Errors of every route behind auth: bad credentials, and an auth service that cannot answer. */
const authErrors: ErrorCode[] = ["unauthorized", "service_unavailable"];

function generateOperation(operationId: string, summary: string, body: ComponentName): OpenApiObject {
  return {
    operationId,
    summary,
    description:
      "Checks, in order: auth, body (against the chosen model's limits), access (403 `access_restricted` on an invite-only server until the user redeems a voucher), terms, active jobs, then the billing policy: the monthly seconds (403 `quota_exceeded`) or the model's price in credits (402 `insufficient_credits`). Then stores the video `queued`, charges it and submits it to the provider; a provider refusal is refunded and answered 502. With an `Idempotency-Key`, the same user, key and body within 24 h replay the first answer and charge once.",
    tags: ["videos"],
    parameters: [
      {
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description: "Makes retries safe: the same key and body replay the first answer (the SDK always sends one).",
        schema: {
          type: "string",
          minLength: IdempotencyKeySchema.minLength,
          maxLength: IdempotencyKeySchema.maxLength,
        },
      },
      // Wait (issue 21)
      {
        name: "Prefer",
        in: "header",
        required: false,
        description: `RFC 7240 \`wait=N\` (N an integer 1..${maxPreferWaitSeconds}; larger is clamped to ${maxPreferWaitSeconds}): hold the answer until the video is completed or failed, at most N seconds. Finished in time: 201 with \`Preference-Applied\`; else the usual 202. A malformed preference is ignored. Replays of an \`Idempotency-Key\` honour it too.`,
        // No pattern: RFC 7240 has a server ignore a preference it does not understand, and this one
        // does (schemathesis rightly flagged a pattern the server did not enforce).
        schema: { type: "string" },
      },
    ],
    requestBody: jsonBody(body, "What to render; omitted settings take Mochi's defaults."),
    responses: {
      "202": jsonResponse("The video, queued, and the user's usage after the charge.", ref("GenerateResponse"), {
        "Idempotent-Replayed": {
          description: "`true` when this answer replays an earlier request with the same key.",
          schema: { type: "string", enum: ["true"] },
        },
        ...rateLimitHeaders,
      }),
      // Wait (issue 21): `Prefer: wait=N` and the video finished within it.
      "201": jsonResponse(
        "The video, finished (completed or failed) within the `Prefer: wait`, and the user's usage now.",
        ref("GenerateResponse"),
        {
          "Preference-Applied": {
            description: `\`wait=N\`: the wait that was honoured (N clamped to ${maxPreferWaitSeconds}).`,
            schema: { type: "string", pattern: "^wait=\\d+$" },
          },
          "Idempotent-Replayed": {
            description: "`true` when this answer replays an earlier request with the same key.",
            schema: { type: "string", enum: ["true"] },
          },
          ...rateLimitHeaders,
        },
      ),
      ...errorResponses([
        "validation_failed",
        "payload_too_large",
        ...authErrors,
        "access_restricted",
        "terms_required",
        "quota_exceeded",
        "insufficient_credits",
        "too_many_active_jobs",
        "idempotency_in_progress",
        "idempotency_conflict",
        // A repeated Idempotency-Key whose video was deleted since.
        "not_found",
        "rate_limited",
        "provider_unavailable",
      ]),
    },
  };
}

/**
 * One event of `GET /videos/events` (the stream is a sequence of them; OpenAPI 3.2 would call this
 * `itemSchema`, 3.1 has only `schema`): `video` carries a `Video` or `Tombstone` as JSON with its
 * id; `ping` keeps the connection alive.
 */
const sseEventSchema = {
  type: "object",
  required: ["event", "data"],
  properties: {
    event: { type: "string" },
    data: { type: "string" },
    id: { type: "string" },
    retry: { type: "integer" },
  },
  oneOf: [
    {
      properties: {
        event: { const: "video" },
        id: { type: "string", pattern: "^\\d{1,15}$" },
        data: { contentMediaType: "application/json", contentSchema: ref("VideoOrTombstone") },
      },
      required: ["event", "id"],
    },
    { properties: { event: { const: "ping" } }, required: ["event"] },
  ],
};

/** What every answer of `GET /files/{key}` carries. */
const fileHeaders = {
  ...requestIdHeader,
  "Accept-Ranges": headerRef("Accept-Ranges"),
  ETag: headerRef("ETag"),
  "Last-Modified": headerRef("Last-Modified"),
  "Cache-Control": headerRef("Cache-Control"),
};

function buildPaths(options: Required<OpenApiDocumentOptions>): OpenApiDocument["paths"] {
  const idParameter = {
    name: "id",
    in: "path",
    required: true,
    description: "The video's id.",
    schema: { type: "string", minLength: 1, maxLength: 200 },
  };
  const paths: OpenApiDocument["paths"] = {
    "/health": {
      get: {
        operationId: "getHealth",
        summary: "Liveness check",
        tags: ["service"],
        ...publicRoute,
        responses: { "200": jsonResponse("The server is up.", ref("HealthResponse")), ...errorResponses([]) },
      },
    },
    "/videos": {
      post: generateOperation("generateVideo", "Request a video", "GenerateRequest"),
      get: {
        operationId: "listVideos",
        summary: "List the user's videos, or the changes since a time",
        description:
          "Without `updatedSince`: live videos, newest first, paged with `cursor`. With `updatedSince`: every change after it, oldest first, tombstones of deleted videos included; pass back `serverTime` next time to miss nothing.",
        tags: ["videos"],
        parameters: queryParameters(ListVideosQuerySchema, {
          updatedSince: "Unix ms: list every change after it, tombstones included.",
          limit: "Page size.",
          cursor: "The previous page's `nextCursor`.",
        }),
        responses: {
          "200": jsonResponse("One page of videos.", ref("ListVideosResponse")),
          ...errorResponses(["validation_failed", ...authErrors]),
        },
      },
      delete: {
        operationId: "deleteVideos",
        summary: "Delete videos by id or job id",
        description:
          "Removes the files, cancels unfinished jobs, refunds the seconds of videos that had not completed and leaves tombstones. Ids the user does not own are left out of `deleted`.",
        tags: ["videos"],
        requestBody: jsonBody("DeleteVideosRequest", "1–100 ids and job ids in all."),
        responses: {
          "200": jsonResponse("The ids deleted.", ref("DeleteVideosResponse")),
          ...errorResponses(["validation_failed", "payload_too_large", ...authErrors]),
        },
      },
    },
    "/runpod": {
      post: generateOperation(
        "generateVideoSeedCompatible",
        "Request a video with the seed app's body",
        "RunPodGenerateRequest",
      ),
    },
    "/videos/events": {
      get: {
        operationId: "streamVideoEvents",
        summary: "Live changes of the user's videos (Server-Sent Events)",
        description:
          "`event: video` with `id: <event id>` and `data: <Video | Tombstone>` (schema `VideoOrTombstone`) for every change; `event: ping` at least every 20 s. The event id is the change's number in the user's change sequence: a decimal integer, strictly increasing, unique per change (each tombstone of a bulk delete has its own), not a clock; treat it as opaque. With `Last-Event-ID` or `since`, every change after it is sent first (each video once, in its current state, in change order); a value above the user's latest id is read as Unix ms (a list's `serverTime`). A stream opened without one starts with a bare `id:` line naming the latest id. When the server may have missed changes from other instances it ends the stream after a `retry:` line; reconnect with `Last-Event-ID` and nothing is lost.",
        tags: ["videos"],
        parameters: [
          ...queryParameters(EventsQuerySchema, {
            since: "An event id: send every change after it first (like `Last-Event-ID`). `0`: every change.",
          }),
          {
            name: "Last-Event-ID",
            in: "header",
            required: false,
            description: "The last event id received; replaces `since` when both are given.",
            schema: { type: "string", pattern: "^\\d{1,15}$" },
          },
        ],
        responses: {
          "200": {
            description: "The event stream; it stays open until the client or the server closes it.",
            headers: requestIdHeader,
            content: { "text/event-stream": { schema: sseEventSchema } },
          },
          ...errorResponses(["validation_failed", ...authErrors]),
        },
      },
    },
    "/videos/{id}": {
      get: {
        operationId: "getVideo",
        summary: "One video",
        tags: ["videos"],
        parameters: [idParameter],
        responses: {
          "200": jsonResponse("The video.", ref("VideoResponse")),
          ...errorResponses(["validation_failed", ...authErrors, "not_found"]),
        },
      },
      delete: {
        operationId: "deleteVideo",
        summary: "Delete one video",
        description: "Like `DELETE /videos` for one id, but a video the user does not own is 404.",
        tags: ["videos"],
        parameters: [idParameter],
        responses: {
          "204": { description: "Deleted.", headers: requestIdHeader },
          ...errorResponses(["validation_failed", ...authErrors, "not_found"]),
        },
      },
    },
    "/usage": {
      get: {
        operationId: "getUsage",
        summary: "The current quota period's seconds",
        tags: ["account"],
        responses: { "200": jsonResponse("The usage.", ref("Usage")), ...errorResponses(authErrors) },
      },
    },
    "/models": {
      get: {
        operationId: "listModels",
        summary: "The models a request may name, with their limits and prices",
        tags: ["videos"],
        ...publicRoute,
        responses: {
          "200": jsonResponse("The catalog; the first model is the default.", ref("ListModelsResponse")),
          ...errorResponses([]),
        },
      },
    },
    "/credits": {
      get: {
        operationId: "getCredits",
        summary: "The user's credit balance and newest ledger entries",
        tags: ["account"],
        parameters: queryParameters(CreditsQuerySchema, { limit: "Ledger entries to return, 0–200 (default 50)." }),
        responses: {
          "200": jsonResponse("The balance and ledger.", ref("CreditsResponse")),
          ...errorResponses(["validation_failed", ...authErrors]),
        },
      },
    },
    "/admin/credits": {
      post: {
        operationId: "grantCredits",
        summary: "Add or remove a user's credits (admins only)",
        description:
          "Admins are the user ids the server is configured with. The ledger records the admin and the reason.",
        tags: ["account"],
        requestBody: jsonBody("GrantCreditsRequest", "Whose balance, by how much, and why."),
        responses: {
          "200": jsonResponse("The new balance and the ledger entry.", ref("GrantCreditsResponse")),
          ...errorResponses([
            "validation_failed",
            "payload_too_large",
            ...authErrors,
            "forbidden",
            "insufficient_credits",
          ]),
        },
      },
    },
    "/uploads": {
      post: {
        operationId: "uploadImage",
        summary: "Upload an input image for image-to-video",
        description:
          "The body is the image itself. Its kind is read from its bytes (PNG, JPEG or WebP), never from a name or content type; at most 10 MiB. Pass the answer's `id` as `image` in a generate request.",
        tags: ["videos"],
        requestBody: {
          required: true,
          description: "The image's bytes.",
          content: {
            "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream" } },
          },
        },
        responses: {
          "201": jsonResponse("The stored image.", ref("UploadResponse"), rateLimitHeaders),
          ...errorResponses([
            "validation_failed",
            "payload_too_large",
            "unsupported_media_type",
            ...authErrors,
            "access_restricted",
            "rate_limited",
          ]),
        },
      },
    },
    // Invite-only access (access21):
    "/access": {
      get: {
        operationId: "getAccess",
        summary: "The user's role (restricted, user or admin) and the voucher that admitted them",
        tags: ["account"],
        responses: { "200": jsonResponse("The access status.", ref("AccessStatus")), ...errorResponses(authErrors) },
      },
    },
    "/access/redeem": {
      post: {
        operationId: "redeemVoucher",
        summary: "Redeem a voucher code: a restricted user becomes a user",
        description:
          "Case, spaces, hyphens and the look-alikes O/0, I/L/1 do not matter. Redeeming again (the same code, or any code once admitted) changes nothing and counts no use; admins are admitted without one. A code that cannot be redeemed is 400 `voucher_invalid` with `details.reason` `unknown`, `expired`, `deactivated` or `used_up`. Counts against the generate rate limits.",
        tags: ["account"],
        requestBody: jsonBody("RedeemVoucherRequest", "The code."),
        responses: {
          "200": jsonResponse("The user's role now.", ref("RedeemVoucherResponse"), rateLimitHeaders),
          ...errorResponses([
            "validation_failed",
            "voucher_invalid",
            "payload_too_large",
            ...authErrors,
            "rate_limited",
          ]),
        },
      },
    },
    "/admin/vouchers": {
      post: {
        operationId: "createVoucher",
        summary: "Issue a voucher code (admins only)",
        tags: ["account"],
        description: "A chosen code already issued (in any spelling that compares equal) is 400 `validation_failed`.",
        requestBody: jsonBody("CreateVoucherRequest", "The code (default: generated), its lifetime and uses."),
        responses: {
          "201": jsonResponse("The voucher.", ref("Voucher")),
          ...errorResponses(["validation_failed", "payload_too_large", ...authErrors, "forbidden"]),
        },
      },
      get: {
        operationId: "listVouchers",
        summary: "Every voucher, newest first (admins only)",
        tags: ["account"],
        responses: {
          "200": jsonResponse("The vouchers.", ref("ListVouchersResponse")),
          ...errorResponses([...authErrors, "forbidden"]),
        },
      },
    },
    "/admin/vouchers/{code}": {
      delete: {
        operationId: "deactivateVoucher",
        summary: "Deactivate a voucher (admins only); users it admitted stay admitted",
        tags: ["account"],
        parameters: [
          { name: "code", in: "path", required: true, schema: { type: "string", minLength: 1, maxLength: 64 } },
        ],
        responses: {
          "204": { description: "Deactivated (also when it already was).", headers: requestIdHeader },
          ...errorResponses(["validation_failed", ...authErrors, "forbidden", "not_found"]),
        },
      },
    },
    "/terms/check": {
      get: {
        operationId: "checkTerms",
        summary: "Whether the user accepted the current terms version",
        tags: ["account"],
        responses: { "200": jsonResponse("The terms status.", ref("TermsStatus")), ...errorResponses(authErrors) },
      },
    },
    "/terms/accept": {
      post: {
        operationId: "acceptTerms",
        summary: "Accept the current terms version",
        description: "Every acceptance is kept; accepting twice is not an error.",
        tags: ["account"],
        requestBody: jsonBody("AcceptTermsRequest", "The version accepted: the current one."),
        responses: {
          "200": jsonResponse("Accepted.", ref("AcceptTermsResponse")),
          ...errorResponses(["validation_failed", "payload_too_large", ...authErrors, "terms_version_mismatch"]),
        },
      },
    },
    "/runpod/webhook": {
      post: {
        operationId: "receiveRunPodWebhook",
        summary: "RunPod job updates (public, protected by the per-video token in the URL)",
        description:
          "The server puts this URL, with `video`, `attempt` and an HMAC `token` of both, in every `/run` call. Without a valid token: 401 and nothing changes. Duplicates and stale updates are 200 with `applied: false`.",
        tags: ["webhooks"],
        ...publicRoute,
        parameters: queryParameters(RunPodWebhookQuerySchema, {
          video: "The video the job renders.",
          attempt: "The submission attempt (the video's retry count when it was submitted).",
          token: "HMAC-SHA256 of `<video>:<attempt>` with the server's webhook secret, base64url.",
        }),
        requestBody: jsonBody("RunPodJob", "RunPod's job object."),
        responses: {
          "200": jsonResponse("Received.", ref("WebhookReceived")),
          ...errorResponses(["validation_failed", "payload_too_large", "unauthorized", "service_unavailable"]),
        },
      },
    },
  };
  if (options.clerkWebhooks) {
    paths["/webhooks/clerk"] = {
      post: {
        operationId: "receiveClerkWebhook",
        summary: "Clerk user events (public, Svix-signed)",
        description:
          "`user.created` and `user.updated` upsert the user; `user.deleted` deletes the user's videos and files. A bad or stale signature is 401; a replayed delivery (same `svix-id`) changes nothing.",
        tags: ["webhooks"],
        ...publicRoute,
        parameters: ["svix-id", "svix-timestamp", "svix-signature"].map((name) => ({
          name,
          in: "header",
          required: true,
          schema: { type: "string" },
        })),
        requestBody: {
          required: true,
          description: "Clerk's event, verified over the exact bytes sent.",
          content: {
            "application/json": {
              schema: { type: "object", properties: { type: { type: "string" }, data: { type: "object" } } },
            },
          },
        },
        responses: {
          "200": jsonResponse("Received.", ref("WebhookReceived")),
          ...errorResponses(["validation_failed", "payload_too_large", "unauthorized"]),
        },
      },
    };
  }
  if (options.localFiles) {
    paths["/files/{key}"] = {
      get: {
        operationId: "getFile",
        summary: "A stored video (local storage only; public, unguessable key)",
        description: "Supports `Range` requests, so players can seek.",
        tags: ["files"],
        ...publicRoute,
        parameters: [
          { name: "key", in: "path", required: true, schema: { type: "string" } },
          {
            name: "Range",
            in: "header",
            required: false,
            description: "One byte range (`bytes=0-1023`); several at once or a malformed one get the whole file.",
            schema: { type: "string" },
          },
          {
            name: "If-None-Match",
            in: "header",
            required: false,
            description: "An `ETag` from an earlier answer: 304 while the file is unchanged.",
            schema: { type: "string" },
          },
        ],
        responses: {
          "200": {
            description: "The file (an MP4, or a poster or upload image).",
            headers: fileHeaders,
            content: { "*/*": { schema: { type: "string", format: "binary" } } },
          },
          "206": {
            description: "The requested range of the file.",
            headers: { ...fileHeaders, "Content-Range": headerRef("Content-Range") },
            content: { "*/*": { schema: { type: "string", format: "binary" } } },
          },
          "304": { description: "Not modified: the `If-None-Match` tag is current.", headers: fileHeaders },
          "416": {
            description:
              "The range starts past the end of the file; `Content-Range` gives its size (`bytes */<size>`).",
            headers: { ...fileHeaders, "Content-Range": headerRef("Content-Range") },
          },
          ...errorResponses(["not_found"]),
        },
      },
    };
  }
  if (options.workerUploads) {
    paths["/worker-uploads/{video}/{attempt}"] = {
      put: {
        operationId: "putWorkerUpload",
        summary: "The GPU worker's MP4 for one video attempt (signed, single-use upload URL)",
        description:
          "The server hands this URL to the worker in the job input (`upload.url`); the signed query (`expires`, `max`, `token`) is the capability. The body is the MP4, at most `max` bytes.",
        tags: ["webhooks"],
        ...publicRoute,
        parameters: [
          { name: "video", in: "path", required: true, schema: { type: "string" } },
          { name: "attempt", in: "path", required: true, schema: { type: "integer", minimum: 0 } },
          { name: "expires", in: "query", required: true, schema: { type: "integer" } },
          { name: "max", in: "query", required: true, schema: { type: "integer" } },
          { name: "token", in: "query", required: true, schema: { type: "string" } },
        ],
        requestBody: {
          required: true,
          content: { "video/mp4": { schema: { type: "string", format: "binary" } } },
        },
        responses: {
          "201": {
            description: "Stored: where, and its storage key.",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: { url: { type: "string" }, key: { type: "string" } },
                  required: ["url", "key"],
                },
              },
            },
          },
          ...errorResponses(["validation_failed", "unauthorized", "payload_too_large"]),
        },
      },
    };
  }
  // Remix and share links (issue 21)
  Object.assign(
    paths,
    remixAndSharePaths({
      jsonResponse,
      errorResponses,
      requestIdHeader,
      generate: generateOperation("remixVideo", "Remix a video", "GenerateRequest"),
      idParameter,
      authErrors,
    }),
  );
  paths["/openapi.json"] = {
    get: {
      operationId: "getOpenApiDocument",
      summary: "This document",
      tags: ["service"],
      ...publicRoute,
      responses: {
        "200": {
          description: "The OpenAPI 3.1 document.",
          headers: requestIdHeader,
          content: { "application/json": { schema: { type: "object" } } },
        },
        ...errorResponses([]),
      },
    },
  };
  return paths;
}

/**
 * The OpenAPI 3.1 document of the OpenV HTTP contract, built from this package's zod schemas:
 * every route with its parameters, request body, answers and error codes. `@openv/server` serves
 * it at `/api/openapi.json`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * writeFileSync("openapi.json", JSON.stringify(openApiDocument({ prefix: "/api" }), null, 2));
 * ```
 */
export function openApiDocument(options: OpenApiDocumentOptions = {}): OpenApiDocument {
  const resolved: Required<OpenApiDocumentOptions> = {
    prefix: (options.prefix ?? "/api").replace(/\/$/, "") || "/",
    clerkWebhooks: options.clerkWebhooks ?? true,
    localFiles: options.localFiles ?? true,
    workerUploads: options.workerUploads ?? false,
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "OpenV API",
      version: contractVersion,
      description:
        "AI video generation: request a video, follow it live, play it. Every error is `{error: {code, message, details?}}`, and every answer carries `X-Request-Id`. A method an operation here does not list gets 405 `method_not_allowed` with `Allow` (`components.responses.MethodNotAllowed`), a path not listed 404 `not_found`; every route caps its body (1 MiB, uploads 10 MiB) and answers 413 `payload_too_large` above it before reading it. Timestamps in bodies are ISO-8601; `updatedSince` and `serverTime` are Unix milliseconds; SSE event ids (and `since`) are a per-user change sequence.",
      contact: { name: "OpenV", url: "https://github.com/openv/openv" },
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: resolved.prefix, description: "Where the OpenV plugin is mounted on this server." }],
    security: [{ sessionToken: [] }, { sessionCookie: [] }, { developmentUser: [] }],
    tags: [
      { name: "videos", description: "Ask for videos, follow them live (SSE), list, get and delete them." },
      { name: "account", description: "The user's terms of use, usage, credits and the models they may pick." },
      { name: "files", description: "Stored videos and uploads served by this server (local storage only)." },
      { name: "shares", description: "Share links: a video anyone with the URL may watch, until revoked or expired." },
      { name: "webhooks", description: "Callbacks from providers and Clerk, and worker uploads: not for apps." },
      { name: "service", description: "Health and this document." },
    ],
    paths: buildPaths(resolved),
    components: {
      schemas: {
        ...convertComponents(requestComponents, "input"),
        ...convertComponents(responseComponents, "output"),
      },
      securitySchemes: {
        sessionToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A Clerk session token; the user is its `sub`.",
        },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "__session",
          description: "Clerk's session cookie, same-origin.",
        },
        developmentUser: {
          type: "apiKey",
          in: "header",
          name: "X-OpenV-User",
          description: "Development servers only (no Clerk): the user id, default `dev-user`.",
        },
      },
      headers: {
        "X-Request-Id": {
          description: "The request's id, as logged by the server; quote it in bug reports.",
          schema: { type: "string" },
        },
        "Retry-After": {
          description: "Seconds to wait before trying again.",
          schema: { type: "string", pattern: "^\\d+$" },
        },
        Allow: {
          description: "The methods the path takes (with 405 `method_not_allowed`).",
          schema: { type: "string" },
        },
        "X-RateLimit-Limit": {
          description: "Generate requests a user may make per window (when the per-user limit is on).",
          schema: { type: "string", pattern: "^\\d+$" },
        },
        "X-RateLimit-Remaining": {
          description: "Generate requests left in the current window.",
          schema: { type: "string", pattern: "^\\d+$" },
        },
        "Accept-Ranges": { description: "Always `bytes`.", schema: { type: "string", enum: ["bytes"] } },
        "Content-Range": {
          description: "The range sent (`bytes <first>-<last>/<size>`), or the size after a 416 (`bytes */<size>`).",
          schema: { type: "string" },
        },
        ETag: { description: "The file's version (weak).", schema: { type: "string" } },
        "Last-Modified": { description: "When the file was written.", schema: { type: "string" } },
        "Cache-Control": { description: "How long caches may keep the file.", schema: { type: "string" } },
      },
      responses: {
        MethodNotAllowed: {
          description:
            "Any method an operation of this document does not list, on a path it lists (PUT, PATCH, TRACE, PROPFIND, …): `method_not_allowed`, nothing read or changed.",
          headers: { ...requestIdHeader, Allow: headerRef("Allow") },
          content: { "application/json": { schema: errorSchema(["method_not_allowed"]) } },
        },
        NotFound: {
          description: "Any method on a path this document does not list: `not_found`, nothing read or changed.",
          headers: requestIdHeader,
          content: { "application/json": { schema: errorSchema(["not_found"]) } },
        },
      },
    },
  };
}
