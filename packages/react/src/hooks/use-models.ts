import type { ModelsState } from "@openv/sdk/store";
import { useSyncExternalStore } from "react";
import { useOpenVStore } from "../provider.js";

/** What {@link useModels} returns. */
export interface UseModelsResult extends ModelsState {
  /** Asks the server again. */
  refresh: () => Promise<void>;
}

/**
 * The server's model catalog (`GET /models`), loaded once per provider when first used: each
 * model's name, limits (frames, size, steps, CFG), whether it takes an input image, and its price
 * in credits. The first model is the server's default.
 *
 * @example
 * ```tsx
 * const { models } = useModels();
 * return <select>{models?.map((model) => <option key={model.id} value={model.id}>{model.name}</option>)}</select>;
 * ```
 */
export function useModels(): UseModelsResult {
  const store = useOpenVStore();
  const state = useSyncExternalStore(store.subscribeModels, store.models.get, store.models.get);
  return { ...state, refresh: store.refreshModels };
}
