// Invite-only access (access21): the user's role and voucher redemption, as functions over a
// client rather than client methods, so a bundle that never calls them carries none of their code.
import {
  type AccessStatus,
  AccessStatusSchema,
  type RedeemVoucherResponse,
  RedeemVoucherResponseSchema,
} from "@openv/protocol";
import type { OpenVClient } from "./client.js";
import type { APIPromise, RequestOptions } from "./options.js";

/**
 * The signed-in user's role (`GET /access`): `restricted` (on an invite-only server, until they
 * redeem a voucher: generating and uploading answer `ForbiddenError` with code
 * `access_restricted`), `user` or `admin`, and the voucher that admitted them.
 *
 * @example
 * ```ts
 * const { role } = await getAccess(client);
 * if (role === "restricted") showVoucherForm();
 * ```
 */
export function getAccess(client: OpenVClient, options?: RequestOptions): APIPromise<AccessStatus> {
  return client._send({ method: "GET", path: "/access", schema: AccessStatusSchema, options });
}

/**
 * Redeems a voucher code an admin gave out (`POST /access/redeem`) and resolves with the user's
 * role now. Case, spaces and hyphens do not matter; redeeming again changes nothing (so retries
 * are safe).
 *
 * @throws `ValidationError` with code `voucher_invalid` and `details.reason` `unknown`, `expired`,
 * `deactivated` or `used_up` (its message says what to do next).
 *
 * @example
 * ```ts
 * const { role } = await redeemAccess(client, "7K3M-QX9T-2B8D-WN4F"); // "user"
 * ```
 */
export function redeemAccess(
  client: OpenVClient,
  code: string,
  options?: RequestOptions,
): APIPromise<RedeemVoucherResponse> {
  return client._send({
    method: "POST",
    path: "/access/redeem",
    body: { code },
    schema: RedeemVoucherResponseSchema,
    options,
  });
}
