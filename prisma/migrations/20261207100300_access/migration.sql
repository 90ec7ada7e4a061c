-- Invite-only access (access21). Users who exist when this runs were admitted under open access:
-- they become `user`; rows created afterwards start `restricted` (read only with OPENV_ACCESS=invite).
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "role" TEXT NOT NULL DEFAULT 'user';
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'restricted';

-- CreateTable
CREATE TABLE "Voucher" (
    "key" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "maxUses" INTEGER NOT NULL,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "expiresAt" TIMESTAMPTZ(6) NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deactivatedAt" TIMESTAMPTZ(6),

    CONSTRAINT "Voucher_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "VoucherRedemption" (
    "voucherKey" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "redeemedAt" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "VoucherRedemption_pkey" PRIMARY KEY ("voucherKey","userId")
);

-- CreateIndex
CREATE INDEX "Voucher_createdAt_idx" ON "Voucher"("createdAt");

-- CreateIndex
CREATE INDEX "VoucherRedemption_userId_idx" ON "VoucherRedemption"("userId");

-- AddForeignKey
ALTER TABLE "VoucherRedemption" ADD CONSTRAINT "VoucherRedemption_voucherKey_fkey" FOREIGN KEY ("voucherKey") REFERENCES "Voucher"("key") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VoucherRedemption" ADD CONSTRAINT "VoucherRedemption_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Checks Prisma does not model: a stored role is never `admin` (admins come from configuration),
-- and a voucher is never redeemed more often than it allows.
ALTER TABLE "User" ADD CONSTRAINT "User_role_known" CHECK ("role" IN ('restricted', 'user'));
ALTER TABLE "Voucher" ADD CONSTRAINT "Voucher_uses_within_max" CHECK ("uses" >= 0 AND "uses" <= "maxUses" AND "maxUses" >= 1);
