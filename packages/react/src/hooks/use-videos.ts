import type { Video } from "@openv/protocol";
import type { OpenVClientError } from "@openv/sdk";
import type { OpenVStore, VideosState } from "@openv/sdk/store";
import { useCallback, useSyncExternalStore } from "react";
import { useOpenVStore } from "../provider.js";

/** Options of {@link useVideos}. */
export interface UseVideosOptions {
  /**
   * False: render what the provider has (seeded or already loaded) without opening the watcher,
   * e.g. until the user is signed in. Default true.
   */
  enabled?: boolean | undefined;
  /**
   * Videos to show until the watcher's first list has loaded (e.g. a page a server component
   * fetched); ignored once the provider has a list.
   */
  initialData?: readonly Video[] | undefined;
}

const noSubscription = () => () => {};

/**
 * The signed-in user's videos, live: new videos, status changes, progress and deletions show up
 * as they happen (Server-Sent Events, or polling where streams are blocked). All components of a
 * provider share one watcher; it opens when the first one mounts and closes after the last one
 * unmounts. On the server it renders what the provider was seeded with (`initialState`,
 * `<OpenVHydrate>`, `initialData`), else the empty, not-ready state.
 *
 * @example
 * ```tsx
 * const { videos, ready, error } = useVideos();
 * if (!ready) return error ? <p>{error.message}</p> : <p>Loading…</p>;
 * return <ul>{videos.map((video) => <li key={video.id}>{video.prompt}: {video.status}</li>)}</ul>;
 * ```
 */
export function useVideos(options: UseVideosOptions = {}): VideosState {
  const store = useOpenVStore();
  if (options.initialData) store.seed({ videos: options.initialData });
  const subscribe = options.enabled === false ? noSubscription : store.subscribeVideos;
  return useSyncExternalStore(subscribe, store.videos.get, store.videos.get);
}

const ready = new WeakMap<OpenVStore, Promise<void>>();

/** Resolves once the store's video list has loaded (or been seeded); opens the watcher meanwhile. */
function videosReady(store: OpenVStore): Promise<void> {
  let promise = ready.get(store);
  if (!promise) {
    promise = new Promise<void>((resolve) => {
      const check = () => {
        if (!store.videos.get().ready) return;
        unsubscribe();
        resolve();
      };
      const unsubscribe = store.subscribeVideos(check);
      queueMicrotask(check);
    });
    ready.set(store, promise);
  }
  return promise;
}

/**
 * {@link useVideos} for React Suspense: suspends until the list has loaded (or was seeded), so
 * the nearest `<Suspense fallback>` shows meanwhile and `ready` is always true here.
 *
 * @example
 * ```tsx
 * <Suspense fallback={<p>Loading…</p>}><Gallery /></Suspense>
 * function Gallery() { const { videos } = useSuspenseVideos(); return <ul>{videos.map(…)}</ul>; }
 * ```
 */
export function useSuspenseVideos(): VideosState {
  const store = useOpenVStore();
  const state = useVideos();
  if (!state.ready) throw videosReady(store);
  return state;
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

/**
 * How many of the videos the provider knows are still queued or processing, read without opening
 * the watcher (0 until something lists the videos).
 */
export function useActiveVideoCount(): number {
  const store = useOpenVStore();
  const subscribe = useCallback((listener: () => void) => store.videos.subscribe(listener), [store]);
  const count = () =>
    store.videos.get().videos.filter((video) => video.status === "queued" || video.status === "processing").length;
  return useSyncExternalStore(subscribe, count, count);
}
