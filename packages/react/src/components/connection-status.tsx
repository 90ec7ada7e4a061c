import { type ReactNode, useEffect, useState } from "react";
import { type ConnectionState, useConnection } from "../hooks/use-connection.js";

/** Props of {@link ConnectionStatus}. */
export interface ConnectionStatusProps {
  /** Added to the element's class (`openv-connection`). */
  className?: string;
}

const words: Record<ConnectionState, string> = {
  offline: "You're offline. Videos keep rendering on the server; this page catches up when you're back online.",
  connecting: "Connecting to live updates…",
  reconnecting: "Live updates dropped. Reconnecting… Your videos are safe, and progress shows again once connected.",
  polling: "Updating every few seconds.",
  live: "Live",
  closed: "Live updates stopped.",
};

/** How long "Back online" stays after the connection returns. */
const backOnlineMs = 4000;

/**
 * The live-updates indicator: a "Live" dot while the stream is up, and a banner when the browser is
 * offline or the stream dropped and is reconnecting (it recovers by itself, at once when the
 * browser comes back online), then "Back online" for a moment. A polite live region, so screen
 * readers hear each change. `data-state` = `offline` | `connecting` | `live` | `polling` |
 * `reconnecting` | `closed` | `recovered`. `<VideoGallery>` shows one above its grid.
 *
 * @example
 * ```tsx
 * <header><h1>Studio</h1><ConnectionStatus /></header>
 * ```
 */
export function ConnectionStatus({ className }: ConnectionStatusProps): ReactNode {
  const { state, reconnects } = useConnection();
  const [recovered, setRecovered] = useState(false);
  useEffect(() => {
    if (reconnects === 0) return;
    setRecovered(true);
    const timer = setTimeout(() => setRecovered(false), backOnlineMs);
    return () => clearTimeout(timer);
  }, [reconnects]);
  const shown = recovered && (state === "live" || state === "polling") ? "recovered" : state;
  const banner = shown === "offline" || shown === "reconnecting";
  return (
    <p
      className={className ? `openv-connection ${className}` : "openv-connection"}
      data-state={shown}
      data-banner={banner ? "" : undefined}
      role="status"
    >
      <span className="openv-connection-dot" aria-hidden="true" />
      <span className="openv-connection-text">
        {shown === "recovered" ? "Back online: your videos are up to date." : words[shown]}
      </span>
    </p>
  );
}
