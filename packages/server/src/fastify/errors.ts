import type { FastifyError, FastifyInstance } from "fastify";
import { isOpenVError, OpenVError } from "../core/errors.js";

const connectionErrorPattern =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|connect ENOENT|P1001|P1017|database system is/i;

/** Any error thrown while serving a request, as the contract's error envelope. */
export function toOpenVError(error: FastifyError | Error): OpenVError {
  if (isOpenVError(error)) return error;
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new OpenVError({ code: "payload_too_large", message: "The request body is too large." });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new OpenVError({
        code: "validation_failed",
        message: "Send the request body as JSON with Content-Type: application/json.",
        details: { issues: [{ path: [], message: "unsupported content type", code: "invalid_type" }] },
      });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      break;
    default:
      if (fastifyError.statusCode === 429) {
        return new OpenVError({ code: "rate_limited", message: error.message, retryAfterSeconds: 1 });
      }
  }
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new OpenVError({
      code: "validation_failed",
      message: `The request is not valid: ${error.message}. Send a JSON body that matches the API contract.`,
      details: { issues: [{ path: [], message: error.message, code: "invalid_request" }] },
    });
  }
  if (connectionErrorPattern.test(`${error.message} ${String((error as { cause?: unknown }).cause ?? "")}`)) {
    return new OpenVError({
      code: "service_unavailable",
      message: "The database is not reachable right now; nothing was changed. Retry in a few seconds.",
      retryAfterSeconds: 2,
      cause: error,
    });
  }
  return new OpenVError({
    code: "internal_error",
    message: "Something went wrong on the server; it has been logged. Retry, and report it if it persists.",
    cause: error,
  });
}

/** Error and not-found handlers for the plugin's routes. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const openvError = toOpenVError(error);
    if (openvError.status >= 500) request.log.error({ err: error }, "request failed");
    if (openvError.retryAfterSeconds !== undefined && !reply.hasHeader("retry-after")) {
      reply.header("retry-after", String(openvError.retryAfterSeconds));
    }
    return reply.status(openvError.status).send(openvError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new OpenVError({
      code: "not_found",
      message: `No route ${request.method} ${request.url.split("?")[0]}. See the API reference for the routes.`,
    });
    return reply.status(404).send(error.toBody());
  });
}
