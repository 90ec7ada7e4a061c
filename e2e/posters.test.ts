import { describe, expect, it } from "vitest";
import { hasChromium, useGallery } from "./support.js";

// posters21: a completed video's card shows its poster before play and scrubs its sprite sheet,
// in headless Chromium against `pnpm start` (the local preview provider's MP4, ffmpeg previews).
describe.skipIf(!hasChromium)("posters and sprite scrubbing in a real browser", () => {
  const gallery = useGallery({ name: "posters" });
  const { base } = gallery;

  it("the poster shows before play; moving the pointer along the strip changes the previewed frame", async () => {
    const { page } = gallery;
    const accept = await fetch(`${base}/api/terms/accept`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version: "1.0.0" }),
    });
    expect(accept.status).toBe(200);
    const created = await fetch(`${base}/api/videos`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a kite over a windy beach", frames: 31, width: 512, height: 256 }),
    });
    expect(created.status).toBe(202);
    const { video } = (await created.json()) as { video: { id: string } };
    // The previews are a change of their own, a moment after the completion.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const current = (await (await fetch(`${base}/api/videos/${video.id}`)).json()) as {
        video: { posterUrl: string | null };
      };
      if (current.video.posterUrl) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    await page.goto(base);
    const player = page.locator('.openv-card[data-status="completed"] video[poster]');
    await player.waitFor({ timeout: 30_000 });
    const poster = (await player.getAttribute("poster")) ?? "";
    expect(await player.getAttribute("preload")).toBe("none");
    // Nothing of the video was loaded, yet the poster is a real image the browser decoded.
    expect(await player.evaluate((element: HTMLVideoElement) => element.readyState)).toBe(0);
    const decoded = await page.evaluate(async (url) => {
      const image = new Image();
      image.src = url;
      await image.decode();
      return { width: image.naturalWidth, height: image.naturalHeight };
    }, poster);
    expect(decoded).toEqual({ width: 512, height: 256 });

    const strip = page.locator('.openv-card[data-status="completed"] .openv-scrub');
    const box = await strip.boundingBox();
    if (!box) throw new Error("the scrub strip is not laid out");
    const frameAt = async (fraction: number) => {
      await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2);
      const frame = strip.locator(".openv-scrub-frame");
      await frame.waitFor();
      return frame.evaluate((element: HTMLElement) => ({
        frame: element.dataset.frame,
        position: getComputedStyle(element).backgroundPosition,
      }));
    };
    const early = await frameAt(0.1);
    const late = await frameAt(0.8);
    expect(Number(late.frame)).toBeGreaterThan(Number(early.frame));
    expect(late.position).not.toBe(early.position);
    await gallery.shot("posters-scrub");
  });
});
