import { randomUUID } from "node:crypto";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { Prisma, PrismaClient } from "../../_generated/prisma/client.js";
import type { VideoModel as VideoRow } from "../../_generated/prisma/models.js";
import type {
  AdmissionOutcome,
  AdmissionRequest,
  AdmissionStore,
  CreditEntryRecord,
  IdempotencyRecord,
  JobUpdateChange,
  ListPosition,
  OutboxRecord,
  RedeemOutcome,
  Store,
  StoredAccessRole,
  StoreTransaction,
  TimingBasis,
  UploadRecord,
  UsageEntryRecord,
  VideoDeletion,
  VideoPage,
  VideoPatch,
  VideoRecord,
  VoucherRecord,
} from "../../core/ports.js";
// Invite-only access (access21):
import * as access from "./access.js";
import * as admission from "./admission.js"; // issue 17: the generate request in one round trip
import { deleteVideos } from "./deletion.js";
import { batchedJobUpdates, batchedVideoReads } from "./job-update-batch.js";
import { listVideos } from "./list.js";
import { dateOf, type SqlRunner, selectUserDeletedAt, timingBasis } from "./operations.js";
import { claimPreviewWork } from "./previews.js"; // posters21
import { sqlShareStore } from "./shares.js"; // Share links (issue 21)

type Client = InstanceType<typeof PrismaClient>;
type TransactionClient = Prisma.TransactionClient;

function toRecord(row: VideoRow): VideoRecord {
  // claimedUntil is the reconciler's bookkeeping, not part of the video.
  // posters21: so are the preview derivation's attempt count and claim.
  const { claimedUntil: _claim, previewAttempts: _attempts, previewClaimedAt: _previewClaim, ...video } = row;
  return { ...video, seed: video.seed === null ? null : Number(video.seed), changeSeq: Number(video.changeSeq) };
}

/**
 * Clock values are truncated to milliseconds so that they survive the trip through JS dates, list
 * cursors and SSE event ids exactly.
 */
const nowSql = "date_trunc('milliseconds', clock_timestamp())";
const clockSql = Prisma.raw(nowSql);
/**
 * The clock to compare against (is it due, has a claim lapsed): not truncated, so a time written
 * with `now()` (an operator's fix, a test) counts as reached once it has passed, not up to 1 ms later.
 */
const dueClockSql = Prisma.raw("clock_timestamp()");

class PrismaStoreTransaction implements StoreTransaction {
  constructor(private readonly db: TransactionClient) {}

  async lockUser(userId: string): Promise<void> {
    await ensureUser(this.db, userId);
    await this.db.$queryRaw`SELECT "id" FROM "User" WHERE "id" = ${userId} FOR UPDATE`;
  }

  async changeClock(userId: string): Promise<Date> {
    const rows = await this.db.$queryRawUnsafe<{ now: Date }[]>(
      `SELECT pg_advisory_xact_lock_shared(hashtext($1))::text AS locked, ${nowSql} AS now`,
      userId,
    );
    return (rows[0] as { now: Date }).now;
  }

  async nextChangeSeq(userId: string, count = 1): Promise<number> {
    // The row lock this UPDATE takes is held until the transaction ends: the user's next change
    // waits for this one to commit, so numbers become visible in order.
    const rows = await this.db.$queryRaw<{ last: bigint }[]>`
      UPDATE "User" SET "changeSeq" = "changeSeq" + ${count}::int WHERE "id" = ${userId} RETURNING "changeSeq" AS "last"`;
    const last = rows[0]?.last;
    if (last === undefined) throw new Error(`No user ${userId} to number a change of.`);
    return Number(last) - count + 1;
  }

  async lockVideo(videoId: string): Promise<VideoRecord | null> {
    const rows = await this.db.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Video" WHERE "id" = ${videoId} FOR UPDATE`;
    if (rows.length === 0) return null;
    const row = await this.db.video.findUnique({ where: { id: videoId } });
    return row && toRecord(row);
  }

  async insertVideo(video: VideoRecord): Promise<void> {
    await this.db.video.create({
      data: { ...video, seed: video.seed === null ? null : BigInt(video.seed), changeSeq: BigInt(video.changeSeq) },
    });
  }

  async updateVideo(videoId: string, patch: VideoPatch): Promise<VideoRecord> {
    const { changeSeq, ...rest } = patch;
    const data = changeSeq === undefined ? rest : { ...rest, changeSeq: BigInt(changeSeq) };
    return toRecord(await this.db.video.update({ where: { id: videoId }, data }));
  }

  usedSeconds(userId: string, periodStart: Date, periodEnd: Date): Promise<number> {
    return sumUsage(this.db, userId, periodStart, periodEnd);
  }

  async insertUsageEntry(userId: string, entry: UsageEntryRecord): Promise<void> {
    await this.db.usageEntry.create({ data: { id: randomUUID(), userId, ...entry } });
  }

  async findIdempotency(userId: string, key: string): Promise<IdempotencyRecord | null> {
    const row = await this.db.idempotencyRecord.findUnique({ where: { userId_key: { userId, key } } });
    return row && { ...row, state: row.state === "done" ? "done" : "running" };
  }

  async upsertIdempotency(record: IdempotencyRecord): Promise<void> {
    const responseBody = record.responseBody === null ? Prisma.DbNull : (record.responseBody as Prisma.InputJsonValue);
    const data = { ...record, responseBody };
    await this.db.idempotencyRecord.upsert({
      where: { userId_key: { userId: record.userId, key: record.key } },
      create: data,
      update: data,
    });
  }

  async deleteIdempotency(userId: string, key: string): Promise<void> {
    await this.db.idempotencyRecord.deleteMany({ where: { userId, key } });
  }

  creditBalance(userId: string): Promise<number> {
    return balanceOf(this.db, userId);
  }

  async addCreditEntry(
    entry: Omit<CreditEntryRecord, "balanceAfter" | "createdAt">,
  ): Promise<CreditEntryRecord | null> {
    // One statement: the balance only changes when it stays at or above zero.
    const rows = await this.db.$queryRaw<{ credits: number }[]>`
      UPDATE "User" SET "credits" = "credits" + ${entry.delta}::int
      WHERE "id" = ${entry.userId} AND "credits" + ${entry.delta}::int >= 0
      RETURNING "credits"`;
    const balance = rows[0]?.credits;
    if (balance === undefined) return null;
    return this.db.creditEntry.create({ data: { ...entry, balanceAfter: balance } });
  }

  async refundVideo(video: Pick<VideoRecord, "id" | "userId">, withCredits: boolean): Promise<void> {
    // The arithmetic is stated once, in SQL: migration 20261207120200_delete_and_list_in_one_round_trip.
    await this.db.$queryRawUnsafe(
      `SELECT 1 AS "done" FROM openv_refund_video($1, $2, $3)`,
      video.id,
      video.userId,
      withCredits,
    );
  }

  async enqueueOutbox(message: Pick<OutboxRecord, "id" | "eventType" | "payload" | "nextAttemptAt">): Promise<void> {
    await this.db.outboxMessage.create({ data: { ...message, payload: message.payload as Prisma.InputJsonValue } });
  }

  // Invite-only access (access21):
  accessRole(userId: string): Promise<StoredAccessRole> {
    return access.accessRole(this.db, userId);
  }
}

/** Creates the user's row if it does not exist yet (users arrive with their first request). */
async function ensureUser(db: TransactionClient | Client, userId: string): Promise<void> {
  await db.$executeRaw`INSERT INTO "User" ("id") VALUES (${userId}) ON CONFLICT ("id") DO NOTHING`;
}

async function balanceOf(db: TransactionClient | Client, userId: string): Promise<number> {
  const row = await db.user.findUnique({ where: { id: userId }, select: { credits: true } });
  return row?.credits ?? 0;
}

const outboxFields = {
  id: true,
  eventType: true,
  payload: true,
  attempts: true,
  nextAttemptAt: true,
  createdAt: true,
} as const;

async function sumUsage(db: TransactionClient | Client, userId: string, start: Date, end: Date): Promise<number> {
  const result = await db.usageEntry.aggregate({
    where: { userId, chargedAt: { gte: start, lt: end } },
    _sum: { seconds: true },
  });
  return Math.max(0, result._sum.seconds ?? 0);
}

export interface PrismaStoreOptions {
  name: string;
  adapter: SqlMigrationAwareDriverAdapterFactory;
  /** Runs after the Prisma client disconnects (closing an embedded database, a pool). */
  onClose?: () => Promise<void>;
  /**
   * Runs the hot-path operations' SQL on the driver itself (see operations.ts). Default: through
   * the Prisma client (`$queryRawUnsafe`).
   */
  sql?: SqlRunner;
}

/** The `Store` port over Prisma, for any PostgreSQL driver adapter. */
export class PrismaStore implements Store {
  readonly name: string;
  readonly client: Client;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #sql: SqlRunner;
  readonly #applyJobUpdate: (change: JobUpdateChange) => Promise<VideoRecord | null>;
  readonly #getVideoById: (videoId: string) => Promise<VideoRecord | null>;
  // Share links (issue 21): plain SQL in shares.ts.
  readonly insertShare: Store["insertShare"];
  readonly listLiveShares: Store["listLiveShares"];
  readonly revokeShare: Store["revokeShare"];
  readonly findShareByTokenHash: Store["findShareByTokenHash"];

  constructor({ name, adapter, onClose, sql }: PrismaStoreOptions) {
    this.name = name;
    this.client = new PrismaClient({ adapter });
    this.#onClose = onClose;
    this.#sql = sql ?? ((text, params) => this.client.$queryRawUnsafe(text, ...params));
    this.#applyJobUpdate = batchedJobUpdates(this.#sql, () => this.notifyChannel);
    this.#getVideoById = batchedVideoReads(this.#sql);
    ({
      insertShare: this.insertShare,
      listLiveShares: this.listLiveShares,
      revokeShare: this.revokeShare,
      findShareByTokenHash: this.findShareByTokenHash,
    } = sqlShareStore(this.#sql));
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.client.$transaction((db) => work(new PrismaStoreTransaction(db)), { maxWait: 10_000, timeout: 30_000 });
  }

  async getVideo(userId: string, videoId: string): Promise<VideoRecord | null> {
    const row = await this.client.video.findFirst({ where: { id: videoId, userId } });
    return row && toRecord(row);
  }

  /** One round trip, shared with the reads that arrive with it (job-update-batch.ts). */
  getVideoById(videoId: string): Promise<VideoRecord | null> {
    return this.#getVideoById(videoId);
  }

  /** One round trip, shared with the job updates that arrive with it (group commit, job-update-batch.ts). */
  applyJobUpdate(change: JobUpdateChange): Promise<VideoRecord | null> {
    return this.#applyJobUpdate(change);
  }

  /**
   * Issue 17: the NOTIFY channel of the events adapter listening on this database (see
   * `Store.notifyChangesOn`); null: changes are published by `Events.publish`. Operations that
   * change videos pass it to their SQL (`openv_notify_video`).
   */
  notifyChannel: string | null = null;

  notifyChangesOn(channel: string | null): void {
    this.notifyChannel = channel;
  }

  // Issue 17: see admission.ts.
  admitAndInsertVideo(request: AdmissionRequest): Promise<AdmissionOutcome> {
    return admission.admitAndInsertVideo(this.#sql, request, this.notifyChannel);
  }

  storeIdempotentAnswer(answer: Parameters<AdmissionStore["storeIdempotentAnswer"]>[0]): Promise<void> {
    return admission.storeIdempotentAnswer(this.#sql, answer);
  }

  // Timing (eta21)
  timingBasis(videoIds: string[]): Promise<TimingBasis> {
    return timingBasis(this.#sql, videoIds);
  }

  listVideos(
    userId: string,
    query: { since: Date | null; limit: number; cursor: ListPosition | null },
  ): Promise<VideoPage> {
    return listVideos(this.#sql, userId, query);
  }

  deleteVideos(deletion: VideoDeletion): Promise<VideoRecord[]> {
    return deleteVideos(this.#sql, deletion, this.notifyChannel);
  }

  async listChangesAfterSeq(
    userId: string,
    afterSeq: number,
    updatedAfter: Date | null,
    limit: number,
  ): Promise<VideoRecord[]> {
    const rows = await this.client.video.findMany({
      where: { userId, changeSeq: { gt: BigInt(afterSeq) }, ...(updatedAfter && { updatedAt: { gt: updatedAfter } }) },
      orderBy: { changeSeq: "asc" },
      take: limit,
    });
    return rows.map(toRecord);
  }

  async lastChangeSeq(userId: string): Promise<number> {
    const row = await this.client.user.findUnique({ where: { id: userId }, select: { changeSeq: true } });
    return Number(row?.changeSeq ?? 0);
  }

  async changeFeedTime(userId: string): Promise<Date> {
    // The exclusive lock waits for every transaction stamping this user's changes (they hold it
    // shared) and keeps new ones out while the clock is read; one statement is its own transaction,
    // so the lock is released when it returns. Stamps are truncated to ms, so a change stamped in
    // the same millisecond after this returns is still later than T − 1 ms.
    const [row] = await this.#sql(`SELECT pg_advisory_xact_lock(hashtext($1))::text AS locked, ${nowSql} AS now`, [
      userId,
    ]);
    return new Date(dateOf(row?.now).getTime() - 1);
  }

  usedSeconds(userId: string, periodStart: Date, periodEnd: Date): Promise<number> {
    return sumUsage(this.client, userId, periodStart, periodEnd);
  }

  async termsAcceptance(userId: string, version: string): Promise<{ acceptedAt: Date } | null> {
    return this.client.termsAcceptance.findUnique({
      where: { userId_version: { userId, version } },
      select: { acceptedAt: true },
    });
  }

  async acceptTerms(userId: string, version: string): Promise<{ acceptedAt: Date }> {
    return this.client.$transaction(async (db) => {
      await ensureUser(db, userId);
      await db.$executeRaw`
        INSERT INTO "TermsAcceptance" ("userId", "version") VALUES (${userId}, ${version})
        ON CONFLICT ("userId", "version") DO NOTHING`;
      return db.termsAcceptance.findUniqueOrThrow({
        where: { userId_version: { userId, version } },
        select: { acceptedAt: true },
      });
    });
  }

  async claimSilentVideos(silentForMs: number, holdForMs: number, limit: number): Promise<VideoRecord[]> {
    // One statement: rows another instance is claiming right now are skipped (SKIP LOCKED), rows it
    // has claimed carry a claimedUntil in the future and are skipped by the WHERE clause.
    const claimed = await this.client.$queryRaw<{ id: string }[]>`
      WITH due AS (
        SELECT "id" FROM "Video"
        WHERE "deletedAt" IS NULL
          AND "status" IN ('queued', 'processing')
          AND "providerSeenAt" < ${dueClockSql} - make_interval(secs => ${silentForMs / 1000}::double precision)
          AND ("claimedUntil" IS NULL OR "claimedUntil" < ${dueClockSql})
        ORDER BY "providerSeenAt"
        LIMIT ${limit}::int
        FOR UPDATE SKIP LOCKED
      )
      UPDATE "Video" AS v SET "claimedUntil" = ${clockSql} + make_interval(secs => ${holdForMs / 1000}::double precision)
      FROM due WHERE v."id" = due."id"
      RETURNING v."id"`;
    if (claimed.length === 0) return [];
    const rows = await this.client.video.findMany({
      where: { id: { in: claimed.map((row) => row.id) } },
      orderBy: { providerSeenAt: "asc" },
    });
    return rows.map(toRecord);
  }

  // posters21: one statement in previews.ts.
  claimPreviewWork(options: Parameters<Store["claimPreviewWork"]>[0]): Promise<VideoRecord[]> {
    return claimPreviewWork(this.#sql, options);
  }

  async renewClaims(videoIds: string[], holdForMs: number): Promise<void> {
    if (videoIds.length === 0) return;
    await this.client.$executeRaw`
      UPDATE "Video" SET "claimedUntil" = ${clockSql} + make_interval(secs => ${holdForMs / 1000}::double precision)
      WHERE "id" = ANY(${videoIds}::text[]) AND "claimedUntil" IS NOT NULL`;
  }

  async releaseClaims(videoIds: string[]): Promise<void> {
    if (videoIds.length === 0) return;
    await this.client.video.updateMany({ where: { id: { in: videoIds } }, data: { claimedUntil: null } });
  }

  async liveVideoIds(userId: string): Promise<string[]> {
    const rows = await this.client.video.findMany({ where: { userId, deletedAt: null }, select: { id: true } });
    return rows.map((row) => row.id);
  }

  async upsertUser(userId: string, profile: { email: string | null }): Promise<void> {
    await this.client.$executeRaw`
      INSERT INTO "User" ("id", "email") VALUES (${userId}, ${profile.email})
      ON CONFLICT ("id") DO UPDATE SET "email" = EXCLUDED."email", "updatedAt" = now()
      WHERE "User"."deletedAt" IS NULL`;
  }

  async markUserDeleted(userId: string, at: Date): Promise<void> {
    await this.client.$executeRaw`
      INSERT INTO "User" ("id", "deletedAt") VALUES (${userId}, ${at})
      ON CONFLICT ("id") DO UPDATE SET "deletedAt" = COALESCE("User"."deletedAt", EXCLUDED."deletedAt"), "updatedAt" = now()`;
  }

  async reactivateUser(userId: string): Promise<void> {
    await this.client.user.updateMany({ where: { id: userId }, data: { deletedAt: null, updatedAt: new Date() } });
  }

  userDeletedAt(userId: string): Promise<Date | null> {
    return selectUserDeletedAt(this.#sql, userId);
  }

  async videosByIds(ids: string[]): Promise<VideoRecord[]> {
    if (ids.length === 0) return [];
    return (await this.client.video.findMany({ where: { id: { in: ids } } })).map(toRecord);
  }

  async existingUploadKeys(keys: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const rows = await this.client.upload.findMany({ where: { key: { in: keys } }, select: { key: true } });
    return rows.map((row) => row.key);
  }

  async deleteUploadsOfUser(userId: string): Promise<UploadRecord[]> {
    return this.client.$queryRaw<UploadRecord[]>`DELETE FROM "Upload" WHERE "userId" = ${userId} RETURNING *`;
  }

  async hasWebhookDelivery(source: string, deliveryId: string): Promise<boolean> {
    const row = await this.client.webhookDelivery.findUnique({ where: { source_id: { source, id: deliveryId } } });
    return row !== null;
  }

  async recordWebhookDelivery(source: string, deliveryId: string): Promise<void> {
    await this.client.$executeRaw`
      INSERT INTO "WebhookDelivery" ("source", "id") VALUES (${source}, ${deliveryId})
      ON CONFLICT ("source", "id") DO NOTHING`;
  }

  async deleteExpiredIdempotency(now: Date): Promise<number> {
    const { count } = await this.client.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }

  async deleteWebhookDeliveriesBefore(before: Date): Promise<number> {
    const { count } = await this.client.webhookDelivery.deleteMany({ where: { receivedAt: { lt: before } } });
    return count;
  }

  creditBalance(userId: string): Promise<number> {
    return balanceOf(this.client, userId);
  }

  listCreditEntries(userId: string, limit: number): Promise<CreditEntryRecord[]> {
    return this.client.creditEntry.findMany({
      where: { userId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: limit,
    });
  }

  async insertUpload(upload: UploadRecord): Promise<void> {
    await this.client.$transaction(async (db) => {
      await ensureUser(db, upload.userId);
      await db.upload.create({ data: upload });
    });
  }

  getUpload(userId: string, uploadId: string): Promise<UploadRecord | null> {
    return this.client.upload.findFirst({ where: { id: uploadId, userId } });
  }

  findUploadByKey(userId: string, key: string): Promise<UploadRecord | null> {
    return this.client.upload.findFirst({ where: { key, userId } });
  }

  async claimOutbox(holdForMs: number, limit: number): Promise<OutboxRecord[]> {
    // Like claimSilentVideos: SKIP LOCKED plus a claim time, so instances never send one message at once.
    const claimed = await this.client.$queryRaw<{ id: string }[]>`
      WITH due AS (
        SELECT "id" FROM "OutboxMessage"
        WHERE "deliveredAt" IS NULL AND "failedAt" IS NULL
          AND "nextAttemptAt" <= ${dueClockSql}
          AND ("claimedUntil" IS NULL OR "claimedUntil" < ${dueClockSql})
        ORDER BY "nextAttemptAt", "createdAt"
        LIMIT ${limit}::int
        FOR UPDATE SKIP LOCKED
      )
      UPDATE "OutboxMessage" AS m SET "claimedUntil" = ${clockSql} + make_interval(secs => ${holdForMs / 1000}::double precision)
      FROM due WHERE m."id" = due."id"
      RETURNING m."id"`;
    if (claimed.length === 0) return [];
    return this.client.outboxMessage.findMany({
      where: { id: { in: claimed.map((row) => row.id) } },
      orderBy: [{ nextAttemptAt: "asc" }, { createdAt: "asc" }],
      select: outboxFields,
    });
  }

  async settleOutbox(
    id: string,
    outcome: { delivered: true } | { delivered: false; error: string; retryAt: Date | null },
  ): Promise<void> {
    const now = new Date();
    await this.client.outboxMessage.update({
      where: { id },
      data: {
        attempts: { increment: 1 },
        claimedUntil: null,
        ...(outcome.delivered
          ? { deliveredAt: now, lastError: null }
          : {
              lastError: outcome.error.slice(0, 2000),
              ...(outcome.retryAt ? { nextAttemptAt: outcome.retryAt } : { failedAt: now }),
            }),
      },
    });
  }

  // Invite-only access (access21): see adapters/store/access.ts.
  accessRole(userId: string): Promise<StoredAccessRole> {
    return access.accessRole(this.client, userId);
  }

  latestRedemption(userId: string): Promise<{ code: string; redeemedAt: Date } | null> {
    return access.latestRedemption(this.client, userId);
  }

  redeemVoucher(userId: string, key: string, now: Date): Promise<RedeemOutcome> {
    return access.redeemVoucher(this.client, userId, key, now);
  }

  insertVoucher(voucher: VoucherRecord): Promise<boolean> {
    return access.insertVoucher(this.client, voucher);
  }

  listVouchers(): Promise<VoucherRecord[]> {
    return access.listVouchers(this.client);
  }

  deactivateVoucher(key: string, at: Date): Promise<boolean> {
    return access.deactivateVoucher(this.client, key, at);
  }

  async close(): Promise<void> {
    await this.client.$disconnect();
    await this.#onClose?.();
  }
}
