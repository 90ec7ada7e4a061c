import type { Video } from "@openv/protocol";
import { type ReactNode, useEffect, useState } from "react";

// Timing (issue 21): where an unfinished video stands in line and about how long it has left.

/** "1st", "2nd", "3rd", "4th", … "11th", "12th", "13th", "21st". */
function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

/** "about 40 s left", "about 3 min left"; "almost done" once the estimate has run out. */
function timeLeft(seconds: number): string {
  if (seconds < 1) return "almost done";
  return seconds < 90 ? `about ${Math.ceil(seconds)} s left` : `about ${Math.round(seconds / 60)} min left`;
}

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
      {position !== null && <span className="openv-queue-position">{ordinal(position + 1)} in line</span>}
      {position !== null && eta !== null && " · "}
      {eta !== null && <span className="openv-eta">{timeLeft(eta - elapsed)}</span>}
    </span>
  );
}
