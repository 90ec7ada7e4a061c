import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, defaultMigrationsDir } from "../src/adapters/store/migrate.js";
import type { SqlRunner } from "../src/adapters/store/operations.js";
import { PrismaStore } from "../src/adapters/store/prisma.js";
import { type BatchOutcome, GroupCommit } from "../src/core/group-commit.js";
import type { JobUpdateChange } from "../src/core/ports.js";
import { backends, createTestDatabase } from "./helpers.js";

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe("GroupCommit (the batcher)", () => {
  /** A batcher over recorded fakes: items are numbers, results their doubles. */
  function recorded(options: { maxBatch?: number; maxInFlight?: number; batch?: (items: number[]) => unknown } = {}) {
    const batches: number[][] = [];
    const alone: number[] = [];
    const batcher = new GroupCommit<number, number>({
      ...options,
      runOne: async (item) => {
        alone.push(item);
        if (item < 0) throw new Error(`item ${item} fails`);
        return item * 2;
      },
      runBatch: async (items) => {
        batches.push(items);
        if (options.batch) return options.batch(items) as BatchOutcome<number>[];
        return items.map((item) => ({ ok: item * 2 }));
      },
    });
    return { batcher, batches, alone };
  }

  it("runs items submitted together as one batch, and gives each caller its own result", async () => {
    const { batcher, batches, alone } = recorded();
    const results = await Promise.all([1, 2, 3, 4, 5].map((item) => batcher.run(item)));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
    expect(alone).toEqual([]);
  });

  it("runs a lone item on its own, without a batch", async () => {
    const { batcher, batches, alone } = recorded();
    expect(await batcher.run(7)).toBe(14);
    expect(batches).toEqual([]);
    expect(alone).toEqual([7]);
  });

  it("bounds batch size, and what arrives while the batches run goes together next", async () => {
    const gate = deferred<void>();
    const batches: number[][] = [];
    const batcher = new GroupCommit<number, number>({
      maxBatch: 4,
      maxInFlight: 1,
      runOne: async (item) => item,
      runBatch: async (items) => {
        batches.push(items);
        await gate.promise;
        return items.map((item) => ({ ok: item }));
      },
    });
    const first = [1, 2, 3, 4, 5, 6].map((item) => batcher.run(item));
    await new Promise((resolve) => setImmediate(resolve));
    // The first batch runs (4 items, the bound); the rest wait for it, joined by later arrivals.
    const later = [7, 8].map((item) => batcher.run(item));
    expect(batches).toEqual([[1, 2, 3, 4]]);
    gate.resolve();
    expect(await Promise.all([...first, ...later])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it("an item its batch undid alone runs on its own and fails alone; the others keep their results", async () => {
    const { batcher, alone } = recorded({
      batch: (items) => items.map((item) => (item < 0 ? { retryAlone: true } : { ok: item * 2 })),
    });
    const results = await Promise.allSettled([1, -2, 3].map((item) => batcher.run(item)));
    expect(results.map((result) => (result.status === "fulfilled" ? result.value : String(result.reason)))).toEqual([
      2,
      "Error: item -2 fails",
      6,
    ]);
    expect(alone).toEqual([-2]);
  });

  it("a batch that fails as a whole runs every item on its own", async () => {
    const { batcher, alone } = recorded({
      batch: () => {
        throw new Error("connection lost");
      },
    });
    expect(await Promise.all([1, 2, 3].map((item) => batcher.run(item)))).toEqual([2, 4, 6]);
    expect(alone).toEqual([1, 2, 3]);
  });
});

describe.each(backends)("Store.applyJobUpdate group commit ($name)", ({ adminUrl }) => {
  /** Every statement the store ran on its driver (not through Prisma). */
  const statements: string[] = [];
  let store: PrismaStore;
  /** A second instance on the same database (PostgreSQL only; the same store on PGlite). */
  let other: PrismaStore;
  let query: SqlRunner;
  let cleanup: () => Promise<void> = async () => {};

  beforeAll(async () => {
    if (adminUrl) {
      const database = await createTestDatabase(adminUrl);
      const pool = new pg.Pool({ connectionString: database.url, max: 4 });
      query = async (text, params) => (await pool.query<Record<string, unknown>>(text, params)).rows;
      store = new PrismaStore({ name: "test", adapter: new PrismaPg(pool), sql: counted(query) });
      const otherPool = new pg.Pool({ connectionString: database.url, max: 4 });
      other = new PrismaStore({
        name: "other instance",
        adapter: new PrismaPg(otherPool),
        sql: async (text, params) => (await otherPool.query<Record<string, unknown>>(text, params)).rows,
      });
      cleanup = async () => {
        await store.close();
        await other.close();
        await pool.end();
        await otherPool.end();
        await database.drop();
      };
    } else {
      const db = await PGlite.create();
      await applyMigrations(new PrismaPGlite(db), defaultMigrationsDir());
      query = async (text, params) => (await db.query<Record<string, unknown>>(text, params)).rows;
      store = new PrismaStore({ name: "test", adapter: new PrismaPGlite(db), sql: counted(query) });
      other = store;
      cleanup = async () => {
        await store.close();
        await db.close();
      };
    }
  }, 120_000);

  afterAll(() => cleanup());

  function counted(sql: SqlRunner): SqlRunner {
    return (text, params) => {
      statements.push(text);
      return sql(text, params);
    };
  }

  let next = 0;
  /** A user with `count` queued videos, each at change number 0. */
  async function queuedVideos(count: number): Promise<{ userId: string; ids: string[] }> {
    const userId = `user_${++next}`;
    await query(`INSERT INTO "User" ("id") VALUES ($1)`, [userId]);
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const id = `vid_${next}_${index}`;
      await query(
        `INSERT INTO "Video" ("id", "userId", "prompt", "model", "frames", "fps", "durationSeconds", "width", "height", "steps", "cfg", "createdAt", "updatedAt")
         VALUES ($1, $2, 'a fox', 'mochi-1', 31, 30, 1.03, 256, 256, 30, 4.5, now(), now())`,
        [id, userId],
      );
      ids.push(id);
    }
    return { userId, ids };
  }

  const processing = (videoId: string, outboxId: string | null = null): JobUpdateChange => ({
    videoId,
    expectedSeq: 0,
    patch: { status: "processing", jobId: `job-${videoId}` },
    quiet: false,
    outbox:
      outboxId === null ? null : { id: outboxId, eventType: "video.test", payload: { type: "video.test", data: {} } },
  });

  it("N concurrent updates: one round trip, each caller gets its own row, change numbers without gaps", async () => {
    const { userId, ids } = await queuedVideos(5);
    const from = statements.length;
    const rows = await Promise.all(ids.map((id) => store.applyJobUpdate(processing(id))));
    const ran = statements.slice(from);
    expect(ran).toHaveLength(1);
    expect(ran[0]).toContain("openv_apply_video_changes");
    expect(rows.map((row) => [row?.id, row?.status, row?.jobId])).toEqual(
      ids.map((id) => [id, "processing", `job-${id}`]),
    );
    expect(rows.map((row) => row?.changeSeq).sort()).toEqual([1, 2, 3, 4, 5]);
    const [user] = await query(`SELECT "changeSeq" FROM "User" WHERE "id" = $1`, [userId]);
    expect(Number(user?.changeSeq)).toBe(5);
  });

  it("a change that fails does not lose the others: it fails alone, with its own error, and leaves no trace", async () => {
    const { userId, ids } = await queuedVideos(4);
    await query(
      `INSERT INTO "OutboxMessage" ("id", "eventType", "payload", "nextAttemptAt") VALUES ('msg_taken', 'x', '{}', now())`,
      [],
    );
    const [a, b, c, d] = ids as [string, string, string, string];
    const results = await Promise.allSettled([
      store.applyJobUpdate(processing(a, "msg_a")),
      // Its outbox message id is taken: the insert fails, and this change with it.
      store.applyJobUpdate(processing(b, "msg_taken")),
      store.applyJobUpdate(processing(c)),
      // Decided from a row that has changed since: refused (null), not applied.
      store.applyJobUpdate({ ...processing(d), expectedSeq: 7 }),
    ]);
    const [first, failed, third, stale] = results;
    expect(first).toMatchObject({ status: "fulfilled", value: { id: a, status: "processing" } });
    expect(failed?.status).toBe("rejected");
    expect(third).toMatchObject({ status: "fulfilled", value: { id: c, status: "processing" } });
    expect(stale).toEqual({ status: "fulfilled", value: null });
    const rows = await query(`SELECT "id", "status", "changeSeq" FROM "Video" WHERE "userId" = $1 ORDER BY "id"`, [
      userId,
    ]);
    expect(rows.map((row) => [row.id, row.status])).toEqual([
      [a, "processing"],
      [b, "queued"],
      [c, "processing"],
      [d, "queued"],
    ]);
    const [user] = await query(`SELECT "changeSeq" FROM "User" WHERE "id" = $1`, [userId]);
    expect(Number(user?.changeSeq)).toBe(2);
    const outbox = await query(
      `SELECT "id" FROM "OutboxMessage" WHERE "id" IN ('msg_a', 'msg_taken') ORDER BY "id"`,
      [],
    );
    expect(outbox.map((row) => row.id)).toEqual(["msg_a", "msg_taken"]);
  });

  it("batches of two instances over the same users all commit (locks taken in one order: no deadlock)", async () => {
    const users = [await queuedVideos(6), await queuedVideos(6), await queuedVideos(6)];
    // Interleaved across users, so each batch holds videos and users of all three; the second
    // instance gets them in the opposite order.
    const changes =
      users[0]?.ids.flatMap((_, index) => users.map((user) => processing(user.ids[index] as string))) ?? [];
    const rows = await Promise.all(
      changes.map((change, index) =>
        index % 2 === 0
          ? store.applyJobUpdate(change)
          : other.applyJobUpdate(changes[changes.length - index] ?? change),
      ),
    );
    expect(rows.every((row) => row?.status === "processing")).toBe(true);
    for (const { userId } of users) {
      const [user] = await query(`SELECT "changeSeq" FROM "User" WHERE "id" = $1`, [userId]);
      expect(Number(user?.changeSeq)).toBe(6);
    }
  });
});
