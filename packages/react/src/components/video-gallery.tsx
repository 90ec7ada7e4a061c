import type { Video } from "@openv/protocol";
import { describeError } from "@openv/sdk/store";
import { type ReactNode, useEffect, useRef, useState } from "react";
import { useDeleteVideos } from "../hooks/use-delete-videos.js";
import { useKnownUploads } from "../hooks/use-upload-image.js";
import { useVideos } from "../hooks/use-videos.js";
import { ConnectionStatus } from "./connection-status.js";
import { VideoCard } from "./video-card.js";

/** Props of {@link VideoGallery}. */
export interface VideoGalleryProps {
  /** Added to the root element's class (`openv-gallery`). */
  className?: string;
  /** The accessible name of the gallery region. Default "Your videos". */
  label?: string;
  /** Shown when the user has no videos. Default: a short sentence. */
  empty?: ReactNode;
  /** Ask before deleting. Default true. */
  confirmDelete?: boolean;
  /** Offer deletion at all. Default true. */
  allowDelete?: boolean;
  /**
   * Where a video's input image can be seen, for its thumbnail (the video carries only
   * `imageId`). Default: the `url` of the upload when it was uploaded through this provider
   * (`<GenerateForm>`, `useUploadImage`); otherwise no thumbnail.
   */
  imageUrl?: (video: Video) => string | null | undefined;
  /** Show the live-updates indicator ({@link ConnectionStatus}) above the grid. Default true. */
  showConnection?: boolean;
}

/** A prompt short enough to say aloud. */
function shortPrompt(prompt: string): string {
  return prompt.length > 60 ? `${prompt.slice(0, 57)}…` : prompt;
}

/**
 * What a screen reader hears as videos move on: queued, rendering, ready, failed (not every
 * percent). A visually hidden polite live region.
 */
function StatusAnnouncer({ videos }: { videos: readonly Video[] }): ReactNode {
  const seen = useRef<Map<string, Video["status"]> | null>(null);
  const [message, setMessage] = useState("");
  useEffect(() => {
    const previous = seen.current;
    seen.current = new Map(videos.map((video) => [video.id, video.status]));
    if (!previous) return;
    const words = { queued: "is queued", processing: "is rendering", completed: "is ready", failed: "failed" };
    const changed = videos.filter((video) => previous.get(video.id) !== video.status);
    if (changed.length > 0) {
      setMessage(changed.map((video) => `“${shortPrompt(video.prompt)}” ${words[video.status]}.`).join(" "));
    }
  }, [videos]);
  return (
    <p className="openv-visually-hidden openv-announcer" aria-live="polite">
      {message}
    </p>
  );
}

/**
 * The user's videos as a live grid of {@link VideoCard}s: status badges, a progress bar while
 * rendering, an inline player and download link when completed, delete with a confirm step.
 * Shows a loading state until the list arrives, an error state while it cannot be loaded (the
 * watcher keeps retrying), and an empty state. The root carries `data-state` = `loading` |
 * `error` | `empty` | `ready`.
 *
 * @example
 * ```tsx
 * <OpenVProvider baseUrl="/api">
 *   <VideoGallery empty={<p>Nothing here yet — try a prompt above.</p>} />
 * </OpenVProvider>
 * ```
 */
export function VideoGallery({
  className,
  label = "Your videos",
  empty,
  confirmDelete = true,
  allowDelete = true,
  imageUrl,
  showConnection = true,
}: VideoGalleryProps): ReactNode {
  const { videos, ready, error } = useVideos();
  const uploads = useKnownUploads();
  const { deleteVideos, deletingIds, error: deleteError } = useDeleteVideos();
  const state = !ready ? (error ? "error" : "loading") : videos.length === 0 ? "empty" : "ready";

  let content: ReactNode;
  if (state === "loading") {
    content = (
      <p className="openv-gallery-loading" role="status">
        Loading your videos…
      </p>
    );
  } else if (state === "error" && error) {
    content = (
      <div className="openv-gallery-error" role="alert">
        <p>Your videos could not be loaded. {describeError(error)}</p>
        <p>Trying again by itself…</p>
      </div>
    );
  } else if (state === "empty") {
    content = <div className="openv-gallery-empty">{empty ?? <p>No videos yet. Generated videos appear here.</p>}</div>;
  } else {
    content = (
      // biome-ignore lint/a11y/noRedundantRoles: Safari drops the list role of a list styled without bullets
      <ul className="openv-gallery-grid" role="list">
        {videos.map((video) => (
          <li key={video.id} className="openv-gallery-item">
            <VideoCard
              video={video}
              {...(allowDelete && { onDelete: (id: string) => void deleteVideos(id) })}
              deleting={deletingIds.has(video.id)}
              confirmDelete={confirmDelete}
              imageUrl={
                imageUrl?.(video) ?? (video.imageId === null ? null : (uploads.get(video.imageId)?.url ?? null))
              }
            />
          </li>
        ))}
      </ul>
    );
  }

  return (
    <section
      className={className ? `openv-gallery ${className}` : "openv-gallery"}
      aria-label={label}
      aria-busy={state === "loading"}
      data-state={state}
    >
      {showConnection && ready && <ConnectionStatus />}
      <StatusAnnouncer videos={videos} />
      {deleteError && (
        <p className="openv-gallery-notice" role="alert">
          The video could not be deleted: {describeError(deleteError)}
        </p>
      )}
      {content}
    </section>
  );
}
