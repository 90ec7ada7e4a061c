// Invite-only access (shared/API.md, Additions v1.1 "Invite-only access"): a user's role, voucher
// redemption, and the admin routes that issue vouchers. The answers, in zod/mini (they reach browser
// bundles, see formats.ts); the requests are in access-requests.ts.
import * as zm from "zod/mini";
import { integer, timestamp } from "./formats.js";

/** What a user may do: `restricted` (read only, until a voucher is redeemed), `user` or `admin`. */
export const AccessRoleSchema = zm.enum(["restricted", "user", "admin"]);
/** A user's access role (see {@link AccessRoleSchema}). */
export type AccessRole = zm.infer<typeof AccessRoleSchema>;

/** Why a voucher was refused (`details.reason` of a `voucher_invalid` error). */
export const VoucherRefusalReasonSchema = zm.enum(["unknown", "expired", "deactivated", "used_up"]);
/** Why a voucher was refused (see {@link VoucherRefusalReasonSchema}). */
export type VoucherRefusalReason = zm.infer<typeof VoucherRefusalReasonSchema>;

/** A voucher as admins see it. */
export const VoucherSchema = zm.object({
  /** The code, as issued (hyphens between groups). */
  code: zm.string(),
  /** When it stops working (ISO-8601). */
  expiresAt: timestamp(),
  /** How many users may redeem it. */
  maxUses: integer(1),
  /** How many have. */
  uses: integer(0),
  /** False once an admin deactivated it. */
  active: zm.boolean(),
  /** When it was issued (ISO-8601). */
  createdAt: timestamp(),
});
/** A voucher (see {@link VoucherSchema}). */
export type Voucher = zm.infer<typeof VoucherSchema>;

/** Answer of `GET /api/admin/vouchers`: every voucher, newest first. */
export const ListVouchersResponseSchema = zm.object({
  /** The vouchers, newest first. */
  vouchers: zm.array(VoucherSchema),
});
/** Answer of `GET /api/admin/vouchers` (see {@link ListVouchersResponseSchema}). */
export type ListVouchersResponse = zm.infer<typeof ListVouchersResponseSchema>;

/** Answer of `GET /api/access`: the caller's role, and the voucher that admitted them. */
export const AccessStatusSchema = zm.object({
  /** What the user may do now. */
  role: AccessRoleSchema,
  /** The voucher the user redeemed, or null (none redeemed, or none needed). */
  voucher: zm.nullable(
    zm.object({
      /** The code redeemed, as issued. */
      code: zm.string(),
      /** When (ISO-8601). */
      redeemedAt: timestamp(),
    }),
  ),
});
/** Answer of `GET /api/access` (see {@link AccessStatusSchema}). */
export type AccessStatus = zm.infer<typeof AccessStatusSchema>;

/** Answer of `POST /api/access/redeem`: the role the user has now. */
export const RedeemVoucherResponseSchema = zm.object({
  /** The user's role after redeeming. */
  role: AccessRoleSchema,
});
/** Answer of `POST /api/access/redeem` (see {@link RedeemVoucherResponseSchema}). */
export type RedeemVoucherResponse = zm.infer<typeof RedeemVoucherResponseSchema>;
