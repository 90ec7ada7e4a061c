-- posters21: posters and scrub sprites derived from each completed video's MP4 (core/previews.ts).
-- Additive: nullable columns and a counter with a default; existing completed videos get theirs
-- from the reconciler's backfill.
ALTER TABLE "Video" ADD COLUMN "posterKey" TEXT,
ADD COLUMN "posterUrl" TEXT,
ADD COLUMN "spriteKey" TEXT,
ADD COLUMN "spriteUrl" TEXT,
ADD COLUMN "spriteColumns" INTEGER,
ADD COLUMN "spriteRows" INTEGER,
ADD COLUMN "spriteFrameWidth" INTEGER,
ADD COLUMN "spriteFrameHeight" INTEGER,
ADD COLUMN "spriteInterval" DOUBLE PRECISION,
ADD COLUMN "previewAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "previewClaimedAt" TIMESTAMPTZ(6);

-- CreateIndex
CREATE INDEX "Video_status_posterKey_idx" ON "Video"("status", "posterKey");
