// @vitest-environment jsdom
// The product page (<TermsGate> around <GenerateForm> and <VideoGallery>) against the real server
// in-process, over real sockets: SSE from the server reaches the watcher through Node's fetch.
// The provider is scripted, so each status change happens exactly when the test says.
// No msw in this file: msw buffers the streamed answers of requests it lets through.
import { createClient } from "@openv/sdk";
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { createElement } from "react";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenVProvider, TermsGate, VideoGallery } from "../src/index.js";
import { clientFor, renderProductPage } from "./support/render.js";
import { type RealServer, ScriptedProvider, startServer } from "./support/server.js";

const limitSeconds = 3;
const oneSecondVideo = { prompt: "a paper boat on a puddle", frames: 31, width: 256, height: 256 };

let server: RealServer;
const provider = new ScriptedProvider();

beforeAll(async () => {
  server = await startServer({ provider, config: { monthlyLimitSeconds: limitSeconds, maxRetries: 0 } });
});
afterEach(cleanup);
afterAll(() => server?.close());

/** A user who has accepted the terms, so the page opens on the form and the gallery. */
async function signedInUser(name: string) {
  const client = clientFor(server.baseUrl, name);
  await client.acceptTerms("1.0.0");
  return client;
}

async function openPage(user: string) {
  renderProductPage(server.baseUrl, user);
  const gallery = await screen.findByRole("region", { name: "Your videos" });
  await within(gallery).findByText(/no videos yet/i);
  return gallery;
}

describe("the gallery page", () => {
  it("renders a generated video queued, then rendering with a progress bar, then completed with a player", async () => {
    await signedInUser("ada");
    const user = userEvent.setup();
    const gallery = await openPage("ada");
    await screen.findByText(`${limitSeconds} s of ${limitSeconds} s left this period`);

    await user.type(screen.getByLabelText("Prompt"), "a lighthouse at dusk");
    await user.click(screen.getByRole("button", { name: "Generate video" }));

    const card = await within(gallery).findByRole("article", { name: "a lighthouse at dusk" });
    expect(card.dataset.status).toBe("queued");
    expect(within(card).getByText("Queued")).toBeTruthy();
    // Progress shows from the start: an indeterminate bar while it waits for a GPU.
    const queueBar = within(card).getByRole("progressbar", { name: "Waiting in the queue" });
    expect(queueBar.getAttribute("aria-valuenow")).toBeNull();
    // The form takes the usage from the generate answer: 31 frames = 1.03 s charged.
    await screen.findByText(`1.97 s of ${limitSeconds} s left this period`);
    expect((screen.getByLabelText("Prompt") as HTMLTextAreaElement).value).toBe("");

    const videoId = card.dataset.videoId ?? "";
    await provider.send(videoId, { status: "IN_PROGRESS", output: { progress: 0.4 } });
    await waitFor(() => expect(within(card).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("40"));
    expect(card.dataset.status).toBe("processing");
    expect(within(card).getByText("Rendering 40%")).toBeTruthy();

    await provider.send(videoId, { status: "IN_PROGRESS", output: { progress: 0.75 } });
    await waitFor(() => expect(within(card).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("75"));

    await provider.send(videoId, { status: "COMPLETED", output: provider.completedOutput(server.baseUrl, videoId) });
    const player = await within(card).findByLabelText("Video: a lighthouse at dusk");
    expect(player.tagName).toBe("VIDEO");
    expect(player.hasAttribute("controls")).toBe(true);
    const url = player.getAttribute("src") ?? "";
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/files\//);
    expect(card.dataset.status).toBe("completed");
    expect(within(card).getByText("Ready")).toBeTruthy();
    // Seen rendering on this page: marked as just finished for a moment.
    expect(card.dataset.justFinished).toBe("");
    expect(within(card).getByText("Just finished")).toBeTruthy();
    expect(within(card).queryByRole("progressbar")).toBeNull();
    expect(within(card).getByRole("link", { name: "Download" }).getAttribute("href")).toBe(url);
  });

  it("deletes a card only after the confirm step, from the keyboard too, and refunds an unfinished video", async () => {
    const client = await signedInUser("bea");
    const user = userEvent.setup();
    const gallery = await openPage("bea");
    await screen.findByText(`${limitSeconds} s of ${limitSeconds} s left this period`);

    // Made by another client of the same user: it shows up live.
    await client.generate({ ...oneSecondVideo, prompt: "a cat asleep on a piano" });
    const card = await within(gallery).findByRole("article", { name: "a cat asleep on a piano" });

    await user.click(within(card).getByRole("button", { name: "Delete" }));
    const confirm = within(card).getByRole("group", { name: /^Delete this video\?/ });
    expect(within(confirm).getByText(/its seconds are refunded/)).toBeTruthy();
    expect(document.activeElement).toBe(within(confirm).getByRole("button", { name: "Yes, delete" }));

    await user.click(within(confirm).getByRole("button", { name: "Cancel" }));
    expect(within(card).queryByRole("group", { name: /^Delete this video\?/ })).toBeNull();
    expect(document.activeElement).toBe(within(card).getByRole("button", { name: "Delete" }));

    // Escape also backs out.
    await user.keyboard("{Enter}");
    expect(within(card).getByRole("group", { name: /^Delete this video\?/ })).toBeTruthy();
    await user.keyboard("{Escape}");
    expect(within(card).queryByRole("group", { name: /^Delete this video\?/ })).toBeNull();

    // Delete, then Enter on the focused "Yes, delete".
    await user.keyboard("{Enter}");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(within(gallery).queryByRole("article", { name: "a cat asleep on a piano" })).toBeNull());
    await within(gallery).findByText(/no videos yet/i);
    expect(await client.list()).toMatchObject({ videos: [] });
    await screen.findByText(`${limitSeconds} s of ${limitSeconds} s left this period`);
  });

  it("shows the server's quota error with the seconds left, then disables submitting over quota", async () => {
    const client = await signedInUser("cyd");
    const user = userEvent.setup();
    await openPage("cyd");
    await screen.findByText(`${limitSeconds} s of ${limitSeconds} s left this period`);

    // Another tab spends 2.07 s; this page still believes 3 s are left.
    await client.generate(oneSecondVideo);
    await client.generate(oneSecondVideo);

    await user.type(screen.getByLabelText("Prompt"), "a hot air balloon over hills");
    const submit = screen.getByRole("button", { name: "Generate video" }) as HTMLButtonElement;
    expect(submit.disabled).toBe(false);
    await user.click(submit);

    const alert = await screen.findByRole("alert");
    expect(alert.dataset.code).toBe("quota_exceeded");
    expect(alert.textContent).toContain("0.93 s of your 3 s remain");
    expect(alert.textContent).toContain("needs 1.03 s");

    // The refusal refreshed usage: the form now knows, and will not submit 1 s.
    await screen.findByText(`0.93 s of ${limitSeconds} s left this period`);
    expect(submit.disabled).toBe(true);
    expect(screen.getByText(/Choose a shorter video/)).toBeTruthy();

    // A length that fits (0.5 s → 13 frames = 0.43 s) can be submitted again.
    const length = screen.getByLabelText("Length (seconds)");
    await user.clear(length);
    await user.type(length, "0.5");
    expect(screen.getByText("13 frames at 30 fps = 0.43 s")).toBeTruthy();
    expect(submit.disabled).toBe(false);
  });

  it("shows why a video failed and gives its seconds back", async () => {
    await signedInUser("dov");
    const user = userEvent.setup();
    const gallery = await openPage("dov");

    await user.type(screen.getByLabelText("Prompt"), "a glass city underwater");
    await user.click(screen.getByRole("button", { name: "Generate video" }));
    const card = await within(gallery).findByRole("article", { name: "a glass city underwater" });
    await screen.findByText(`1.97 s of ${limitSeconds} s left this period`);

    await provider.send(card.dataset.videoId ?? "", { status: "FAILED", error: "invalid_input: the prompt is empty" });
    await waitFor(() => expect(card.dataset.status).toBe("failed"));
    expect(within(card).getByText("Failed")).toBeTruthy();
    expect(within(card).getByText(/the prompt is empty/)).toBeTruthy();
    expect(within(card).queryByRole("link", { name: "Download" })).toBeNull();
    // The watcher saw the failure and asked for usage again: the refund shows.
    await screen.findByText(`${limitSeconds} s of ${limitSeconds} s left this period`);
  });

  it("says so when the server cannot be reached, instead of an endless spinner", async () => {
    // Nothing listens on port 1: every request is refused at once (no retries, to be quick).
    const client = createClient({ baseUrl: "http://127.0.0.1:1/api", maxRetries: 0 });
    render(
      createElement(
        OpenVProvider,
        { client, watch: { pollIntervalMs: 60_000 } },
        createElement(VideoGallery),
        createElement(TermsGate, null, createElement("p", null, "The studio")),
      ),
    );
    const gallery = screen.getByRole("region", { name: "Your videos" });
    expect(within(gallery).getByRole("status").textContent).toBe("Loading your videos…");
    await waitFor(() => expect(gallery.dataset.state).toBe("error"));
    // The page (jsdom's http://localhost:3000) and the API are on different origins: the error
    // says what to set, not the browser's "Failed to fetch".
    const alert = within(gallery).getByRole("alert").textContent ?? "";
    expect(alert).toMatch(
      /^Your videos could not be loaded\. The server at http:\/\/127\.0\.0\.1:1 did not answer this page\./,
    );
    expect(alert).toContain('add "http://localhost:3000" to the server\'s allowedOrigins option');
    expect(alert).not.toMatch(/Failed to fetch|<no response>/);
    const termsError = await screen.findByText(/^The terms of use could not be checked/);
    expect(termsError.closest("[role=alert]")).not.toBeNull();
    expect(screen.getByRole("button", { name: "Try again" })).toBeTruthy();
    expect(screen.queryByText("The studio")).toBeNull();
  });
});
