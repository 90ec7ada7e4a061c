import { ErrorBodySchema, headers as protocolHeaders } from "@openv/protocol";
import {
  ConflictError,
  ForbiddenError,
  InsufficientCreditsError,
  MethodNotAllowedError,
  NotFoundError,
  OpenVClientError,
  type OpenVClientErrorOptions,
  ProviderUnavailableError,
  QuotaExceededError,
  RateLimitedError,
  ServerError,
  TermsRequiredError,
  TimeoutError,
  UnauthorizedError,
  ValidationError,
} from "../errors.js";

type ErrorClass = new (options: OpenVClientErrorOptions) => OpenVClientError;

// The status names the family; only 403 holds codes of different families.
const classByCode: Record<string, ErrorClass> = {
  terms_required: TermsRequiredError,
  quota_exceeded: QuotaExceededError,
};

const classByStatus: Record<number, ErrorClass> = {
  400: ValidationError,
  401: UnauthorizedError,
  402: InsufficientCreditsError,
  403: ForbiddenError,
  404: NotFoundError,
  405: MethodNotAllowedError,
  408: TimeoutError,
  409: ConflictError,
  413: ValidationError,
  415: ValidationError,
  422: ConflictError,
  429: RateLimitedError,
  502: ProviderUnavailableError,
};

/** `Retry-After` as seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - now) / 1000);
}

/**
 * The typed error for an HTTP error answer: by the contract's code when the body is the contract's
 * error envelope, else by status (code `http_<status>`).
 */
export function errorFromResponse(status: number, headers: Headers, body: unknown): OpenVClientError {
  const parsed = ErrorBodySchema.safeParse(body);
  const common = {
    status,
    requestId: headers.get(protocolHeaders.requestId),
    retryAfterSeconds: parseRetryAfter(headers.get(protocolHeaders.retryAfter)),
    // Read by MethodNotAllowedError (405); the other classes ignore it.
    allow: (headers.get("allow") ?? "")
      .split(",")
      .map((method) => method.trim().toUpperCase())
      .filter((method) => method !== ""),
  };
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    const ErrorType = classByCode[code] ?? classByStatus[status] ?? (status >= 500 ? ServerError : OpenVClientError);
    return new ErrorType({ ...common, code, message, details: details ?? null });
  }
  const ErrorType = classByStatus[status] ?? (status >= 500 ? ServerError : OpenVClientError);
  return new ErrorType({
    ...common,
    code: `http_${status}`,
    message: `The server answered ${status} without an OpenV error body.`,
  });
}

/**
 * A `terms_required` error whose message names what to call and the real path, with the client's
 * prefix (the server's own message knows only its routes, not where the host mounted them).
 */
export function termsRequiredWithPath(error: TermsRequiredError, acceptUrl: string): TermsRequiredError {
  const version = error.version === "" ? "<version from client.terms.get()>" : error.version;
  return new TermsRequiredError({
    code: error.code,
    status: error.status,
    requestId: error.requestId,
    details: error.details,
    retryAfterSeconds: error.retryAfterSeconds,
    message:
      `Accept the terms of use${error.version ? ` (version ${error.version})` : ""} before generating videos: ` +
      `client.terms.accept("${version}"), which is POST ${acceptUrl}.`,
  });
}
