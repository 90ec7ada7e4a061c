/** The rules the core enforces; the reference server reads them from the environment (shared/API.md). */
export interface LifecycleConfig {
  /** Seconds of video a user may generate per period. Default 600. */
  monthlyLimitSeconds: number;
  /** A fixed quota period used instead of the UTC month while now is inside it. */
  limitStartDate: Date | null;
  /** The end (exclusive) of the fixed quota period; both dates must be set for it to apply. */
  limitEndDate: Date | null;
  /** The terms version users must accept before generating. Default "1.0.0". */
  termsVersion: string;
  /** Resubmissions of a video after retryable failures. Default 2. */
  maxRetries: number;
  /** Videos a user may have queued or processing at once. Default 3. */
  maxActiveJobs: number;
  /** How long an Idempotency-Key's response is kept. Default 24 h. */
  idempotencyTtlMs: number;
  /**
   * How videos are paid for: `seconds` (the monthly allowance above) or `credits` (a prepaid
   * balance, each model's price in the catalog). Default `seconds`.
   */
  billing: "seconds" | "credits";
  /** Users who may grant credits (`POST /admin/credits`) and manage vouchers (`/admin/vouchers`). Default none. */
  adminUserIds: readonly string[];
  /**
   * Invite-only access (access21): `open` admits everyone; `invite` makes new users `restricted`
   * (no generate, remix or uploads) until they redeem a voucher an admin issued. Default `open`.
   */
  access: "open" | "invite";
}

/** The default rules, as documented on each `LifecycleConfig` field. */
export const defaultLifecycleConfig: LifecycleConfig = {
  monthlyLimitSeconds: 600,
  limitStartDate: null,
  limitEndDate: null,
  termsVersion: "1.0.0",
  maxRetries: 2,
  maxActiveJobs: 3,
  idempotencyTtlMs: 24 * 60 * 60 * 1000,
  billing: "seconds",
  adminUserIds: [],
  access: "open",
};

/**
 * The quota period containing `now`: the configured range while inside it, else the UTC month.
 * Reads (usage) use this; the admission's charge applies the same rule in SQL, by the database
 * clock (migration 20261207120000_admit_video).
 */
export function quotaPeriod(
  config: LifecycleConfig,
  now: Date,
): {
  /** The first instant of the period. */
  start: Date;
  /** The first instant after the period. */
  end: Date;
} {
  const { limitStartDate: start, limitEndDate: end } = config;
  if (start && end && now >= start && now < end) return { start, end };
  return {
    start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
  };
}

/**
 * Parses LIMIT_START_DATE / LIMIT_END_DATE. A date without a time covers that whole UTC day, so an
 * end date of "2026-12-31" ends at 2027-01-01T00:00:00Z.
 */
export function parseLimitDate(value: string | undefined, edge: "start" | "end"): Date | null {
  if (!value) return null;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const date = new Date(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`LIMIT_${edge.toUpperCase()}_DATE "${value}" is not a date; use YYYY-MM-DD or an ISO-8601 time.`);
  }
  if (dateOnly && edge === "end") date.setUTCDate(date.getUTCDate() + 1);
  return date;
}
