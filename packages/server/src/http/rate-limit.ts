import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { OpenVError } from "../core/errors.js";

/** A number of requests per window. */
export interface RateLimit {
  /** Requests allowed in each window. */
  max: number;
  /** The window length in milliseconds. */
  timeWindowMs: number;
}

/** Limits on generate requests (`POST /videos`, `POST /runpod`); `false` turns one off. */
export interface GenerateRateLimits {
  /** Per authenticated user. Default 60 a minute. */
  perUser?: RateLimit | false;
  /**
   * Per client IP address, for authenticated requests (checked after authentication, so strangers
   * cannot spend it). Default 300 a minute.
   */
  perIp?: RateLimit | false;
  /**
   * Per client IP address, for requests whose authentication failed: counted apart, so a flood of
   * bad credentials from an address shared with real users (a load balancer, an office) never
   * locks those users out. Over it, such requests get 429 instead of 401. Default 60 a minute.
   */
  perIpUnauthenticated?: RateLimit | false;
}

export const defaultGenerateRateLimits = {
  perUser: { max: 60, timeWindowMs: 60_000 },
  perIp: { max: 300, timeWindowMs: 60_000 },
  perIpUnauthenticated: { max: 60, timeWindowMs: 60_000 },
} as const satisfies GenerateRateLimits;

/** What a limit counts by, and how its message says so. */
const scopes = {
  user: "for this user",
  ip: "from this address",
  unauthenticated: "with failed authentication from this address",
} as const;

class Limiter {
  readonly #limiter: RateLimiterMemory;
  readonly #scope: keyof typeof scopes;
  readonly #max: number;

  constructor(limit: RateLimit, scope: keyof typeof scopes) {
    this.#max = limit.max;
    this.#scope = scope;
    this.#limiter = new RateLimiterMemory({ points: limit.max, duration: Math.max(limit.timeWindowMs / 1000, 0.001) });
  }

  /** Counts one request for `key`; throws `rate_limited` (with Retry-After) over the limit. */
  async consume(key: string): Promise<{ limit: number; remaining: number }> {
    try {
      const result = await this.#limiter.consume(key);
      return { limit: this.#max, remaining: result.remainingPoints };
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw new OpenVError({
        code: "rate_limited",
        message: `Too many generate requests ${scopes[this.#scope]}: at most ${this.#max} per window. Retry after ${retryAfterSeconds} s.`,
        details: { limit: this.#max, scope: this.#scope },
        retryAfterSeconds,
      });
    }
  }
}

/**
 * Generate request limits per user and per IP, in this process's memory (with several instances,
 * each counts its own requests).
 */
export class GenerateRateLimiter {
  readonly #perUser: Limiter | null;
  readonly #perIp: Limiter | null;
  readonly #perIpUnauthenticated: Limiter | null;

  constructor(limits: GenerateRateLimits | false) {
    const { perUser, perIp, perIpUnauthenticated }: GenerateRateLimits =
      limits === false
        ? { perUser: false, perIp: false, perIpUnauthenticated: false }
        : { ...defaultGenerateRateLimits, ...limits };
    this.#perUser = perUser ? new Limiter(perUser, "user") : null;
    this.#perIp = perIp ? new Limiter(perIp, "ip") : null;
    this.#perIpUnauthenticated = perIpUnauthenticated ? new Limiter(perIpUnauthenticated, "unauthenticated") : null;
  }

  /** Counts an authenticated request from `ip` (unknown: not limited by address). */
  async checkIp(ip: string | undefined): Promise<void> {
    if (this.#perIp && ip) await this.#perIp.consume(ip);
  }

  /**
   * Counts a request from `ip` whose authentication failed; throws `rate_limited` once that
   * address has failed too often (its budget is separate from authenticated users').
   */
  async countFailedAuthentication(ip: string | undefined): Promise<void> {
    if (this.#perIpUnauthenticated && ip) await this.#perIpUnauthenticated.consume(ip);
  }

  /** Counts a request by `userId`; the answer's `x-ratelimit-*` headers. */
  async checkUser(userId: string): Promise<Record<string, string>> {
    if (!this.#perUser) return {};
    const { limit, remaining } = await this.#perUser.consume(userId);
    return { "x-ratelimit-limit": String(limit), "x-ratelimit-remaining": String(remaining) };
  }
}
