import { describe, expect, it } from "vitest";
import { hasChromium, playVideo, useGallery } from "./support.js";

/**
 * Remix and share links (issue 21) in headless Chromium against `pnpm start`: a browser context
 * with no cookies plays the video from a share link, and the card's Remix action makes a video
 * that names its source.
 */
describe.skipIf(!hasChromium)("share links and remix in a real browser", () => {
  const gallery = useGallery({ name: "share" });

  it("a stranger plays the video from its share link; the card's Remix makes a video with remixOf", async () => {
    const { page, base } = gallery;
    await page.goto(base);
    await page.locator(".openv-terms-accept").click();
    await page.locator(".openv-prompt").fill("a paper kite over the dunes");
    await page.locator(".openv-length").fill("1");
    await page.locator(".openv-submit").click();
    const card = page.locator('.openv-card[data-status="completed"]').first();
    await card.waitFor({ timeout: 60_000 });
    const sourceId = await card.getAttribute("data-video-id");

    // Share: the link is shown for copying; a fresh context (no cookies, no storage) plays it.
    await card.getByRole("button", { name: "Share" }).click();
    const url = await card.locator(".openv-share-url").inputValue();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/share\/[A-Za-z0-9_-]{43}$/);
    const stranger = await gallery.newPage();
    const opened = await stranger.goto(url);
    expect(opened?.status()).toBe(200);
    expect(await stranger.locator('meta[property="og:video"]').getAttribute("content")).toBe(`${url}/video.mp4`);
    const media = await playVideo(stranger.locator("video"));
    expect(media.readyState).toBeGreaterThanOrEqual(2);
    await gallery.shot("share-page", stranger);

    // Remix: the prompt field opens prefilled; the new video names its source.
    await card.getByRole("button", { name: "Remix" }).click();
    const field = card.locator(".openv-remix-form textarea");
    expect(await field.inputValue()).toBe("a paper kite over the dunes");
    await field.fill("a paper kite over the dunes at night");
    await card.locator(".openv-remix-submit").click();
    // The new video's card (the remix form's textarea holds the same words until the answer closes it).
    await page
      .locator(".openv-card-prompt")
      .getByText("a paper kite over the dunes at night", { exact: true })
      .waitFor({ timeout: 30_000 });
    const videos = await page.evaluate(async () => {
      const response = await fetch("/api/videos");
      return ((await response.json()) as { videos: { prompt: string; remixOf: string | null }[] }).videos;
    });
    expect(videos.find((video) => video.prompt === "a paper kite over the dunes at night")?.remixOf).toBe(sourceId);
  }, 180_000);
});
