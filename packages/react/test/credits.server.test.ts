// @vitest-environment jsdom
// The product page under credits billing against the real server in-process: the model picker,
// the price and balance, an input image uploaded from a file input, and the gallery card made
// from it. No msw in this file: msw buffers the streamed answers of requests it lets through.
import { Buffer } from "node:buffer";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { model } from "../../sdk/test/support/fixtures.js";
import { pngImage } from "../../sdk/test/support/images.js";
import { clientFor, renderProductPage } from "./support/render.js";
import { type RealServer, ScriptedProvider, startServer } from "./support/server.js";

const admin = "admin-root";
/** Mochi's limits at 2 credits a video, on the main provider. */
const mochi = {
  ...model("mochi-1", { name: "Mochi 1", description: "Text to video at 30 fps.", cost: { credits: 2 } }),
  provider: "default",
};
const animate = {
  ...mochi,
  id: "animate-1",
  name: "Animate",
  description: "Brings a still image to life.",
  image: "required" as const,
  cost: { credits: 6 },
};

let server: RealServer;
const provider = new ScriptedProvider();

beforeAll(async () => {
  // The server runs inside this jsdom process, where the global Uint8Array is jsdom's; its upload
  // check (file-type) wants Node's. A browser and a real server never share a realm.
  globalThis.Uint8Array = Object.getPrototypeOf(Buffer.prototype).constructor;
  // jsdom has no object URLs; the form previews a picked image with one.
  URL.createObjectURL = vi.fn(() => "blob:preview");
  URL.revokeObjectURL = vi.fn();
  server = await startServer({
    provider,
    models: [mochi, animate],
    config: { billing: "credits", adminUserIds: [admin], maxActiveJobs: 50, maxRetries: 0 },
  });
});
afterEach(cleanup);
afterAll(() => server?.close());

/** A user who accepted the terms and was granted `credits`. */
async function customer(name: string, credits: number) {
  const client = clientFor(server.baseUrl, name);
  await client.acceptTerms("1.0.0");
  await clientFor(server.baseUrl, admin).grantCredits({ userId: name, credits });
  return client;
}

describe("the product page under credits billing", () => {
  it("animates an uploaded image: price and balance, the upload, the card with its input image, the refund", async () => {
    await customer("iris", 8);
    const user = userEvent.setup();
    renderProductPage(server.baseUrl, "iris");
    const gallery = await screen.findByRole("region", { name: "Your videos" });
    await screen.findByText("This video costs 2 credits; you have 8.");

    await user.selectOptions(screen.getByLabelText("Model"), "animate-1");
    expect(screen.getByText("This video costs 6 credits; you have 8.")).toBeTruthy();
    await user.type(screen.getByLabelText("Prompt"), "the lighthouse beam sweeps the fog");
    expect((screen.getByRole("button", { name: "Generate video" }) as HTMLButtonElement).disabled).toBe(true);

    const file = new File([pngImage(128, 96)], "lighthouse.png", { type: "image/png" });
    await user.upload(screen.getByLabelText("Input image"), file);
    await screen.findByText("Uploaded (128×96)");
    await user.click(screen.getByRole("button", { name: "Generate video" }));

    const card = await within(gallery).findByRole("article", { name: "the lighthouse beam sweeps the fog" });
    const thumbnail = within(card).getByRole("img", { name: "Starting frame" }) as HTMLImageElement;
    expect(thumbnail.src).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/files\//);
    expect((await fetch(thumbnail.src)).status).toBe(200);
    expect(within(card).getByText(/· 6 credits/)).toBeTruthy();
    // The answer's balance: 8 − 6, too little for another Animate video.
    await screen.findByText("This video costs 6 credits; you have 2.");
    expect(screen.getByText(/Not enough credits: this video costs 6 credits and you have 2\./)).toBeTruthy();

    // The video fails: its credits come back, and the page sees it.
    await provider.send(card.dataset.videoId ?? "", { status: "FAILED", error: "model_error: out of memory" });
    await waitFor(() => expect(card.dataset.status).toBe("failed"));
    expect(within(card).getByText(/Its 6 credits were refunded\./)).toBeTruthy();
    await screen.findByText("This video costs 6 credits; you have 8.");
  });

  it("Enhance prompt: the card keeps the prompt as typed and shows the server's enhanced one, collapsed", async () => {
    await customer("kato", 10);
    const user = userEvent.setup();
    renderProductPage(server.baseUrl, "kato");
    const gallery = await screen.findByRole("region", { name: "Your videos" });
    await screen.findByText("This video costs 2 credits; you have 10.");
    await user.type(screen.getByLabelText("Prompt"), "a fox crossing a frozen river");
    await user.click(screen.getByRole("checkbox", { name: "Enhance prompt" }));
    await user.click(screen.getByRole("button", { name: "Generate video" }));

    const card = await within(gallery).findByRole("article", { name: "a fox crossing a frozen river" });
    const details = within(card).getByText("Enhanced prompt").closest("details") as HTMLDetailsElement;
    expect(details.open).toBe(false);
    const enhanced = details.querySelector(".openv-card-enhanced-prompt")?.textContent ?? "";
    expect(enhanced).toMatch(/^a fox crossing a frozen river.+/);
    const [video] = (await clientFor(server.baseUrl, "kato").list()).videos;
    expect(video?.enhancedPrompt).toBe(enhanced);
  });

  it("a user without credits is told what a video costs and cannot submit", async () => {
    await customer("juno", 1);
    const user = userEvent.setup();
    renderProductPage(server.baseUrl, "juno");
    await screen.findByText("This video costs 2 credits; you have 1.");
    expect(
      screen.getByText("Not enough credits: this video costs 2 credits and you have 1. Add credits to continue."),
    ).toBeTruthy();
    await user.type(screen.getByLabelText("Prompt"), "a paper plane");
    expect((screen.getByRole("button", { name: "Generate video" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
