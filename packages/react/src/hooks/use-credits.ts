import type { CreditsResponse } from "@openv/sdk";
import type { CreditsState } from "@openv/sdk/store";
import { type QueryOptions, useStorePart } from "../_internal/use-store-part.js";
import { useOpenVStore } from "../provider.js";

/** What {@link useCredits} returns. */
export interface UseCreditsResult extends CreditsState {
  /** Asks the server again. */
  refresh: () => Promise<void>;
}

/** Options of {@link useCredits}: `enabled`, `initialData`. */
export type UseCreditsOptions = QueryOptions<CreditsResponse>;

/**
 * The user's credit balance and newest ledger entries (`GET /credits`, under the server's credits
 * billing policy), loaded when first used and kept current: the balance follows each generate
 * answer at once, and the ledger is asked for again after a generate, a delete, a refused
 * `InsufficientCreditsError` and when a watched video fails (its credits are refunded). Pass
 * `{enabled: false}` on a server with the seconds policy, where there are no credits to ask for.
 *
 * @example
 * ```tsx
 * const { credits } = useCredits();
 * return <span>{credits ? `${credits.balance} credits` : "…"}</span>;
 * ```
 */
export function useCredits(options: UseCreditsOptions = {}): UseCreditsResult {
  const store = useOpenVStore();
  const state = useStorePart("credits", (s) => ({ subscribe: s.subscribeCredits, get: s.credits.get }), options);
  return { ...state, refresh: store.refreshCredits };
}
