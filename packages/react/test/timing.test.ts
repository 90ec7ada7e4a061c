// @vitest-environment jsdom
// Timing (issue 21): <VideoTiming> inside <VideoCard> shows an unfinished video's place in line and
// time left, counting down between updates, and nothing once there is nothing to say.
import type { Video } from "@openv/protocol";
import { act, cleanup, render, screen } from "@testing-library/react";
import { createElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { VideoCard } from "../src/index.js";

const base: Video = {
  id: "vid_1",
  jobId: null,
  userId: "alice",
  prompt: "a lighthouse at dusk",
  negativePrompt: null,
  model: "mochi-1",
  status: "queued",
  progress: null,
  url: null,
  frames: 31,
  fps: 30,
  durationSeconds: 31 / 30,
  width: 848,
  height: 480,
  seed: null,
  steps: 64,
  cfg: 4.5,
  error: null,
  retryCount: 0,
  enhancedPrompt: null,
  imageId: null,
  creditCost: null,
  queuePosition: 2,
  etaSeconds: 40,
  queueSeconds: null,
  renderSeconds: null,
  createdAt: "2026-12-07T00:00:00.000Z",
  updatedAt: "2026-12-07T00:00:00.000Z",
};

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("<VideoTiming> in the card", () => {
  it("shows the place in line and the time left, counting down", () => {
    vi.useFakeTimers();
    render(createElement(VideoCard, { video: base }));
    expect(screen.getByText("3rd in line")).toBeTruthy();
    expect(screen.getByText("about 40 s left")).toBeTruthy();
    act(() => vi.advanceTimersByTime(10_000));
    expect(screen.getByText("about 30 s left")).toBeTruthy();
  });

  it("drops the line once rendering, and minutes for long waits", () => {
    render(createElement(VideoCard, { video: { ...base, status: "processing", progress: 0.2, etaSeconds: 600 } }));
    expect(screen.queryByText(/in line/)).toBeNull();
    expect(screen.getByText("about 10 min left")).toBeTruthy();
  });

  it("says nothing without an estimate or once finished", () => {
    const { container, rerender } = render(
      createElement(VideoCard, { video: { ...base, status: "processing", queuePosition: 0, etaSeconds: null } }),
    );
    expect(container.querySelector(".openv-timing")).toBeNull();
    rerender(
      createElement(VideoCard, {
        video: { ...base, status: "completed", url: "https://x/v.mp4", queuePosition: null, etaSeconds: null },
      }),
    );
    expect(container.querySelector(".openv-timing")).toBeNull();
    // An older server sends neither field.
    const { queuePosition: _q, etaSeconds: _e, ...old } = base;
    rerender(createElement(VideoCard, { video: old as Video }));
    expect(container.querySelector(".openv-timing")).toBeNull();
  });
});
