import type { GenerateRequest } from "@openv/protocol";
import type { GenerateOptions, GenerateResult, OpenVClientError } from "@openv/sdk";
import { useMutation } from "../_internal/use-mutation.js";
import { useOpenVStore } from "../provider.js";

/** What {@link useGenerate} returns. */
export interface UseGenerateResult {
  /**
   * Requests a video. Resolves with the server's answer, or with `null` when it failed (the error
   * is then in `error`); it never rejects. The new video shows up in `useVideos()` at once, and
   * `useUsage()` takes the usage from the answer.
   */
  generate: (input: GenerateRequest, options?: GenerateOptions) => Promise<GenerateResult | null>;
  /** True while a request is in flight. */
  pending: boolean;
  /**
   * Why the latest request failed, as the SDK's typed error: test it with `instanceof`
   * (`QuotaExceededError` has `remainingSeconds`, `TermsRequiredError` has `version`,
   * `ConflictError` with code `too_many_active_jobs`, `RateLimitedError`, …). Null otherwise.
   */
  error: OpenVClientError | null;
  /** The latest successful answer (`{video, usage, replayed, idempotencyKey}`); null before one. */
  result: GenerateResult | null;
  /** Clears `error` and `result`. */
  reset: () => void;
}

/**
 * Requests videos, with pending and error state for the UI. A refused request refreshes what it
 * depends on: terms (`TermsRequiredError`) and usage (`QuotaExceededError`).
 *
 * @example
 * ```tsx
 * const { generate, pending, error } = useGenerate();
 * <button disabled={pending} onClick={() => generate({ prompt: "waves at night", frames: 31 })}>Generate</button>
 * {error instanceof QuotaExceededError && <p>Only {error.remainingSeconds} s left.</p>}
 * ```
 */
export function useGenerate(): UseGenerateResult {
  const { run, pending, error, result, reset } = useMutation(useOpenVStore().generate);
  return { generate: run, pending, error, result, reset };
}
