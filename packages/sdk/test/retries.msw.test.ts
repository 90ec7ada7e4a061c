// Retries, idempotency and typed errors over a fake network (msw). No real server in this file.
import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AbortError,
  ConflictError,
  createClient,
  NetworkError,
  NotFoundError,
  type OpenVClient,
  OpenVClientError,
  ProviderUnavailableError,
  QuotaExceededError,
  RateLimitedError,
  ServerError,
  TermsRequiredError,
  TimeoutError,
  UnauthorizedError,
  ValidationError,
} from "../src/index.js";
import { errorBody, usage, video } from "./support/fixtures.js";

const base = "http://openv.test/api";
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

const fastClient = (options: Partial<Parameters<typeof createClient>[0]> = {}): OpenVClient =>
  createClient({ baseUrl: base, retryDelayMs: 5, maxRetryDelayMs: 20, ...options });

const accepted = () => HttpResponse.json({ video: video("v1", "queued", 1000), usage }, { status: 202 });

describe("retries", () => {
  it("5 network errors then success: one submission, every attempt with the same idempotency key", async () => {
    const keys: (string | null)[] = [];
    network.use(
      http.post(`${base}/videos`, ({ request }) => {
        keys.push(request.headers.get("idempotency-key"));
        return keys.length <= 5 ? HttpResponse.error() : accepted();
      }),
    );
    const result = await fastClient({ maxRetries: 5 }).generate({ prompt: "a fox" });
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(result.idempotencyKey).toBe(keys[0]);
    expect(result.video.id).toBe("v1");
    expect(result.replayed).toBe(false);
  });

  it("each generate call gets its own key; a caller's key is sent as given", async () => {
    const keys: (string | null)[] = [];
    network.use(
      http.post(`${base}/videos`, ({ request }) => {
        keys.push(request.headers.get("idempotency-key"));
        return accepted();
      }),
    );
    const client = fastClient();
    await client.generate({ prompt: "a" });
    await client.generate({ prompt: "a" });
    await client.generate({ prompt: "a" }, { idempotencyKey: "checkout-7" });
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe("checkout-7");
  });

  it("gives up after maxRetries with the last error, typed, with its request id", async () => {
    let calls = 0;
    network.use(
      http.get(`${base}/usage`, () => {
        calls++;
        return HttpResponse.json(errorBody("service_unavailable"), {
          status: 503,
          headers: { "x-request-id": "req-9" },
        });
      }),
    );
    const error = await fastClient({ maxRetries: 2 })
      .usage()
      .catch((caught: unknown) => caught);
    expect(calls).toBe(3);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 503, code: "service_unavailable", requestId: "req-9" });
  });

  it("retries 408, 429 and 5xx on reads, deletes and terms", async () => {
    const statuses = [408, 429, 500, 502, 504];
    let reads = 0;
    let deletes = 0;
    network.use(
      http.get(`${base}/videos/v1`, () => {
        const status = statuses[reads++];
        return status ? new HttpResponse(null, { status }) : HttpResponse.json({ video: video("v1", "queued", 1) });
      }),
      http.delete(`${base}/videos`, () =>
        deletes++ === 0
          ? HttpResponse.json(errorBody("internal_error"), { status: 500 })
          : HttpResponse.json({ deleted: ["v1"] }),
      ),
    );
    const client = fastClient({ maxRetries: 5 });
    expect((await client.get("v1")).id).toBe("v1");
    expect(reads).toBe(6);
    expect(await client.delete("v1")).toEqual(["v1"]);
    expect(deletes).toBe(2);
  });

  it("`Retry-After: 2` is waited out before the next attempt", async () => {
    const times: number[] = [];
    network.use(
      http.get(`${base}/usage`, () => {
        times.push(performance.now());
        return times.length === 1
          ? HttpResponse.json(errorBody("rate_limited"), { status: 429, headers: { "retry-after": "2" } })
          : HttpResponse.json(usage);
      }),
    );
    expect(await fastClient().usage()).toEqual(usage);
    expect(times).toHaveLength(2);
    const waited = (times[1] ?? 0) - (times[0] ?? 0);
    expect(waited).toBeGreaterThanOrEqual(1950);
    expect(waited).toBeLessThan(3000);
  });

  it("a Retry-After longer than maxRetryAfterMs fails at once with RateLimitedError and the seconds", async () => {
    let calls = 0;
    network.use(
      http.post(`${base}/videos`, () => {
        calls++;
        return HttpResponse.json(errorBody("rate_limited"), { status: 429, headers: { "retry-after": "120" } });
      }),
    );
    const error = await fastClient()
      .generate({ prompt: "a" })
      .catch((caught: unknown) => caught);
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 120 });
  });

  it("abort during a retry wait rejects at once and sends nothing more", async () => {
    let calls = 0;
    let firstCall!: () => void;
    const answered = new Promise<void>((resolve) => {
      firstCall = resolve;
    });
    network.use(
      http.post(`${base}/videos`, () => {
        calls++;
        firstCall();
        return HttpResponse.json(errorBody("service_unavailable"), { status: 503, headers: { "retry-after": "30" } });
      }),
    );
    const controller = new AbortController();
    const pending = fastClient().generate({ prompt: "a" }, { signal: controller.signal });
    // Abort once the first attempt has been answered with "retry after 30 s", i.e. during that wait
    // (waiting on the request itself, not a fixed delay, keeps this true on a busy machine).
    await answered;
    await delay(20);
    const abortedAt = performance.now();
    controller.abort();
    const error = await pending.catch((caught: unknown) => caught);
    const settled = performance.now();
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ code: "aborted", status: null });
    // "At once": long before the 30 s the server asked for (a bound no busy machine comes near).
    expect(settled - abortedAt).toBeLessThan(5_000);
    await delay(50);
    expect(calls).toBe(1);
  });

  it("an already-aborted signal sends nothing", async () => {
    let calls = 0;
    network.use(
      http.get(`${base}/usage`, () => {
        calls++;
        return HttpResponse.json(usage);
      }),
    );
    await expect(fastClient().usage({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(calls).toBe(0);
  });

  it("a slow attempt times out, is retried, and ends as TimeoutError", async () => {
    let calls = 0;
    network.use(
      http.get(`${base}/usage`, async () => {
        calls++;
        await delay(500);
        return HttpResponse.json(usage);
      }),
    );
    const error = await fastClient({ maxRetries: 1, timeoutMs: 50 })
      .usage()
      .catch((caught: unknown) => caught);
    expect(calls).toBe(2);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: "timeout", status: null });
  });

  it("a network error that outlasts the retries is a NetworkError", async () => {
    network.use(http.get(`${base}/terms/check`, () => HttpResponse.error()));
    const error = await fastClient({ maxRetries: 1 })
      .checkTerms()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "network_error", status: null, requestId: null });
  });

  it("a submit's 409 idempotency_in_progress (its own lost first attempt) is retried with the same key", async () => {
    const keys: (string | null)[] = [];
    network.use(
      http.post(`${base}/videos`, ({ request }) => {
        keys.push(request.headers.get("idempotency-key"));
        if (keys.length === 1) return HttpResponse.error();
        if (keys.length === 2) return HttpResponse.json(errorBody("idempotency_in_progress"), { status: 409 });
        return HttpResponse.json(
          { video: video("v1", "queued", 1), usage },
          {
            status: 202,
            headers: { "idempotent-replayed": "true" },
          },
        );
      }),
    );
    const result = await fastClient().generate({ prompt: "a" });
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(result.replayed).toBe(true);
  });
});

describe("contract errors are typed and never retried", () => {
  const cases = [
    {
      status: 400,
      body: errorBody("validation_failed", "bad", {
        issues: [{ path: ["frames"], message: "frames must be 1 more than a multiple of 6", code: "custom" }],
      }),
      type: ValidationError,
    },
    { status: 401, body: errorBody("unauthorized"), type: UnauthorizedError },
    { status: 403, body: errorBody("terms_required", "accept", { version: "2.0.0" }), type: TermsRequiredError },
    {
      status: 403,
      body: errorBody("quota_exceeded", "over", {
        limitSeconds: 600,
        usedSeconds: 599,
        remainingSeconds: 1,
        requestedSeconds: 5,
      }),
      type: QuotaExceededError,
    },
    { status: 404, body: errorBody("not_found"), type: NotFoundError },
    { status: 409, body: errorBody("too_many_active_jobs", "wait", { active: 3, limit: 3 }), type: ConflictError },
    { status: 422, body: errorBody("idempotency_conflict"), type: ConflictError },
    { status: 413, body: errorBody("payload_too_large"), type: ValidationError },
    { status: 415, body: errorBody("unsupported_media_type"), type: ValidationError },
    { status: 502, body: errorBody("provider_unavailable"), type: ProviderUnavailableError },
  ] as const;

  for (const { status, body, type } of cases) {
    it(`${status} ${body.error.code} → ${type.name}`, async () => {
      let calls = 0;
      network.use(
        http.post(`${base}/videos`, () => {
          calls++;
          return HttpResponse.json(body, { status, headers: { "x-request-id": `req-${status}` } });
        }),
      );
      const error = await fastClient({ maxRetries: status === 502 ? 0 : 3 })
        .generate({ prompt: "a" })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(OpenVClientError);
      expect(error).toMatchObject({ status, code: body.error.code, requestId: `req-${status}` });
      expect(calls).toBe(1);
    });
  }

  it("the typed classes carry the contract's details", async () => {
    let index = 0;
    network.use(
      http.post(`${base}/videos`, () => {
        const answer = cases[index++ % cases.length] ?? cases[0];
        return HttpResponse.json(answer.body, { status: answer.status });
      }),
    );
    const client = fastClient({ maxRetries: 0 });
    const errors = [];
    for (let i = 0; i < cases.length; i++)
      errors.push(await client.generate({ prompt: "a" }).catch((caught: unknown) => caught));
    expect((errors[0] as ValidationError).issues).toEqual([
      { path: ["frames"], message: "frames must be 1 more than a multiple of 6", code: "custom" },
    ]);
    expect((errors[2] as TermsRequiredError).version).toBe("2.0.0");
    expect(errors[3]).toMatchObject({ limitSeconds: 600, usedSeconds: 599, remainingSeconds: 1, requestedSeconds: 5 });
    expect((errors[5] as ConflictError).details).toEqual({ active: 3, limit: 3 });
  });

  it("an error answer that is not the contract's envelope is still typed by status", async () => {
    network.use(
      http.get(
        `${base}/videos/v1`,
        () => new HttpResponse("<html>gone</html>", { status: 404, headers: { "content-type": "text/html" } }),
      ),
    );
    const error = await fastClient()
      .get("v1")
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: "http_404" });
  });

  it("a 2xx answer that does not match the contract is an invalid_response error, not retried", async () => {
    let calls = 0;
    network.use(
      http.get(`${base}/usage`, () => {
        calls++;
        return HttpResponse.json({ usedSeconds: "lots" });
      }),
    );
    const error = await fastClient()
      .usage()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenVClientError);
    expect(error).toMatchObject({ code: "invalid_response", status: 200 });
    expect(calls).toBe(1);
  });
});

describe("auth and headers", () => {
  it("asks getToken before every attempt and sends it as a bearer token with the client's headers", async () => {
    const seen: { authorization: string | null; app: string | null }[] = [];
    network.use(
      http.get(`${base}/usage`, ({ request }) => {
        seen.push({ authorization: request.headers.get("authorization"), app: request.headers.get("x-app") });
        return seen.length === 1 ? new HttpResponse(null, { status: 503 }) : HttpResponse.json(usage);
      }),
    );
    let token = 0;
    const client = fastClient({ getToken: async () => `token-${++token}`, headers: { "x-app": "gallery" } });
    await client.usage();
    expect(seen).toEqual([
      { authorization: "Bearer token-1", app: "gallery" },
      { authorization: "Bearer token-2", app: "gallery" },
    ]);
  });

  it("a getToken that throws is an UnauthorizedError and sends nothing", async () => {
    let calls = 0;
    network.use(
      http.get(`${base}/usage`, () => {
        calls++;
        return HttpResponse.json(usage);
      }),
    );
    const client = fastClient({
      getToken: () => {
        throw new Error("signed out");
      },
    });
    const error = await client.usage().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(calls).toBe(0);
  });

  it("delete sends at most 100 ids per request and joins the answers", async () => {
    const bodies: { ids?: string[]; jobIds?: string[] }[] = [];
    network.use(
      http.delete(`${base}/videos`, async ({ request }) => {
        const body = (await request.json()) as { ids?: string[]; jobIds?: string[] };
        bodies.push(body);
        return HttpResponse.json({ deleted: body.ids ?? [] });
      }),
    );
    const ids = Array.from({ length: 150 }, (_, i) => `v${i}`);
    const deleted = await fastClient().delete({ ids, jobIds: ["job-1", "job-2"] });
    expect(deleted).toEqual(ids);
    expect(bodies.map((body) => [body.ids?.length ?? 0, body.jobIds?.length ?? 0])).toEqual([
      [100, 0],
      [50, 2],
    ]);
  });
});
