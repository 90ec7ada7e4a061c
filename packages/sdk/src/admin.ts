// `@openv/sdk/admin`: calls only admins make (invite-only access's vouchers), as functions over a
// client, kept out of the main entry so no app's bundle carries them. Every call answers
// `ForbiddenError` to a user who is not one of the server's OPENV_ADMIN_USER_IDS.
import { type CreateVoucherRequest, ListVouchersResponseSchema, type Voucher, VoucherSchema } from "@openv/protocol";
import type { OpenVClient } from "./client.js";
import type { APIPromise, RequestOptions } from "./options.js";

export type { CreateVoucherRequest, ListVouchersResponse, Voucher } from "@openv/protocol";

/**
 * Issues a voucher (`POST /admin/vouchers`): a generated code (16 characters of Crockford base32,
 * 80 random bits, e.g. `7K3M-QX9T-2B8D-WN4F`) unless `input.code` is given, valid
 * `expiresInDays` (default 30) for `maxUses` users (default 1). Not retried once sent (a lost
 * answer could issue two): list before issuing again.
 *
 * @throws `ForbiddenError` for a non-admin; `ValidationError` (e.g. a chosen code already issued).
 *
 * @example
 * ```ts
 * import { createVoucher } from "@openv/sdk/admin";
 * const { code, expiresAt } = await createVoucher(client, { maxUses: 20, expiresInDays: 7 });
 * ```
 */
export function createVoucher(
  client: OpenVClient,
  input: CreateVoucherRequest = {},
  options?: RequestOptions,
): APIPromise<Voucher> {
  return client._send({
    method: "POST",
    path: "/admin/vouchers",
    body: input,
    schema: VoucherSchema,
    options,
    notIdempotent: true,
  });
}

/** Every voucher, newest first (`GET /admin/vouchers`): its uses, expiry and whether it is active. */
export async function listVouchers(client: OpenVClient, options?: RequestOptions): Promise<Voucher[]> {
  const { vouchers } = await client._send({
    method: "GET",
    path: "/admin/vouchers",
    schema: ListVouchersResponseSchema,
    options,
  });
  return vouchers;
}

/**
 * Deactivates a voucher (`DELETE /admin/vouchers/:code`): nobody can redeem it any more; users it
 * admitted stay admitted. Deactivating twice is not an error.
 *
 * @throws `NotFoundError` for a code never issued.
 */
export async function deactivateVoucher(client: OpenVClient, code: string, options?: RequestOptions): Promise<void> {
  await client._send({
    method: "DELETE",
    path: `/admin/vouchers/${encodeURIComponent(code)}`,
    schema: { safeParse: () => ({ success: true as const, data: undefined }) },
    options,
  });
}
