// Invite-only access (access21): roles, vouchers and the admission check of generate, remix and
// uploads. shared/API.md, Additions v1.1 "Invite-only access"; docs/security.md for the capabilities.
import { randomBytes } from "node:crypto";
import type {
  AccessRole,
  AccessStatus,
  CreateVoucherRequest,
  ListVouchersResponse,
  RedeemVoucherResponse,
  Voucher,
} from "@openv/protocol";
import type { LifecycleContext } from "./context.js";
import { OpenVError } from "./errors.js";
import type { StoreTransaction, VoucherRecord } from "./ports.js";

/** Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives. */
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A new voucher code: 16 characters of Crockford base32 (80 random bits) in groups of four. */
export function generateVoucherCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let code = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      code += codeAlphabet[(value >> bits) & 31];
    }
  }
  return code.match(/.{4}/g)?.join("-") ?? code;
}

/**
 * The form codes are compared in: upper case without spaces or hyphens, the look-alikes O→0 and
 * I/L→1. "abcd-efgh-ijkl" and "ABCD EFGH 1JK1" name the same voucher.
 */
export function voucherKey(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

const day = 24 * 60 * 60 * 1000;

function toVoucher(record: VoucherRecord): Voucher {
  return {
    code: record.code,
    expiresAt: record.expiresAt.toISOString(),
    maxUses: record.maxUses,
    uses: record.uses,
    active: record.active,
    createdAt: record.createdAt.toISOString(),
  };
}

/**
 * Invite-only access: with `config.access` `invite`, a user is `restricted` (may read, may not
 * generate, remix or upload) until they redeem a voucher an admin issued; admins
 * (`config.adminUserIds`) always may. With `open` (the default) everyone is a `user`.
 */
export class Access {
  readonly #ctx: LifecycleContext;

  constructor(ctx: LifecycleContext) {
    this.#ctx = ctx;
  }

  #now(): Date {
    return this.#ctx.deps.clock?.() ?? new Date();
  }

  #isAdmin(userId: string): boolean {
    return this.#ctx.config.adminUserIds.includes(userId);
  }

  #invite(): boolean {
    return this.#ctx.config.access === "invite";
  }

  /** The user's role as the server applies it: admin by configuration, everyone in open mode, else stored. */
  async role(userId: string): Promise<AccessRole> {
    if (this.#isAdmin(userId)) return "admin";
    if (!this.#invite()) return "user";
    return this.#ctx.deps.store.accessRole(userId);
  }

  /** `GET /access`: the role and the voucher that admitted the user. */
  async status(userId: string): Promise<AccessStatus> {
    const [role, redemption] = await Promise.all([this.role(userId), this.#ctx.deps.store.latestRedemption(userId)]);
    return {
      role,
      voucher: redemption && { code: redemption.code, redeemedAt: redemption.redeemedAt.toISOString() },
    };
  }

  /**
   * The admission check of every request that spends compute or storage (generate, remix,
   * uploads): inside the submission's transaction when `tx` is given.
   *
   * @throws `OpenVError` `access_restricted` for a restricted user of an invite-only server.
   */
  async assertAdmitted(userId: string, tx?: StoreTransaction): Promise<void> {
    if (!this.checksRole(userId)) return;
    const role = await (tx ?? this.#ctx.deps.store).accessRole(userId);
    if (role === "user") return;
    throw accessRestricted();
  }

  /**
   * Whether the user's stored role decides their admission: on an invite-only server, for anyone
   * but an admin. (The generate request's admission checks the role in its own statement.)
   */
  checksRole(userId: string): boolean {
    return this.#invite() && !this.#isAdmin(userId);
  }

  /**
   * `POST /access/redeem`: makes a restricted user a `user`. Redeeming again changes nothing and
   * counts no use; admins need no voucher and use none.
   *
   * @throws `OpenVError` `voucher_invalid` with `details.reason` `unknown`, `expired`, `deactivated` or `used_up`.
   */
  async redeem(userId: string, code: string): Promise<RedeemVoucherResponse> {
    if (this.#isAdmin(userId)) return { role: "admin" };
    const now = this.#now();
    const outcome = await this.#ctx.deps.store.redeemVoucher(userId, voucherKey(code), now);
    if (outcome.kind === "refused") throw refusal(outcome.voucher, now);
    if (outcome.kind === "redeemed") this.#ctx.logger.info({ userId }, "voucher redeemed");
    return { role: await this.role(userId) };
  }

  #assertAdmin(userId: string): void {
    if (this.#isAdmin(userId)) return;
    throw new OpenVError({
      code: "forbidden",
      message:
        "Only admins may manage vouchers. Ask an operator to add your user id to OPENV_ADMIN_USER_IDS (or adminUserIds).",
    });
  }

  /** `POST /admin/vouchers`. @throws `forbidden` for non-admins; `validation_failed` for a code already issued. */
  async createVoucher(actorId: string, request: CreateVoucherRequest): Promise<Voucher> {
    this.#assertAdmin(actorId);
    const now = this.#now();
    const chosen = request.code?.trim().toUpperCase().replace(/\s+/g, "-");
    for (let attempt = 0; ; attempt++) {
      const code = chosen ?? generateVoucherCode();
      const record: VoucherRecord = {
        key: voucherKey(code),
        code,
        maxUses: request.maxUses ?? 1,
        uses: 0,
        active: true,
        expiresAt: new Date(now.getTime() + (request.expiresInDays ?? 30) * day),
        createdBy: actorId,
        createdAt: now,
      };
      if (await this.#ctx.deps.store.insertVoucher(record)) {
        this.#ctx.logger.info(
          { actorId, maxUses: record.maxUses, expiresAt: record.expiresAt.toISOString() },
          "voucher issued",
        );
        return toVoucher(record);
      }
      // A generated code colliding is a 1-in-2^80 event; a chosen one is the admin's to change.
      if (chosen !== undefined || attempt >= 2) {
        throw new OpenVError({
          code: "validation_failed",
          message: "A voucher with this code (or one that reads the same) already exists. Choose another code.",
          details: { issues: [{ path: ["code"], code: "taken", message: "already issued" }] },
        });
      }
    }
  }

  /** `GET /admin/vouchers`: every voucher, newest first. */
  async listVouchers(actorId: string): Promise<ListVouchersResponse> {
    this.#assertAdmin(actorId);
    return { vouchers: (await this.#ctx.deps.store.listVouchers()).map(toVoucher) };
  }

  /** `DELETE /admin/vouchers/:code`. Users it admitted stay admitted. @throws `not_found` for an unknown code. */
  async deactivateVoucher(actorId: string, code: string): Promise<void> {
    this.#assertAdmin(actorId);
    if (!(await this.#ctx.deps.store.deactivateVoucher(voucherKey(code), this.#now()))) {
      throw new OpenVError({
        code: "not_found",
        message: "No voucher has this code. List them with GET /admin/vouchers.",
      });
    }
    this.#ctx.logger.info({ actorId }, "voucher deactivated");
  }
}

/** The refusal of a restricted user of an invite-only server. */
export function accessRestricted(): OpenVError {
  return new OpenVError({
    code: "access_restricted",
    message:
      "This server is invite-only. Ask an admin for a voucher code and redeem it before generating videos or uploading images.",
    details: { role: "restricted" },
    nextStep: { method: "POST", path: "/access/redeem", body: '{"code": "<your code>"}' },
  });
}

/** Why `voucher` could not be redeemed at `now`, as the contract's error. */
function refusal(voucher: VoucherRecord | null, now: Date): OpenVError {
  const ask = "Ask an admin for a new code.";
  const [reason, message] =
    voucher === null
      ? (["unknown", `No voucher has this code. Check it for typos; ${ask.toLowerCase()}`] as const)
      : !voucher.active
        ? (["deactivated", `This voucher was deactivated by an admin. ${ask}`] as const)
        : voucher.expiresAt <= now
          ? (["expired", `This voucher expired on ${voucher.expiresAt.toISOString()}. ${ask}`] as const)
          : ([
              "used_up",
              `This voucher was already redeemed as many times as it allows (${voucher.maxUses}). ${ask}`,
            ] as const);
  return new OpenVError({ code: "voucher_invalid", message, details: { reason } });
}
