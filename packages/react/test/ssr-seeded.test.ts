// @vitest-environment jsdom
// SSR seeding, as a Next.js server component does it: fetchInitialState (the server entry) fetches
// the first page, the gallery renders it into the server's HTML, and the browser hydrates that
// HTML without a mismatch and without a spinner. Also Suspense and the `enabled` option. The
// "server" is a fetch stub: these tests are about rendering, not the network.
import { createClient, type OpenVClient } from "@openv/sdk";
import { act, cleanup, render, screen } from "@testing-library/react";
import { createElement, Suspense } from "react";
import { hydrateRoot, type Root } from "react-dom/client";
import { renderToString } from "react-dom/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OpenVHydrate, OpenVProvider, useSuspenseVideos, useVideos, VideoGallery } from "../src/index.js";
import { fetchInitialState } from "../src/server.js";
import "./support/render.js";
import { video } from "./support/fake-api.js";

afterEach(cleanup);

const library = [
  video("v2", "completed", 2000, { prompt: "a lighthouse at dusk", createdAt: "2026-11-02T10:00:02.000Z" }),
  video("v1", "processing", 1000, { prompt: "waves at night", createdAt: "2026-11-02T10:00:01.000Z" }),
];

/** A client whose fetch answers the list (and nothing else: no event route, no usage). */
function stubClient(requests: string[] = []): OpenVClient {
  const fetch: typeof globalThis.fetch = async (input) => {
    const url = new URL(String(input));
    requests.push(url.pathname + url.search);
    if (url.pathname.endsWith("/videos")) {
      return Response.json({ videos: library, serverTime: 3000, nextCursor: null });
    }
    return Response.json({ error: { code: "not_found", message: "no such route" } }, { status: 404 });
  };
  return createClient({ baseUrl: "http://openv.test/api", fetch, maxRetries: 0 });
}

describe("SSR seeding", () => {
  it("fetchInitialState fetches the first page; the gallery renders it on the server and hydrates without a mismatch", async () => {
    const serverRequests: string[] = [];
    const state = await fetchInitialState(stubClient(serverRequests), { limit: 20 });
    expect(serverRequests).toEqual(["/api/videos?limit=20"]);
    expect(state.videos?.map((v) => v.id)).toEqual(["v2", "v1"]);
    // Plain JSON: it crosses from a server component to a client one.
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);

    const renderRequests: string[] = [];
    const page = (client: OpenVClient) =>
      createElement(OpenVProvider, { client, initialState: state }, createElement(VideoGallery));
    const html = renderToString(page(stubClient(renderRequests)));
    expect(html).toContain("a lighthouse at dusk");
    expect(html).toContain("waves at night");
    expect(html).not.toContain("Loading your videos…");
    expect(renderRequests).toEqual([]);

    const container = document.createElement("div");
    container.innerHTML = html;
    document.body.append(container);
    const problems: unknown[] = [];
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
    let root: Root | undefined;
    try {
      await act(async () => {
        root = hydrateRoot(container, page(stubClient()), { onRecoverableError: (error) => problems.push(error) });
      });
      expect(problems).toEqual([]);
      expect(consoleError.mock.calls.filter((call) => /hydrat/i.test(String(call[0])))).toEqual([]);
      expect(container.textContent).toContain("a lighthouse at dusk");
      expect(container.textContent).not.toContain("Loading your videos…");
    } finally {
      consoleError.mockRestore();
      act(() => root?.unmount());
      container.remove();
    }
  });

  it("<OpenVHydrate> seeds the provider around it the same way", () => {
    const html = renderToString(
      createElement(
        OpenVProvider,
        { client: stubClient() },
        createElement(OpenVHydrate, { state: { videos: library } }, createElement(VideoGallery)),
      ),
    );
    expect(html).toContain("a lighthouse at dusk");
  });
});

function Titles() {
  const { videos, ready } = useSuspenseVideos();
  return createElement("p", null, `${ready}: ${videos.map((v) => v.prompt).join(", ")}`);
}

function Count({ enabled }: { enabled: boolean }) {
  const { videos, ready } = useVideos({ enabled, initialData: enabled ? undefined : library.slice(0, 1) });
  return createElement("p", null, `${ready} ${videos.length}`);
}

describe("hook options and Suspense", () => {
  it("useSuspenseVideos shows the Suspense fallback until the list loads, then the videos", async () => {
    render(
      createElement(
        OpenVProvider,
        { client: stubClient(), watch: { mode: "polling" } },
        createElement(Suspense, { fallback: createElement("p", null, "Suspended…") }, createElement(Titles)),
      ),
    );
    expect(screen.getByText("Suspended…")).toBeTruthy();
    await screen.findByText("true: a lighthouse at dusk, waves at night");
  });

  it("useVideos({enabled: false}) opens no watcher; initialData shows until the list loads", async () => {
    const requests: string[] = [];
    render(createElement(OpenVProvider, { client: stubClient(requests) }, createElement(Count, { enabled: false })));
    expect(screen.getByText("true 1")).toBeTruthy();
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    expect(requests).toEqual([]);
  });
});
