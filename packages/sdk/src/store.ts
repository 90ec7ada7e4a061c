// `@openv/sdk/store`: the framework-free client cache (the watcher's videos, usage, terms, models,
// credits and uploads) that UI bindings subscribe to: `@openv/react` is hooks over it, and a Vue or
// Svelte binding would be the same. Each part is a subscribe/get pair in the shape
// `useSyncExternalStore` (and Svelte's stores) take.
export type {
  CreditsState,
  ModelsState,
  OpenVInitialState,
  TermsState,
  UsageState,
  VideosState,
} from "./store/openv-store.js";
export { OpenVStore, toClientError } from "./store/openv-store.js";
export { ValueStore } from "./store/value-store.js";
