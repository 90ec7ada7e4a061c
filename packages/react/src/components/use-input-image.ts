import type { Upload } from "@openv/sdk";
import { type ChangeEvent, type RefObject, useEffect, useRef, useState } from "react";
import { type UseUploadImageResult, useUploadImage } from "../hooks/use-upload-image.js";

/** The largest input image the server takes (`POST /uploads`). */
export const maxImageBytes = 10 * 1024 * 1024;

/** An object URL of the picked file for its preview, revoked when the file changes or the form unmounts. */
function usePreviewUrl(file: File | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file || typeof URL.createObjectURL !== "function") {
      setUrl(null);
      return;
    }
    const created = URL.createObjectURL(file);
    setUrl(created);
    return () => URL.revokeObjectURL(created);
  }, [file]);
  return url;
}

/** What {@link useInputImage} returns. */
interface InputImage {
  inputRef: RefObject<HTMLInputElement | null>;
  /** The picked file, or null. */
  file: File | null;
  /** The picked file's upload, once stored. */
  uploaded: Upload | null;
  previewUrl: string | null;
  upload: UseUploadImageResult;
  onPick: (event: ChangeEvent<HTMLInputElement>) => void;
  remove: () => void;
  /** Uploads `file` unless it is the one already stored; resolves with its upload, or null (error shown). */
  store: (file: File) => Promise<Upload | null>;
}

/** The form's input image: picked, uploaded at once (so a problem shows before the prompt is written), previewed. */
export function useInputImage(): InputImage {
  const [file, setFile] = useState<File | null>(null);
  const [stored, setStored] = useState<{ file: File; upload: Upload } | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const current = useRef<File | null>(null);
  const upload = useUploadImage();
  const previewUrl = usePreviewUrl(file);

  const store = async (picked: File): Promise<Upload | null> => {
    if (stored?.file === picked) return stored.upload;
    const result = await upload.mutateAsync(picked).catch(() => null);
    if (result && current.current === picked) setStored({ file: picked, upload: result });
    return result;
  };

  const onPick = (event: ChangeEvent<HTMLInputElement>) => {
    const picked = event.target.files?.[0] ?? null;
    current.current = picked;
    setFile(picked);
    setStored(null);
    upload.reset();
    if (picked && picked.size <= maxImageBytes) void store(picked);
  };

  const remove = () => {
    current.current = null;
    setFile(null);
    setStored(null);
    upload.reset();
    if (inputRef.current) inputRef.current.value = "";
  };

  const uploaded = stored && stored.file === file ? stored.upload : null;
  return { inputRef, file, uploaded, previewUrl: previewUrl ?? uploaded?.url ?? null, upload, onPick, remove, store };
}
