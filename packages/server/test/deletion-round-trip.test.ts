import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore } from "../src/adapters/store/postgres.js";
import type { Store } from "../src/core/ports/store.js";
import type { VideoRecord } from "../src/core/ports.js";
import { noPreviews } from "../src/core/previews.js";
import { accepted, backends, createTestDatabase, ScriptedProvider, startTestServer } from "./helpers.js";
import { PgStatementCounter } from "./support/pg-statement-counter.js";
import { countingEmbeddedStore } from "./support/pglite-statement-counter.js";

/**
 * Issue 17, deletion and the change feed's list: each one round trip to the database, counted
 * where the store meets its driver (PGlite: a recording wrapper of the driver's query functions;
 * PostgreSQL: the wire proxy of statement-count.test.ts), with what users must still get from
 * them: consecutive event ids, one refund per unfinished video (never two), one `video.deleted`
 * message each, committed with the tombstones.
 */

/** The store under test and the statements it has sent so far. */
interface CountedStore {
  store: Store;
  statements: string[];
  close(): Promise<void>;
}

async function countedStore(adminUrl: string | null): Promise<CountedStore> {
  if (adminUrl === null) {
    const { store, statements } = await countingEmbeddedStore();
    return { store, statements, close: () => store.close() };
  }
  const database = await createTestDatabase(adminUrl);
  const counter = await PgStatementCounter.start(database.url);
  const store = await createPostgresStore({ connectionString: counter.urlFor(database.url) });
  return {
    store,
    statements: counter.statements,
    async close() {
      await store.close();
      await counter.close();
      await database.drop();
    },
  };
}

/** The statements `work` sent (texts, whitespace folded). */
async function sent<T>(
  counted: { statements: string[] },
  work: () => Promise<T>,
): Promise<{ result: T; statements: string[] }> {
  const from = counted.statements.length;
  const result = await work();
  // Anything the work left running lands in its own count.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { result, statements: counted.statements.slice(from).map((text) => text.replace(/\s+/g, " ").trim()) };
}

let seeded = 0;

/** Inserts `count` videos of `userId` (the first `completed` of them completed, the rest queued), each charged its seconds and `credits`. */
async function seedVideos(
  store: Store,
  userId: string,
  count: number,
  options: { completed: number; credits: number },
): Promise<VideoRecord[]> {
  const videos: VideoRecord[] = [];
  await store.transaction(async (tx) => {
    await tx.lockUser(userId);
    await tx.addCreditEntry({
      id: `cre_grant_${seeded}`,
      userId,
      delta: count * options.credits,
      reason: "grant",
      videoId: null,
      actorId: null,
    });
    const firstSeq = await tx.nextChangeSeq(userId, count);
    const now = await tx.changeClock(userId);
    for (let index = 0; index < count; index++) {
      const id = `vid_${String(++seeded).padStart(6, "0")}`;
      const video = videoRecord({
        id,
        userId,
        jobId: `job_${id}`,
        status: index < options.completed ? "completed" : "queued",
        createdAt: now,
        updatedAt: now,
        changeSeq: firstSeq + index,
        creditCost: options.credits,
      });
      await tx.insertVideo(video);
      await tx.insertUsageEntry(userId, {
        videoId: id,
        kind: "charge",
        seconds: video.durationSeconds,
        chargedAt: now,
      });
      await tx.addCreditEntry({
        id: `cre_${id}`,
        userId,
        delta: -options.credits,
        reason: "generation",
        videoId: id,
        actorId: null,
      });
      videos.push(video);
    }
  });
  return videos;
}

function videoRecord(
  fields: Pick<
    VideoRecord,
    "id" | "userId" | "jobId" | "status" | "createdAt" | "updatedAt" | "changeSeq" | "creditCost"
  >,
): VideoRecord {
  return {
    prompt: "a red fox running through snow",
    negativePrompt: null,
    model: "mochi-1",
    progress: null,
    url: null,
    storageKey: null,
    frames: 25,
    fps: 30,
    durationSeconds: 25 / 30,
    width: 848,
    height: 480,
    seed: null,
    steps: 64,
    cfg: 4.5,
    errorCode: null,
    errorMessage: null,
    retryCount: 0,
    providerSeenAt: null,
    deletedAt: null,
    submittedAt: null,
    provider: "default",
    enhancedPrompt: null,
    inputImageId: null,
    remixOf: null,
    startedAt: null,
    queueSeconds: null,
    renderSeconds: null,
    ...noPreviews,
    ...fields,
  };
}

/** Rows of one table of the store's database, by a WHERE on `userId`. */
async function rowsOf<T>(store: Store, table: string, userId: string): Promise<T[]> {
  const client = (store as unknown as { client: { $queryRawUnsafe<R>(sql: string, ...values: unknown[]): Promise<R> } })
    .client;
  return client.$queryRawUnsafe<T[]>(`SELECT * FROM "${table}" WHERE "userId" = $1`, userId);
}

describe.each(backends)("deletion and the list in one round trip ($name)", ({ adminUrl }) => {
  let counted: CountedStore;

  beforeAll(async () => {
    counted = await countedStore(adminUrl);
  }, 60_000);

  afterAll(async () => {
    await counted?.close();
  });

  it("deletes 100 videos in one statement: consecutive event ids, refunds of the unfinished ones, a video.deleted message each", async () => {
    const { store } = counted;
    const userId = "bulk-deleter";
    const videos = await seedVideos(store, userId, 100, { completed: 40, credits: 2 });
    const before = await store.lastChangeSeq(userId);
    const deleteAll = () =>
      store.deleteVideos({
        userId,
        ids: videos.map((video) => video.id),
        jobIds: [],
        refundCredits: true,
        outbox: {
          eventType: "video.deleted",
          payload: { type: "video.deleted", timestamp: "", data: { id: "", userId, deletedAt: "" } },
        },
      });
    const { result: tombstones, statements } = await sent(counted, deleteAll);
    expect(statements, statements.join("\n")).toHaveLength(1);

    expect(tombstones.map((video) => video.id)).toEqual(videos.map((video) => video.id).sort());
    expect(tombstones.map((video) => video.changeSeq)).toEqual(videos.map((_, index) => before + 1 + index));
    expect(await store.lastChangeSeq(userId)).toBe(before + 100);
    const deletedAt = tombstones[0]?.deletedAt as Date;
    for (const video of tombstones) {
      expect(video.deletedAt).toEqual(deletedAt);
      expect(video.updatedAt).toEqual(deletedAt);
    }

    // The 60 queued ones are refunded: seconds in the charge's period, and their credits.
    const usage = await rowsOf<{ videoId: string; kind: string; seconds: number }>(store, "UsageEntry", userId);
    const refunded = usage
      .filter((entry) => entry.kind === "refund")
      .map((entry) => entry.videoId)
      .sort();
    expect(refunded).toEqual(
      videos
        .slice(40)
        .map((video) => video.id)
        .sort(),
    );
    expect(await store.creditBalance(userId)).toBe(60 * 2);
    const credits = await rowsOf<{ videoId: string | null; delta: number; balanceAfter: number; reason: string }>(
      store,
      "CreditEntry",
      userId,
    );
    const creditRefunds = credits.filter((entry) => entry.reason === "refund");
    expect(creditRefunds).toHaveLength(60);
    // Each refund's balanceAfter is the balance after it: 2, 4, … 120 in some order.
    expect(creditRefunds.map((entry) => entry.balanceAfter).sort((a, b) => a - b)).toEqual(
      creditRefunds.map((_, index) => 2 * (index + 1)),
    );

    // One outbox message per tombstone, each its own id, stamped with the deletion.
    const client = (store as unknown as { client: { $queryRawUnsafe<R>(sql: string): Promise<R> } }).client;
    const messages = await client.$queryRawUnsafe<
      { id: string; payload: { timestamp: string; data: { id: string; userId: string; deletedAt: string } } }[]
    >(
      `SELECT "id", "payload" FROM "OutboxMessage" WHERE "eventType" = 'video.deleted' AND "payload"->'data'->>'userId' = 'bulk-deleter'`,
    );
    expect(messages.map((message) => message.payload.data.id).sort()).toEqual(tombstones.map((video) => video.id));
    expect(new Set(messages.map((message) => message.id)).size).toBe(100);
    for (const message of messages) {
      expect(message.id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
      expect(message.payload.timestamp).toBe(deletedAt.toISOString());
      expect(message.payload.data.deletedAt).toBe(deletedAt.toISOString());
    }

    // Deleting them again changes nothing: no event id, no second refund, no message.
    const again = await deleteAll();
    expect(again).toEqual([]);
    expect(await store.lastChangeSeq(userId)).toBe(before + 100);
    expect(await store.creditBalance(userId)).toBe(60 * 2);
  });

  it("overlapping deletions at once: each video deleted, refunded and announced once, event ids without gaps", async () => {
    const { store } = counted;
    const userId = "racing-deleters";
    const videos = await seedVideos(store, userId, 30, { completed: 10, credits: 1 });
    const before = await store.lastChangeSeq(userId);
    const ids = videos.map((video) => video.id);
    // Five deletions of overlapping halves, in different orders, by id and by job id.
    const results = await Promise.all(
      [0, 5, 10, 15, 20].map((start, index) =>
        store.deleteVideos({
          userId,
          ids: index % 2 === 0 ? ids.slice(start, start + 15).reverse() : [],
          jobIds: index % 2 === 0 ? [] : videos.slice(start, start + 15).map((video) => video.jobId as string),
          refundCredits: true,
          outbox: {
            eventType: "video.deleted",
            payload: { type: "video.deleted", timestamp: "", data: { id: "", userId, deletedAt: "" } },
          },
        }),
      ),
    );
    const deleted = results.flat();
    expect(deleted.map((video) => video.id).sort()).toEqual([...ids].sort());
    expect(deleted.map((video) => video.changeSeq).sort((a, b) => a - b)).toEqual(
      ids.map((_, index) => before + 1 + index),
    );
    for (const result of results) {
      // One deletion's tombstones carry consecutive event ids.
      expect(result.map((video) => video.changeSeq)).toEqual(
        result.map((_, index) => (result[0]?.changeSeq ?? 0) + index),
      );
    }
    const usage = await rowsOf<{ kind: string }>(store, "UsageEntry", userId);
    expect(usage.filter((entry) => entry.kind === "refund")).toHaveLength(20);
    expect(await store.creditBalance(userId)).toBe(20);
    const client = (store as unknown as { client: { $queryRawUnsafe<R>(sql: string): Promise<R> } }).client;
    const [messages] = await client.$queryRawUnsafe<{ count: number }[]>(
      `SELECT count(*)::int AS "count" FROM "OutboxMessage" WHERE "payload"->'data'->>'userId' = 'racing-deleters'`,
    );
    expect(messages?.count).toBe(30);
  });

  it("a page never passes a change still in flight: its serverTime is before the change, or the change is in it", async () => {
    const { store } = counted;
    const userId = "reader-during-a-change";
    const [video] = await seedVideos(store, userId, 1, { completed: 0, credits: 0 });
    const since = new Date((video as VideoRecord).updatedAt.getTime() - 1);
    let stamped: (at: Date) => void = () => {};
    const stamp = new Promise<Date>((resolve) => {
      stamped = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A change stamped and not yet committed (as every change path stamps: change number, clock).
    const change = store.transaction(async (tx) => {
      const changeSeq = await tx.nextChangeSeq(userId);
      const now = await tx.changeClock(userId);
      await tx.updateVideo((video as VideoRecord).id, { progress: 0.5, updatedAt: now, changeSeq });
      stamped(now);
      await released;
    });
    const at = await stamp;
    const reading = store.listVideos(userId, { since, limit: 10, cursor: null });
    // Give a read that does not wait for the change every chance to answer first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await change;
    const page = await reading;
    if (page.serverTime.getTime() >= at.getTime()) {
      expect(page.videos.map((row) => row.progress)).toEqual([0.5]);
    }
    // And the next read from serverTime on misses nothing: the change is there or was in the page.
    const next = await store.listVideos(userId, { since: page.serverTime, limit: 10, cursor: null });
    expect([...page.videos, ...next.videos].some((row) => row.progress === 0.5)).toBe(true);
  });

  it("deletes by job id, and leaves other users' videos alone", async () => {
    const { store } = counted;
    const [mine] = await seedVideos(store, "job-deleter", 1, { completed: 0, credits: 0 });
    const [theirs] = await seedVideos(store, "bystander", 1, { completed: 0, credits: 0 });
    const deleted = await store.deleteVideos({
      userId: "job-deleter",
      ids: [theirs?.id as string],
      jobIds: [mine?.jobId as string, theirs?.jobId as string],
      refundCredits: false,
      outbox: null,
    });
    expect(deleted.map((video) => video.id)).toEqual([mine?.id]);
    expect((await store.getVideoById(theirs?.id as string))?.deletedAt).toBeNull();
  });

  it("reads a page of changes with the change feed's time in one statement", async () => {
    const { store } = counted;
    const userId = "lister";
    const videos = await seedVideos(store, userId, 5, { completed: 5, credits: 0 });
    const since = new Date((videos[0] as VideoRecord).updatedAt.getTime() - 1);
    const { result: page, statements } = await sent(counted, () =>
      store.listVideos(userId, { since, limit: 3, cursor: null }),
    );
    expect(statements, statements.join("\n")).toHaveLength(1);
    expect(page.videos.map((video) => video.id)).toEqual(videos.slice(0, 3).map((video) => video.id));
    expect(page.serverTime.getTime()).toBeGreaterThanOrEqual(since.getTime());
    // The next page, after the cursor, holds the rest; the plain list is newest first.
    const last = page.videos.at(-1) as VideoRecord;
    const next = await store.listVideos(userId, { since, limit: 3, cursor: { at: last.updatedAt, id: last.id } });
    expect(next.videos.map((video) => video.id)).toEqual(videos.slice(3).map((video) => video.id));
    const live = await store.listVideos(userId, { since: null, limit: 10, cursor: null });
    expect(live.videos.map((video) => video.id)).toEqual(videos.map((video) => video.id).reverse());
    const empty = await store.listVideos("nobody", { since: null, limit: 10, cursor: null });
    expect(empty.videos).toEqual([]);
  });
});

describe("DELETE /videos of 100 videos on the embedded database: one statement", () => {
  let counted: Awaited<ReturnType<typeof countingEmbeddedStore>>;
  let server: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    counted = await countingEmbeddedStore();
    server = await startTestServer({ store: counted.store, provider: new ScriptedProvider() });
    expect((await accepted(server, "api-deleter")).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it("answers with the 100 ids after one statement", async () => {
    const videos = await seedVideos(counted.store, "api-deleter", 100, { completed: 50, credits: 0 });
    const ids = videos.map((video) => video.id);
    // An instance keeps a user's account status for 5 s (core/accounts.ts): read it first, so the
    // count below is the deletion's own.
    expect((await server.api("/usage", { user: "api-deleter" })).status).toBe(200);
    const { result: response, statements } = await sent(counted, () =>
      server.api("/videos", { method: "DELETE", user: "api-deleter", json: { ids } }),
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { deleted: string[] }).deleted.sort()).toEqual([...ids].sort());
    expect(statements, statements.join("\n")).toHaveLength(1);
    const list = await server.api("/videos?updatedSince=0&limit=100", { user: "api-deleter" });
    const { videos: changes } = (await list.json()) as { videos: { id: string; deleted?: boolean }[] };
    expect(changes.filter((change) => change.deleted)).toHaveLength(100);
  });
});
