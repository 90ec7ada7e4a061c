// The watcher over a fake network (msw): SSE drops and resumes, out-of-order and duplicate
// changes, the polling fallback and its cadence. No real server in this file.
import { statusRank, type Video, type VideoOrTombstone } from "@openv/protocol";
import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  type OpenVClientError,
  ServerError,
  type VideoWatcher,
  type WatchOptions,
} from "../src/index.js";
import { errorBody, sseFrame, tombstone, usage, video } from "./support/fixtures.js";

const base = "http://openv.test/api";
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

const encoder = new TextEncoder();
const at = (change: VideoOrTombstone) => Date.parse(change.updatedAt);

/**
 * A stand-in for the server's change feed: a log of changes, the list route (live list and
 * `updatedSince`), and the SSE route, which replays after `Last-Event-ID` and then streams.
 */
class FakeFeed {
  readonly log: VideoOrTombstone[] = [];
  /** Where each connection resumed: `Last-Event-ID`, else `?since=` (a first connection's list time). */
  readonly connections: { lastEventId: string | null; header: boolean }[] = [];
  readonly listQueries: { updatedSince: string | null; at: number }[] = [];
  readonly #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();

  constructor(initial: VideoOrTombstone[] = []) {
    this.log.push(...initial);
  }

  get serverTime(): number {
    return Math.max(0, ...this.log.map(at));
  }

  /** Records a change and streams it to every open connection. */
  publish(...changes: VideoOrTombstone[]): void {
    for (const change of changes) {
      this.log.push(change);
      this.write(sseFrame(change));
    }
  }

  /** Writes raw text to every open connection. */
  write(text: string): void {
    for (const stream of this.#streams) stream.enqueue(encoder.encode(text));
  }

  /** Breaks every open connection, as a network failure would. */
  drop(): void {
    for (const stream of this.#streams) stream.error(new Error("connection reset"));
    this.#streams.clear();
  }

  get open(): number {
    return this.#streams.size;
  }

  handlers() {
    return [
      http.get(`${base}/videos`, ({ request }) => {
        const updatedSince = new URL(request.url).searchParams.get("updatedSince");
        this.listQueries.push({ updatedSince, at: performance.now() });
        const serverTime = this.serverTime;
        if (updatedSince === null) {
          const latest = new Map<string, VideoOrTombstone>();
          for (const change of this.log) latest.set(change.id, change);
          const videos = [...latest.values()].filter((change): change is Video => !("deleted" in change));
          return HttpResponse.json({ videos, serverTime, nextCursor: null });
        }
        const videos = this.log.filter((change) => at(change) > Number(updatedSince));
        return HttpResponse.json({ videos, serverTime, nextCursor: null });
      }),
      http.get(`${base}/videos/events`, ({ request }) => {
        const header = request.headers.get("last-event-id");
        const lastEventId = header ?? new URL(request.url).searchParams.get("since");
        this.connections.push({ lastEventId, header: header !== null });
        const since = Number(lastEventId ?? 0);
        let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
        const stream = new ReadableStream<Uint8Array>({
          start: (streamController) => {
            controller = streamController;
            streamController.enqueue(encoder.encode("retry: 20\n\n"));
            for (const change of this.log)
              if (at(change) > since) streamController.enqueue(encoder.encode(sseFrame(change)));
            this.#streams.add(streamController);
          },
          cancel: () => {
            if (controller) this.#streams.delete(controller);
          },
        });
        return new HttpResponse(stream, { headers: { "content-type": "text/event-stream" } });
      }),
    ];
  }
}

const client = () => createClient({ baseUrl: base, retryDelayMs: 5, maxRetryDelayMs: 20, maxRetries: 0 });

function watch(options: WatchOptions): VideoWatcher {
  return client().watch({ reconnectDelayMs: 20, reconnectMaxDelayMs: 100, ...options });
}

async function eventually(check: () => void, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await delay(10);
    }
  }
}

/** Every `video` and `deleted` event, and a check that no status ever went back. */
function record(watcher: VideoWatcher) {
  const events: string[] = [];
  const regressions: string[] = [];
  const lastRank = new Map<string, number>();
  watcher.on("video", (change, previous) => {
    events.push(`${change.id}:${change.status}@${at(change)}`);
    const rank = statusRank[change.status];
    if (rank < (lastRank.get(change.id) ?? 0)) regressions.push(`${change.id} went back to ${change.status}`);
    if (previous && statusRank[previous.status] > rank)
      regressions.push(`${change.id}: ${previous.status} → ${change.status}`);
    lastRank.set(change.id, rank);
  });
  watcher.on("deleted", (id) => events.push(`${id}:deleted`));
  return { events, regressions };
}

const statusesOf = (watcher: VideoWatcher) =>
  Object.fromEntries(watcher.getSnapshot().videos.map((entry) => [entry.id, entry.status]));

describe("SSE", () => {
  it("a stream dropped mid-stream resumes with Last-Event-ID and misses nothing", async () => {
    const feed = new FakeFeed([video("v1", "queued", 1000)]);
    network.use(...feed.handlers());
    const watcher = watch({ mode: "sse" });
    const { events, regressions } = record(watcher);
    await eventually(() => expect(watcher.status).toBe("live"));
    expect(feed.connections[0]?.lastEventId).toBe("1000");

    feed.publish(video("v1", "processing", 1100), video("v2", "queued", 1200));
    await eventually(() => expect(statusesOf(watcher)).toEqual({ v1: "processing", v2: "queued" }));

    // Half a frame arrives, then the connection breaks; meanwhile more happens on the server.
    const next = video("v1", "completed", 1300);
    feed.log.push(next);
    feed.write(sseFrame(next).slice(0, 40));
    feed.drop();
    feed.log.push(tombstone("v2", 1400), video("v3", "queued", 1500));

    await eventually(() => expect(statusesOf(watcher)).toEqual({ v1: "completed", v3: "queued" }));
    expect(feed.connections.map((connection) => connection.lastEventId)).toEqual(["1000", "1200"]);
    // The first connection resumes after the list (`?since=` its serverTime); the second sends
    // back the last event id exactly as received (ids are opaque).
    expect(feed.connections.map((connection) => connection.header)).toEqual([false, true]);
    expect(events).toEqual([
      "v1:queued@1000",
      "v1:processing@1100",
      "v2:queued@1200",
      "v1:completed@1300",
      "v2:deleted",
      "v3:queued@1500",
    ]);
    expect(regressions).toEqual([]);
    expect(watcher.status).toBe("live");
    watcher.close();
  });

  it("a stream the server ends is reopened from the last event", async () => {
    const feed = new FakeFeed([video("v1", "queued", 1000)]);
    network.use(...feed.handlers());
    const watcher = watch({ mode: "sse" });
    await eventually(() => expect(feed.open).toBe(1));
    feed.publish(video("v1", "processing", 1100));
    await eventually(() => expect(statusesOf(watcher)).toEqual({ v1: "processing" }));
    feed.drop();
    feed.log.push(video("v1", "completed", 1200));
    await eventually(() => expect(statusesOf(watcher)).toEqual({ v1: "completed" }));
    expect(feed.connections.at(-1)?.lastEventId).toBe("1100");
    watcher.close();
  });

  it("the watcher never emits a status that goes backwards, nor brings back a deleted video", async () => {
    const feed = new FakeFeed([video("v1", "queued", 1000), video("v2", "queued", 1000)]);
    network.use(...feed.handlers());
    const watcher = watch({ mode: "sse" });
    const { events, regressions } = record(watcher);
    await eventually(() => expect(watcher.status).toBe("live"));
    feed.publish(
      video("v1", "processing", 2000),
      video("v1", "queued", 1500), // late delivery of an old state
      video("v1", "processing", 1900, { progress: 0.1 }), // older progress
      video("v1", "processing", 2000), // duplicate
      video("v1", "completed", 2100),
      video("v1", "processing", 2200), // a stale worker's report after the end
      video("v1", "failed", 2300), // another terminal status
      tombstone("v2", 2400),
      video("v2", "processing", 2500), // after its deletion
    );
    feed.publish(video("v3", "queued", 2600));
    await eventually(() => expect(statusesOf(watcher)).toEqual({ v1: "completed", v3: "queued" }));
    expect(regressions).toEqual([]);
    expect(events).toEqual([
      "v1:queued@1000",
      "v2:queued@1000",
      "v1:processing@2000",
      "v1:completed@2100",
      "v2:deleted",
      "v3:queued@2600",
    ]);
    watcher.close();
  });

  it("the snapshot keeps its identity until its content changes", async () => {
    const feed = new FakeFeed([video("v1", "queued", 1000)]);
    network.use(...feed.handlers());
    const watcher = watch({ mode: "sse" });
    await eventually(() => expect(watcher.status).toBe("live"));
    let changes = 0;
    watcher.on("change", () => changes++);
    const before = watcher.getSnapshot();
    expect(watcher.getSnapshot()).toBe(before);

    feed.publish(video("v1", "queued", 1000)); // the same change again
    feed.write("event: ping\ndata: {}\n\n");
    await delay(50);
    expect(watcher.getSnapshot()).toBe(before);
    expect(changes).toBe(0);

    feed.publish(video("v1", "processing", 1100));
    await eventually(() => expect(watcher.getSnapshot()).not.toBe(before));
    const after = watcher.getSnapshot();
    expect(after.videos[0]?.status).toBe("processing");
    expect(before.videos[0]?.status).toBe("queued");
    expect(Object.isFrozen(after) && Object.isFrozen(after.videos)).toBe(true);
    expect(changes).toBe(1);
    watcher.close();
  });

  it("a stream that goes silent past heartbeatTimeoutMs is reopened", async () => {
    const feed = new FakeFeed([video("v1", "queued", 1000)]);
    network.use(...feed.handlers());
    const watcher = watch({ mode: "sse", heartbeatTimeoutMs: 150 });
    await eventually(() => expect(feed.connections.length).toBeGreaterThanOrEqual(2), 2000);
    feed.publish(video("v1", "processing", 1100));
    await eventually(() => expect(statusesOf(watcher)).toEqual({ v1: "processing" }));
    watcher.close();
  });
});

describe("polling", () => {
  it("falls back to polling when the stream cannot be opened, and says why", async () => {
    const feed = new FakeFeed([video("v1", "processing", 1000)]);
    let attempts = 0;
    network.use(
      http.get(`${base}/videos/events`, () => {
        attempts++;
        return HttpResponse.json(errorBody("internal_error"), { status: 500 });
      }),
      ...feed.handlers(),
    );
    const watcher = watch({ sseFailuresBeforePolling: 2, pollIntervalMs: 30 });
    const errors: OpenVClientError[] = [];
    watcher.on("error", (error) => errors.push(error));
    await eventually(() => expect(watcher.status).toBe("polling"));
    expect(attempts).toBe(2);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(ServerError);

    feed.log.push(video("v1", "completed", 1100));
    await eventually(() => expect(statusesOf(watcher)).toEqual({ v1: "completed" }));
    expect(attempts).toBe(2);
    watcher.close();
  });

  it("falls back at once when the server has no event route (404)", async () => {
    const feed = new FakeFeed([]);
    let attempts = 0;
    network.use(
      http.get(`${base}/videos/events`, () => {
        attempts++;
        return HttpResponse.json(errorBody("not_found"), { status: 404 });
      }),
      ...feed.handlers(),
    );
    const watcher = watch({ pollIntervalMs: 20, idlePollMaxMs: 40 });
    await eventually(() => expect(watcher.status).toBe("idle"));
    expect(attempts).toBe(1);
    watcher.close();
  });

  it("passes back serverTime, polls steadily while active, backs off when not, and stops when nothing is pending", async () => {
    const feed = new FakeFeed([video("v1", "processing", 5000)]);
    network.use(...feed.handlers());
    const watcher = watch({ mode: "polling", pollIntervalMs: 40, idlePollMaxMs: 320 });
    const { regressions } = record(watcher);
    await eventually(() => expect(feed.listQueries.length).toBeGreaterThanOrEqual(3));
    feed.log.push(video("v1", "completed", 5100));
    await eventually(() => expect(watcher.status).toBe("idle"), 3000);
    const queries = [...feed.listQueries];
    await delay(700);
    expect(feed.listQueries).toHaveLength(queries.length);

    // The first query is the full list; each next one passes back the previous serverTime.
    expect(queries[0]?.updatedSince).toBeNull();
    const sinces = queries.slice(1).map((query) => Number(query.updatedSince));
    expect(sinces.every((since) => since === 5000 || since === 5100)).toBe(true);
    expect(sinces.at(-1)).toBe(5100);

    // While v1 was processing: every 40 ms. After it completed: 80, 160, 320 ms, then no more.
    const completedAt = queries.findIndex((query) => query.updatedSince === "5100");
    const gaps = queries.slice(1).map((query, index) => query.at - (queries[index]?.at ?? 0));
    const activeGaps = gaps.slice(0, completedAt - 1);
    const idleGaps = gaps.slice(completedAt - 1);
    expect(Math.max(...activeGaps)).toBeLessThan(150);
    expect(idleGaps).toHaveLength(3);
    expect(idleGaps[0]).toBeGreaterThanOrEqual(75);
    expect(idleGaps[1]).toBeGreaterThanOrEqual(155);
    expect(idleGaps[2]).toBeGreaterThanOrEqual(315);
    expect(regressions).toEqual([]);

    // refresh() wakes it for one more round.
    watcher.refresh();
    await eventually(() => expect(feed.listQueries.length).toBeGreaterThan(queries.length));
    watcher.close();
  });

  it("a pending wait() keeps polling at idlePollMaxMs until the video finishes", async () => {
    const feed = new FakeFeed([]);
    network.use(
      http.get(`${base}/videos/v9`, () => HttpResponse.json(errorBody("internal_error"), { status: 500 })),
      ...feed.handlers(),
    );
    const watcher = watch({ mode: "polling", pollIntervalMs: 20, idlePollMaxMs: 80 });
    await eventually(() => expect(watcher.status).toBe("idle"));
    const done = watcher.wait("v9", { timeoutMs: 5000 });
    await delay(400);
    expect(watcher.status).toBe("polling");
    const polls = feed.listQueries.length;
    feed.log.push(video("v9", "completed", 3000));
    expect((await done).status).toBe("completed");
    expect(polls).toBeGreaterThanOrEqual(4);
    await eventually(() => expect(watcher.status).toBe("idle"));
    watcher.close();
  });

  it("stale pages from a lagging server never move a status back", async () => {
    // A load balancer in front of a primary and a lagging replica: answers alternate.
    const fresh: VideoOrTombstone[][] = [
      [video("v1", "processing", 2000)],
      [video("v1", "completed", 3000), tombstone("v2", 3000)],
    ];
    const stale: VideoOrTombstone[] = [video("v1", "queued", 1000), video("v2", "queued", 1000)];
    let calls = 0;
    network.use(
      http.get(`${base}/videos`, ({ request }) => {
        const since = new URL(request.url).searchParams.get("updatedSince");
        calls++;
        if (since === null) return HttpResponse.json({ videos: stale, serverTime: 1000, nextCursor: null });
        const page = calls % 2 === 0 ? stale : (fresh.shift() ?? stale);
        return HttpResponse.json({ videos: page, serverTime: 1000 + calls, nextCursor: null });
      }),
    );
    const watcher = watch({ mode: "polling", pollIntervalMs: 10, idlePollMaxMs: 20 });
    const { regressions } = record(watcher);
    await eventually(() => expect(statusesOf(watcher)).toEqual({ v1: "completed" }));
    await delay(100);
    expect(statusesOf(watcher)).toEqual({ v1: "completed" });
    expect(regressions).toEqual([]);
    watcher.close();
  });
});

describe("the client's own changes", () => {
  it("generate() and delete() show in the client's watchers at once", async () => {
    const feed = new FakeFeed([]);
    network.use(
      ...feed.handlers(),
      http.post(`${base}/videos`, () =>
        HttpResponse.json({ video: video("v7", "queued", 7000), usage }, { status: 202 }),
      ),
      http.delete(`${base}/videos`, () => HttpResponse.json({ deleted: ["v7"] })),
    );
    const openv = client();
    const watcher = openv.watch({ mode: "polling", pollIntervalMs: 5000, idlePollMaxMs: 5000 });
    await eventually(() => expect(watcher.status).toBe("idle"));
    const seen: string[] = [];
    watcher.on("video", (entry) => seen.push(`${entry.id}:${entry.status}`));
    watcher.on("deleted", (id: string) => seen.push(`${id}:deleted`));
    await openv.generate({ prompt: "a" });
    expect(seen).toEqual(["v7:queued"]);
    await openv.delete("v7");
    expect(seen).toEqual(["v7:queued", "v7:deleted"]);
    expect(watcher.getSnapshot().videos).toEqual([]);
    watcher.close();
  });
});
