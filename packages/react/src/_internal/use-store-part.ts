import type { OpenVInitialState } from "@openv/sdk/store";
import { useSyncExternalStore } from "react";
import { useOpenVStore } from "../provider.js";

/** Options every query hook takes (`useUsage`, `useTerms`, `useModels`, `useCredits`): TanStack Query's two. */
export interface QueryOptions<TData> {
  /**
   * False: render what the provider already has (seeded or loaded) and ask the server nothing,
   * e.g. until the user is signed in. Default true.
   */
  enabled?: boolean | undefined;
  /**
   * The answer to show until the server's own arrives (e.g. one a server component fetched); with
   * it the first render has data and `loading` is false. Ignored once the provider has an answer.
   */
  initialData?: TData | undefined;
}

const noSubscription = () => () => {};

/**
 * The one base of the query hooks: seeds `initialData` into the provider's store, then reads one
 * part of it with `useSyncExternalStore`, subscribing (which loads it on first use) only while
 * `enabled`.
 */
export function useStorePart<TState, TKey extends keyof OpenVInitialState>(
  key: TKey,
  part: (store: ReturnType<typeof useOpenVStore>) => {
    subscribe: (listener: () => void) => () => void;
    get: () => TState;
  },
  options: QueryOptions<NonNullable<OpenVInitialState[TKey]>>,
): TState {
  const store = useOpenVStore();
  if (options.initialData !== undefined) store.seed({ [key]: options.initialData } as OpenVInitialState);
  const { subscribe, get } = part(store);
  return useSyncExternalStore(options.enabled === false ? noSubscription : subscribe, get, get);
}
