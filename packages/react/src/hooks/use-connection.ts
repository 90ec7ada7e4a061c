import type { OpenVClientError, WatchStatus } from "@openv/sdk";
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { useOpenVStore } from "../provider.js";

/**
 * Where the live updates stand, in the words a gallery shows: `offline` (the browser says so),
 * `connecting`, `live` (the stream), `polling` (streams blocked: asked every few seconds),
 * `reconnecting` (the stream dropped; it comes back by itself), `closed`.
 */
export type ConnectionState = "offline" | "connecting" | "live" | "polling" | "reconnecting" | "closed";

/** What {@link useConnection} returns. */
export interface Connection {
  /** Where the live updates stand (see {@link ConnectionState}). */
  state: ConnectionState;
  /** The browser's `navigator.onLine` (true on the server). */
  online: boolean;
  /** How many times the updates came back after a drop or after being offline, since mount. */
  reconnects: number;
  /** The watcher's latest error while it retries; null when healthy. */
  error: OpenVClientError | null;
}

function subscribeOnline(listener: () => void): () => void {
  if (typeof window === "undefined") return () => {};
  window.addEventListener("online", listener);
  window.addEventListener("offline", listener);
  return () => {
    window.removeEventListener("online", listener);
    window.removeEventListener("offline", listener);
  };
}

const isOnline = () => typeof navigator === "undefined" || navigator.onLine !== false;
const alwaysOnline = () => true;

/** The state for a watcher status: `idle` (polling, slowed while nothing renders) reads as polling. */
function stateOf(online: boolean, status: WatchStatus): ConnectionState {
  if (!online) return "offline";
  return status === "idle" ? "polling" : status;
}

/**
 * The provider's live-update connection, read without opening the watcher (the gallery or
 * `useVideos` does that): for a "Live" dot, an offline banner, or to drop an error once the
 * connection is back (`reconnects` grows by one each time it returns). The SDK's store reconnects
 * as soon as the browser is back online.
 *
 * @example
 * ```tsx
 * const { state } = useConnection();
 * return state === "offline" ? <p role="status">You're offline; this page catches up when you're back.</p> : null;
 * ```
 */
export function useConnection(): Connection {
  const store = useOpenVStore();
  const subscribe = useCallback((listener: () => void) => store.videos.subscribe(listener), [store]);
  const videos = useSyncExternalStore(subscribe, store.videos.get, store.videos.get);
  const online = useSyncExternalStore(subscribeOnline, isOnline, alwaysOnline);
  const state = stateOf(online, videos.status);
  const [reconnects, setReconnects] = useState(0);
  const dropped = useRef(false);
  useEffect(() => {
    if (state === "offline" || state === "reconnecting") dropped.current = true;
    else if ((state === "live" || state === "polling") && dropped.current) {
      dropped.current = false;
      setReconnects((count) => count + 1);
    }
  }, [state]);
  return { state, online, reconnects, error: videos.error };
}
