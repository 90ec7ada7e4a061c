import type { ErrorCode } from "./error-codes.js";
import type { OpenApiObject } from "./openapi.js";

// The OpenAPI operations of remix and share links (issue 21), kept apart from openapi.ts (which
// hands in its helpers) so the document's main file does not grow past reading.

/** What openapi.ts lends this file: its answer and error builders. */
export interface OperationHelpers {
  /** A JSON answer with `X-Request-Id` and `headers`. */
  jsonResponse(description: string, schema: OpenApiObject, headers?: OpenApiObject): OpenApiObject;
  /** The error answers for `codes`, grouped by status. */
  errorResponses(codes: readonly ErrorCode[]): Record<string, OpenApiObject>;
  /** The `X-Request-Id` header entry. */
  requestIdHeader: OpenApiObject;
  /** The generate operation's `Idempotency-Key` parameter, its 202 answer and its errors. */
  generate: OpenApiObject;
  /** The video `id` path parameter. */
  idParameter: OpenApiObject;
  /** Errors of every route behind auth. */
  authErrors: readonly ErrorCode[];
}

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The remix and share-link paths of the document. */
export function remixAndSharePaths(helpers: OperationHelpers): Record<string, Record<string, OpenApiObject>> {
  const { jsonResponse, errorResponses, requestIdHeader, idParameter, authErrors } = helpers;
  const shareIdParameter = {
    name: "shareId",
    in: "path",
    required: true,
    description: "The share link's id (`shr_…`).",
    schema: { type: "string", minLength: 1, maxLength: 200 },
  };
  const tokenParameter = {
    name: "token",
    in: "path",
    required: true,
    description: "The link's secret token (the capability: anyone holding the URL may watch the video).",
    schema: { type: "string", minLength: 1, maxLength: 200 },
  };
  const noStore = {
    "Cache-Control": {
      description: "Always `no-store`: nothing outlives a revoke or the expiry.",
      schema: { type: "string" },
    },
  };
  // Public routes: no auth errors, but the database may be unreachable (503).
  const publicErrors = errorResponses(["not_found", "service_unavailable"]);
  return {
    "/videos/{id}/remix": {
      post: {
        ...helpers.generate,
        operationId: "remixVideo",
        summary: "Make a new video from one of the user's completed videos, with some settings changed",
        description:
          "Starts from the source video's settings (prompt, negative prompt, frames, size, seed, steps, cfg, model, input image), applies the fields given, and then behaves exactly like `POST /videos`: the same checks, charge, idempotency and rate limit. The new video's `remixOf` names the source. A source that is not the user's, or deleted, is 404; one not completed is 409 `video_not_completed`.",
        parameters: [idParameter, ...((helpers.generate.parameters as OpenApiObject[] | undefined) ?? [])],
        requestBody: {
          required: false,
          description: "The settings to change; `{}` (or no body) renders the source's settings again.",
          content: { "application/json": { schema: schemaRef("RemixRequest") } },
        },
        responses: {
          ...(helpers.generate.responses as Record<string, OpenApiObject>),
          ...errorResponses(["video_not_completed", "idempotency_in_progress", "too_many_active_jobs"]),
        },
      },
    },
    "/videos/{id}/shares": {
      post: {
        operationId: "createShare",
        summary: "Make a share link: a URL that plays the video without an account until it expires or is revoked",
        description:
          "The answer's `url` is shown this once (the server keeps only a hash of its token). Only the user's own, completed videos can be shared; another user's video is 404.",
        tags: ["shares"],
        parameters: [idParameter],
        requestBody: {
          required: false,
          description: "How long the link lasts (default 7 days).",
          content: { "application/json": { schema: schemaRef("CreateShareRequest") } },
        },
        responses: {
          "201": jsonResponse("The link.", schemaRef("CreatedShare")),
          ...errorResponses([
            "validation_failed",
            "payload_too_large",
            ...authErrors,
            "not_found",
            "video_not_completed",
          ]),
        },
      },
      get: {
        operationId: "listShares",
        summary: "The video's share links that still work",
        tags: ["shares"],
        parameters: [idParameter],
        responses: {
          "200": jsonResponse("The links, newest first (without their URLs).", schemaRef("ListSharesResponse")),
          ...errorResponses(["validation_failed", ...authErrors, "not_found"]),
        },
      },
    },
    "/videos/{id}/shares/{shareId}": {
      delete: {
        operationId: "revokeShare",
        summary: "Revoke a share link: it stops working at once",
        tags: ["shares"],
        parameters: [idParameter, shareIdParameter],
        responses: {
          "204": { description: "Revoked.", headers: requestIdHeader },
          ...errorResponses(["validation_failed", ...authErrors, "not_found"]),
        },
      },
    },
    "/share/{token}": {
      get: {
        operationId: "getSharePage",
        summary: "A share link's page (public: the token is the capability)",
        description:
          "A small HTML page with the player and Open Graph / Twitter tags (absolute URLs) so chat apps unfurl it; a strict Content-Security-Policy and `Referrer-Policy: no-referrer`. Revoked, expired or deleted: 404.",
        tags: ["shares"],
        security: [],
        parameters: [tokenParameter],
        responses: {
          "200": {
            description: "The page.",
            headers: { ...requestIdHeader, ...noStore },
            content: { "text/html": { schema: { type: "string" } } },
          },
          ...publicErrors,
          "404": {
            description: "The link was revoked, has expired, or its video was deleted.",
            headers: { ...requestIdHeader, ...noStore },
            content: { "text/html": { schema: { type: "string" } } },
          },
        },
      },
    },
    "/share/{token}/video.mp4": {
      get: {
        operationId: "getShareVideo",
        summary: "A share link's MP4 (public: the token is the capability), with Range",
        tags: ["shares"],
        security: [],
        parameters: [
          tokenParameter,
          {
            name: "Range",
            in: "header",
            required: false,
            description: "One byte range (`bytes=0-1023`).",
            schema: { type: "string" },
          },
        ],
        responses: {
          "200": {
            description: "The MP4.",
            headers: { ...requestIdHeader, ...noStore },
            content: { "video/mp4": { schema: { type: "string", format: "binary" } } },
          },
          "206": {
            description: "The requested range.",
            headers: { ...requestIdHeader, ...noStore, "Content-Range": { schema: { type: "string" } } },
            content: { "video/mp4": { schema: { type: "string", format: "binary" } } },
          },
          "416": { description: "The range starts past the end of the file.", headers: requestIdHeader },
          ...publicErrors,
        },
      },
    },
  };
}
