// @vitest-environment jsdom
// Remix and share links (issue 21) on the product page against the real server in-process (the
// local preview provider renders real MP4s): the card's Remix and Share actions. No msw.
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { VideoCard } from "../src/index.js";
import { clientFor, renderProductPage } from "./support/render.js";
import { type RealServer, smallVideo, startServer } from "./support/server.js";

let server: RealServer;

beforeAll(async () => {
  server = await startServer({ config: { maxActiveJobs: 50 } });
});
afterEach(cleanup);
afterAll(() => server?.close());

async function completedVideoOf(user: string, prompt: string) {
  const client = clientFor(server.baseUrl, user);
  await client.terms.accept("1.0.0");
  const video = await client.videos.createAndWait({ ...smallVideo, prompt, seed: 99 }, { timeoutMs: 60_000 });
  return { client, video };
}

const cardOf = async (prompt: string) => {
  const text = await screen.findByText(prompt, { selector: ".openv-card-prompt" });
  return text.closest("article") as HTMLElement;
};

describe("the card's remix and share actions", () => {
  it("Remix opens the prompt prefilled; submitting makes a new video that names its source", async () => {
    const { client, video } = await completedVideoOf("rosa", "a paper boat on a pond");
    const user = userEvent.setup();
    renderProductPage(server.baseUrl, "rosa");
    const card = await cardOf("a paper boat on a pond");
    await user.click(within(card).getByRole("button", { name: "Remix" }));
    const field = within(card).getByLabelText(/Prompt for the remix/);
    expect((field as HTMLTextAreaElement).value).toBe("a paper boat on a pond");
    await user.clear(field);
    await user.type(field, "a paper boat in the rain");
    await user.click(within(card).getByRole("button", { name: "Remix" }));
    await cardOf("a paper boat in the rain");
    const remixed = (await client.videos.list()).videos.find((entry) => entry.remixOf === video.id);
    expect(remixed).toMatchObject({ prompt: "a paper boat in the rain", seed: 99 });
  });

  it("Share makes a link, shows it for copying, copies it, and Stop sharing ends it", async () => {
    await completedVideoOf("sam", "a kite over the dunes");
    const user = userEvent.setup();
    renderProductPage(server.baseUrl, "sam");
    const card = await cardOf("a kite over the dunes");
    await user.click(within(card).getByRole("button", { name: "Share" }));
    const field = (await within(card).findByLabelText("Share link")) as HTMLInputElement;
    expect(field.value).toMatch(/\/api\/share\/[A-Za-z0-9_-]{43}$/);
    expect((await fetch(field.value)).status).toBe(200);
    await user.click(within(card).getByRole("button", { name: "Copy link" }));
    await waitFor(() => expect(within(card).getByRole("status").textContent).toMatch(/Copied/));
    // user-event stands in for the clipboard.
    expect(await navigator.clipboard.readText()).toBe(field.value);
    const url = field.value;
    await user.click(within(card).getByRole("button", { name: "Stop sharing" }));
    await within(card).findByRole("button", { name: "Share" });
    expect((await fetch(url)).status).toBe(404);
  });

  it("a card rendered without a provider has neither action", async () => {
    const { video } = await completedVideoOf("tess", "a lone tree");
    const { render } = await import("@testing-library/react");
    const { createElement } = await import("react");
    render(createElement(VideoCard, { video }));
    expect(screen.queryByRole("button", { name: "Remix" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Share" })).toBeNull();
  });
});
