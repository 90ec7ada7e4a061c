import { randomBytes } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import {
  type Tombstone,
  type Video,
  type VideoOrTombstone,
  VideoOrTombstoneSchema,
  VideoSchema,
} from "@openv/protocol";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createPostgresEvents,
  encodeNotifications,
  NotificationAssembler,
  type PostgresEventsOptions,
} from "../src/adapters/events/postgres.js";
import type { Events, Logger, VideoChangeEvent } from "../src/core/ports.js";

const databaseUrl = process.env.OPENV_TEST_DATABASE_URL;

/** PostgreSQL refuses NOTIFY payloads of this many bytes or more. */
const notifyLimitBytes = 8000;

function video(overrides: Partial<Video> = {}): Video {
  const fixture: Video = {
    id: `vid_${randomBytes(6).toString("hex")}`,
    jobId: "job-123",
    userId: "user_a",
    prompt: "a red fox running through snow at dawn",
    negativePrompt: null,
    model: "mochi-1",
    status: "processing",
    progress: 0.25,
    url: null,
    frames: 31,
    fps: 30,
    durationSeconds: 31 / 30,
    width: 848,
    height: 480,
    seed: 42,
    steps: 64,
    cfg: 4.5,
    error: null,
    retryCount: 0,
    enhancedPrompt: null,
    imageId: null,
    creditCost: null,
    posterUrl: null, // posters21
    sprite: null, // posters21
    remixOf: null,
    createdAt: "2025-01-01T12:00:00.000Z",
    updatedAt: "2025-01-01T12:00:05.000Z",
    ...overrides,
  };
  return VideoSchema.parse(fixture);
}

const tombstone: Tombstone = { id: "vid_gone", deleted: true, updatedAt: "2025-01-01T12:01:00.000Z" };

let lastSeq = 0;
/** A change as published: with the next number of the (test-wide) change sequence. */
function ev(change: VideoOrTombstone, seq = ++lastSeq): VideoChangeEvent {
  return { seq, change };
}

function recordingLogger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
}

/** Collects what a subscription receives. */
function inbox() {
  const received: VideoOrTombstone[] = [];
  const seqs: number[] = [];
  const arrivedAt: number[] = [];
  return {
    received,
    seqs,
    arrivedAt,
    listener: (event: VideoChangeEvent) => {
      received.push(event.change);
      seqs.push(event.seq);
      arrivedAt.push(performance.now());
    },
    /** Waits until at least `count` changes have arrived. */
    waitFor: (count: number, timeoutMs = 5_000) =>
      waitUntil(() => received.length >= count, timeoutMs, `${count} change(s), got ${received.length}`),
  };
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("the NOTIFY wire format", () => {
  it("sends a small change as one payload and reads it back", () => {
    const change = video();
    const payloads = encodeNotifications("user_a", ev(change, 41));
    expect(payloads).toHaveLength(1);
    const assembler = new NotificationAssembler({ timeoutMs: 1_000, maxIncomplete: 10, onDiscard: vi.fn() });
    const body = assembler.accept(payloads[0] ?? "");
    expect(JSON.parse(body ?? "")).toEqual({ u: "user_a", s: 41, c: change });
  });

  it("cuts a large change into chunks under the byte limit, between characters", () => {
    // 1-, 2-, 3- and 4-byte characters, so cuts land at every offset within a character.
    const big = video({ prompt: "🎬".repeat(2000), negativePrompt: "aé€🎬".repeat(500) });
    const small: Tombstone = { ...tombstone, id: "aé€🎬".repeat(5) };
    const cases: [VideoOrTombstone, number][] = [
      [big, 6000],
      [big, 997],
      [big, 101],
      [small, 3], // smaller than a 4-byte character: that character goes whole
      [small, 1],
    ];
    for (const [change, chunkBytes] of cases) {
      const payloads = encodeNotifications("user_a", ev(change, 7), chunkBytes);
      expect(payloads.length).toBeGreaterThan(1);
      for (const payload of payloads) {
        expect(Buffer.byteLength(payload, "utf8")).toBeLessThan(notifyLimitBytes);
        // A lone surrogate would not survive the UTF-8 round trip the database makes.
        expect(Buffer.from(payload, "utf8").toString("utf8")).toBe(payload);
      }
      const assembler = new NotificationAssembler({ timeoutMs: 1_000, maxIncomplete: 10, onDiscard: vi.fn() });
      const bodies = payloads.map((payload) => assembler.accept(payload)).filter((body) => body !== undefined);
      expect(bodies).toHaveLength(1);
      expect(JSON.parse(bodies[0] ?? "")).toEqual({ u: "user_a", s: 7, c: change });
      assembler.clear();
    }
  });

  it("reassembles chunks that arrive out of order and interleaved with other messages", () => {
    const first = encodeNotifications("user_a", ev(video({ prompt: "x".repeat(300) })), 100);
    const second = encodeNotifications("user_b", ev(tombstone), 20);
    const shuffled = [...first.reverse(), ...second.reverse()].sort(() => Math.random() - 0.5);
    const assembler = new NotificationAssembler({ timeoutMs: 1_000, maxIncomplete: 10, onDiscard: vi.fn() });
    const bodies = shuffled.map((payload) => assembler.accept(payload)).filter((body) => body !== undefined);
    expect(bodies.map((body) => JSON.parse(body).u).sort()).toEqual(["user_a", "user_b"]);
    expect(assembler.incompleteCount).toBe(0);
  });

  it("drops incomplete messages after the timeout and keeps a bounded number of them", () => {
    vi.useFakeTimers();
    try {
      const onDiscard = vi.fn();
      const assembler = new NotificationAssembler({ timeoutMs: 1_000, maxIncomplete: 3, onDiscard });
      for (let i = 0; i < 5; i++) {
        const [firstChunk] = encodeNotifications("user_a", ev(video({ prompt: "y".repeat(500) })), 100);
        expect(assembler.accept(firstChunk ?? "")).toBeUndefined();
      }
      expect(assembler.incompleteCount).toBe(3);
      expect(onDiscard).toHaveBeenCalledTimes(2);
      vi.advanceTimersByTime(1_001);
      expect(assembler.incompleteCount).toBe(0);
      expect(onDiscard).toHaveBeenCalledTimes(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it("ignores payloads it cannot read", () => {
    const onDiscard = vi.fn();
    const assembler = new NotificationAssembler({ timeoutMs: 1_000, maxIncomplete: 3, onDiscard });
    for (const payload of ["", "hello", "2:abc:0:1:{}", "1:abc:3:2:{}", "1:abc:0:0:{}", "1:abc:0:99999:{}"]) {
      expect(assembler.accept(payload)).toBeUndefined();
    }
    expect(onDiscard).toHaveBeenCalledTimes(6);
    expect(assembler.incompleteCount).toBe(0);
  });
});

/** A TCP proxy to the database that a test can cut and restore, as if the server restarted. */
async function startProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", cut).on("close", cut);
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject).listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    url: (() => {
      const url = new URL(target);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    })(),
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    restart: () => listen(port),
  };
}

describe.skipIf(!databaseUrl)("PostgreSQL LISTEN/NOTIFY events", () => {
  const adminUrl = databaseUrl ?? "";
  let admin: pg.Client;
  const opened: Events[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((events) => events.close?.()));
  });

  const uniqueChannel = () => `openv_test_${randomBytes(6).toString("hex")}`;

  async function open(channel: string, extra: Partial<PostgresEventsOptions> = {}): Promise<Events> {
    const events = await createPostgresEvents({ connectionString: adminUrl, channel, ...extra });
    opened.push(events);
    return events;
  }

  /** Backends listening on `channel` (their last statement is the LISTEN). */
  async function listenerPids(channel: string): Promise<number[]> {
    const result = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND position($1 in query) > 0 AND state = 'idle'",
      [`"${channel}"`],
    );
    return result.rows.map((row) => row.pid);
  }

  it("delivers a change published on one instance to subscribers on every instance, once, within a second", async () => {
    const channel = uniqueChannel();
    const a = await open(channel);
    const b = await open(channel);
    expect(a.name).toBe(`PostgreSQL LISTEN/NOTIFY (channel ${channel})`);

    const onA = inbox();
    const onB = inbox();
    const otherUserOnB = inbox();
    a.subscribe("user_a", onA.listener);
    b.subscribe("user_a", onB.listener);
    b.subscribe("user_b", otherUserOnB.listener);

    const change = video();
    const publishedAt = performance.now();
    await a.publish("user_a", ev(change, 9));
    await Promise.all([onA.waitFor(1), onB.waitFor(1)]);
    expect(onB.received).toEqual([change]);
    expect(onA.received).toEqual([change]);
    // The change's number in its user's sequence travels with it: it is the SSE id everywhere.
    expect([onA.seqs, onB.seqs]).toEqual([[9], [9]]);
    expect((onB.arrivedAt[0] ?? Number.POSITIVE_INFINITY) - publishedAt).toBeLessThan(1_000);

    // Notifications on a channel arrive in commit order: once this later one is in, the first
    // change has been delivered everywhere it ever will be.
    const sentinel = video({ userId: "user_b" });
    await a.publish("user_b", ev(sentinel));
    await otherUserOnB.waitFor(1);
    expect(otherUserOnB.received).toEqual([sentinel]);
    expect(onA.received).toHaveLength(1);
    expect(onB.received).toHaveLength(1);
  });

  it("stops delivering to a subscription once unsubscribed", async () => {
    const channel = uniqueChannel();
    const a = await open(channel);
    const b = await open(channel);
    const kept = inbox();
    const dropped = inbox();
    b.subscribe("user_a", kept.listener);
    const unsubscribe = b.subscribe("user_a", dropped.listener);

    await a.publish("user_a", ev(video({ progress: 0.1 })));
    await Promise.all([kept.waitFor(1), dropped.waitFor(1)]);
    unsubscribe();
    unsubscribe(); // a second call is harmless
    await a.publish("user_a", ev(tombstone));
    await kept.waitFor(2);
    expect(kept.received.at(-1)).toEqual(tombstone);
    expect(dropped.received).toHaveLength(1);
  });

  it("keeps delivering to other subscribers when one throws", async () => {
    const logger = recordingLogger();
    const events = await open(uniqueChannel(), { logger });
    const after = inbox();
    events.subscribe("user_a", () => {
      throw new Error("subscriber bug");
    });
    events.subscribe("user_a", after.listener);
    await events.publish("user_a", ev(tombstone));
    await after.waitFor(1);
    expect(after.received).toEqual([tombstone]);
    expect(logger.error).toHaveBeenCalledOnce();
  });

  it("carries a change larger than one NOTIFY payload intact, in chunks of one transaction", async () => {
    const channel = uniqueChannel();
    const a = await open(channel);
    const b = await open(channel);
    const raw = new pg.Client({ connectionString: adminUrl });
    await raw.connect();
    try {
      const payloads: string[] = [];
      raw.on("notification", (notification) => payloads.push(notification.payload ?? ""));
      await raw.query(`LISTEN "${channel}"`);

      const onB = inbox();
      b.subscribe("user_a", onB.listener);
      const change = video({ prompt: "🎬".repeat(2000), negativePrompt: "ü€🎬".repeat(2000) });
      expect(VideoOrTombstoneSchema.parse(change)).toEqual(change);
      await a.publish("user_a", ev(change));
      await onB.waitFor(1);
      expect(onB.received).toEqual([change]);

      await waitUntil(() => payloads.length > 1, 2_000, "the raw chunks");
      for (const payload of payloads) expect(Buffer.byteLength(payload, "utf8")).toBeLessThan(notifyLimitBytes);
      expect(payloads.join("").length).toBeGreaterThan(JSON.stringify(change).length);
    } finally {
      await raw.end();
    }
  });

  it("delivers many changes in a row in order", async () => {
    const channel = uniqueChannel();
    const a = await open(channel);
    const b = await open(channel);
    const onB = inbox();
    b.subscribe("user_a", onB.listener);
    const changes = Array.from({ length: 50 }, (_, i) =>
      i % 10 === 9 ? video({ prompt: "🎬".repeat(2000), progress: i / 50 }) : video({ progress: i / 50 }),
    );
    for (const change of changes) await a.publish("user_a", ev(change));
    await onB.waitFor(changes.length);
    expect(onB.received).toEqual(changes);
  });

  it("reconnects after the LISTEN connection is killed, and delivers later changes", async () => {
    const channel = uniqueChannel();
    const logger = recordingLogger();
    const events = await open(channel, { logger });
    const received = inbox();
    const missed: string[] = [];
    events.subscribe("user_a", received.listener, () => missed.push("user_a"));
    events.subscribe(
      "user_b",
      () => {},
      () => missed.push("user_b"),
    );

    const [pid, ...others] = await listenerPids(channel);
    expect(pid).toBeDefined();
    expect(others).toEqual([]);
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);

    await waitUntil(
      async () => (await listenerPids(channel)).some((next) => next !== pid),
      10_000,
      "a new LISTEN connection",
    );
    expect(logger.warn).toHaveBeenCalled();
    // Whatever other instances published while it was gone is not coming: every subscriber is told
    // once, so it can catch up from the database.
    await waitUntil(() => missed.length >= 2, 5_000, "the subscribers told they missed changes");
    expect(missed.sort()).toEqual(["user_a", "user_b"]);
    const change = video({ status: "completed", progress: 1, url: "https://example.com/v.mp4" });
    await events.publish("user_a", ev(change));
    await received.waitFor(1);
    expect(received.received).toEqual([change]);
    const password = new URL(adminUrl).password;
    if (password) expect(JSON.stringify([events.name, logger.warn.mock.calls])).not.toContain(password);
  });

  it("rejects publishes while the database is unreachable, and recovers when it is back", async () => {
    const channel = uniqueChannel();
    const proxy = await startProxy(new URL(adminUrl));
    const logger = recordingLogger();
    const viaProxy = await open(channel, { connectionString: proxy.url, logger });
    try {
      const direct = await open(channel);
      const received = inbox();
      viaProxy.subscribe("user_a", received.listener);
      const logged = (calls: unknown[][], start: string) =>
        calls.some(([, message]) => typeof message === "string" && message.startsWith(start));

      await proxy.stop();
      await waitUntil(() => logged(logger.warn.mock.calls, "could not reconnect"), 5_000, "a failed reconnection");
      await expect(viaProxy.publish("user_a", ev(tombstone))).rejects.toThrow();

      await proxy.restart();
      await waitUntil(() => logged(logger.info.mock.calls, "reconnected"), 10_000, "the reconnection");
      const change = video();
      await direct.publish("user_a", ev(change));
      await received.waitFor(1);
      expect(received.received).toEqual([change]);
      await viaProxy.publish("user_a", ev(tombstone));
      await received.waitFor(2);
      expect(received.received).toEqual([change, tombstone]);
    } finally {
      await viaProxy.close?.();
      await proxy.stop();
    }
  });

  it("closes quickly, and then refuses to publish", async () => {
    const channel = uniqueChannel();
    const events = await createPostgresEvents({ connectionString: adminUrl, channel });
    const started = performance.now();
    await events.close?.();
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(events.publish("user_a", ev(tombstone))).rejects.toThrow(/closed/);
    await events.close?.(); // a second close is harmless
    expect(await listenerPids(channel)).toEqual([]);
  });

  it("closes while reconnecting without hanging", async () => {
    const channel = uniqueChannel();
    const events = await createPostgresEvents({ connectionString: adminUrl, channel });
    const [pid] = await listenerPids(channel);
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    const started = performance.now();
    await events.close?.();
    expect(performance.now() - started).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await listenerPids(channel)).toEqual([]);
  });

  it("refuses a channel that is not a plain identifier", async () => {
    await expect(createPostgresEvents({ connectionString: adminUrl, channel: 'x"; DROP TABLE y; --' })).rejects.toThrow(
      /Invalid events channel/,
    );
  });
});
