// @vitest-environment jsdom
// posters21: <VideoCard> shows the poster before play and scrubs the sprite sheet.
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { createElement } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { video } from "../../sdk/test/support/fixtures.js";
import { VideoCard } from "../src/index.js";

afterEach(cleanup);

/** 31 frames at 30 fps on a 10 × 4 sheet of 160 × 90 frames. */
const sprite = {
  url: "https://files.example/v1-0-sprite.jpg",
  columns: 10,
  rows: 4,
  frameWidth: 160,
  frameHeight: 90,
  interval: 1 / 30,
};
const withPreviews = video("v1", "completed", 1000, {
  prompt: "a lighthouse at dusk",
  posterUrl: "https://files.example/v1-0-poster.jpg",
  sprite,
});

function renderCard(extra: Parameters<typeof video>[3] = {}) {
  render(createElement(VideoCard, { video: { ...withPreviews, ...extra } }));
  return screen.getByLabelText("Video: a lighthouse at dusk") as HTMLVideoElement;
}

/** Lays the scrub strip out 310 px wide at x = 100 (jsdom does no layout). */
function layOut(strip: HTMLElement) {
  strip.getBoundingClientRect = () => ({
    left: 100,
    top: 0,
    width: 310,
    height: 28,
    right: 410,
    bottom: 28,
    x: 100,
    y: 0,
    toJSON: () => ({}),
  });
}

describe("<VideoCard> posters and sprite scrubbing", () => {
  it("shows the poster before play and downloads nothing until then (preload none)", () => {
    const player = renderCard();
    expect(player.getAttribute("poster")).toBe("https://files.example/v1-0-poster.jpg");
    expect(player.getAttribute("preload")).toBe("none");
  });

  it("without a poster it keeps preloading the metadata (the first frame shows) and has no scrubber", () => {
    const player = renderCard({ posterUrl: null, sprite: null });
    expect(player.hasAttribute("poster")).toBe(false);
    expect(player.getAttribute("preload")).toBe("metadata");
    expect(screen.queryByRole("slider", { name: "Preview frames" })).toBeNull();
  });

  it("moving the pointer along the strip shows the frame under it, by background-position on the sheet", () => {
    renderCard();
    const strip = screen.getByRole("slider", { name: "Preview frames" });
    layOut(strip);
    expect(strip.querySelector(".openv-scrub-frame")).toBeNull();

    // 10 px of 310 px in: frame 1 of 31 → column 1, row 0.
    fireEvent.pointerMove(strip, { clientX: 110 });
    let frame = strip.querySelector<HTMLElement>(".openv-scrub-frame");
    expect(frame?.dataset.frame).toBe("1");
    expect(frame?.style.backgroundImage).toContain("v1-0-sprite.jpg");
    expect(frame?.style.backgroundPosition).toBe("-160px 0px");
    expect(frame?.style.width).toBe("160px");

    // 125 px in: frame 12 → column 2, row 1.
    fireEvent.pointerMove(strip, { clientX: 225 });
    frame = strip.querySelector<HTMLElement>(".openv-scrub-frame");
    expect(frame?.dataset.frame).toBe("12");
    expect(frame?.style.backgroundPosition).toBe("-320px -90px");
    expect(strip.getAttribute("aria-valuenow")).toBe("12");

    // Past the end: the last frame (30 → column 0, row 3), never a blank cell.
    fireEvent.pointerMove(strip, { clientX: 999 });
    expect(strip.querySelector<HTMLElement>(".openv-scrub-frame")?.style.backgroundPosition).toBe("0px -270px");

    fireEvent.pointerLeave(strip);
    expect(strip.querySelector(".openv-scrub-frame")).toBeNull();
  });

  it("is a slider the keyboard can move: arrows step a frame, Home and End jump", () => {
    renderCard();
    const strip = screen.getByRole("slider", { name: "Preview frames" });
    strip.focus();
    fireEvent.keyDown(strip, { key: "End" });
    expect(strip.getAttribute("aria-valuenow")).toBe("30");
    expect(strip.getAttribute("aria-valuetext")).toBe("1.0 s");
    fireEvent.keyDown(strip, { key: "ArrowLeft" });
    expect(strip.querySelector<HTMLElement>(".openv-scrub-frame")?.dataset.frame).toBe("29");
    fireEvent.keyDown(strip, { key: "Home" });
    expect(strip.querySelector<HTMLElement>(".openv-scrub-frame")?.style.backgroundPosition).toBe("0px 0px");
  });
});
