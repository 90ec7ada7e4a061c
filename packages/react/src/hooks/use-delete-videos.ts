import type { DeleteTarget, RequestOptions } from "@openv/sdk";
import { useCallback, useState } from "react";
import { legacyCall, type MutationOptions, type MutationResult, useMutation } from "../_internal/use-mutation.js";
import { useOpenVStore } from "../provider.js";

/** What {@link useDeleteVideos} returns. */
/** What {@link useDeleteVideos} returns: the mutation shape, plus the ids in flight and the pre-1.0 names. */
export interface UseDeleteVideosResult extends MutationResult<DeleteVariables, string[]> {
  /** The ids of every delete in flight (to dim their cards). */
  deletingIds: ReadonlySet<string>;
  /** @deprecated Use `mutateAsync` (rejects on failure) or `mutate`. Resolves with `null` on failure. */
  deleteVideos: (...variables: DeleteVariables) => Promise<string[] | null>;
  /** @deprecated Use `isPending`. */
  pending: boolean;
}

/** The arguments of `useDeleteVideos`'s calls: those of `client.videos.delete`. */
export type DeleteVariables = [target: DeleteTarget, options?: RequestOptions];

/**
 * Deletes videos (`client.videos.delete`: ids, or `{ids, jobIds}`) everywhere: the gallery, every
 * other tab and device of the user; unfinished renders are cancelled and their seconds refunded.
 * Resolves with the ids deleted.
 *
 * @example
 * ```tsx
 * const { mutate, deletingIds } = useDeleteVideos({ onError: (error) => toast(error.message) });
 * <button disabled={deletingIds.has(video.id)} onClick={() => mutate(video.id)}>Delete</button>
 * ```
 */
export function useDeleteVideos(options?: MutationOptions<DeleteVariables, string[]>): UseDeleteVideosResult {
  const store = useOpenVStore();
  const [deletingIds, setDeletingIds] = useState<ReadonlySet<string>>(() => new Set());
  const action = useCallback(
    async (target: DeleteTarget, requestOptions?: RequestOptions) => {
      const list =
        typeof target === "string"
          ? [target]
          : Array.isArray(target)
            ? [...(target as readonly string[])]
            : [...((target as { ids?: readonly string[] }).ids ?? [])];
      setDeletingIds((previous) => new Set([...previous, ...list]));
      try {
        return await store.deleteVideos(target, requestOptions);
      } finally {
        setDeletingIds((previous) => new Set([...previous].filter((id) => !list.includes(id))));
      }
    },
    [store],
  );
  const mutation = useMutation(action, options);
  return { ...mutation, deletingIds, deleteVideos: legacyCall(mutation), pending: mutation.isPending };
}
