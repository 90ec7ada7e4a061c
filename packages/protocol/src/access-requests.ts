// Invite-only access: the request bodies, read by the server with zod (answers: access.ts).
import { z } from "zod";

/**
 * A voucher code as people type it: letters, digits, spaces and hyphens. Case, spaces and hyphens
 * do not matter, nor do the look-alikes O/0 and I/L/1 (the server compares a canonical form).
 */
export const VoucherCodeSchema = z
  .string()
  .trim()
  .min(4)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 -]*$/, "Use letters, digits, spaces and hyphens only");

/** Body of `POST /api/access/redeem`. */
export const RedeemVoucherRequestSchema = z.strictObject({
  /** The voucher code an admin gave out. */
  code: VoucherCodeSchema,
});
/** Body of `POST /api/access/redeem` (see {@link RedeemVoucherRequestSchema}). */
export type RedeemVoucherRequest = z.infer<typeof RedeemVoucherRequestSchema>;

/** Body of `POST /api/admin/vouchers` (admins only). */
export const CreateVoucherRequestSchema = z.strictObject({
  /** The code to issue (at least 8 characters). Default: a generated one, unguessable (80 bits) and easy to type. */
  code: VoucherCodeSchema.refine((code) => code.replace(/[\s-]/g, "").length >= 8, {
    message: "A chosen code needs at least 8 letters or digits (leave code out for a generated one)",
  }).optional(),
  /** Days until the code stops working, 1–3650. Default 30. */
  expiresInDays: z.number().int().min(1).max(3650).default(30),
  /** How many users may redeem it, 1–1,000,000. Default 1. */
  maxUses: z.number().int().min(1).max(1_000_000).default(1),
});
/** Body of `POST /api/admin/vouchers` (see {@link CreateVoucherRequestSchema}); defaults optional. */
export type CreateVoucherRequest = z.input<typeof CreateVoucherRequestSchema>;
