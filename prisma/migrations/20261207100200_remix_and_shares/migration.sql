-- Remix and share links (issue 21). Additive: a nullable column and a new table.

-- AlterTable
ALTER TABLE "Video" ADD COLUMN "remixOf" TEXT;

-- CreateTable
CREATE TABLE "VideoShare" (
    "id" TEXT NOT NULL,
    "videoId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(6) NOT NULL,
    "expiresAt" TIMESTAMPTZ(6) NOT NULL,
    "revokedAt" TIMESTAMPTZ(6),

    CONSTRAINT "VideoShare_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "VideoShare_tokenHash_key" ON "VideoShare"("tokenHash");

-- CreateIndex
CREATE INDEX "VideoShare_videoId_createdAt_idx" ON "VideoShare"("videoId", "createdAt");

-- AddForeignKey
ALTER TABLE "VideoShare" ADD CONSTRAINT "VideoShare_videoId_fkey" FOREIGN KEY ("videoId") REFERENCES "Video"("id") ON DELETE CASCADE ON UPDATE CASCADE;
