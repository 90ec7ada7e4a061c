import type { VideoSprite } from "@openv/protocol";
import { type PointerEvent, type ReactNode, useState } from "react";

// posters21: scrubbing a completed video's sprite sheet (see `Video.sprite`).

/** Props of {@link SpriteScrubber}. */
export interface SpriteScrubberProps {
  /** The video's sprite sheet. */
  sprite: VideoSprite;
  /** The video's length in seconds: how many of the sheet's cells hold frames. */
  durationSeconds: number;
  /** What the frames are of, for the slider's accessible name. Default "Preview frames". */
  label?: string;
}

/** Frames a key moves the slider by; Home and End are handled apart. */
const steps: Record<string, number> = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 };

/**
 * A strip over the top of a video that previews its frames from the sprite sheet: moving the
 * pointer (or dragging a finger) along it shows the frame at that point in a small box below it,
 * by CSS `background-position` on the sheet. It is a slider too: arrow keys, Home and End.
 */
export function SpriteScrubber({ sprite, durationSeconds, label = "Preview frames" }: SpriteScrubberProps): ReactNode {
  const { url, columns, rows, frameWidth, frameHeight, interval } = sprite;
  // The cells that hold frames (the last row may end in blank ones).
  const frames = Math.min(columns * rows, Math.max(1, Math.round(durationSeconds / interval)));
  const [frame, setFrame] = useState<number | null>(null);
  const show = (next: number) => setFrame(Math.min(frames - 1, Math.max(0, next)));
  const follow = (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    show(Math.floor(((event.clientX - box.left) / (box.width || 1)) * frames));
  };
  const seconds = `${((frame ?? 0) * interval).toFixed(1)} s`;
  const half = frameWidth / 2;

  return (
    <div
      className="openv-scrub"
      role="slider"
      tabIndex={0}
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={frames - 1}
      aria-valuenow={frame ?? 0}
      aria-valuetext={seconds}
      onPointerMove={follow}
      onPointerDown={(event) => {
        event.currentTarget.setPointerCapture?.(event.pointerId);
        follow(event);
      }}
      onPointerLeave={() => setFrame(null)}
      onBlur={() => setFrame(null)}
      onKeyDown={(event) => {
        const step = steps[event.key];
        const next =
          step !== undefined ? (frame ?? 0) + step : event.key === "Home" ? 0 : event.key === "End" ? frames : null;
        if (next === null) return;
        event.preventDefault();
        show(next);
      }}
    >
      {frame !== null && (
        <div
          className="openv-scrub-frame"
          data-frame={frame}
          style={{
            width: frameWidth,
            height: frameHeight,
            // Under the pointer, but kept inside the player at either end.
            left: `clamp(${half}px, ${((frame + 0.5) / frames) * 100}%, calc(100% - ${half}px))`,
            backgroundImage: `url(${JSON.stringify(url)})`,
            backgroundPosition: `${-(frame % columns) * frameWidth}px ${-Math.floor(frame / columns) * frameHeight}px`,
          }}
        >
          <span className="openv-scrub-time">{seconds}</span>
        </div>
      )}
    </div>
  );
}
