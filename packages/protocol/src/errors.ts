import * as z from "zod/mini";
import { integer } from "./formats.js";

/** The body of every error answer: `{error: {code, message, details?}}`. */
export const ErrorBodySchema = z.object({
  /** The error. */
  error: z.object({
    /** An {@link ErrorCode}; clients should accept codes they do not know. */
    code: z.string(),
    /** What went wrong and what to do next, for people. */
    message: z.string(),
    /** Facts about the error, per code (see {@link errorStatusByCode}). */
    details: z.optional(z.looseObject({})),
  }),
});
/** The body of every error answer. */
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** One field problem in `details.issues` of a `validation_failed` error. */
export const ValidationIssueSchema = z.object({
  /** Where the problem is, e.g. `["input", "width"]`; empty for the whole body. */
  path: z.array(z.union([z.string(), z.number()])),
  /** What is wrong, for people. */
  message: z.string(),
  /** zod's issue code, e.g. `too_small`. */
  code: z.string(),
});
/** One field problem of a `validation_failed` error. */
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

/** The `details.issues` list of a `validation_failed` error. */
export const ValidationIssuesSchema = z.array(ValidationIssueSchema);

/** The `details` of a `quota_exceeded` error. */
export const QuotaExceededDetailsSchema = z.object({
  /** Seconds allowed in the period. */
  limitSeconds: z.number(),
  /** Seconds already used in the period. */
  usedSeconds: z.number(),
  /** Seconds left in the period. */
  remainingSeconds: z.number(),
  /** Seconds the refused request asked for. */
  requestedSeconds: z.number(),
});
/** The `details` of a `quota_exceeded` error. */
export type QuotaExceededDetails = z.infer<typeof QuotaExceededDetailsSchema>;

/** `details` of an `insufficient_credits` error. */
export const InsufficientCreditsDetailsSchema = z.object({
  /** The user's balance. */
  balance: integer(),
  /** What the video costs (the model's price). */
  price: integer(),
  /** The model asked for. */
  model: z.string(),
});
/** `details` of an `insufficient_credits` error (see {@link InsufficientCreditsDetailsSchema}). */
export type InsufficientCreditsDetails = z.infer<typeof InsufficientCreditsDetailsSchema>;
