import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { OutboundWebhookEventSchema, type Video, VideoSchema } from "@openv/protocol";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PrismaStore } from "../src/adapters/store/prisma.js";
import { createStandardWebhookSender } from "../src/adapters/webhooks/standard.js";
import { OutboxDispatcher, outboxRetryDelay } from "../src/core/outbox.js";
import type { Logger, OutboxRecord } from "../src/core/ports.js";
import {
  accepted,
  backends,
  completedOutput,
  createTestDatabase,
  generateBody,
  ScriptedProvider,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "./helpers.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** A logger that keeps what it was told, to check what an operator reads. */
function recordingLogger() {
  const lines: { level: string; object: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (object: object, message = "") =>
      lines.push({ level, object: object as Record<string, unknown>, message });
  const logger: Logger = { info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

/** Runs raw SQL on a test server's database (to read the outbox, or to make a message due now). */
function sql<T = unknown>(server: TestServer, query: string): Promise<T> {
  return (server.openv.adapters.store as PrismaStore).client.$queryRawUnsafe<T>(query);
}

function execute(server: TestServer, statement: string): Promise<number> {
  return (server.openv.adapters.store as PrismaStore).client.$executeRawUnsafe(statement);
}

/** Makes every undelivered message due now, as if its backoff had passed. */
const makeAllDue = (server: TestServer) =>
  execute(server, `UPDATE "OutboxMessage" SET "nextAttemptAt" = now() WHERE "deliveredAt" IS NULL`);

const outboxOf = (server: TestServer) => {
  const outbox = server.openv.outbox;
  if (!outbox) throw new Error("the test server has no outbox dispatcher: pass outboundWebhooks");
  return outbox;
};

describe.each(backends)("outbound webhooks on $name", ({ adminUrl }) => {
  let receiver: WebhookReceiver;
  let provider: ScriptedProvider;
  /** One server for the tests that need nothing special (an embedded database takes seconds to open). */
  let shared: TestServer;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    receiver = await new WebhookReceiver(newSecret()).start();
    provider = new ScriptedProvider();
    shared = await startTestServer({
      adminUrl,
      provider,
      outboundWebhooks: { url: receiver.url, secret: receiver.secret },
      config: { maxRetries: 0, maxActiveJobs: 20 },
    });
    await accepted(shared);
  });
  afterAll(async () => {
    await shared?.close();
    await receiver?.stop();
  });
  beforeEach(async () => {
    await receiver.start();
    receiver.reset();
    await execute(shared, `DELETE FROM "OutboxMessage"`);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(options: TestServerOptions = {}): Promise<TestServer> {
    const server = await startTestServer({
      adminUrl,
      provider,
      outboundWebhooks: { url: receiver.url, secret: receiver.secret },
      ...options,
    });
    let closed: Promise<void> | undefined;
    const close = server.close.bind(server);
    server.close = () => (closed ??= close());
    cleanups.push(() => server.close());
    return server;
  }

  async function generate(server: TestServer, user = "alice"): Promise<Video> {
    const response = await server.api("/videos", { method: "POST", user, json: generateBody });
    expect(response.status).toBe(202);
    return ((await response.json()) as { video: Video }).video;
  }

  /** Generates a video and completes it through the provider's webhook; returns it as stored. */
  async function completeOne(server: TestServer, user = "alice"): Promise<Video> {
    const video = await generate(server, user);
    const index = provider.submissions.findIndex((submission) => submission.videoId === video.id);
    const hook = await provider.send(
      { status: "COMPLETED", output: completedOutput(server, { videoId: video.id }) },
      index,
    );
    expect(hook.status).toBe(200);
    return ((await (await server.api(`/videos/${video.id}`, { user })).json()) as { video: Video }).video;
  }

  it("a completed video produces exactly one video.completed delivery, signed so the official library verifies it", async () => {
    const server = shared;
    const video = await completeOne(server);
    // Queued with the change: the message is there before any dispatcher ran, one for the whole
    // queued → processing → completed journey.
    expect((await server.tableCounts()).OutboxMessage).toBe(1);

    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 0 });

    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.delivered;
    expect(delivery?.verifyError).toBeNull();
    expect(delivery?.headers["content-type"]).toBe("application/json");
    expect(delivery?.id).toMatch(/^msg_[A-Za-z0-9_-]{20,}$/);
    expect(Math.abs((delivery?.timestamp ?? 0) - Date.now() / 1000)).toBeLessThan(30);
    const event = OutboundWebhookEventSchema.parse(delivery?.verified);
    expect(event.type).toBe("video.completed");
    // The data is the Video object, exactly as the API serves it; the timestamp is the change's.
    expect(VideoSchema.parse(event.data)).toEqual(video);
    expect(event.data).toMatchObject({
      id: video.id,
      status: "completed",
      url: completedOutput(server, { videoId: video.id }).url,
    });
    expect(event.timestamp).toBe(video.updatedAt);
    const [row] = await sql<{ deliveredAt: Date | null; attempts: number }[]>(
      server,
      `SELECT "deliveredAt", "attempts" FROM "OutboxMessage"`,
    );
    expect(row?.deliveredAt).toBeInstanceOf(Date);
    expect(row?.attempts).toBe(1);
  });

  it("a failed video produces video.failed (with its error), a deleted one video.deleted", async () => {
    const server = shared;
    const failing = await generate(server);
    expect((await provider.send({ status: "FAILED", error: "invalid_input: num_frames out of range" })).status).toBe(
      200,
    );
    await outboxOf(server).runOnce();
    const failed = OutboundWebhookEventSchema.parse(receiver.delivered.at(-1)?.verified);
    expect(failed).toMatchObject({ type: "video.failed", data: { id: failing.id, status: "failed" } });
    expect(failed.type === "video.failed" && failed.data.error?.code).toBeTruthy();

    const done = await completeOne(server);
    expect((await server.api(`/videos/${done.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await server.api(`/videos/${failing.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await outboxOf(server).runOnce()).delivered).toBe(3);
    const events = receiver.delivered.map((delivery) => OutboundWebhookEventSchema.parse(delivery.verified));
    // One pass sends in parallel: no order among the last three.
    expect(events[0]?.type).toBe("video.failed");
    expect(
      events
        .slice(1)
        .map((event) => event.type)
        .sort(),
    ).toEqual(["video.completed", "video.deleted", "video.deleted"]);
    const deleted = events.filter((event) => event.type === "video.deleted").map((event) => event.data);
    expect(deleted.map((data) => data.id).sort()).toEqual([done.id, failing.id].sort());
    for (const data of deleted) {
      expect(data).toEqual({ id: data.id, userId: "alice", deletedAt: expect.any(String) });
      expect(Date.parse(data.deletedAt)).toBeGreaterThan(Date.parse(done.updatedAt) - 1);
    }
    // Every message has its own id.
    expect(new Set(receiver.delivered.map((delivery) => delivery.id)).size).toBe(4);
  });

  it("without outbound webhooks configured, nothing is queued and there is no dispatcher", async () => {
    const server = await start({ outboundWebhooks: undefined });
    await accepted(server);
    await completeOne(server);
    expect(server.openv.outbox).toBeNull();
    expect(server.openv.adapters.webhookSender).toBeNull();
    expect((await server.tableCounts()).OutboxMessage).toBe(0);
  });

  it("an endpoint that answers 500 gets the message again after the backoff, with the same webhook-id, and it verifies", async () => {
    const server = shared;
    receiver.answer = (index) => (index === 0 ? 500 : 200);
    const video = await completeOne(server);

    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 1, retrying: 1, delivered: 0 });
    const [row] = await sql<{ nextAttemptAt: Date; lastError: string; attempts: number }[]>(
      server,
      `SELECT "nextAttemptAt", "lastError", "attempts" FROM "OutboxMessage"`,
    );
    expect(row?.attempts).toBe(1);
    expect(row?.lastError).toMatch(/answered 500.*receiver says no \(500\): database is locked/);
    // The first wait is 5 s ± 20 %: not due on the next pass.
    const waitMs = (row?.nextAttemptAt.getTime() ?? 0) - Date.now();
    expect(waitMs).toBeGreaterThan(3_000);
    expect(waitMs).toBeLessThan(6_100);
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 0 });
    expect(receiver.received).toHaveLength(1);

    await makeAllDue(server);
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    const [first, second] = receiver.received;
    expect(first?.answeredWith).toBe(500);
    expect(second?.answeredWith).toBe(200);
    expect(second?.id).toBe(first?.id);
    expect(first?.verifyError).toBeNull();
    expect(second?.verifyError).toBeNull();
    expect(second?.body).toBe(first?.body);
    expect(OutboundWebhookEventSchema.parse(second?.verified)).toMatchObject({
      type: "video.completed",
      data: { id: video.id },
    });
  });

  it("an endpoint that is down: every message is retried and none is lost", async () => {
    const server = shared;
    await receiver.stop();
    const videos = [await completeOne(server), await completeOne(server), await completeOne(server)];
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 3, retrying: 3 });
    const errors = await sql<{ lastError: string }[]>(server, `SELECT "lastError" FROM "OutboxMessage"`);
    for (const { lastError } of errors)
      expect(lastError).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+\/hooks\/openv/);

    await makeAllDue(server);
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 3, retrying: 3 });
    await receiver.start();
    await makeAllDue(server);
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 3, delivered: 3 });
    const delivered = receiver.delivered.map((delivery) => OutboundWebhookEventSchema.parse(delivery.verified));
    expect(delivered.map((event) => event.data.id).sort()).toEqual(videos.map((video) => video.id).sort());
    const attempts = await sql<{ attempts: number }[]>(server, `SELECT "attempts" FROM "OutboxMessage"`);
    expect(attempts.map((row) => row.attempts)).toEqual([3, 3, 3]);
  });

  it("a message made due with now() (as the logged fix does) is claimed by the very next pass, every time", async () => {
    const server = shared;
    receiver.answer = () => 503;
    await completeOne(server);
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 1, retrying: 1 });
    // now() keeps microseconds: a pass in the same millisecond must still find the message due.
    const store = server.openv.adapters.store;
    let missed = 0;
    for (let round = 0; round < 200; round++) {
      await makeAllDue(server);
      const claimed = await store.claimOutbox(60_000, 10);
      if (claimed.length !== 1) missed++;
      await execute(server, `UPDATE "OutboxMessage" SET "claimedUntil" = NULL`);
    }
    expect(missed).toBe(0);
  });

  it("gives up after maxAttempts, logging each failure with the message id and what to do; the logged fix sends it again", async () => {
    const server = shared;
    receiver.answer = () => 503;
    await completeOne(server);
    const { logger, lines } = recordingLogger();
    const dispatcher = new OutboxDispatcher({
      store: server.openv.adapters.store,
      sender: server.openv.adapters.webhookSender as NonNullable<typeof server.openv.adapters.webhookSender>,
      logger,
      options: { retryDelaysMs: [0], maxAttempts: 3 },
    });
    expect(await dispatcher.runOnce()).toMatchObject({ retrying: 1 });
    expect(await dispatcher.runOnce()).toMatchObject({ retrying: 1 });
    expect(await dispatcher.runOnce()).toMatchObject({ gaveUp: 1 });
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 0 });
    expect(receiver.received).toHaveLength(3);
    const id = receiver.received[0]?.id as string;

    const failures = lines.filter((line) => line.level !== "info");
    expect(failures.map((line) => line.level)).toEqual(["warn", "warn", "error"]);
    for (const line of failures) {
      expect(line.object.messageId).toBe(id);
      expect(line.message).toContain(id);
      expect(line.message).toMatch(/answered 503/);
    }
    expect(failures[0]?.message).toMatch(/trying again at .*answers 2xx/);
    const fix = /(UPDATE "OutboxMessage" SET .*)$/.exec(failures[2]?.message ?? "")?.[1];
    expect(failures[2]?.message).toMatch(/given up after 3 attempts/);
    expect(fix).toBeDefined();
    const [row] = await sql<{ failedAt: Date | null }[]>(server, `SELECT "failedAt" FROM "OutboxMessage"`);
    expect(row?.failedAt).toBeInstanceOf(Date);

    // The operator fixes the endpoint and runs the statement the log gave.
    receiver.answer = () => 200;
    expect(await execute(server, fix as string)).toBe(1);
    expect(await dispatcher.runOnce()).toMatchObject({ delivered: 1 });
    expect(receiver.delivered.map((delivery) => delivery.id)).toEqual([id]);
  });

  it("two dispatchers working at once never send one message twice, even while a send is slow", async () => {
    receiver.delayMs = 150;
    const options = { outboundWebhooks: { url: receiver.url, secret: receiver.secret }, config: { maxActiveJobs: 20 } };
    let a: TestServer;
    let b: TestServer;
    if (adminUrl) {
      // Two real instances on one PostgreSQL database.
      const database = await createTestDatabase(adminUrl);
      cleanups.push(() => database.drop());
      a = await start({ ...options, adminUrl: null, databaseUrl: database.url });
      b = await start({ ...options, adminUrl: null, databaseUrl: database.url });
    } else {
      // An embedded database has one process: two dispatchers over its one store.
      a = shared;
      b = a;
    }
    await accepted(a);
    const videos: Video[] = [];
    for (let i = 0; i < 8; i++) videos.push(await completeOne(i % 2 ? a : b));
    const dispatcher = (server: TestServer) =>
      new OutboxDispatcher({
        store: server.openv.adapters.store,
        sender: server.openv.adapters.webhookSender as NonNullable<typeof server.openv.adapters.webhookSender>,
        logger: recordingLogger().logger,
        options: { batchSize: 2, concurrency: 2 },
      });
    const [first, second] = [dispatcher(a), dispatcher(b)];
    const delivered = { first: 0, second: 0 };
    for (let pass = 0; pass < 10; pass++) {
      const [one, two] = await Promise.all([first.runOnce(), second.runOnce()]);
      delivered.first += one.delivered;
      delivered.second += two.delivered;
      if (one.claimed + two.claimed === 0) break;
    }
    expect(delivered.first + delivered.second).toBe(8);
    expect(delivered.first).toBeGreaterThan(0);
    expect(delivered.second).toBeGreaterThan(0);
    expect(receiver.maxInFlightPerId).toBe(1);
    expect(receiver.received).toHaveLength(8);
    const ids = receiver.delivered.map((delivery) => delivery.id);
    expect(new Set(ids).size).toBe(8);
    const videoIds = receiver.delivered.map((delivery) => OutboundWebhookEventSchema.parse(delivery.verified).data.id);
    expect(videoIds.sort()).toEqual(videos.map((video) => video.id).sort());
  });

  it("stopping mid-pass waits only for the send in flight; the messages it left are sent once their claim expires", async () => {
    const server = shared;
    for (let i = 0; i < 4; i++) await completeOne(server);
    receiver.delayMs = 800;
    const dispatcher = new OutboxDispatcher({
      store: server.openv.adapters.store,
      sender: server.openv.adapters.webhookSender as NonNullable<typeof server.openv.adapters.webhookSender>,
      logger: recordingLogger().logger,
      options: { concurrency: 1, pollIntervalMs: 60_000 },
    });
    dispatcher.start();
    while (receiver.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const stoppingAt = Date.now();
    await dispatcher.stop();
    // One 800 ms send, not four in a row (3.2 s).
    expect(Date.now() - stoppingAt).toBeLessThan(2_500);
    expect(receiver.received).toHaveLength(1);
    receiver.delayMs = 0;
    // Still claimed by the stopped pass: nobody sends them twice meanwhile.
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 0 });
    await execute(server, `UPDATE "OutboxMessage" SET "claimedUntil" = now() - interval '1 second'`);
    expect(await outboxOf(server).runOnce()).toMatchObject({ claimed: 3, delivered: 3 });
    expect(new Set(receiver.delivered.map((delivery) => delivery.id)).size).toBe(4);
  });

  it("a video completed while the endpoint is down is delivered by the next instance on the same database", async () => {
    let sameDatabase: TestServerOptions;
    if (adminUrl) {
      const database = await createTestDatabase(adminUrl);
      cleanups.push(() => database.drop());
      sameDatabase = { adminUrl: null, databaseUrl: database.url };
    } else {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-outbox-"));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      sameDatabase = { dataDir };
    }
    await receiver.stop();
    const before = await start(sameDatabase);
    await accepted(before);
    const video = await completeOne(before);
    expect(await outboxOf(before).runOnce()).toMatchObject({ retrying: 1 });
    await makeAllDue(before);
    await before.close();

    // The next instance runs its loop (as in production): it finds the message and delivers it
    // without anyone calling runOnce().
    await receiver.start();
    const after = await start({ ...sameDatabase, outbox: { pollIntervalMs: 100 } });
    const deadline = Date.now() + 15_000;
    while (receiver.delivered.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(receiver.delivered).toHaveLength(1);
    expect(OutboundWebhookEventSchema.parse(receiver.delivered[0]?.verified)).toMatchObject({
      type: "video.completed",
      data: { id: video.id, status: "completed" },
    });
    await after.openv.stop();
    expect(receiver.received).toHaveLength(1);
  });

  it("with the loop running, a completion is delivered at once, not at the next poll", async () => {
    const server = await start({ outbox: { pollIntervalMs: 60_000 } });
    await accepted(server);
    // Let the first (empty) pass finish: from here on only a nudge can wake the loop for a minute.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const completedAt = Date.now();
    const video = await completeOne(server);
    // The next poll is a minute away: a delivery well before it (half of it, so a busy machine's
    // slowness cannot be mistaken for the poll) can only come from the nudge.
    while (receiver.delivered.length === 0 && Date.now() - completedAt < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(receiver.delivered.map((delivery) => (delivery.verified as { data: Video }).data.id)).toEqual([video.id]);
  });
});

describe("the Standard Webhooks sender", () => {
  const message: OutboxRecord = {
    id: "msg_test",
    eventType: "video.deleted",
    payload: { type: "video.deleted", timestamp: new Date().toISOString(), data: { id: "vid_1" } },
    attempts: 0,
    nextAttemptAt: new Date(),
    createdAt: new Date(),
  };

  it("refuses a secret that is not whsec_ base64 of at least 24 bytes, and a URL that is not http(s), saying how to fix it", () => {
    const url = "https://app.example/hooks";
    expect(() => createStandardWebhookSender({ url, secret: "hunter2-hunter2-hunter2-hunter2" })).toThrow(
      /not a Standard Webhooks secret.*randomBytes\(32\)/,
    );
    expect(() => createStandardWebhookSender({ url, secret: "whsec_not base64!" })).toThrow(/whsec_/);
    expect(() =>
      createStandardWebhookSender({ url, secret: `whsec_${Buffer.from("short").toString("base64")}` }),
    ).toThrow(/only 5 bytes long; it needs at least 24/);
    expect(() => createStandardWebhookSender({ url: "ftp://app.example/hooks", secret: newSecret() })).toThrow(
      /http:\/\/ or https:\/\//,
    );
    expect(() => createStandardWebhookSender({ url: "/hooks", secret: newSecret() })).toThrow(/full address/);
    expect(
      createStandardWebhookSender({ url: "https://app.example/hooks?token=s3cret", secret: newSecret() }).name,
    ).toBe("Standard Webhooks → https://app.example/hooks");
  });

  it("a non-2xx answer (a redirect too) throws with the status and the start of the body; a slow one times out", async () => {
    let status = 404;
    let hang = false;
    const server = createServer((request, response) => {
      request.resume();
      if (hang) return; // never answers
      response.writeHead(status, status === 302 ? { location: "http://127.0.0.1:1/" } : {});
      response.end(`nothing here: ${"x".repeat(2000)}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const sender = createStandardWebhookSender({ url, secret: newSecret(), timeoutMs: 300 });
      const error = await sender.send(message).catch((caught: Error) => caught);
      expect((error as Error).message).toMatch(/answered 404 Not Found: nothing here: x+…$/);
      expect((error as Error).message.length).toBeLessThan(450);
      status = 302;
      await expect(sender.send(message)).rejects.toThrow(/answered 302/);
      hang = true;
      await expect(sender.send(message)).rejects.toThrow(/did not answer within 300 ms/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("the outbox retry schedule", () => {
  const options = { retryDelaysMs: [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000], jitter: 0.2 };

  it("backs off 5 s, 30 s, 2 min, 10 min, 30 min, then every hour, spread by ±20 %", () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((attempts) => outboxRetryDelay(attempts, options, middle))).toEqual([
      5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
    expect(outboxRetryDelay(1, options, () => 0)).toBe(4_000);
    expect(outboxRetryDelay(1, options, () => 0.999_999)).toBe(6_000);
    const spread = new Set(Array.from({ length: 50 }, () => outboxRetryDelay(2, options)));
    expect(spread.size).toBeGreaterThan(10);
    for (const delay of spread) {
      expect(delay).toBeGreaterThanOrEqual(24_000);
      expect(delay).toBeLessThanOrEqual(36_000);
    }
  });
});
