// Invite-only access (access21): what the store keeps for it, as the core reads and writes it.

/** A role the store keeps: admins are configuration, never stored. */
export type StoredAccessRole = "restricted" | "user";

/** A voucher row. */
export interface VoucherRecord {
  /** The canonical form codes are compared in (see core/access.ts `voucherKey`). */
  key: string;
  /** The code as issued. */
  code: string;
  /** How many users may redeem it. */
  maxUses: number;
  /** How many have. */
  uses: number;
  /** False once deactivated. */
  active: boolean;
  /** When it stops working. */
  expiresAt: Date;
  /** The admin who issued it. */
  createdBy: string;
  /** When it was issued. */
  createdAt: Date;
}

/** What `AccessStore.redeemVoucher` did. */
export type RedeemOutcome =
  | {
      /** The voucher's use was counted and the user is now `user`. */
      kind: "redeemed";
    }
  | {
      /** Nothing changed: the user had redeemed this code before, or was already `user`. */
      kind: "already";
    }
  | {
      /** Nothing changed: the voucher cannot be redeemed as it stands. */
      kind: "refused";
      /** The voucher as it stands, or null when there is no such voucher. */
      voucher: VoucherRecord | null;
    };

/** Operations of invite-only access inside a transaction. */
export interface AccessStoreTransaction {
  /** The user's stored role (`restricted` for a user without a row). */
  accessRole(userId: string): Promise<StoredAccessRole>;
}

/** The store's operations of invite-only access. */
export interface AccessStore {
  /** The user's stored role (`restricted` for a user without a row). */
  accessRole(userId: string): Promise<StoredAccessRole>;
  /** The user's latest redemption, with the voucher's code, or null. */
  latestRedemption(userId: string): Promise<{
    /** The code as issued. */
    code: string;
    /** When the user redeemed it. */
    redeemedAt: Date;
  } | null>;
  /**
   * Redeems voucher `key` for `userId` at `now`, in one transaction under the user's row lock: a
   * user who redeemed this code before, or is already `user`, changes nothing; else one statement
   * counts the use only while the voucher is active, unexpired at `now` and below its uses
   * (parallel redemptions never exceed it), records the redemption and makes the user `user`.
   */
  redeemVoucher(userId: string, key: string, now: Date): Promise<RedeemOutcome>;
  /** Stores a new voucher; false (and nothing stored) when its key is taken. */
  insertVoucher(voucher: VoucherRecord): Promise<boolean>;
  /** Every voucher, newest first. */
  listVouchers(): Promise<VoucherRecord[]>;
  /** Deactivates voucher `key` (keeping the first deactivation time); false when there is none. */
  deactivateVoucher(key: string, at: Date): Promise<boolean>;
}
