import type { VideoSprite } from "@openv/protocol";
import { type KeyboardEvent, type PointerEvent, type ReactNode, useState } from "react";

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

/** How many cells of the sheet hold frames of a video `durationSeconds` long (the rest are blank). */
export function spriteFrameCount(sprite: VideoSprite, durationSeconds: number): number {
  const cells = sprite.columns * sprite.rows;
  return Math.min(cells, Math.max(1, Math.round(durationSeconds / sprite.interval)));
}

/** The CSS `background-position` that shows frame `frame` of the sheet in a frame-sized box. */
export function spriteFramePosition(sprite: VideoSprite, frame: number): string {
  const x = (frame % sprite.columns) * sprite.frameWidth;
  const y = Math.floor(frame / sprite.columns) * sprite.frameHeight;
  return `${x === 0 ? 0 : -x}px ${y === 0 ? 0 : -y}px`;
}

/**
 * A strip over the bottom of a video that previews its frames from the sprite sheet: moving the
 * pointer (or dragging a finger) along it shows the frame at that point in a small box above it.
 * It is a slider too: focus it and use the arrow keys, Home and End.
 */
export function SpriteScrubber({ sprite, durationSeconds, label = "Preview frames" }: SpriteScrubberProps): ReactNode {
  const frames = spriteFrameCount(sprite, durationSeconds);
  const [frame, setFrame] = useState<number | null>(null);

  const frameAt = (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const fraction = box.width > 0 ? (event.clientX - box.left) / box.width : 0;
    return Math.min(frames - 1, Math.max(0, Math.floor(fraction * frames)));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const current = frame ?? 0;
    const next =
      event.key === "ArrowRight" || event.key === "ArrowUp"
        ? current + 1
        : event.key === "ArrowLeft" || event.key === "ArrowDown"
          ? current - 1
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? frames - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    setFrame(Math.min(frames - 1, Math.max(0, next)));
  };
  const seconds = ((frame ?? 0) * sprite.interval).toFixed(1);

  return (
    <div
      className="openv-scrub"
      role="slider"
      tabIndex={0}
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={frames - 1}
      aria-valuenow={frame ?? 0}
      aria-valuetext={`${seconds} s`}
      onPointerMove={(event) => setFrame(frameAt(event))}
      onPointerDown={(event) => {
        event.currentTarget.setPointerCapture?.(event.pointerId);
        setFrame(frameAt(event));
      }}
      onPointerLeave={() => setFrame(null)}
      onKeyDown={onKeyDown}
      onBlur={() => setFrame(null)}
    >
      {frame !== null && (
        <div
          className="openv-scrub-frame"
          data-frame={frame}
          style={{
            width: sprite.frameWidth,
            height: sprite.frameHeight,
            // Under the pointer, but kept inside the player at either end.
            left: `clamp(${sprite.frameWidth / 2}px, ${((frame + 0.5) / frames) * 100}%, calc(100% - ${sprite.frameWidth / 2}px))`,
            backgroundImage: `url(${JSON.stringify(sprite.url)})`,
            backgroundPosition: spriteFramePosition(sprite, frame),
          }}
        >
          <span className="openv-scrub-time">{seconds} s</span>
        </div>
      )}
    </div>
  );
}
