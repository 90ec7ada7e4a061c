import type { OpenVClientError } from "@openv/sdk";
import { useCallback, useState } from "react";
import { useMutation } from "../_internal/use-mutation.js";
import { useOpenVStore } from "../provider.js";

/** What {@link useDeleteVideos} returns. */
export interface UseDeleteVideosResult {
  /**
   * Deletes videos by id. Resolves with the ids deleted (ids the user does not own are left out),
   * or `null` when the request failed (see `error`); it never rejects. Deleted videos leave
   * `useVideos()` at once; unfinished ones are cancelled and their seconds refunded.
   */
  deleteVideos: (ids: string | readonly string[]) => Promise<string[] | null>;
  /** True while a deletion is in flight. */
  pending: boolean;
  /** The ids of every deletion in flight, to disable their buttons. */
  deletingIds: ReadonlySet<string>;
  /** Why the latest deletion failed; null otherwise. */
  error: OpenVClientError | null;
  /** Clears `error`. */
  reset: () => void;
}

/**
 * Deletes the user's videos, with pending and error state for the UI; usage is refreshed after.
 *
 * @example
 * ```tsx
 * const { deleteVideos, deletingIds } = useDeleteVideos();
 * <button disabled={deletingIds.has(video.id)} onClick={() => deleteVideos(video.id)}>Delete</button>
 * ```
 */
export function useDeleteVideos(): UseDeleteVideosResult {
  const store = useOpenVStore();
  const [deletingIds, setDeletingIds] = useState<ReadonlySet<string>>(() => new Set());
  const action = useCallback(
    async (ids: string | readonly string[]) => {
      const list = typeof ids === "string" ? [ids] : [...ids];
      setDeletingIds((previous) => new Set([...previous, ...list]));
      try {
        return await store.deleteVideos(list);
      } finally {
        setDeletingIds((previous) => new Set([...previous].filter((id) => !list.includes(id))));
      }
    },
    [store],
  );
  const { run, pending, error, reset } = useMutation(action);
  return { deleteVideos: run, pending, deletingIds, error, reset };
}
