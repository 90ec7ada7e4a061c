// @vitest-environment jsdom
// The hooks and <TermsGate> against the real server in-process with its default local preview
// provider: ffmpeg renders a real MP4 and reports progress through the real webhook route.
// No msw in this file: msw buffers the streamed answers of requests it lets through.
import { TermsRequiredError } from "@openv/sdk";
import { act, cleanup, render, renderHook, screen, waitFor } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { createElement, type ReactNode } from "react";
import { hydrateRoot, type Root } from "react-dom/client";
import { renderToString } from "react-dom/server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  GenerateForm,
  OpenVProvider,
  TermsGate,
  useDeleteVideos,
  useGenerate,
  useUsage,
  useVideo,
  useVideos,
  VideoGallery,
} from "../src/index.js";
import { clientFor, renderAsUser } from "./support/render.js";
import { type RealServer, smallVideo, startServer } from "./support/server.js";

let server: RealServer;

beforeAll(async () => {
  server = await startServer({ previewStepDelayMs: 150 });
});
afterEach(cleanup);
afterAll(() => server?.close());

/** The wrapper renderHook renders hooks in: a provider with a ready client for `user`. */
const providerFor = (user: string) => {
  const client = clientFor(server.baseUrl, user);
  return ({ children }: { children: ReactNode }) => createElement(OpenVProvider, { client }, children);
};

describe("<TermsGate>", () => {
  it("shows the current version and blocks its children until the user accepts", async () => {
    const user = userEvent.setup();
    renderAsUser(createElement(TermsGate, null, createElement("p", null, "The studio")), server.baseUrl, "newcomer");

    await screen.findByRole("heading", { name: "Terms of use" });
    expect(screen.getByText("Version 1.0.0")).toBeTruthy();
    expect(screen.queryByText("The studio")).toBeNull();

    await user.click(screen.getByRole("button", { name: "Accept and continue" }));
    await screen.findByText("The studio");
    expect(screen.queryByRole("button", { name: "Accept and continue" })).toBeNull();
    expect(await clientFor(server.baseUrl, "newcomer").checkTerms()).toMatchObject({
      accepted: true,
      version: "1.0.0",
    });

    // The acceptance is the server's: a fresh page goes straight through.
    cleanup();
    renderAsUser(createElement(TermsGate, null, createElement("p", null, "The studio")), server.baseUrl, "newcomer");
    await screen.findByText("The studio");
    expect(screen.queryByRole("heading", { name: "Terms of use" })).toBeNull();
  });

  it("the server refuses a form outside the gate with a typed error the form explains", async () => {
    const user = userEvent.setup();
    renderAsUser(createElement(GenerateForm), server.baseUrl, "skipper");
    await user.type(screen.getByLabelText("Prompt"), "a waterfall in a forest");
    await user.click(screen.getByRole("button", { name: "Generate video" }));
    const alert = await screen.findByRole("alert");
    expect(alert.dataset.code).toBe("terms_required");
    expect(alert.textContent).toBe("Please accept the terms of use (version 1.0.0) before generating videos.");
  });
});

describe("server rendering, then the browser", () => {
  it("hydrates the server's markup without a mismatch, then loads the live page", async () => {
    await clientFor(server.baseUrl, "hydrator").acceptTerms("1.0.0");
    const page = () =>
      createElement(
        OpenVProvider,
        { baseUrl: server.baseUrl, headers: { "x-openv-user": "hydrator" } },
        createElement(TermsGate, null, createElement(GenerateForm), createElement(VideoGallery)),
      );
    const container = document.createElement("div");
    container.innerHTML = renderToString(page());
    document.body.append(container);
    expect(container.textContent).toContain("Checking the terms of use…");

    const problems: unknown[] = [];
    let root: Root | undefined;
    await act(async () => {
      root = hydrateRoot(container, page(), { onRecoverableError: (error) => problems.push(error) });
    });
    try {
      await screen.findByRole("region", { name: "Your videos" });
      await screen.findByText(/no videos yet/i);
      await screen.findByText("10 min of 10 min left this period");
      expect(problems).toEqual([]);
    } finally {
      act(() => root?.unmount());
      container.remove();
    }
  });
});

describe("hooks", () => {
  it("useGenerate gives typed errors and pending state; useVideos, useVideo and useUsage follow a render to completion", async () => {
    const seen: { status: string; progress: number | null }[] = [];
    const { result } = renderHook(
      () => {
        const generate = useGenerate();
        const list = useVideos();
        const one = useVideo(generate.result?.video.id);
        const usage = useUsage();
        if (one.video) seen.push({ status: one.video.status, progress: one.video.progress });
        return { generate, list, one, usage };
      },
      { wrapper: providerFor("hooker") },
    );
    await waitFor(() => expect(result.current.list.ready).toBe(true));
    expect(result.current.list.videos).toEqual([]);
    await waitFor(() => expect(result.current.usage.usage?.usedSeconds).toBe(0));

    // Before accepting the terms: null, and a typed error.
    let answer: Awaited<ReturnType<typeof result.current.generate.generate>> | undefined;
    await act(async () => {
      answer = await result.current.generate.generate(smallVideo);
    });
    expect(answer).toBeNull();
    expect(result.current.generate.error).toBeInstanceOf(TermsRequiredError);
    expect((result.current.generate.error as TermsRequiredError).version).toBe("1.0.0");
    expect(result.current.generate.pending).toBe(false);

    await clientFor(server.baseUrl, "hooker").acceptTerms("1.0.0");
    let pending: Promise<unknown> = Promise.resolve();
    act(() => {
      pending = result.current.generate.generate(smallVideo);
    });
    expect(result.current.generate.pending).toBe(true);
    await act(() => pending);
    expect(result.current.generate.pending).toBe(false);
    expect(result.current.generate.error).toBeNull();
    const id = result.current.generate.result?.video.id ?? "";
    expect(id).not.toBe("");
    // The generate answer carried the usage: 7 frames = 7/30 s (the server rounds to ms).
    expect(result.current.usage.usage?.usedSeconds).toBeCloseTo(7 / 30, 2);

    await waitFor(() => expect(result.current.one.video?.status).toBe("completed"), { timeout: 20_000 });
    const video = result.current.one.video;
    expect(result.current.list.videos.map((v) => v.id)).toEqual([id]);
    expect(video?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/files\//);
    const file = await fetch(video?.url ?? "");
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("video/mp4");

    // queued first (from the answer), then processing with progress that only grows, then completed.
    const statuses = seen.map((entry) => entry.status).filter((status, i, all) => status !== all[i - 1]);
    expect(statuses).toEqual(["queued", "processing", "completed"]);
    const progress = seen.filter((entry) => entry.status === "processing").map((entry) => entry.progress ?? 0);
    expect(progress.some((value) => value > 0)).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // A completed video stays charged.
    await waitFor(() => expect(result.current.usage.usage?.remainingSeconds).toBeCloseTo(600 - 7 / 30, 2));
  });

  it("useDeleteVideos removes a video everywhere and refunds its unfinished seconds", async () => {
    const client = clientFor(server.baseUrl, "cleaner");
    await client.acceptTerms("1.0.0");
    const { result } = renderHook(
      () => ({ list: useVideos(), remove: useDeleteVideos(), usage: useUsage(), generate: useGenerate() }),
      { wrapper: providerFor("cleaner") },
    );
    await waitFor(() => expect(result.current.list.ready).toBe(true));
    await act(async () => {
      await result.current.generate.generate({ ...smallVideo, frames: 31, steps: 10 });
    });
    const id = result.current.generate.result?.video.id ?? "";
    expect(result.current.list.videos.map((v) => v.id)).toEqual([id]);
    expect(result.current.usage.usage?.usedSeconds).toBeCloseTo(31 / 30, 2);

    let deleted: string[] | null = null;
    await act(async () => {
      deleted = await result.current.remove.deleteVideos(id);
    });
    expect(deleted).toEqual([id]);
    expect(result.current.remove.error).toBeNull();
    expect(result.current.list.videos).toEqual([]);
    await waitFor(() => expect(result.current.usage.usage?.usedSeconds).toBe(0));
    expect((await client.list()).videos).toEqual([]);
  });

  it("throw a clear error outside <OpenVProvider>", () => {
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(createElement(() => useVideos() && null))).toThrow(/inside <OpenVProvider>/);
    } finally {
      console.error = quiet;
    }
  });
});
