import { describe, expect, it } from "vitest";
import { errorFromResponse, parseRetryAfter } from "../src/_internal/http-error.js";
import { RateLimitedError, ServerError } from "../src/index.js";

describe("reading an error answer", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-21T12:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2);
    expect(parseRetryAfter("Sat, 21 Nov 2026 12:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Sat, 21 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it("types by the contract's code first, then by status", () => {
    const headers = new Headers({ "retry-after": "3", "x-request-id": "r1" });
    const limited = errorFromResponse(429, headers, { error: { code: "rate_limited", message: "slow down" } });
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited).toMatchObject({ retryAfterSeconds: 3, requestId: "r1", message: "slow down" });
    const gateway = errorFromResponse(504, new Headers(), "<html>Gateway Timeout</html>");
    expect(gateway).toBeInstanceOf(ServerError);
    expect(gateway).toMatchObject({ status: 504, code: "http_504", requestId: null });
  });
});
