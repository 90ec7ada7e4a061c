import type { Model } from "@openv/sdk";
import type { ModelsState } from "@openv/sdk/store";
import { type QueryOptions, useStorePart } from "../_internal/use-store-part.js";
import { useOpenVStore } from "../provider.js";

/** What {@link useModels} returns. */
export interface UseModelsResult extends ModelsState {
  /** Asks the server again. */
  refresh: () => Promise<void>;
}

/** Options of {@link useModels}: `enabled`, `initialData`. */
export type UseModelsOptions = QueryOptions<readonly Model[]>;

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
export function useModels(options: UseModelsOptions = {}): UseModelsResult {
  const store = useOpenVStore();
  const state = useStorePart("models", (s) => ({ subscribe: s.subscribeModels, get: s.models.get }), options);
  return { ...state, refresh: store.refreshModels };
}
