import type { CreateVideoInput, GenerateResult, RequestOptions } from "@openv/sdk";
import { legacyCall, type MutationOptions, type MutationResult, useMutation } from "../_internal/use-mutation.js";
import { useOpenVStore } from "../provider.js";

/** The arguments of `useGenerate`'s calls: those of `client.videos.create`. */
export type GenerateVariables = [input: CreateVideoInput, options?: RequestOptions];

/** What {@link useGenerate} returns: the mutation shape, plus the pre-1.0 names. */
export interface UseGenerateResult extends MutationResult<GenerateVariables, GenerateResult> {
  /**
   * @deprecated Use `mutateAsync` (rejects on failure) or `mutate`. Resolves with the answer, or
   * `null` when it failed.
   */
  generate: (...variables: GenerateVariables) => Promise<GenerateResult | null>;
  /** @deprecated Use `isPending`. */
  pending: boolean;
  /** @deprecated Use `data`. */
  result: GenerateResult | null;
}

/** Options of {@link useGenerate}: `onSuccess`, `onError`, `onSettled`. */
export type UseGenerateOptions = MutationOptions<GenerateVariables, GenerateResult>;

/**
 * Requests videos (`client.videos.create`), with status and typed errors for the UI. The new video
 * shows up in `useVideos()` at once and `useUsage()` takes the usage from the answer. A refused
 * request refreshes what it depends on: terms (`TermsRequiredError`) and usage
 * (`QuotaExceededError`).
 *
 * @example
 * ```tsx
 * const { mutate, isPending, error } = useGenerate({ onSuccess: ({ video }) => select(video.id) });
 * <button disabled={isPending} onClick={() => mutate({ prompt: "waves at night", frames: 31 })}>Generate</button>
 * {error instanceof QuotaExceededError && <p>Only {error.remainingSeconds} s left.</p>}
 * ```
 */
export function useGenerate(options?: UseGenerateOptions): UseGenerateResult {
  const mutation = useMutation(useOpenVStore().generate, options);
  return { ...mutation, generate: legacyCall(mutation), pending: mutation.isPending, result: mutation.data ?? null };
}
