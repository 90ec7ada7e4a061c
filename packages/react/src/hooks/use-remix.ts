import type { GenerateResponse, RemixRequest, RequestOptions } from "@openv/sdk";
import { toClientError } from "@openv/sdk/store";
import { useCallback } from "react";
import { type MutationOptions, type MutationResult, useMutation } from "../_internal/use-mutation.js";
import { useOpenVStore } from "../provider.js";

/** The arguments of `useRemix`'s calls: those of `client.videos.remix`. */
export type RemixVariables = [id: string, changes?: RemixRequest, options?: RequestOptions];

/**
 * Remixes one of the user's completed videos (`client.videos.remix`): a new video with its
 * settings and the changes given, charged like any other. The new video (its `remixOf` names the
 * source) shows up in `useVideos()` at once, and `useUsage()` is refreshed.
 *
 * @example
 * ```tsx
 * const { mutate, isPending } = useRemix();
 * <button disabled={isPending} onClick={() => mutate(video.id, { prompt: "the same, at night" })}>Remix</button>
 * ```
 */
export function useRemix(
  options?: MutationOptions<RemixVariables, GenerateResponse>,
): MutationResult<RemixVariables, GenerateResponse> {
  const store = useOpenVStore();
  const action = useCallback(
    async (...[id, changes, requestOptions]: RemixVariables) => {
      try {
        return await store.client.videos.remix(id, changes, requestOptions);
      } catch (error) {
        throw toClientError(error);
      } finally {
        void store.refreshUsage();
      }
    },
    [store],
  );
  return useMutation(action, options);
}
