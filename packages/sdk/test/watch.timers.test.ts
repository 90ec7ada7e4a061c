// Closing and aborting, with fake timers and a hand-made fetch (the client's `fetch` option), so
// that every timer the watcher holds is countable and every request's signal observable.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AbortError, createClient, type VideoWatcher, type WatchOptions } from "../src/index.js";
import { sseFrame, video } from "./support/fixtures.js";

interface Seen {
  url: string;
  signal: AbortSignal | null;
  /** Still open when answered: an event stream, or a request that never gets an answer. */
  open: boolean;
}

/**
 * A fetch answering the list with one queued video and the event route with a stream that stays
 * open (until the request's signal aborts). `GET /videos/:id` never answers.
 */
function fakeServer() {
  const requests: Seen[] = [];
  const encoder = new TextEncoder();
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const signal = init?.signal ?? null;
    const path = new URL(url).pathname;
    requests.push({ url, signal, open: path !== "/api/videos" });
    if (path === "/api/videos") {
      return Response.json({ videos: [video("v1", "queued", 1000)], serverTime: 1000, nextCursor: null });
    }
    if (path === "/api/videos/events") {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(sseFrame(video("v1", "processing", 1100))));
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    }
    return new Promise<Response>((_, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason));
    });
  };
  const openRequestsAborted = () => requests.filter((request) => request.open).every((r) => r.signal?.aborted);
  return { fetch, requests, openRequestsAborted };
}

async function settle(watcher: VideoWatcher, status: string) {
  for (let i = 0; i < 50 && watcher.status !== status; i++) await vi.advanceTimersByTimeAsync(10);
  expect(watcher.status).toBe(status);
}

describe("no timer, request or stream outlives the watcher", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const cases: { name: string; options: WatchOptions; status: string }[] = [
    { name: "streaming", options: { mode: "sse" }, status: "live" },
    { name: "polling", options: { mode: "polling", pollIntervalMs: 1000 }, status: "polling" },
  ];

  for (const { name, options, status } of cases) {
    it(`${name}: close() aborts every request, rejects waits, and leaves no timer`, async () => {
      const server = fakeServer();
      const watcher = createClient({ baseUrl: "http://openv.test/api", fetch: server.fetch }).watch(options);
      await settle(watcher, status);
      const waiting = watcher.wait("v-elsewhere", { timeoutMs: 60_000 });
      const rejected = expect(waiting).rejects.toBeInstanceOf(AbortError);
      await vi.advanceTimersByTimeAsync(0);
      expect(vi.getTimerCount()).toBeGreaterThan(0);

      watcher.close();
      expect(vi.getTimerCount()).toBe(0);
      await rejected;
      expect(server.requests.filter((request) => request.open).length).toBeGreaterThanOrEqual(1);
      expect(server.openRequestsAborted()).toBe(true);
      expect(watcher.status).toBe("closed");

      // Nothing wakes up later either.
      const count = server.requests.length;
      await vi.advanceTimersByTimeAsync(120_000);
      expect(server.requests).toHaveLength(count);
      expect(vi.getTimerCount()).toBe(0);
    });
  }

  it("one AbortSignal stops the watcher like close()", async () => {
    const server = fakeServer();
    const controller = new AbortController();
    const watcher = createClient({ baseUrl: "http://openv.test/api", fetch: server.fetch }).watch({
      signal: controller.signal,
    });
    await settle(watcher, "live");
    const statuses: string[] = [];
    watcher.on("status", (next) => statuses.push(next));
    const waiting = watcher.wait("v1", { timeoutMs: 60_000 });
    const rejected = expect(waiting).rejects.toBeInstanceOf(AbortError);

    controller.abort();
    expect(vi.getTimerCount()).toBe(0);
    await rejected;
    expect(statuses).toEqual(["closed"]);
    expect(server.requests.filter((request) => request.open)).toHaveLength(1);
    expect(server.openRequestsAborted()).toBe(true);
    await expect(watcher.wait("v1")).rejects.toBeInstanceOf(AbortError);
  });

  it("a wait's own signal and timeout end only that wait", async () => {
    const server = fakeServer();
    const watcher = createClient({ baseUrl: "http://openv.test/api", fetch: server.fetch }).watch({ mode: "sse" });
    await settle(watcher, "live");
    const controller = new AbortController();
    const aborted = watcher.wait("v1", { signal: controller.signal });
    const timedOut = watcher.wait("v1", { timeoutMs: 5000 });
    const checks = [
      expect(aborted).rejects.toBeInstanceOf(AbortError),
      expect(timedOut).rejects.toMatchObject({ name: "TimeoutError", code: "timeout" }),
    ];
    controller.abort();
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all(checks);
    expect(watcher.status).toBe("live");
    watcher.close();
  });

  it("an already-aborted signal gives a closed watcher that sends nothing", async () => {
    const server = fakeServer();
    const watcher = createClient({ baseUrl: "http://openv.test/api", fetch: server.fetch }).watch({
      signal: AbortSignal.abort(),
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(watcher.status).toBe("closed");
    expect(server.requests).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
