-- AlterTable
ALTER TABLE "User" ADD COLUMN     "changeSeq" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Video" ADD COLUMN     "changeSeq" BIGINT NOT NULL DEFAULT 0;

-- Backfill: number each user's existing videos in the order they last changed, and start each
-- user's counter after them, so a stream resumed after the upgrade replays them in that order.
UPDATE "Video" AS v SET "changeSeq" = numbered.seq
FROM (
  SELECT "id", row_number() OVER (PARTITION BY "userId" ORDER BY "updatedAt", "id") AS seq FROM "Video"
) AS numbered
WHERE v."id" = numbered."id";

UPDATE "User" AS u SET "changeSeq" = last.seq
FROM (SELECT "userId", max("changeSeq") AS seq FROM "Video" GROUP BY "userId") AS last
WHERE u."id" = last."userId";

-- CreateIndex
CREATE INDEX "Video_userId_changeSeq_idx" ON "Video"("userId", "changeSeq");
