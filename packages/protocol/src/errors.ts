import { z } from "zod";

/** Every error code of the contract with its HTTP status (shared/API.md, "Conventions"). */
export const errorStatusByCode = {
  validation_failed: 400,
  unauthorized: 401,
  terms_required: 403,
  quota_exceeded: 403,
  not_found: 404,
  payload_too_large: 413,
  idempotency_conflict: 422,
  idempotency_in_progress: 409,
  terms_version_mismatch: 409,
  too_many_active_jobs: 409,
  rate_limited: 429,
  internal_error: 500,
  provider_unavailable: 502,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatusByCode;
export const errorCodes = Object.keys(errorStatusByCode) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = z.enum(errorCodes);

/** The body of every error answer: `{error: {code, message, details?}}`. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** One field problem in `details.issues` of a `validation_failed` error. */
export const ValidationIssueSchema = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
  code: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const QuotaExceededDetailsSchema = z.object({
  limitSeconds: z.number(),
  usedSeconds: z.number(),
  remainingSeconds: z.number(),
  requestedSeconds: z.number(),
});
export type QuotaExceededDetails = z.infer<typeof QuotaExceededDetailsSchema>;
