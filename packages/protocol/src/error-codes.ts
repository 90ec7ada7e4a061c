import * as z from "zod/mini";

/** Every error code of the contract with its HTTP status (shared/API.md, "Conventions"). */
export const errorStatusByCode = {
  /** The body or query does not match the schema; `details.issues` lists each field. */
  validation_failed: 400,
  /** No or invalid credentials: session token, webhook token or signature. */
  unauthorized: 401,
  /** Not enough credits for the model's price; `details` is {@link InsufficientCreditsDetails}. */
  insufficient_credits: 402,
  /** Authenticated, but not allowed (an admin route called by a user who is not an admin). */
  forbidden: 403,
  /** The current terms version is not accepted; `details.version` names it. */
  terms_required: 403,
  // Invite-only access (access21):
  /**
   * Invite-only server and the user has not redeemed a voucher yet: `details.role` is `restricted`;
   * the message names the redeem route under the server's prefix.
   */
  access_restricted: 403,
  /** A voucher that cannot be redeemed; `details.reason` is `unknown`, `expired`, `deactivated` or `used_up`. */
  voucher_invalid: 400,
  /** The period's seconds would be exceeded; `details` is {@link QuotaExceededDetails}. */
  quota_exceeded: 403,
  /** No such resource for this user (other users' videos are 404 too). */
  not_found: 404,
  /** The path exists but not with this method; the `Allow` header lists the methods it takes. */
  method_not_allowed: 405,
  /** The body is larger than the server accepts. */
  payload_too_large: 413,
  /**
   * An upload is not of a type the server accepts (judged from its content, not its name); e.g. an
   * MP4 or a GIF sent as an input image. `details.detected` names what it is (null when unrecognised)
   * and `details.accepted` lists the media types accepted.
   */
  unsupported_media_type: 415,
  /** The same `Idempotency-Key` came with another body. */
  idempotency_conflict: 422,
  /** The same `Idempotency-Key` while its first request is still running. */
  idempotency_in_progress: 409,
  /** Accepting a terms version that is not the current one. */
  terms_version_mismatch: 409,
  /** The user already has the most videos queued or processing; `details.active`, `details.limit`. */
  too_many_active_jobs: 409,
  // Remix (issue 21)
  /** The video is not `completed` yet (or failed): it cannot be remixed. `details.status` says where it stands. */
  video_not_completed: 409,
  /** Too many requests; see `Retry-After`. */
  rate_limited: 429,
  /** A bug or an unexpected failure on the server; it is logged. */
  internal_error: 500,
  /** The video provider refused or is down; nothing was charged. */
  provider_unavailable: 502,
  /** A service the server needs (database, auth) cannot answer right now; see `Retry-After`. */
  service_unavailable: 503,
} as const;

/** An error code of the contract. */
export type ErrorCode = keyof typeof errorStatusByCode;
/** Every error code of the contract. */
export const errorCodes = Object.keys(errorStatusByCode) as [ErrorCode, ...ErrorCode[]];
/** An error code of the contract. */
export const ErrorCodeSchema = z.enum(errorCodes);
