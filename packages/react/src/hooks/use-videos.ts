import type { Video } from "@openv/protocol";
import type { OpenVClientError } from "@openv/sdk";
import type { VideosState } from "@openv/sdk/store";
import { useSyncExternalStore } from "react";
import { useOpenVStore } from "../provider.js";

/**
 * The signed-in user's videos, live: new videos, status changes, progress and deletions show up
 * as they happen (Server-Sent Events, or polling where streams are blocked). All components of a
 * provider share one watcher; it opens when the first one mounts and closes after the last one
 * unmounts. On the server it renders the empty, not-ready state.
 *
 * @example
 * ```tsx
 * const { videos, ready, error } = useVideos();
 * if (!ready) return error ? <p>{error.message}</p> : <p>Loading…</p>;
 * return <ul>{videos.map((video) => <li key={video.id}>{video.prompt}: {video.status}</li>)}</ul>;
 * ```
 */
export function useVideos(): VideosState {
  const store = useOpenVStore();
  return useSyncExternalStore(store.subscribeVideos, store.videos.get, store.videos.get);
}

/** What {@link useVideo} returns. */
export interface VideoState {
  /** The video as last seen; null while loading, and when the user has no such video (or it was deleted). */
  video: Video | null;
  /** True until the user's list has loaded; after that, `video: null` means there is no such video. */
  loading: boolean;
  /** The watcher's latest error, as in {@link useVideos}. */
  error: OpenVClientError | null;
}

/**
 * One of the user's videos, live, from the provider's shared watcher.
 *
 * @param id The video's id; `null` or `undefined` gives `{video: null}` (handy while an id is not known yet).
 * @example
 * ```tsx
 * const { video, loading } = useVideo(id);
 * if (loading) return <Spinner />;
 * if (!video) return <p>Not found.</p>;
 * return video.status === "completed" ? <video src={video.url ?? undefined} controls /> : <p>{video.status}</p>;
 * ```
 */
export function useVideo(id: string | null | undefined): VideoState {
  const { videos, ready, error } = useVideos();
  const video = id == null ? null : (videos.find((candidate) => candidate.id === id) ?? null);
  return { video, loading: !ready && video === null, error };
}
