import type { Video, VideoStatus } from "@openv/protocol";
import { formatCredits, formatSeconds, percent } from "@openv/sdk/store";
import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { RemixShareActions } from "./remix-share-actions.js"; // Remix and share links (issue 21)
import { SpriteScrubber } from "./sprite-scrubber.js"; // posters21
import { VideoTiming } from "./video-timing.js"; // Timing (eta21)

/** Props of {@link VideoCard}. */
export interface VideoCardProps {
  /** The video to show. */
  video: Video;
  /**
   * Called with the video's id when the person deletes it (after confirming, unless
   * `confirmDelete` is false). Without it the card has no delete button.
   */
  onDelete?: (id: string) => void;
  /** True while its deletion is in flight: the delete buttons are disabled. Default false. */
  deleting?: boolean;
  /** Ask "Delete this video?" before calling `onDelete`. Default true. */
  confirmDelete?: boolean;
  /**
   * Where the video's input image (`video.imageId`) can be seen, e.g. the `url` of its upload:
   * shown as a thumbnail. The video carries only the id, so without this no thumbnail is shown.
   */
  imageUrl?: string | null;
}

/** "its seconds are" / "its 5 credits are" / "its 1 credit is": what a refund gives back, with its verb. */
function refundedAmount(video: Video, tense: "past" | "present"): string {
  const singular = video.creditCost === 1;
  const verb = tense === "past" ? (singular ? "was" : "were") : singular ? "is" : "are";
  return `${video.creditCost === null ? "seconds" : formatCredits(video.creditCost)} ${verb}`;
}

const statusLabels: Record<VideoStatus, string> = {
  queued: "Queued",
  processing: "Rendering",
  completed: "Ready",
  failed: "Failed",
};

function ProgressBar({
  progress,
  label = "Rendering progress",
}: {
  progress: number | null;
  label?: string;
}): ReactNode {
  const value = progress === null ? null : percent(progress);
  return (
    <div
      className="openv-progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      {...(value !== null && { "aria-valuenow": value, "aria-valuetext": `${value}%` })}
      data-indeterminate={value === null ? "" : undefined}
    >
      <div className="openv-progress-fill" style={value === null ? undefined : { width: `${value}%` }} />
    </div>
  );
}

function Media({ video }: { video: Video }): ReactNode {
  switch (video.status) {
    case "completed":
      return video.url ? (
        <div className="openv-player">
          {/* biome-ignore lint/a11y/useMediaCaption: generated videos have no speech to caption */}
          <video
            className="openv-video"
            src={video.url}
            controls
            playsInline
            // posters21: the poster shows before play, and nothing is downloaded until then.
            poster={video.posterUrl ?? undefined}
            preload={video.posterUrl ? "none" : "metadata"}
            width={video.width}
            height={video.height}
            aria-label={`Video: ${video.prompt}`}
          />
          {video.sprite && <SpriteScrubber sprite={video.sprite} durationSeconds={video.durationSeconds} />}
        </div>
      ) : (
        <p className="openv-card-placeholder">The video has no file.</p>
      );
    case "processing":
      return <ProgressBar progress={video.progress} />;
    case "queued":
      // Progress is visible from the start, even where a render jumps straight to done.
      return (
        <div className="openv-card-waiting">
          <ProgressBar progress={null} label="Waiting in the queue" />
          <p className="openv-card-placeholder">Waiting for a GPU…</p>
        </div>
      );
    case "failed":
      return (
        <p className="openv-card-error">
          {video.error?.message ?? "The video could not be generated."} Its {refundedAmount(video, "past")} refunded.
        </p>
      );
  }
}

/**
 * One video as a card: prompt, status badge (`data-status`), a progress bar while rendering, the
 * player and a download link once completed, the reason when it failed, and a delete button with
 * a confirm step. Every action is a native button or link, so it works from the keyboard; Escape
 * cancels the confirm step. Used by {@link VideoGallery}; render it yourself for a custom layout.
 *
 * @example
 * ```tsx
 * <ul>{videos.map((video) => <VideoCard key={video.id} video={video} onDelete={(id) => deleteVideos(id)} />)}</ul>
 * ```
 */
export function VideoCard({
  video,
  onDelete,
  deleting = false,
  confirmDelete = true,
  imageUrl,
}: VideoCardProps): ReactNode {
  const promptId = useId();
  const [confirming, setConfirming] = useState(false);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  // Seen unfinished on this page, then done: marked "just finished" for a moment, so a render that
  // jumps from queued to completed (a fast provider) still shows that it happened.
  const seenUnfinished = useRef(video.status === "queued" || video.status === "processing");
  const [justFinished, setJustFinished] = useState(false);
  useEffect(() => {
    if (video.status === "queued" || video.status === "processing") {
      seenUnfinished.current = true;
      return;
    }
    if (!seenUnfinished.current || video.status !== "completed") return;
    seenUnfinished.current = false;
    setJustFinished(true);
    const timer = setTimeout(() => setJustFinished(false), 6000);
    return () => clearTimeout(timer);
  }, [video.status]);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
    else if (returnFocus.current) {
      returnFocus.current = false;
      deleteButton.current?.focus();
    }
  }, [confirming]);

  const cancel = () => {
    returnFocus.current = true;
    setConfirming(false);
  };
  const onConfirmKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      cancel();
    }
  };
  const unfinished = video.status === "queued" || video.status === "processing";
  const label =
    video.status === "processing" && video.progress !== null
      ? `${statusLabels.processing} ${percent(video.progress)}%`
      : statusLabels[video.status];

  return (
    <article
      className="openv-card"
      data-status={video.status}
      data-just-finished={justFinished ? "" : undefined}
      data-video-id={video.id}
      aria-labelledby={promptId}
      aria-busy={unfinished}
    >
      <div className="openv-card-media">
        <Media video={video} />
      </div>
      <div className="openv-card-body">
        {video.imageId !== null && imageUrl && (
          <img className="openv-card-image" src={imageUrl} alt="Starting frame" loading="lazy" />
        )}
        <p className="openv-card-prompt" id={promptId}>
          {video.prompt}
        </p>
        {video.enhancedPrompt !== null && video.enhancedPrompt !== video.prompt && (
          <details className="openv-card-enhanced">
            <summary>Enhanced prompt</summary>
            <p className="openv-card-enhanced-prompt">{video.enhancedPrompt}</p>
          </details>
        )}
        <p className="openv-card-meta">
          <span className="openv-badge" data-status={video.status}>
            {label}
          </span>{" "}
          {justFinished && <span className="openv-just-finished">Just finished</span>} <VideoTiming video={video} />{" "}
          {/* Timing (eta21) */}
          <span className="openv-card-details">
            {formatSeconds(video.durationSeconds)} · {video.width}×{video.height}
            {video.creditCost !== null && ` · ${formatCredits(video.creditCost)}`}
          </span>
        </p>
      </div>
      <div className="openv-card-actions">
        {video.status === "completed" && video.url && (
          <a className="openv-download" href={video.url} download aria-describedby={promptId}>
            Download
          </a>
        )}
        <RemixShareActions video={video} />
        {onDelete &&
          (confirming ? (
            <fieldset className="openv-confirm" onKeyDown={onConfirmKeyDown}>
              <legend className="openv-confirm-question">
                {unfinished
                  ? `Delete this video? Rendering stops and its ${refundedAmount(video, "present")} refunded.`
                  : "Delete this video?"}
              </legend>
              <button
                type="button"
                className="openv-delete-confirm"
                ref={confirmButton}
                disabled={deleting}
                onClick={() => onDelete(video.id)}
              >
                {deleting ? "Deleting…" : "Yes, delete"}
              </button>
              <button type="button" className="openv-delete-cancel" disabled={deleting} onClick={cancel}>
                Cancel
              </button>
            </fieldset>
          ) : (
            <button
              type="button"
              className="openv-delete"
              ref={deleteButton}
              disabled={deleting}
              aria-describedby={promptId}
              onClick={() => (confirmDelete ? setConfirming(true) : onDelete(video.id))}
            >
              Delete
            </button>
          ))}
      </div>
    </article>
  );
}
