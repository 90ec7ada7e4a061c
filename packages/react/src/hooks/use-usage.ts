import type { UsageState } from "@openv/sdk/store";
import { useSyncExternalStore } from "react";
import { useOpenVStore } from "../provider.js";

/** What {@link useUsage} returns. */
export interface UseUsageResult extends UsageState {
  /** Asks the server again. */
  refresh: () => Promise<void>;
}

/**
 * The current period's usage (`{usedSeconds, limitSeconds, remainingSeconds, credits, periodStart,
 * periodEnd}`), loaded when first used and kept current: it takes the usage a generate answers
 * with, and asks again after a delete and when a watched video completes or fails (refund). Under
 * credits billing `credits.balance` is set and the seconds limit is null; under the seconds policy
 * `credits` is null.
 *
 * @example
 * ```tsx
 * const { usage } = useUsage();
 * if (!usage) return <span>…</span>;
 * if (usage.credits) return <span>{usage.credits.balance} credits</span>;
 * return <span>{usage.remainingSeconds === null ? "No limit" : `${usage.remainingSeconds.toFixed(1)} s left`}</span>;
 * ```
 */
export function useUsage(): UseUsageResult {
  const store = useOpenVStore();
  const state = useSyncExternalStore(store.subscribeUsage, store.usage.get, store.usage.get);
  return { ...state, refresh: store.refreshUsage };
}
