import type { TermsState } from "@openv/sdk/store";
import { useSyncExternalStore } from "react";
import { useOpenVStore } from "../provider.js";

/** What {@link useTerms} returns. */
export interface UseTermsResult extends TermsState {
  /**
   * Accepts a terms version: by default the current one the check returned. Resolves true once
   * accepted, false when it failed (see `error`); it never rejects. When the version moved on in
   * the meantime (`terms_version_mismatch`) the new one is loaded for the user to read.
   */
  accept: (version?: string) => Promise<boolean>;
  /** Checks again. */
  refresh: () => Promise<void>;
}

/**
 * Whether the user has accepted the current terms version, checked when first used, and the
 * action to accept it. A generate refused with `TermsRequiredError` checks again.
 *
 * @example
 * ```tsx
 * const { terms, accept, accepting } = useTerms();
 * if (terms && !terms.accepted) return <button disabled={accepting} onClick={() => accept()}>Accept v{terms.version}</button>;
 * ```
 */
export function useTerms(): UseTermsResult {
  const store = useOpenVStore();
  const state = useSyncExternalStore(store.subscribeTerms, store.terms.get, store.terms.get);
  return { ...state, accept: store.acceptTerms, refresh: store.refreshTerms };
}
