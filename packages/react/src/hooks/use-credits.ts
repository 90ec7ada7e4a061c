import type { CreditsState } from "@openv/sdk/store";
import { useSyncExternalStore } from "react";
import { useOpenVStore } from "../provider.js";

/** What {@link useCredits} returns. */
export interface UseCreditsResult extends CreditsState {
  /** Asks the server again. */
  refresh: () => Promise<void>;
}

/**
 * The user's credit balance and newest ledger entries (`GET /credits`, under the server's credits
 * billing policy), loaded when first used and kept current: the balance follows each generate
 * answer at once, and the ledger is asked for again after a generate, a delete, a refused
 * `InsufficientCreditsError` and when a watched video fails (its credits are refunded).
 *
 * @example
 * ```tsx
 * const { credits } = useCredits();
 * return <span>{credits ? `${credits.balance} credits` : "…"}</span>;
 * ```
 */
export function useCredits(): UseCreditsResult {
  const store = useOpenVStore();
  const state = useSyncExternalStore(store.subscribeCredits, store.credits.get, store.credits.get);
  return { ...state, refresh: store.refreshCredits };
}
