import { headers, waitHeaders } from "@openv/protocol";

/** Which browser origins may call the API from another origin. */
export interface CorsOptions {
  /**
   * Origins allowed to call the API from the browser: exact origins (`"https://app.example.com"`)
   * or a predicate. Absent: no CORS headers at all (same-origin apps only).
   */
  allowedOrigins?: readonly string[] | ((origin: string) => boolean);
  /**
   * Let allowed origins send cookies (`Access-Control-Allow-Credentials: true`), for cookie-based
   * auth such as Clerk's `__session`. Default false: bearer tokens need no credentials.
   */
  allowCredentials?: boolean;
}

const allowedMethods = "GET, HEAD, POST, DELETE, OPTIONS";
/** Request headers a cross-origin client may send. */
const allowedHeaders = [
  "authorization",
  "content-type",
  headers.idempotencyKey,
  headers.lastEventId,
  "x-openv-user",
  headers.requestId,
  waitHeaders.prefer, // Wait (eta21)
].join(", ");
/** Response headers a cross-origin client may read. */
const exposedHeaders = [
  "retry-after",
  headers.idempotentReplayed,
  waitHeaders.preferenceApplied, // Wait (eta21)
  headers.requestId,
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
].join(", ");

/** CORS decisions, shared by every binding. */
export class Cors {
  readonly #allows: ((origin: string) => boolean) | null;
  readonly #credentials: boolean;

  constructor(options: CorsOptions) {
    const { allowedOrigins } = options;
    if (typeof allowedOrigins === "function") this.#allows = allowedOrigins;
    else if (allowedOrigins) {
      const exact = new Set(allowedOrigins.map((origin) => new URL(origin).origin));
      this.#allows = (origin) => exact.has(origin);
    } else this.#allows = null;
    this.#credentials = options.allowCredentials ?? false;
  }

  #allowed(origin: string | undefined): origin is string {
    return origin !== undefined && origin !== "null" && this.#allows?.(origin) === true;
  }

  /** Whether `method`/`requestHeaders` make this a CORS preflight that this configuration answers. */
  isPreflight(method: string, requestHeaders: Record<string, string | undefined>): boolean {
    return (
      this.#allows !== null && method === "OPTIONS" && requestHeaders["access-control-request-method"] !== undefined
    );
  }

  /** Headers of a preflight answer (204): none for an origin that is not allowed. */
  preflightHeaders(origin: string | undefined): Record<string, string> {
    if (!this.#allowed(origin)) return { vary: "Origin" };
    return {
      ...this.#common(origin),
      "access-control-allow-methods": allowedMethods,
      "access-control-allow-headers": allowedHeaders,
      "access-control-max-age": "600",
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    };
  }

  /** Headers added to every actual answer: none for an origin that is not allowed. */
  responseHeaders(origin: string | undefined): Record<string, string> {
    if (this.#allows === null) return {};
    if (!this.#allowed(origin)) return { vary: "Origin" };
    return { ...this.#common(origin), "access-control-expose-headers": exposedHeaders, vary: "Origin" };
  }

  #common(origin: string): Record<string, string> {
    return {
      "access-control-allow-origin": origin,
      ...(this.#credentials && { "access-control-allow-credentials": "true" }),
    };
  }
}
