// @vitest-environment jsdom
// Timing (issue 21): <VideoTiming> inside <VideoCard> shows an unfinished video's place in line and
// time left, counting down between updates, and nothing once there is nothing to say.
import type { Video } from "@openv/protocol";
import { act, cleanup, render, screen } from "@testing-library/react";
import { createElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { video } from "../../sdk/test/support/fixtures.js";
import { VideoCard } from "../src/index.js";

const base: Video = video("vid_1", "queued", 1_700_000_000_000, {
  prompt: "a lighthouse at dusk",
  queuePosition: 2,
  etaSeconds: 40,
  queueSeconds: null,
  renderSeconds: null,
});

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

  it("says 1,000+ ahead where the server stops counting (queuePosition 1000: 1,000 or more ahead)", () => {
    render(createElement(VideoCard, { video: { ...base, queuePosition: 1000 } }));
    expect(screen.getByText("over 1,000 ahead")).toBeTruthy();
    expect(screen.queryByText(/in line/)).toBeNull();
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
