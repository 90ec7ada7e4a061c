import type { Video } from "@openv/protocol";
import { describeError } from "@openv/sdk/store";
import { type FormEvent, type ReactNode, useId, useState } from "react";
import { useRemix } from "../hooks/use-remix.js";

/** Props of {@link RemixAction}. */
export interface RemixActionProps {
  /** The video to remix: the action shows only once it has completed. */
  video: Video;
}

/**
 * A "Remix" button that opens a small prompt field, prefilled with the video's prompt: submitting
 * makes a new video with the same settings (seed, size, length, steps, guidance, model, input
 * image) and the prompt as edited. Needs `<OpenVProvider>`. `<VideoCard>` shows it on completed
 * videos inside a provider.
 *
 * @example
 * ```tsx
 * <RemixAction video={video} />
 * ```
 */
export function RemixAction({ video }: RemixActionProps): ReactNode {
  const [open, setOpen] = useState(false);
  const [prompt, setPrompt] = useState(video.prompt);
  const fieldId = useId();
  const { mutate, isPending, error, reset } = useRemix({ onSuccess: () => setOpen(false) });
  if (video.status !== "completed") return null;
  if (!open) {
    return (
      <button type="button" className="openv-remix" onClick={() => setOpen(true)}>
        Remix
      </button>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const changes = prompt.trim() === video.prompt ? {} : { prompt };
    mutate(video.id, changes);
  };
  return (
    <form className="openv-remix-form" onSubmit={submit}>
      <label htmlFor={fieldId}>Prompt for the remix (same seed and settings)</label>
      <textarea id={fieldId} value={prompt} rows={3} maxLength={2000} onChange={(e) => setPrompt(e.target.value)} />
      {error && (
        <p className="openv-remix-error" role="alert">
          The remix could not start: {describeError(error)}
        </p>
      )}
      <button type="submit" className="openv-remix-submit" disabled={isPending || prompt.trim() === ""}>
        {isPending ? "Remixing…" : "Remix"}
      </button>
      <button
        type="button"
        className="openv-remix-cancel"
        onClick={() => {
          reset();
          setOpen(false);
        }}
      >
        Cancel
      </button>
    </form>
  );
}
