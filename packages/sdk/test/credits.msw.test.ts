// Models, credits, uploads and the admin grant over a fake network (msw). No real server in this file.
import type { CreditEntry, Upload, Usage } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  ForbiddenError,
  InsufficientCreditsError,
  isOpenVError,
  NetworkError,
  type OpenVClient,
  QuotaExceededError,
  ServerError,
  TimeoutError,
  ValidationError,
} from "../src/index.js";
import { errorBody, model } from "./support/fixtures.js";

const base = "http://openv.test/api";
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

const fastClient = (options: Partial<Parameters<typeof createClient>[0]> = {}): OpenVClient =>
  createClient({ baseUrl: base, retryDelayMs: 5, maxRetryDelayMs: 20, ...options });

const entry = (id: string, delta: number, balanceAfter: number): CreditEntry => ({
  id,
  delta,
  balanceAfter,
  reason: delta < 0 ? "generation" : "grant",
  videoId: delta < 0 ? "v1" : null,
  createdAt: "2026-11-02T10:00:00.000Z",
});

const upload: Upload = {
  id: "upl_1",
  url: "https://files.example/uploads/upl_1.png",
  contentType: "image/png",
  bytes: 8,
  width: 1,
  height: 1,
  createdAt: "2026-11-02T10:00:00.000Z",
};

// The first bytes of a PNG: what the server sniffs the format from.
const pngBytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Records each upload request's content type and body bytes, then answers 201. */
function recordUploads(answers: (() => Response)[] = []) {
  const seen: { contentType: string | null; bytes: number[] }[] = [];
  network.use(
    http.post(`${base}/uploads`, async ({ request }) => {
      seen.push({
        contentType: request.headers.get("content-type"),
        bytes: [...new Uint8Array(await request.arrayBuffer())],
      });
      return answers[seen.length - 1]?.() ?? HttpResponse.json({ upload }, { status: 201 });
    }),
  );
  return seen;
}

describe("models()", () => {
  it("resolves with the server's catalog, in its order", async () => {
    const catalog = [model("mochi-1"), model("i2v", { image: "required", cost: { credits: 12 } })];
    network.use(http.get(`${base}/models`, () => HttpResponse.json({ models: catalog })));
    const models = await fastClient().models();
    expect(models.map((entry) => [entry.id, entry.image, entry.cost.credits])).toEqual([
      ["mochi-1", "none", 5],
      ["i2v", "required", 12],
    ]);
    expect(models[0]?.limits.frames).toEqual({ min: 7, max: 163, step: 6, default: 31 });
  });
});

describe("credits()", () => {
  it("sends limit only when given and resolves with the balance and the ledger", async () => {
    const queries: (string | null)[] = [];
    network.use(
      http.get(`${base}/credits`, ({ request }) => {
        queries.push(new URL(request.url).searchParams.get("limit"));
        return HttpResponse.json({ balance: 95, entries: [entry("c2", -5, 95), entry("c1", 100, 100)] });
      }),
    );
    const client = fastClient();
    const answer = await client.credits({ limit: 2 });
    await client.credits();
    expect(queries).toEqual(["2", null]);
    expect(answer.balance).toBe(95);
    expect(answer.entries.map((line) => [line.delta, line.balanceAfter])).toEqual([
      [-5, 95],
      [100, 100],
    ]);
  });

  it("usage() under credits billing has no seconds limit and carries the balance", async () => {
    const credited: Usage = {
      usedSeconds: 4,
      limitSeconds: null,
      remainingSeconds: null,
      credits: { balance: 40 },
      periodStart: "2026-11-01T00:00:00.000Z",
      periodEnd: "2026-12-01T00:00:00.000Z",
    };
    network.use(http.get(`${base}/usage`, () => HttpResponse.json(credited)));
    expect(await fastClient().usage()).toEqual(credited);
  });
});

describe("uploadImage()", () => {
  it("sends a Blob's bytes as the body with the Blob's type and resolves with the upload", async () => {
    const seen = recordUploads();
    const result = await fastClient().uploadImage(new Blob([pngBytes], { type: "image/png" }));
    expect(result).toEqual(upload);
    expect(seen).toEqual([{ contentType: "image/png", bytes: [...pngBytes] }]);
  });

  it("sends raw bytes (Uint8Array, ArrayBuffer, an untyped Blob) as application/octet-stream, or the type asked for", async () => {
    const seen = recordUploads();
    const client = fastClient();
    await client.uploadImage(pngBytes);
    await client.uploadImage(pngBytes.slice().buffer);
    await client.uploadImage(new Blob([pngBytes]));
    await client.uploadImage(pngBytes, { contentType: "image/png" });
    expect(seen.map((request) => request.contentType)).toEqual([
      "application/octet-stream",
      "application/octet-stream",
      "application/octet-stream",
      "image/png",
    ]);
    for (const request of seen) expect(request.bytes).toEqual([...pngBytes]);
  });

  it("is not sent twice after a 5xx, a network error or a timeout: the first upload may have been stored", async () => {
    const outcomes: [() => Response, new (...args: never[]) => Error][] = [
      [() => HttpResponse.json(errorBody("internal_error"), { status: 500 }), ServerError],
      [() => HttpResponse.error(), NetworkError],
    ];
    for (const [answer, type] of outcomes) {
      const seen = recordUploads([answer]);
      const error = await fastClient({ maxRetries: 3 })
        .uploadImage(pngBytes)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(type);
      expect(seen).toHaveLength(1);
    }

    let calls = 0;
    network.use(
      http.post(`${base}/uploads`, async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return HttpResponse.json({ upload }, { status: 201 });
      }),
    );
    const timeout = await fastClient({ maxRetries: 3 })
      .uploadImage(pngBytes, { timeoutMs: 30 })
      .catch((caught: unknown) => caught);
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(calls).toBe(1);
  });

  it("a 429 (refused, nothing stored) is retried with the same bytes", async () => {
    const seen = recordUploads([
      () => HttpResponse.json(errorBody("rate_limited"), { status: 429, headers: { "retry-after": "0" } }),
    ]);
    const result = await fastClient().uploadImage(new Blob([pngBytes], { type: "image/png" }));
    expect(result.id).toBe("upl_1");
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
  });

  it("an image over the size limit is a ValidationError with the server's advice", async () => {
    recordUploads([
      () =>
        HttpResponse.json(errorBody("payload_too_large", "The image is over 10 MiB: choose a smaller one."), {
          status: 413,
        }),
    ]);
    const error = await fastClient()
      .uploadImage(pngBytes)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: "payload_too_large", status: 413 });
    expect((error as Error).message).toContain("choose a smaller one");
  });
});

describe("grantCredits()", () => {
  it("posts the grant and resolves with the new balance and its ledger entry", async () => {
    const bodies: unknown[] = [];
    network.use(
      http.post(`${base}/admin/credits`, async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json({ balance: 150, entry: entry("c3", 100, 150) });
      }),
    );
    const answer = await fastClient().grantCredits({ userId: "bob", credits: 100, reason: "purchase #7" });
    expect(bodies).toEqual([{ userId: "bob", credits: 100, reason: "purchase #7" }]);
    expect(answer).toMatchObject({ balance: 150, entry: { delta: 100, balanceAfter: 150 } });
  });

  it("a non-admin gets a ForbiddenError; a lost answer is not granted again", async () => {
    let calls = 0;
    network.use(
      http.post(`${base}/admin/credits`, () => {
        calls++;
        return calls === 1
          ? HttpResponse.json(errorBody("forbidden", "Only admins can grant credits."), { status: 403 })
          : HttpResponse.json(errorBody("service_unavailable"), { status: 503 });
      }),
    );
    const client = fastClient({ maxRetries: 3 });
    const forbidden = await client.grantCredits({ userId: "bob", credits: 5 }).catch((caught: unknown) => caught);
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(isOpenVError(forbidden)).toBe(true);
    expect(forbidden).toMatchObject({ code: "forbidden", status: 403, message: "Only admins can grant credits." });

    const unavailable = await client.grantCredits({ userId: "bob", credits: 5 }).catch((caught: unknown) => caught);
    expect(unavailable).toBeInstanceOf(ServerError);
    expect(calls).toBe(2);
  });
});

describe("insufficient_credits", () => {
  it("402 → InsufficientCreditsError with the balance, price and model; not retried; not a quota error", async () => {
    let calls = 0;
    network.use(
      http.post(`${base}/videos`, () => {
        calls++;
        return HttpResponse.json(
          errorBody("insufficient_credits", "Not enough credits.", { balance: 3, price: 12, model: "i2v" }),
          { status: 402, headers: { "x-request-id": "req-402" } },
        );
      }),
    );
    const error = await fastClient()
      .generate({ prompt: "a fox", model: "i2v" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).not.toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({
      name: "InsufficientCreditsError",
      code: "insufficient_credits",
      status: 402,
      requestId: "req-402",
      balance: 3,
      price: 12,
      model: "i2v",
    });
    expect(calls).toBe(1);
  });

  it("without details the numbers are NaN rather than made up", async () => {
    network.use(
      http.post(`${base}/videos`, () => HttpResponse.json(errorBody("insufficient_credits"), { status: 402 })),
    );
    const error = (await fastClient()
      .generate({ prompt: "a fox" })
      .catch((caught: unknown) => caught)) as InsufficientCreditsError;
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error.balance).toBeNaN();
    expect(error.price).toBeNaN();
    expect(error.model).toBe("");
  });
});
