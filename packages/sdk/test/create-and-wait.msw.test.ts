// videos.createAndWait over a fake network (msw): it follows the one video it submitted (its events
// on the stream, one GET to catch up, GET polling while the stream is unavailable), never the
// user's library, however large; it settles on failure, abort and timeout.
import type { Video } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AbortError, createClient, NotFoundError, TimeoutError, VideoFailedError } from "../src/index.js";
import { sseFrame, tombstone, usage, video } from "./support/fixtures.js";

const base = "http://openv.test/api";
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

const encoder = new TextEncoder();

/**
 * A server whose user has `librarySize` videos. Counts every request by route; the stream is held
 * open for the test to write to, and records when the client cancels it.
 */
function fakeServer(librarySize: number, options: { streamStatus?: number } = {}) {
  const library = Array.from({ length: librarySize }, (_, index) => video(`old-${index}`, "completed", 1000 + index));
  const requests: string[] = [];
  let current = video("new", "queued", 5000);
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  let streamCancelled = false;
  let opened!: () => void;
  const streamOpened = new Promise<void>((resolve) => {
    opened = resolve;
  });
  network.use(
    http.post(`${base}/videos`, () => {
      requests.push("POST /videos");
      return HttpResponse.json({ video: current, usage }, { status: 202 });
    }),
    http.get(`${base}/videos`, () => {
      requests.push("GET /videos");
      return HttpResponse.json({ videos: library, serverTime: 9000, nextCursor: null });
    }),
    http.get(`${base}/videos/events`, ({ request }) => {
      requests.push("GET /videos/events");
      // The client hangs up: its fetch is aborted, or it cancels the body.
      request.signal.addEventListener("abort", () => {
        streamCancelled = true;
      });
      if (options.streamStatus)
        return HttpResponse.json({ error: { code: "not_found", message: "no" } }, { status: 404 });
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          stream = controller;
          opened();
        },
        cancel() {
          streamCancelled = true;
        },
      });
      return new HttpResponse(body, { headers: { "content-type": "text/event-stream" } });
    }),
    http.get(`${base}/videos/:id`, ({ params }) => {
      requests.push(`GET /videos/${params.id}`);
      if (params.id !== "new")
        return HttpResponse.json({ error: { code: "not_found", message: "no" } }, { status: 404 });
      return HttpResponse.json({ video: current });
    }),
  );
  return {
    requests,
    streamOpened,
    get streamCancelled() {
      return streamCancelled;
    },
    /** The video moves on: the server's state, and an event on the open stream. */
    advance(next: Video) {
      current = next;
      stream?.enqueue(encoder.encode(sseFrame(next)));
    },
    /** Events of other videos of the library, which the wait must skip. */
    noise(count: number) {
      for (const old of library.slice(0, count))
        stream?.enqueue(encoder.encode(sseFrame({ ...old, updatedAt: new Date(6000).toISOString() })));
    },
    write(text: string) {
      stream?.enqueue(encoder.encode(text));
    },
  };
}

const client = () => createClient({ baseUrl: base, retryDelayMs: 5, maxRetryDelayMs: 20 });

describe("videos.createAndWait", () => {
  it("with 1,000 videos in the library: 3 requests before the video's own events, none of them a list", async () => {
    const server = fakeServer(1000);
    const seen: string[] = [];
    const done = client().videos.createAndWait(
      { prompt: "a lighthouse at dusk" },
      { onProgress: (v) => seen.push(`${v.status}${v.progress === null ? "" : `:${v.progress}`}`) },
    );
    await server.streamOpened;
    await expect.poll(() => server.requests.length).toBe(3);
    expect(server.requests).toEqual(["POST /videos", "GET /videos/events", "GET /videos/new"]);

    server.noise(50);
    server.advance(video("new", "processing", 6000, { progress: 0.25 }));
    server.advance(video("new", "processing", 7000, { progress: 0.75 }));
    server.advance(video("new", "completed", 8000));
    const finished = await done;

    expect(finished.status).toBe("completed");
    expect(finished.url).toBe("https://files.example/new.mp4");
    expect(seen).toEqual(["queued", "processing:0.25", "processing:0.75", "completed"]);
    // Still 3: the video's progress came on the stream, and nothing ever listed the library.
    expect(server.requests).toEqual(["POST /videos", "GET /videos/events", "GET /videos/new"]);
    await expect.poll(() => server.streamCancelled).toBe(true);
  });

  it("rejects with VideoFailedError carrying the failed video", async () => {
    const server = fakeServer(3);
    const done = client().videos.createAndWait({ prompt: "x" });
    await server.streamOpened;
    server.advance(video("new", "failed", 6000));
    const error = await done.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VideoFailedError);
    expect((error as VideoFailedError).video.error?.code).toBe("model_error");
  });

  it("rejects with NotFoundError when the video is deleted meanwhile", async () => {
    const server = fakeServer(3);
    const done = client().videos.createAndWait({ prompt: "x" });
    await server.streamOpened;
    server.write(sseFrame(tombstone("new", 6000)));
    await expect(done).rejects.toBeInstanceOf(NotFoundError);
  });

  it("abort rejects with AbortError at once and closes the stream", async () => {
    const server = fakeServer(3);
    const controller = new AbortController();
    const done = client().videos.createAndWait({ prompt: "x" }, { signal: controller.signal });
    await server.streamOpened;
    controller.abort();
    await expect(done).rejects.toBeInstanceOf(AbortError);
    await expect.poll(() => server.streamCancelled).toBe(true);
  });

  it("timeoutMs covers the submit and the wait: TimeoutError, and the stream is closed", async () => {
    const server = fakeServer(3);
    // 100 ms for everything; the video never moves, so only the deadline can end the wait.
    const error = await client()
      .videos.createAndWait({ prompt: "x" }, { timeoutMs: 100 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(server.requests).toEqual(["POST /videos", "GET /videos/events", "GET /videos/new"]);
    await expect.poll(() => server.streamCancelled).toBe(true);
  });

  it("an already-aborted signal sends nothing", async () => {
    const server = fakeServer(3);
    const controller = new AbortController();
    controller.abort();
    await expect(client().videos.createAndWait({ prompt: "x" }, { signal: controller.signal })).rejects.toBeInstanceOf(
      AbortError,
    );
    expect(server.requests).toEqual([]);
  });

  it("without an event route it asks for that one video until it is done", async () => {
    const server = fakeServer(1000, { streamStatus: 404 });
    const done = client().videos.createAndWait({ prompt: "x" }, { pollIntervalMs: 10 });
    await expect.poll(() => server.requests.filter((r) => r === "GET /videos/new").length).toBeGreaterThanOrEqual(2);
    server.advance(video("new", "completed", 8000));
    expect((await done).status).toBe("completed");
    expect(server.requests).not.toContain("GET /videos");
  });
});
