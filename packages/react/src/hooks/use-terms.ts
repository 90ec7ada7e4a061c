import type { TermsStatus } from "@openv/sdk";
import type { TermsState } from "@openv/sdk/store";
import { legacyCall, type MutationOptions, type MutationResult, useMutation } from "../_internal/use-mutation.js";
import { type QueryOptions, useStorePart } from "../_internal/use-store-part.js";
import { useOpenVStore } from "../provider.js";

/** The arguments of `useAcceptTerms`'s calls: the version to accept (default: the current one the check returned). */
export type AcceptTermsVariables = [version?: string];

/** What {@link useAcceptTerms} returns: the mutation shape. */
export type UseAcceptTermsResult = MutationResult<AcceptTermsVariables, TermsStatus>;

/**
 * Accepts a terms version (`client.terms.accept`), in the one mutation shape: `mutate`,
 * `mutateAsync` (rejects with the SDK's typed error), `status`, `isPending`, `isError`, `error`,
 * `reset`, and `onSuccess`/`onError`/`onSettled`. Every `useTerms()` of the provider sees the
 * acceptance at once. When the version moved on in the meantime (`terms_version_mismatch`) the new
 * one is loaded for the user to read, and the call rejects.
 *
 * @example
 * ```tsx
 * const { terms } = useTerms();
 * const accept = useAcceptTerms({ onSuccess: () => router.push("/studio") });
 * <button disabled={accept.isPending} onClick={() => accept.mutate(terms?.version)}>Accept</button>
 * ```
 */
export function useAcceptTerms(options?: MutationOptions<AcceptTermsVariables, TermsStatus>): UseAcceptTermsResult {
  return useMutation<AcceptTermsVariables, TermsStatus>(useOpenVStore().acceptTerms, options);
}

/** What {@link useTerms} returns. */
export interface UseTermsResult extends TermsState {
  /** Checks again. */
  refresh: () => Promise<void>;
  /** Accepting the terms, in the one mutation shape (the same as {@link useAcceptTerms}). */
  acceptance: UseAcceptTermsResult;
  /**
   * @deprecated Use `acceptance.mutateAsync` (rejects on failure) or `acceptance.mutate`.
   * Resolves true once accepted, false when it failed (see `acceptance.error`).
   */
  accept: (version?: string) => Promise<boolean>;
  /** @deprecated Use `acceptance.isPending`. */
  accepting: boolean;
}

/** Options of {@link useTerms}: `enabled`, `initialData`. */
export type UseTermsOptions = QueryOptions<TermsStatus>;

/**
 * Whether the user has accepted the current terms version, checked when first used, and the
 * acceptance as a mutation (`acceptance`). A generate refused with `TermsRequiredError` checks
 * again.
 *
 * @example
 * ```tsx
 * const { terms, acceptance } = useTerms();
 * if (terms && !terms.accepted) {
 *   return <button disabled={acceptance.isPending} onClick={() => acceptance.mutate(terms.version)}>Accept v{terms.version}</button>;
 * }
 * ```
 */
export function useTerms(options: UseTermsOptions = {}): UseTermsResult {
  const store = useOpenVStore();
  const state = useStorePart("terms", (s) => ({ subscribe: s.subscribeTerms, get: s.terms.get }), options);
  const acceptance = useAcceptTerms();
  const legacy = legacyCall(acceptance);
  return {
    ...state,
    refresh: store.refreshTerms,
    acceptance,
    accept: async (version) => (await legacy(version)) !== null,
    accepting: acceptance.isPending,
  };
}
