import {
  InsufficientCreditsDetailsSchema,
  QuotaExceededDetailsSchema,
  type ValidationIssue,
  ValidationIssuesSchema,
  type Video,
} from "@openv/protocol";

// Symbol.for, not a private symbol: an app that ends up with two copies of the SDK (ESM and CJS,
// or two versions) still recognises errors from either one.
const brand = Symbol.for("@openv/sdk/error");

/** What every SDK error is built from. */
export interface OpenVClientErrorOptions {
  /** The contract's error code (`quota_exceeded`, …) or the SDK's own (`network_error`, `timeout`, `aborted`). */
  code: string;
  /** What went wrong and what to do next, for people. */
  message: string;
  /** The HTTP status of the answer; null when no answer arrived. Default null. */
  status?: number | null;
  /** The server's `X-Request-Id` for the answer, when it sent one. Default null. */
  requestId?: string | null;
  /** The `details` object of the contract's error body. Default null. */
  details?: Record<string, unknown> | null;
  /** Seconds the server asked to wait (`Retry-After`), when it said. Default null. */
  retryAfterSeconds?: number | null;
  /** The error behind this one (a network failure, a parse error), as `Error.cause`. */
  cause?: unknown;
}

/**
 * The base class of every error the SDK throws or emits. Subclasses name the contract's code
 * families; test for them with `instanceof`, or for any SDK error with {@link isOpenVError}.
 *
 * @example
 * ```ts
 * try {
 *   await client.generate({ prompt: "a fox in the snow" });
 * } catch (error) {
 *   if (error instanceof QuotaExceededError) showUpgrade(error.remainingSeconds);
 *   else if (isOpenVError(error)) console.error(error.code, error.requestId);
 *   else throw error;
 * }
 * ```
 */
export class OpenVClientError extends Error {
  /** Always `"OpenVClientError"`. */
  override name = "OpenVClientError";
  /** The contract's error code, or `network_error` / `timeout` / `aborted` / `invalid_response` / `video_failed` / `invalid_webhook`. */
  readonly code: string;
  /** The HTTP status of the answer; null when no answer arrived (network errors, timeouts, aborts). */
  readonly status: number | null;
  /** The server's `X-Request-Id` for the answer (quote it in bug reports); null when it sent none. */
  readonly requestId: string | null;
  /** The `details` of the contract's error body, as sent. */
  readonly details: Record<string, unknown> | null;
  /** Seconds the server asked the client to wait before trying again (`Retry-After`); null when it did not say. */
  readonly retryAfterSeconds: number | null;

  constructor(options: OpenVClientErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status ?? null;
    this.requestId = options.requestId ?? null;
    this.details = options.details ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
    Object.defineProperty(this, brand, { value: true });
  }
}

/**
 * 400 `validation_failed` (or 413 `payload_too_large`, 415 `unsupported_media_type`): the request
 * does not match the contract.
 */
export class ValidationError extends OpenVClientError {
  /** Always `"ValidationError"`. */
  override name = "ValidationError";
  /** Each field problem the server reported (`details.issues`); empty when it listed none. */
  readonly issues: ValidationIssue[];

  constructor(options: OpenVClientErrorOptions) {
    super(options);
    const parsed = ValidationIssuesSchema.safeParse(options.details?.issues);
    this.issues = parsed.success ? parsed.data : [];
  }
}

/** 401 `unauthorized`: no or invalid credentials (or `getToken` failed). */
export class UnauthorizedError extends OpenVClientError {
  /** Always `"UnauthorizedError"`. */
  override name = "UnauthorizedError";
}

/** 403 `terms_required`: the user must accept the current terms version first. */
export class TermsRequiredError extends OpenVClientError {
  /** Always `"TermsRequiredError"`. */
  override name = "TermsRequiredError";
  /** The terms version to accept with `client.acceptTerms(version)`; empty when the server did not say. */
  readonly version: string;

  constructor(options: OpenVClientErrorOptions) {
    super(options);
    const version = options.details?.version;
    this.version = typeof version === "string" ? version : "";
  }
}

/**
 * 403 `quota_exceeded`: the request would take the user past the period's seconds. The numbers are
 * the server's; `NaN` only if a server broke the contract and sent none.
 */
export class QuotaExceededError extends OpenVClientError {
  /** Always `"QuotaExceededError"`. */
  override name = "QuotaExceededError";
  /** Seconds allowed in the period. */
  readonly limitSeconds: number;
  /** Seconds already used in the period. */
  readonly usedSeconds: number;
  /** Seconds left in the period. */
  readonly remainingSeconds: number;
  /** Seconds the refused request asked for. */
  readonly requestedSeconds: number;

  constructor(options: OpenVClientErrorOptions) {
    super(options);
    const parsed = QuotaExceededDetailsSchema.safeParse(options.details);
    const usage = parsed.success ? parsed.data : null;
    this.limitSeconds = usage?.limitSeconds ?? Number.NaN;
    this.usedSeconds = usage?.usedSeconds ?? Number.NaN;
    this.remainingSeconds = usage?.remainingSeconds ?? Number.NaN;
    this.requestedSeconds = usage?.requestedSeconds ?? Number.NaN;
  }
}

/**
 * 402 `insufficient_credits` (credits billing): the user's balance is below the model's price.
 * Nothing was charged; add credits (an admin can with `client.grantCredits`) or pick a cheaper
 * model from `client.models()`. The numbers are the server's; `NaN` (and `model` empty) only if a
 * server broke the contract and sent none.
 */
export class InsufficientCreditsError extends OpenVClientError {
  /** Always `"InsufficientCreditsError"`. */
  override name = "InsufficientCreditsError";
  /** The user's credit balance when the request was refused. */
  readonly balance: number;
  /** What the refused video costs: the model's price in credits. */
  readonly price: number;
  /** The model the refused request asked for. */
  readonly model: string;

  constructor(options: OpenVClientErrorOptions) {
    super(options);
    const parsed = InsufficientCreditsDetailsSchema.safeParse(options.details);
    const details = parsed.success ? parsed.data : null;
    this.balance = details?.balance ?? Number.NaN;
    this.price = details?.price ?? Number.NaN;
    this.model = details?.model ?? "";
  }
}

/**
 * 403 `forbidden`: signed in, but not allowed to do this — e.g. `grantCredits` by a user who is
 * not an admin. Retrying will not help; sign in as an admin or ask one.
 */
export class ForbiddenError extends OpenVClientError {
  /** Always `"ForbiddenError"`. */
  override name = "ForbiddenError";
}

/** 404 `not_found`: no such video for this user (or it was deleted). */
export class NotFoundError extends OpenVClientError {
  /** Always `"NotFoundError"`. */
  override name = "NotFoundError";
}

/**
 * 405 `method_not_allowed`: the path exists but does not take this method (a client and server of
 * different versions, or a proxy rewriting the request). `allow` lists the methods it does take,
 * from the `Allow` header; update the SDK or the server so they match.
 */
export class MethodNotAllowedError extends OpenVClientError {
  /** Always `"MethodNotAllowedError"`. */
  override name = "MethodNotAllowedError";
  /** The methods the path takes (the answer's `Allow` header), upper case; empty when it sent none. */
  readonly allow: readonly string[];

  constructor(options: OpenVClientErrorOptions & { allow?: readonly string[] | undefined }) {
    super(options);
    this.allow = Object.freeze([...(options.allow ?? [])]);
  }
}

/**
 * 409 / 422: the request conflicts with the server's state — `too_many_active_jobs`,
 * `terms_version_mismatch`, `idempotency_conflict` (same key, other body) or `idempotency_in_progress`.
 * Read `code` and `details` for which.
 */
export class ConflictError extends OpenVClientError {
  /** Always `"ConflictError"`. */
  override name = "ConflictError";
}

/** 429 `rate_limited`: too many requests; `retryAfterSeconds` says when to try again. */
export class RateLimitedError extends OpenVClientError {
  /** Always `"RateLimitedError"`. */
  override name = "RateLimitedError";
}

/** 502 `provider_unavailable`: the video provider refused or is down; nothing was charged. */
export class ProviderUnavailableError extends OpenVClientError {
  /** Always `"ProviderUnavailableError"`. */
  override name = "ProviderUnavailableError";
}

/** Any other 5xx (`internal_error`, `service_unavailable`, a proxy's error page). */
export class ServerError extends OpenVClientError {
  /** Always `"ServerError"`. */
  override name = "ServerError";
}

/** No answer arrived: the server could not be reached or the connection broke. */
export class NetworkError extends OpenVClientError {
  /** Always `"NetworkError"`. */
  override name = "NetworkError";
  /**
   * The URL that did not answer, when known: a UI can tell a cross-origin server (whose
   * `allowedOrigins` may not list the page) from a dropped connection.
   */
  readonly url: string | null;

  constructor(options: OpenVClientErrorOptions & { url?: string | null | undefined }) {
    super(options);
    this.url = options.url ?? null;
  }
}

/** No answer within the time allowed (`timeoutMs`), or a 408 from the server or a proxy. */
export class TimeoutError extends OpenVClientError {
  /** Always `"TimeoutError"`. */
  override name = "TimeoutError";
}

/** The caller's `AbortSignal` fired, or the watcher was closed. */
export class AbortError extends OpenVClientError {
  /** Always `"AbortError"`. */
  override name = "AbortError";
}

/** A video the caller was waiting for failed; `video.error` says why. */
export class VideoFailedError extends OpenVClientError {
  /** Always `"VideoFailedError"`. */
  override name = "VideoFailedError";
  /** The failed video as the watcher last saw it. */
  readonly video: Video;

  constructor(video: Video) {
    super({
      code: "video_failed",
      message: `Video ${video.id} failed: ${video.error?.message ?? "no reason given"}`,
      details: video.error ? { ...video.error } : null,
    });
    this.video = video;
  }
}

/** Why {@link verifyWebhook} refused a webhook request. */
export type OpenVWebhookErrorReason =
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing, or the timestamp is not a number. */
  | "missing_headers"
  /** No `v1` signature matches the body with this secret: a forged or altered request, or the wrong secret. */
  | "bad_signature"
  /** `webhook-timestamp` is more than 5 minutes away from now: a replay, or a clock that is off. */
  | "stale_timestamp"
  /** Correctly signed, but the body is not an OpenV event this SDK knows. */
  | "invalid_payload";

/**
 * A webhook request that {@link verifyWebhook} refused: `reason` says why. Answer it with a 4xx
 * (400 or 401) so nothing acts on it; a genuine message that failed for a passing reason (an
 * outage, a clock) is sent again by the server.
 */
export class OpenVWebhookError extends OpenVClientError {
  /** Always `"OpenVWebhookError"`. */
  override name = "OpenVWebhookError";
  /** Why the request was refused. */
  readonly reason: OpenVWebhookErrorReason;

  constructor(reason: OpenVWebhookErrorReason, message: string, cause?: unknown) {
    super({ code: "invalid_webhook", message, ...(cause !== undefined && { cause }) });
    this.reason = reason;
  }
}

/**
 * True for every error the SDK throws or emits, whichever copy of the SDK made it.
 *
 * @example
 * ```ts
 * if (isOpenVError(error) && error.requestId) report(error.requestId);
 * ```
 */
export function isOpenVError(value: unknown): value is OpenVClientError {
  return typeof value === "object" && value !== null && (value as { [brand]?: unknown })[brand] === true;
}
