import type { ShareRecord, ShareStore, VideoRecord } from "../../core/ports.js";
import { dateOf, type SqlRunner, toDate, videoFromRow } from "./operations.js";

// The store's share-link operations (issue 21) as plain SQL over the driver, one statement each.

function shareFromRow(row: Record<string, unknown>, prefix = ""): ShareRecord {
  return {
    id: row[`${prefix}id`] as string,
    videoId: row[`${prefix}videoId`] as string,
    userId: row[`${prefix}userId`] as string,
    tokenHash: row[`${prefix}tokenHash`] as string,
    createdAt: dateOf(row[`${prefix}createdAt`]),
    expiresAt: dateOf(row[`${prefix}expiresAt`]),
    revokedAt: toDate(row[`${prefix}revokedAt`]),
  };
}

/** `ShareStore` over one SQL runner (a `pg` Pool's or PGlite's `query`, or Prisma's raw query). */
export function sqlShareStore(sql: SqlRunner): ShareStore {
  return {
    async insertShare(share: ShareRecord): Promise<void> {
      await sql(
        `INSERT INTO "VideoShare" ("id", "videoId", "userId", "tokenHash", "createdAt", "expiresAt", "revokedAt")
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [share.id, share.videoId, share.userId, share.tokenHash, share.createdAt, share.expiresAt, share.revokedAt],
      );
    },
    async listLiveShares(userId: string, videoId: string, now: Date): Promise<ShareRecord[]> {
      const rows = await sql(
        `SELECT * FROM "VideoShare"
         WHERE "userId" = $1 AND "videoId" = $2 AND "revokedAt" IS NULL AND "expiresAt" > $3
         ORDER BY "createdAt" DESC, "id" DESC`,
        [userId, videoId, now],
      );
      return rows.map((row) => shareFromRow(row));
    },
    async revokeShare(userId: string, videoId: string, shareId: string, at: Date): Promise<boolean> {
      const rows = await sql(
        `UPDATE "VideoShare" SET "revokedAt" = COALESCE("revokedAt", $4)
         WHERE "id" = $1 AND "userId" = $2 AND "videoId" = $3 RETURNING "id"`,
        [shareId, userId, videoId, at],
      );
      return rows.length > 0;
    },
    async findShareByTokenHash(tokenHash: string): Promise<{ share: ShareRecord; video: VideoRecord } | null> {
      const [row] = await sql(
        `SELECT v.*, s."id" AS "share_id", s."videoId" AS "share_videoId", s."userId" AS "share_userId",
                s."tokenHash" AS "share_tokenHash", s."createdAt" AS "share_createdAt",
                s."expiresAt" AS "share_expiresAt", s."revokedAt" AS "share_revokedAt"
         FROM "VideoShare" s JOIN "Video" v ON v."id" = s."videoId"
         WHERE s."tokenHash" = $1`,
        [tokenHash],
      );
      return row ? { share: shareFromRow(row, "share_"), video: videoFromRow(row) } : null;
    },
  };
}
