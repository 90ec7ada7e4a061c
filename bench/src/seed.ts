// Seeding straight into the Prisma tables (prisma/schema.prisma) with generate_series: the bench
// needs tens of thousands of jobs and a million videos, far more than the API could create in
// the time. Rows look like what the server writes (see adapters/store/prisma.ts).
import type pg from "pg";
import { type DatabaseTarget, withClient, withDatabase } from "./postgres.js";
import type { Progress } from "./progress.js";
import { termsVersion } from "./servers.js";

const prompt = "A slow dolly shot through a misty pine forest at dawn, volumetric light, cinematic, 35 mm film grain";

/** Users `prefix0` … `prefix{count-1}`, each having accepted the current terms. */
export async function seedUsersWithTerms(target: DatabaseTarget, prefix: string, count: number): Promise<string[]> {
  await withDatabase(target, async (client) => {
    await client.query(
      `INSERT INTO "User" ("id") SELECT $1 || g FROM generate_series(0, $2::int - 1) g ON CONFLICT DO NOTHING`,
      [prefix, count],
    );
    await client.query(
      `INSERT INTO "TermsAcceptance" ("userId", "version")
       SELECT $1 || g, $3 FROM generate_series(0, $2::int - 1) g ON CONFLICT DO NOTHING`,
      [prefix, count, termsVersion],
    );
  });
  return Array.from({ length: count }, (_, index) => `${prefix}${index}`);
}

/** The floor's table: a copy of Video with its columns, defaults and indexes (no foreign key). */
export async function createFloorTable(url: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(`CREATE TABLE IF NOT EXISTS floor_video (LIKE "Video" INCLUDING ALL)`).then(() => undefined),
  );
}

/** A batch of videos a RunPod job is rendering, as the server leaves them after submission. */
export interface ProcessingBatch {
  videoIds: string[];
  jobIds: string[];
  /** Whose videos they are (round-robin over the list). */
  userIds: string[];
}

/**
 * `count` videos `processing` on attempt 0 with a provider job, for users `userPrefix0…` (created
 * if missing), ids `<idPrefix><n>`.
 */
export async function seedProcessingVideos(
  target: DatabaseTarget,
  options: { idPrefix: string; userPrefix: string; users: number; count: number },
): Promise<ProcessingBatch> {
  const { idPrefix, userPrefix, users, count } = options;
  await withDatabase(target, async (client) => {
    await client.query(
      `INSERT INTO "User" ("id") SELECT $1 || g FROM generate_series(0, $2::int - 1) g ON CONFLICT DO NOTHING`,
      [userPrefix, users],
    );
    await client.query(
      `INSERT INTO "Video" ("id", "userId", "jobId", "prompt", "model", "status", "frames", "fps", "durationSeconds",
         "width", "height", "steps", "cfg", "retryCount", "createdAt", "updatedAt", "providerSeenAt", "submittedAt")
       SELECT $1 || g, $2 || (g % $3::int), 'job-' || $1 || g, $5, 'mochi-1', 'processing', 31, 30, 31.0 / 30,
         848, 480, 64, 4.5, 0, now(), now(), now(), now()
       FROM generate_series(0, $4::int - 1) g`,
      [idPrefix, userPrefix, users, count, prompt],
    );
  });
  return processingBatch(options);
}

/** The ids `seedProcessingVideos` gives the videos, jobs and users of a batch (nothing is read). */
export function processingBatch(options: {
  idPrefix: string;
  userPrefix: string;
  users: number;
  count: number;
}): ProcessingBatch {
  const { idPrefix, userPrefix, users, count } = options;
  const indexes = Array.from({ length: count }, (_, index) => index);
  return {
    videoIds: indexes.map((index) => `${idPrefix}${index}`),
    jobIds: indexes.map((index) => `job-${idPrefix}${index}`),
    userIds: indexes.map((index) => `${userPrefix}${index % users}`),
  };
}

/** How many of `idPrefix…` videos are completed (the webhooks that really changed a video). */
export async function countCompleted(target: DatabaseTarget, idPrefix: string): Promise<number> {
  return withDatabase(target, async (client) => {
    const result = await client.query<{ count: string | number }>(
      `SELECT count(*) FROM "Video" WHERE left("id", length($1)) = $1 AND "status" = 'completed'`,
      [idPrefix],
    );
    return Number(result.rows[0]?.count ?? 0);
  });
}

/** The list measurement's table: `total` videos, `userVideos` of them the measured user's. */
export interface ListSeed {
  total: number;
  userVideos: number;
  measuredUser: string;
}

const spreadDays = 90;
const otherUsers = 997;

/**
 * Fills the Video table with `seed.total` videos over 90 days of history (one change every
 * 90 days / total), every (total / userVideos)-th one the measured user's and the rest spread over
 * 997 other users; 1 in 25 deleted (tombstones), 1 in 20 failed, the rest completed. Kept when a
 * previous run seeded the same thing (marker table bench_seed).
 */
export async function seedListDatabase(url: string, seed: ListSeed, progress: Progress): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(
      `CREATE TABLE IF NOT EXISTS bench_seed (name text PRIMARY KEY, spec jsonb NOT NULL, seeded_at timestamptz NOT NULL DEFAULT now())`,
    );
    const marker = await client.query<{ spec: ListSeed }>(`SELECT spec FROM bench_seed WHERE name = 'list'`);
    const count = await client.query<{ count: string }>(`SELECT count(*) FROM "Video"`);
    const same = JSON.stringify(marker.rows[0]?.spec) === JSON.stringify(seed);
    if (same && Number(count.rows[0]?.count) === seed.total) {
      progress.detail(`kept the ${seed.total.toLocaleString("en")} videos seeded by an earlier run`);
      return;
    }
    progress.detail(`seeding ${seed.total.toLocaleString("en")} videos (the table is kept for later runs)`);
    await client.query(`DELETE FROM bench_seed WHERE name = 'list'`);
    await client.query(`TRUNCATE "Video", "User" CASCADE`);
    await insertListUsers(client, seed);
    await insertListVideos(client, seed, progress);
    progress.detail("ANALYZE");
    await client.query(`VACUUM ANALYZE "Video"`);
    await client.query(`INSERT INTO bench_seed (name, spec) VALUES ('list', $1)`, [JSON.stringify(seed)]);
  });
}

async function insertListUsers(client: pg.Client, seed: ListSeed): Promise<void> {
  await client.query(`INSERT INTO "User" ("id") VALUES ($1)`, [seed.measuredUser]);
  if (seed.total > seed.userVideos) {
    await client.query(
      `INSERT INTO "User" ("id") SELECT 'bench-list-other-' || g FROM generate_series(0, $1::int - 1) g`,
      [otherUsers],
    );
  }
}

async function insertListVideos(client: pg.Client, seed: ListSeed, progress: Progress): Promise<void> {
  const every = Math.floor(seed.total / seed.userVideos);
  const stepMs = Math.floor((spreadDays * 24 * 3600 * 1000) / seed.total);
  const now = (await client.query<{ now: Date }>(`SELECT date_trunc('milliseconds', now()) AS now`)).rows[0]?.now;
  const chunk = 50_000;
  const started = performance.now();
  for (let first = 1; first <= seed.total; first += chunk) {
    const last = Math.min(seed.total, first + chunk - 1);
    // Row g is the g-th most recent change; the measured user owns every `every`-th row.
    await client.query(
      `INSERT INTO "Video" ("id", "userId", "jobId", "prompt", "model", "status", "progress", "url", "storageKey",
         "frames", "fps", "durationSeconds", "width", "height", "seed", "steps", "cfg", "errorCode", "errorMessage",
         "retryCount", "createdAt", "updatedAt", "providerSeenAt", "deletedAt", "submittedAt")
       SELECT id, owner, 'job-' || id, $6 || ' #' || g, 'mochi-1',
         (CASE WHEN g % 20 = 7 THEN 'failed' ELSE 'completed' END)::"VideoStatus",
         CASE WHEN g % 20 = 7 THEN NULL ELSE 1 END,
         CASE WHEN g % 20 = 7 THEN NULL ELSE 'https://files.example.com/' || id || '.mp4' END,
         CASE WHEN g % 20 = 7 THEN NULL ELSE id || '.mp4' END,
         31, 30, 31.0 / 30, 848, 480, g, 64, 4.5,
         CASE WHEN g % 20 = 7 THEN 'out_of_memory' END,
         CASE WHEN g % 20 = 7 THEN 'CUDA out of memory' END,
         0, at - interval '3 minutes', at, at, CASE WHEN g % 25 = 3 THEN at END, at - interval '3 minutes'
       FROM (
         SELECT g, 'vid_seed_' || lpad(g::text, 8, '0') AS id,
           CASE WHEN g % $3::int = 0 THEN $4 ELSE 'bench-list-other-' || (g % $5::int) END AS owner,
           $7::timestamptz - make_interval(secs => g * $8::double precision / 1000) AS at
         FROM generate_series($1::int, $2::int) g
       ) AS rows`,
      [first, last, every, seed.measuredUser, otherUsers, prompt, now, stepMs],
    );
    const seconds = (performance.now() - started) / 1000;
    progress.detail(
      `  ${last.toLocaleString("en")} / ${seed.total.toLocaleString("en")} videos (${seconds.toFixed(0)} s, ${Math.round(last / seconds).toLocaleString("en")} rows/s)`,
    );
  }
}

/**
 * The `updatedSince` of a client that last synced `changes` changes ago: the updatedAt (ms) of the
 * measured user's (changes + 1)-th newest video, so the list returns `changes` videos, one page.
 */
export async function incrementalPoint(url: string, userId: string, changes: number): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ updatedAt: Date }>(
      `SELECT "updatedAt" FROM "Video" WHERE "userId" = $1 ORDER BY "updatedAt" DESC OFFSET $2 LIMIT 1`,
      [userId, changes],
    );
    const at = result.rows[0]?.updatedAt;
    if (!at) throw new Error(`user ${userId} has fewer than ${changes + 1} videos`);
    return at.getTime();
  });
}

/** EXPLAIN (ANALYZE, BUFFERS) of the query Prisma sends for an incremental list page. */
export async function explainList(url: string, userId: string, since: number): Promise<string> {
  return withClient(url, async (client) => {
    const result = await client.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, BUFFERS)
       SELECT * FROM "public"."Video" WHERE "userId" = $1 AND "updatedAt" > $2
       ORDER BY "updatedAt" ASC, "id" ASC LIMIT $3 OFFSET $4`,
      [userId, new Date(since), 51, 0],
    );
    return result.rows.map((row) => row["QUERY PLAN"]).join("\n");
  });
}
