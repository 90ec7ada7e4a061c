import type { Usage } from "@openv/sdk";
import type { UsageState } from "@openv/sdk/store";
import { type QueryOptions, useStorePart } from "../_internal/use-store-part.js";
import { useOpenVStore } from "../provider.js";

/** What {@link useUsage} returns. */
export interface UseUsageResult extends UsageState {
  /** Asks the server again. */
  refresh: () => Promise<void>;
}

/** Options of {@link useUsage}: `enabled`, `initialData`. */
export type UseUsageOptions = QueryOptions<Usage>;

/**
 * The current period's usage (`{usedSeconds, limitSeconds, remainingSeconds, credits, periodStart,
 * periodEnd}`), loaded when first used and kept current: it takes the usage a generate answers
 * with, and asks again after a delete and when a watched video completes or fails (refund). Under
 * credits billing `credits.balance` is set and the seconds limit is null; under the seconds policy
 * `credits` is null.
 *
 * @example
 * ```tsx
 * const { usage } = useUsage({ enabled: signedIn });
 * if (!usage) return <span>…</span>;
 * if (usage.credits) return <span>{usage.credits.balance} credits</span>;
 * return <span>{usage.remainingSeconds === null ? "No limit" : `${usage.remainingSeconds.toFixed(1)} s left`}</span>;
 * ```
 */
export function useUsage(options: UseUsageOptions = {}): UseUsageResult {
  const store = useOpenVStore();
  const state = useStorePart("usage", (s) => ({ subscribe: s.subscribeUsage, get: s.usage.get }), options);
  return { ...state, refresh: store.refreshUsage };
}
