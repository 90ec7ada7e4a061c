// Invite-only access (access21): the user's role and redeeming a voucher code.
import type { AccessStatus, RedeemVoucherResponse } from "@openv/sdk";
import { getAccess, type OpenVClientError, redeemAccess } from "@openv/sdk";
import { toClientError } from "@openv/sdk/store";
import { useCallback, useEffect, useState } from "react";
import { type MutationResult, useMutation } from "../_internal/use-mutation.js";
import type { QueryOptions } from "../_internal/use-store-part.js";
import { useOpenVClient } from "../provider.js";

/** What {@link useAccess} returns. */
export interface UseAccessResult {
  /** The role (`restricted`, `user` or `admin`) and the voucher that admitted the user; undefined until loaded. */
  access: AccessStatus | undefined;
  /** True while the first check is in flight. */
  loading: boolean;
  /** Why the latest check failed, or null. */
  error: OpenVClientError | null;
  /** Checks again. */
  refresh: () => Promise<void>;
  /**
   * Redeeming a code, in the one mutation shape (`mutate(code)`, `isPending`, `error` — a
   * `ValidationError` with code `voucher_invalid` and `details.reason` for a code that cannot be
   * redeemed). On success `access` shows the new role.
   */
  redemption: MutationResult<[code: string], RedeemVoucherResponse>;
}

/**
 * Invite-only access: the signed-in user's role, checked when first used, and redeeming a voucher
 * code as a mutation. On an open server every user is a `user`.
 *
 * @example
 * ```tsx
 * const { access, redemption } = useAccess();
 * if (access?.role === "restricted") {
 *   return <button onClick={() => redemption.mutate(code)}>Redeem</button>;
 * }
 * ```
 */
export function useAccess(options: QueryOptions<AccessStatus> = {}): UseAccessResult {
  const client = useOpenVClient();
  const [access, setAccess] = useState(options.initialData);
  const [error, setError] = useState<OpenVClientError | null>(null);
  const refresh = useCallback(async () => {
    try {
      setAccess(await getAccess(client));
      setError(null);
    } catch (caught) {
      setError(toClientError(caught));
    }
  }, [client]);
  const enabled = options.enabled !== false;
  useEffect(() => {
    if (enabled) void refresh();
  }, [enabled, refresh]);
  const redeem = useCallback(
    async (code: string) => {
      const answer = await redeemAccess(client, code);
      // The role at once; the voucher it came with on the next check.
      setAccess((previous) => ({ voucher: previous?.voucher ?? null, role: answer.role }));
      void refresh();
      return answer;
    },
    [client, refresh],
  );
  return {
    access,
    loading: access === undefined && error === null && enabled,
    error,
    refresh,
    redemption: useMutation(redeem),
  };
}
