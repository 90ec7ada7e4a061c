import { describe, expect, it } from "vitest";
import { errorFromResponse, parseRetryAfter } from "../src/_internal/http-error.js";
import { MethodNotAllowedError, RateLimitedError, ServerError } from "../src/index.js";

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

  it("types a 405 method_not_allowed and reads the methods the path takes from Allow", () => {
    const headers = new Headers({ allow: "GET, DELETE", "x-request-id": "r2" });
    const refused = errorFromResponse(405, headers, {
      error: { code: "method_not_allowed", message: "PUT is not allowed on /videos/v1" },
    });
    expect(refused).toBeInstanceOf(MethodNotAllowedError);
    expect(refused).toMatchObject({
      code: "method_not_allowed",
      status: 405,
      allow: ["GET", "DELETE"],
      requestId: "r2",
    });
    // A proxy's bare 405 is the same family.
    const bare = errorFromResponse(405, new Headers(), "Method Not Allowed");
    expect(bare).toBeInstanceOf(MethodNotAllowedError);
    expect(bare).toMatchObject({ code: "http_405", allow: [] });
  });
});
