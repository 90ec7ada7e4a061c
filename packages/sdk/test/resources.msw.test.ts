// The resource surface over a fake network (msw): every call's route and answer, the one
// RequestOptions shape (signal, timeoutMs, maxRetries, headers, idempotencyKey, each `undefined`-
// tolerant), .withResponse(), a File as videos.create's image, upload progress, the deprecated
// flat names, and the watcher's subscribe / async iterator with opaque event ids.
import type { CreditEntry, Upload } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RequestOptions, ServerError, TimeoutError, type WatchSnapshot } from "../src/index.js";
import { errorBody, model, usage, video } from "./support/fixtures.js";

const base = "http://openv.test/api";
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

const client = (options: Partial<Parameters<typeof createClient>[0]> = {}) =>
  createClient({ baseUrl: base, retryDelayMs: 5, maxRetryDelayMs: 20, ...options });

const upload: Upload = {
  id: "upl_1",
  url: "https://files.example/uploads/upl_1.png",
  contentType: "image/png",
  bytes: 8,
  width: 1,
  height: 1,
  createdAt: "2026-11-02T10:00:00.000Z",
};
const entry: CreditEntry = {
  id: "c1",
  delta: 10,
  balanceAfter: 10,
  reason: "grant",
  videoId: null,
  createdAt: "2026-11-02T10:00:00.000Z",
};
const terms = { accepted: false, version: "1.0.0", acceptedAt: null };

/** Answers every route of the contract and records `METHOD path` of each request with its headers. */
function everyRoute() {
  const seen: { route: string; headers: Headers; body: string }[] = [];
  const record = async (request: Request) => {
    const url = new URL(request.url);
    seen.push({
      route: `${request.method} ${url.pathname.replace("/api", "")}${url.search}`,
      headers: request.headers,
      body: request.method === "GET" ? "" : await request.clone().text(),
    });
  };
  const answer = (body: Parameters<typeof HttpResponse.json>[0], status = 200) =>
    HttpResponse.json(body, { status, headers: { "x-request-id": "req_42" } });
  network.use(
    http.post(`${base}/videos`, async ({ request }) => {
      await record(request);
      return answer({ video: video("v1", "queued", 1000), usage }, 202);
    }),
    http.get(`${base}/videos`, async ({ request }) => {
      await record(request);
      return answer({ videos: [video("v1", "queued", 1000)], serverTime: 2000, nextCursor: null });
    }),
    http.delete(`${base}/videos`, async ({ request }) => {
      await record(request);
      return answer({ deleted: ["v1"] });
    }),
    http.get(`${base}/videos/:id`, async ({ request }) => {
      await record(request);
      return answer({ video: video("v1", "completed", 3000) });
    }),
    http.post(`${base}/uploads`, async ({ request }) => {
      await record(request);
      return answer({ upload }, 201);
    }),
    http.get(`${base}/terms/check`, async ({ request }) => {
      await record(request);
      return answer(terms);
    }),
    http.post(`${base}/terms/accept`, async ({ request }) => {
      await record(request);
      return answer({ accepted: true, version: "1.0.0", acceptedAt: "2026-11-02T10:00:00.000Z" });
    }),
    http.get(`${base}/usage`, async ({ request }) => {
      await record(request);
      return answer(usage);
    }),
    http.get(`${base}/credits`, async ({ request }) => {
      await record(request);
      return answer({ balance: 10, entries: [entry] });
    }),
    http.post(`${base}/admin/credits`, async ({ request }) => {
      await record(request);
      return answer({ balance: 10, entry });
    }),
    http.get(`${base}/models`, async ({ request }) => {
      await record(request);
      return answer({ models: [model("mochi-1")] });
    }),
  );
  return seen;
}

describe("resources", () => {
  it("every resource call reaches its route and resolves with the parsed answer", async () => {
    const seen = everyRoute();
    const openv = client();
    expect((await openv.videos.create({ prompt: "waves" })).video.id).toBe("v1");
    expect((await openv.videos.get("v1")).status).toBe("completed");
    expect((await openv.videos.list({ limit: 5 })).videos).toHaveLength(1);
    expect(await openv.videos.delete("v1")).toEqual(["v1"]);
    expect((await openv.uploads.create(new Uint8Array([1, 2, 3]))).id).toBe("upl_1");
    expect((await openv.terms.get()).version).toBe("1.0.0");
    expect((await openv.terms.accept("1.0.0")).accepted).toBe(true);
    expect((await openv.usage.get()).limitSeconds).toBe(600);
    expect((await openv.credits.get({ limit: 3 })).balance).toBe(10);
    expect((await openv.credits.grant({ userId: "u", credits: 10 })).entry.id).toBe("c1");
    expect((await openv.models.list()).map((m) => m.id)).toEqual(["mochi-1"]);
    expect(seen.map((request) => request.route)).toEqual([
      "POST /videos",
      "GET /videos/v1",
      "GET /videos?limit=5",
      "DELETE /videos",
      "POST /uploads",
      "GET /terms/check",
      "POST /terms/accept",
      "GET /usage",
      "GET /credits?limit=3",
      "POST /admin/credits",
      "GET /models",
    ]);
  });

  it("the deprecated flat names still work and reach the same routes", async () => {
    const seen = everyRoute();
    const openv = client();
    const generated = await openv.generate({ prompt: "waves" }, { idempotencyKey: "key-1" });
    expect(generated).toMatchObject({ replayed: false, idempotencyKey: "key-1" });
    await openv.get("v1");
    await openv.list();
    await openv.delete(["v1"]);
    await openv.uploadImage(new Uint8Array([1]));
    await openv.checkTerms();
    await openv.acceptTerms("1.0.0");
    await openv.usage();
    await openv.credits();
    await openv.grantCredits({ userId: "u", credits: 1 });
    await openv.models();
    expect(seen).toHaveLength(11);
    expect(seen[0]?.headers.get("idempotency-key")).toBe("key-1");
  });

  it(".withResponse() gives the data, the response and its request id", async () => {
    everyRoute();
    const openv = client();
    const { data, response, requestId } = await openv.videos.get("v1").withResponse();
    expect(data.id).toBe("v1");
    expect(response.status).toBe(200);
    expect(requestId).toBe("req_42");
    const created = await openv.videos.create({ prompt: "x" }, { idempotencyKey: "k" }).withResponse();
    expect(created.response.status).toBe(202);
    expect(created.data.usage.usedSeconds).toBe(1);
    const page = await openv.videos.list().withResponse();
    expect(page.data.serverTime).toBe(2000);
    expect((await openv.usage.get().withResponse()).requestId).toBe("req_42");
  });

  it("per-call headers and idempotencyKey are sent; every option accepts undefined", async () => {
    const seen = everyRoute();
    const options: RequestOptions = {
      signal: undefined,
      timeoutMs: undefined,
      maxRetries: undefined,
      headers: undefined,
      idempotencyKey: undefined,
    };
    const openv = client({ headers: { "x-app": "a", "x-both": "client" } });
    await openv.videos.get("v1", options);
    await openv.videos.create({ prompt: "x" }, { headers: { "x-both": "call" }, idempotencyKey: "mine" });
    expect(seen[0]?.headers.get("x-app")).toBe("a");
    expect(seen[1]?.headers.get("x-both")).toBe("call");
    expect(seen[1]?.headers.get("idempotency-key")).toBe("mine");
  });

  it("maxRetries per call replaces the client's", async () => {
    let attempts = 0;
    network.use(
      http.get(`${base}/usage`, () => {
        attempts++;
        return HttpResponse.json(errorBody("internal_error"), { status: 500 });
      }),
    );
    await expect(client({ maxRetries: 3 }).usage.get({ maxRetries: 0 })).rejects.toBeInstanceOf(ServerError);
    expect(attempts).toBe(1);
    attempts = 0;
    await expect(client({ maxRetries: 0 }).usage.get({ maxRetries: 2 })).rejects.toBeInstanceOf(ServerError);
    expect(attempts).toBe(3);
  });

  it("timeoutMs is the whole call's deadline, retries included: TimeoutError", async () => {
    let attempts = 0;
    network.use(
      http.get(`${base}/usage`, () => {
        attempts++;
        return HttpResponse.json(errorBody("service_unavailable"), { status: 503, headers: { "retry-after": "1" } });
      }),
    );
    // Each answer asks for a 1 s wait before the next attempt; the 100 ms deadline ends the call first.
    const error = await client({ maxRetries: 5 })
      .usage.get({ timeoutMs: 100 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(attempts).toBe(1);
  });

  it("videos.create uploads a File image first and sends its id", async () => {
    const seen = everyRoute();
    const file = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "cat.png", { type: "image/png" });
    const progress: number[] = [];
    await client().videos.create({ prompt: "the cat wakes up", image: file });
    await client().uploads.create(file, { onProgress: ({ loaded, total }) => progress.push(loaded / total) });
    expect(seen.map((request) => request.route)).toEqual(["POST /uploads", "POST /videos", "POST /uploads"]);
    expect(seen[0]?.headers.get("content-type")).toBe("image/png");
    expect(JSON.parse(seen[1]?.body ?? "{}")).toEqual({ prompt: "the cat wakes up", image: "upl_1" });
    // Node has no XMLHttpRequest: progress is reported at the start and the end.
    expect(progress).toEqual([0, 1]);
  });
});

describe("the watcher's observer surface", () => {
  it("subscribe → unsubscribe, an async iterator of snapshots, and event ids sent back untouched", async () => {
    const lastEventIds: (string | null)[] = [];
    const encoder = new TextEncoder();
    network.use(
      http.get(`${base}/videos`, () =>
        HttpResponse.json({ videos: [video("v1", "queued", 1000)], serverTime: 1500, nextCursor: null }),
      ),
      http.get(`${base}/videos/events`, ({ request }) => {
        lastEventIds.push(request.headers.get("last-event-id"));
        const frame = `event: video\nid: seq-7/abc\ndata: ${JSON.stringify(video("v1", "processing", 2000))}\n\n`;
        // One event, then the server ends the stream: the watcher reconnects after that id.
        return new HttpResponse(
          new ReadableStream({
            start(controller) {
              if (lastEventIds.length === 1) controller.enqueue(encoder.encode(frame));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        );
      }),
    );
    const watcher = client().watch({ mode: "sse", reconnectDelayMs: 5, reconnectMaxDelayMs: 10 });
    const seen: WatchSnapshot[] = [];
    const unsubscribe = watcher.subscribe((snapshot) => seen.push(snapshot));
    const statuses: string[] = [];
    for await (const snapshot of watcher) {
      statuses.push(snapshot.videos[0]?.status ?? "none");
      if (snapshot.videos[0]?.status === "processing") break;
    }
    await expect.poll(() => lastEventIds.length).toBeGreaterThanOrEqual(2);
    // Not parsed, not compared: the id goes back exactly as the server wrote it.
    expect(lastEventIds[1]).toBe("seq-7/abc");
    expect(statuses).toContain("processing");
    const count = seen.length;
    expect(count).toBeGreaterThan(0);
    unsubscribe();
    watcher.close();
    // Unsubscribed before close: the closed snapshot did not reach the listener.
    expect(seen).toHaveLength(count);
    expect(watcher.getSnapshot().status).toBe("closed");
    // The public type has no emitter internals.
    expect("emit" in watcher).toBe(false);
    expect("removeAllListeners" in watcher).toBe(false);
  });
});
