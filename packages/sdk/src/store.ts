// `@openv/sdk/store`: the framework-free client cache (the watcher's videos, usage, terms, models,
// credits and uploads) that UI bindings subscribe to: `@openv/react` is hooks over it, and a Vue or
// Svelte binding would be the same. Each part is a subscribe/get pair in the shape
// `useSyncExternalStore` (and Svelte's stores) take. Beside it, the components' framework-free
// rules: the generate form's plan (limits, frames, allowance, what blocks a submit) and the
// sentences errors are shown as.

// The framework-free rules of the components (the same form and messages in any binding).
export { describeError } from "./store/describe-error.js";
export { formatCredits, formatSeconds, percent } from "./store/format.js";
export type {
  Blocker,
  BlockReason,
  ErrorCauses,
  GenerateFields,
  GeneratePlan,
  PlanContext,
  TextCount,
} from "./store/generate-plan.js";
export {
  errorStillApplies,
  formatMegabytes,
  initialFields,
  planGeneration,
} from "./store/generate-plan.js";
export { framesForSeconds, secondsRange } from "./store/model-limits.js";
export type {
  CreditsState,
  ModelsState,
  OpenVInitialState,
  TermsState,
  UsageState,
  VideosState,
} from "./store/openv-store.js";
export { OpenVStore, toClientError } from "./store/openv-store.js";
export type { QuotaCheck } from "./store/quota.js";
export { checkQuota } from "./store/quota.js";
export { ValueStore } from "./store/value-store.js";
