// Invite-only access (access21): the store's operations for roles and vouchers, over Prisma.
import type { Prisma, PrismaClient } from "../../_generated/prisma/client.js";
import type { RedeemOutcome, StoredAccessRole, VoucherRecord } from "../../core/ports.js";

type Client = InstanceType<typeof PrismaClient>;
type Db = Client | Prisma.TransactionClient;

const voucherFields = {
  key: true,
  code: true,
  maxUses: true,
  uses: true,
  active: true,
  expiresAt: true,
  createdBy: true,
  createdAt: true,
} as const;

/** The user's stored role; `restricted` for a user without a row (the column's default). */
export async function accessRole(db: Db, userId: string): Promise<StoredAccessRole> {
  const row = await db.user.findUnique({ where: { id: userId }, select: { role: true } });
  return row?.role === "user" ? "user" : "restricted";
}

export async function latestRedemption(db: Db, userId: string): Promise<{ code: string; redeemedAt: Date } | null> {
  const row = await db.voucherRedemption.findFirst({
    where: { userId },
    orderBy: { redeemedAt: "desc" },
    select: { redeemedAt: true, voucher: { select: { code: true } } },
  });
  return row && { code: row.voucher.code, redeemedAt: row.redeemedAt };
}

/** `AccessStore.redeemVoucher`: see its contract in core/ports/access.ts. */
export function redeemVoucher(client: Client, userId: string, key: string, now: Date): Promise<RedeemOutcome> {
  return client.$transaction(async (db) => {
    // The user's row lock serialises this user's redemptions: a second one sees the first's.
    await db.$executeRaw`INSERT INTO "User" ("id") VALUES (${userId}) ON CONFLICT ("id") DO NOTHING`;
    const [me] = await db.$queryRaw<{ role: string; redeemed: boolean }[]>`
      SELECT "role", EXISTS (
        SELECT 1 FROM "VoucherRedemption" WHERE "userId" = ${userId} AND "voucherKey" = ${key}
      ) AS "redeemed"
      FROM "User" WHERE "id" = ${userId} FOR UPDATE`;
    if (me?.redeemed || me?.role === "user") return { kind: "already" };
    // One statement: the use counts only while the voucher allows it. Parallel redemptions of one
    // voucher queue on its row, and each re-checks the WHERE clause against the row the one before
    // it committed, so `uses` never passes `maxUses`.
    const [admitted] = await db.$queryRaw<{ id: string }[]>`
      WITH used AS (
        UPDATE "Voucher" SET "uses" = "uses" + 1
        WHERE "key" = ${key} AND "active" AND "uses" < "maxUses" AND "expiresAt" > ${now}
        RETURNING "key"
      ), redeemed AS (
        INSERT INTO "VoucherRedemption" ("voucherKey", "userId", "redeemedAt")
        SELECT "key", ${userId}, ${now} FROM used
        RETURNING "userId"
      )
      UPDATE "User" SET "role" = 'user', "updatedAt" = ${now}
      WHERE "id" IN (SELECT "userId" FROM redeemed)
      RETURNING "id"`;
    if (admitted) return { kind: "redeemed" };
    const voucher = await db.voucher.findUnique({ where: { key }, select: voucherFields });
    return { kind: "refused", voucher };
  });
}

export async function insertVoucher(client: Client, voucher: VoucherRecord): Promise<boolean> {
  const inserted = await client.$executeRaw`
    INSERT INTO "Voucher" ("key", "code", "maxUses", "uses", "active", "expiresAt", "createdBy", "createdAt")
    VALUES (${voucher.key}, ${voucher.code}, ${voucher.maxUses}::int, ${voucher.uses}::int, ${voucher.active},
            ${voucher.expiresAt}, ${voucher.createdBy}, ${voucher.createdAt})
    ON CONFLICT ("key") DO NOTHING`;
  return inserted === 1;
}

export function listVouchers(client: Client): Promise<VoucherRecord[]> {
  return client.voucher.findMany({ orderBy: [{ createdAt: "desc" }, { key: "asc" }], select: voucherFields });
}

export async function deactivateVoucher(client: Client, key: string, at: Date): Promise<boolean> {
  const changed = await client.$executeRaw`
    UPDATE "Voucher" SET "active" = false, "deactivatedAt" = COALESCE("deactivatedAt", ${at})
    WHERE "key" = ${key}`;
  return changed === 1;
}
