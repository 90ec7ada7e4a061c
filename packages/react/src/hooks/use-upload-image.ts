import type { Upload } from "@openv/protocol";
import type { UploadInput, UploadOptions } from "@openv/sdk";
import { useSyncExternalStore } from "react";
import { legacyCall, type MutationOptions, type MutationResult, useMutation } from "../_internal/use-mutation.js";
import { useOpenVStore } from "../provider.js";

/** The arguments of `useUploadImage`'s calls: those of `client.uploads.create`. */
export type UploadVariables = [data: UploadInput, options?: UploadOptions];

/** What {@link useUploadImage} returns: the mutation shape, plus the pre-1.0 names. */
export interface UseUploadImageResult extends MutationResult<UploadVariables, Upload> {
  /** @deprecated Use `mutateAsync` (rejects on failure) or `mutate`. Resolves with `null` on failure. */
  uploadImage: (...variables: UploadVariables) => Promise<Upload | null>;
  /** @deprecated Use `isPending`. */
  pending: boolean;
  /** @deprecated Use `data`. */
  result: Upload | null;
}

/**
 * Uploads an input image for an image-to-video model (`client.uploads.create`); pass
 * `{onProgress}` as the second argument for a progress bar. `<VideoCard>` shows uploads it knows
 * as the card's thumbnail.
 *
 * @example
 * ```tsx
 * const upload = useUploadImage();
 * <input type="file" onChange={(e) => upload.mutate(e.target.files![0], { onProgress: ({ loaded, total }) => setShare(loaded / total) })} />
 * ```
 */
export function useUploadImage(options?: MutationOptions<UploadVariables, Upload>): UseUploadImageResult {
  const mutation = useMutation<UploadVariables, Upload>(useOpenVStore().uploadImage, options);
  return { ...mutation, uploadImage: legacyCall(mutation), pending: mutation.isPending, result: mutation.data ?? null };
}

/** The uploads this provider has made, by id (for thumbnails). */
export function useKnownUploads(): ReadonlyMap<string, Upload> {
  const store = useOpenVStore();
  return useSyncExternalStore(store.subscribeUploads, store.uploads.get, store.uploads.get);
}
