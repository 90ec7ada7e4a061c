// @vitest-environment jsdom
// Every state of the form and gallery in words a person uses: limits said before they bite, a
// length that agrees with the browser, errors that clear when their cause does, the live-updates
// indicator through offline and back. Fake server (msw); the watcher polls.
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { createElement, type ReactNode } from "react";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GenerateForm, OpenVProvider, VideoGallery } from "../src/index.js";
import "./support/render.js";
import { FakeApi, video } from "./support/fake-api.js";

let api: FakeApi;
const network = new FakeApi().network;
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
beforeEach(() => {
  api = new FakeApi();
  network.resetHandlers(...api.network.listHandlers());
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});
afterAll(() => network.close());

const renderStudio = (...children: ReactNode[]) =>
  render(
    createElement(
      OpenVProvider,
      { client: api.client(), watch: { mode: "polling", pollIntervalMs: 30 } },
      createElement(GenerateForm),
      ...children,
    ),
  );
const submitButton = () => screen.getByRole("button", { name: "Generate video" }) as HTMLButtonElement;
const description = (element: HTMLElement) =>
  (element.getAttribute("aria-describedby") ?? "")
    .split(" ")
    .map((id) => document.getElementById(id)?.textContent)
    .join(" ");

describe("limits shown before they bite", () => {
  it("an empty prompt says what to write; the button is described by it", async () => {
    renderStudio();
    await screen.findByText(/left this period/);
    expect(submitButton().disabled).toBe(true);
    expect(description(submitButton())).toBe("Write a prompt to generate a video.");
    expect(screen.getByText("Write a prompt to generate a video.")).toBeTruthy();
  });

  it("counts the prompt's characters and keeps a 2,001st, saying by how much it is over", async () => {
    renderStudio();
    const prompt = screen.getByLabelText("Prompt") as HTMLTextAreaElement;
    expect(prompt.maxLength).toBe(-1);
    fireEvent.change(prompt, { target: { value: "x".repeat(2001) } });
    expect(prompt.value).toHaveLength(2001);
    expect(screen.getByText("2,001 / 2,000 characters: 1 too many")).toBeTruthy();
    expect(prompt.getAttribute("aria-invalid")).toBe("true");
    expect(submitButton().disabled).toBe(true);
    expect(description(submitButton())).toBe("2,001 / 2,000 characters: 1 too many");
    fireEvent.change(prompt, { target: { value: "x".repeat(2000) } });
    expect(screen.getByText("2,000 / 2,000 characters")).toBeTruthy();
    await waitFor(() => expect(submitButton().disabled).toBe(false));
  });

  it("a length the browser refuses is explained with the real bounds, not shown as clamped frames", async () => {
    renderStudio();
    fireEvent.change(screen.getByLabelText("Prompt"), { target: { value: "a heron" } });
    const length = screen.getByLabelText("Length (seconds)") as HTMLInputElement;
    expect([length.min, length.max, length.step]).toEqual(["0.2", "5.4", "0.1"]);
    fireEvent.change(length, { target: { value: "100" } });
    expect(screen.getByText("The longest video is 5.4 s (163 frames). Enter 5.4 or less.")).toBeTruthy();
    expect(screen.queryByText(/163 frames at 30 fps/)).toBeNull();
    expect(submitButton().disabled).toBe(true);
    fireEvent.change(length, { target: { value: "5.4" } });
    expect(screen.getByText("163 frames at 30 fps = 5.43 s")).toBeTruthy();
    expect(length.checkValidity()).toBe(true);
  });
});

describe("errors that clear when their cause does", () => {
  it('"3 videos queued" goes away once one of them finishes', async () => {
    const now = Date.now();
    api.videos = [video("v1", "queued", now), video("v2", "queued", now), video("v3", "processing", now)];
    const user = userEvent.setup();
    renderStudio(createElement(VideoGallery));
    await screen.findAllByRole("article");
    api.failNext(
      "POST /videos",
      409,
      "too_many_active_jobs",
      "You already have 3 videos queued or processing (the limit is 3). Wait for one to finish.",
      {
        active: 3,
        limit: 3,
      },
    );
    await user.type(screen.getByLabelText("Prompt"), "one more");
    await user.click(submitButton());
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/3 videos queued or processing/);

    api.videos = [video("v1", "completed", now + 1000), ...api.videos.slice(1)];
    await waitFor(() => expect(screen.queryByText(/3 videos queued or processing/)).toBeNull(), { timeout: 5000 });
  });
});

describe("the live-updates indicator", () => {
  it("says Live, then You're offline with the browser, then Back online", async () => {
    const online = vi.spyOn(navigator, "onLine", "get").mockReturnValue(true);
    render(
      createElement(
        OpenVProvider,
        { client: api.client(), watch: { mode: "polling", pollIntervalMs: 30 } },
        createElement(VideoGallery),
      ),
    );
    const gallery = await screen.findByRole("region", { name: "Your videos" });
    const indicator = await within(gallery).findByRole("status");
    await waitFor(() => expect(indicator.dataset.state).toBe("polling"));

    online.mockReturnValue(false);
    act(() => void window.dispatchEvent(new Event("offline")));
    expect(indicator.dataset.state).toBe("offline");
    expect(indicator.textContent).toMatch(/^You're offline\. Videos keep rendering on the server/);

    online.mockReturnValue(true);
    const polls = api.requests("GET /videos").length;
    act(() => void window.dispatchEvent(new Event("online")));
    // Back online: the watcher is asked at once, and the indicator says so.
    await waitFor(() => expect(api.requests("GET /videos").length).toBeGreaterThan(polls));
    await waitFor(() => expect(indicator.dataset.state).toBe("recovered"));
    expect(indicator.textContent).toBe("Back online: your videos are up to date.");
  });
});
