import type { Upload } from "@openv/protocol";
import type { OpenVClientError, UploadImageInput, UploadImageOptions } from "@openv/sdk";
import { useSyncExternalStore } from "react";
import { useMutation } from "../_internal/use-mutation.js";
import { useOpenVStore } from "../provider.js";

/** What {@link useUploadImage} returns. */
export interface UseUploadImageResult {
  /**
   * Uploads an input image (a `File` from an `<input type="file">`, a `Blob`, or bytes): PNG, JPEG
   * or WebP up to 10 MiB. Resolves with the upload (pass its `id` as `image` to `generate`), or
   * `null` when it failed (see `error`); it never rejects.
   */
  uploadImage: (data: UploadImageInput, options?: UploadImageOptions) => Promise<Upload | null>;
  /** True while an upload is in flight. */
  pending: boolean;
  /** Why the latest upload failed (`ValidationError` for a file that is not an image or too large, …); null otherwise. */
  error: OpenVClientError | null;
  /** The latest successful upload; null before one. */
  result: Upload | null;
  /** Clears `error` and `result`. */
  reset: () => void;
}

/**
 * Uploads input images for image-to-video models, with pending and error state for the UI. The
 * provider remembers each upload, so `<VideoGallery>` can show it on the video made from it.
 *
 * @example
 * ```tsx
 * const { uploadImage, pending, error } = useUploadImage();
 * <input type="file" accept="image/*" onChange={async (event) => {
 *   const upload = event.target.files?.[0] && (await uploadImage(event.target.files[0]));
 *   if (upload) setImage(upload.id);
 * }} />
 * ```
 */
export function useUploadImage(): UseUploadImageResult {
  const { run, pending, error, result, reset } = useMutation(useOpenVStore().uploadImage);
  return { uploadImage: run, pending, error, result, reset };
}

/** The images uploaded through the provider, by id (to show a video's input image). */
export function useKnownUploads(): ReadonlyMap<string, Upload> {
  const store = useOpenVStore();
  return useSyncExternalStore(store.subscribeUploads, store.uploads.get, store.uploads.get);
}
