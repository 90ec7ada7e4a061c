import type { Video } from "@openv/protocol";
import { type ReactNode, useEffect, useState } from "react";

// Timing (issue 21): where an unfinished video stands in line and about how long it has left.

/** "1st", "2nd", "3rd", "4th", … "11th", "12th", "13th", "21st" (8–15 of each hundred all take "th"). */
const ordinal = (n: number): string => `${n}${((n % 100) >> 3 !== 1 && ["th", "st", "nd", "rd"][n % 10]) || "th"}`;

/** "about 40 s left", "about 3 min left"; "almost done" once the estimate has run out. */
const timeLeft = (seconds: number): string =>
  seconds < 1
    ? "almost done"
    : `about ${seconds < 90 ? `${Math.ceil(seconds)} s` : `${Math.round(seconds / 60)} min`} left`;

/** The server counts at most this many videos ahead: a `queuePosition` of 1000 means 1,000 or more. */
const countedAhead = 1000;

/**
 * An unfinished video's place in line ("3rd in line", while queued) and estimated time left
 * ("about 40 s left"), counting down between the server's updates; nothing when the server gives
 * no estimate (a new model, an older server) or the video is finished. Part of {@link VideoCard};
 * render it yourself in a custom card.
 *
 * @example
 * ```tsx
 * <VideoTiming video={video} />
 * ```
 */
export function VideoTiming({ video }: { video: Video }): ReactNode {
  const unfinished = video.status === "queued" || video.status === "processing";
  const eta = unfinished ? (video.etaSeconds ?? null) : null;
  const position = video.status === "queued" ? (video.queuePosition ?? null) : null;
  // Seconds since this estimate arrived (each update of the video brings a new one): the countdown.
  const [elapsed, setElapsed] = useState(0);
  const estimate = eta === null ? null : `${eta}@${video.updatedAt}`;
  useEffect(() => {
    setElapsed(0);
    if (estimate === null) return;
    const since = Date.now();
    const timer = setInterval(() => setElapsed((Date.now() - since) / 1000), 1000);
    return () => clearInterval(timer);
  }, [estimate]);
  if (eta === null && position === null) return null;
  return (
    <span className="openv-timing">
      {position !== null && (
        <span className="openv-queue-position">
          {position >= countedAhead ? "over 1,000 ahead" : `${ordinal(position + 1)} in line`}
        </span>
      )}
      {eta !== null && <span className="openv-eta">{timeLeft(eta - elapsed)}</span>}
    </span>
  );
}
