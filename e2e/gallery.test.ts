import { describe, expect, it } from "vitest";
import { hasChromium, playVideo, useGallery } from "./support.js";

/**
 * What a newcomer sees after `pnpm start`: the reference server serving the react-gallery build at
 * /, driven in headless Chromium (Debian's package through playwright-core). `.ci/run` installs
 * Chromium; on a machine without it this suite is skipped.
 */
describe.skipIf(!hasChromium)("the gallery in a real browser against pnpm start", () => {
  // Slow enough steps that the progress bar is seen moving; a 3-second monthly quota.
  const gallery = useGallery({
    name: "gallery",
    env: { OPENV_PREVIEW_STEP_MS: "250", MONTHLY_LIMIT_SECONDS: "3" },
  });
  const { base } = gallery;
  const shot = (name: string) => gallery.shot(name);

  it("accept terms → generate → progress bar moves → the video plays → delete", async () => {
    const { page } = gallery;
    await page.goto(base);
    // The terms gate blocks the form until the current version is accepted.
    await page.locator(".openv-terms-accept").waitFor();
    expect(await page.locator(".openv-prompt").count()).toBe(0);
    await shot("terms");
    await page.locator(".openv-terms-accept").click();
    await page.locator(".openv-prompt").waitFor();
    // The empty state itself, not the moment before the list arrives.
    await page.locator('.openv-gallery[data-state="empty"]').waitFor();
    await shot("gallery-empty");

    await page.locator(".openv-prompt").fill("a paper boat drifting on a pond at sunset");
    await page.locator(".openv-length").fill("1");
    const frames = 31;
    await page.locator(".openv-submit").click();

    // Watch the progress bar: its value rises while the video renders.
    const bar = page.locator('.openv-card[data-status="processing"] .openv-progress');
    await bar.waitFor({ timeout: 30_000 });
    const values: number[] = [];
    let shotTaken = false;
    const card = page.locator(".openv-card").first();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const status = await card.getAttribute("data-status");
      if (status === "completed" || status === "failed") break;
      const now = await bar.getAttribute("aria-valuenow", { timeout: 1000 }).catch(() => null);
      if (now !== null) values.push(Number(now));
      if (!shotTaken && values.some((value) => value > 20)) {
        await shot("gallery-processing");
        shotTaken = true;
      }
      await page.waitForTimeout(100);
    }
    expect(new Set(values).size).toBeGreaterThan(2);
    expect(values).toEqual([...values].sort((a, b) => a - b));

    // The finished video plays inline: its data loads and its length is frames / fps.
    const video = page.locator('.openv-card[data-status="completed"] video');
    await video.waitFor({ timeout: 30_000 });
    const media = await playVideo(video);
    expect(media.readyState).toBeGreaterThanOrEqual(2);
    expect(media.duration).toBeCloseTo(frames / 30, 1);
    await shot("gallery-completed");

    const doneId = await page.locator('.openv-card[data-status="completed"]').getAttribute("data-video-id");

    // A server-side error: another tab spends most of the quota, so the page's next request is
    // refused with quota_exceeded and the form says how much is left.
    await page.locator(".openv-prompt").fill("a lighthouse in a storm");
    await page.locator(".openv-length").fill("1.5");
    const elsewhere = await fetch(`${base}/api/videos`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "spent in another tab", frames: 31, width: 256, height: 256 }),
    });
    expect(elsewhere.status).toBe(202);
    await page.locator(".openv-submit").click();
    const alert = page.locator('.openv-form-error[data-code="quota_exceeded"]');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/0\.9\d? s/);
    await shot("gallery-error");

    // Over quota on the client side: the form says what is left and will not submit.
    await page.locator(".openv-length").fill("5");
    await page.locator(".openv-quota-warning").waitFor();
    expect(await page.locator(".openv-submit").isDisabled()).toBe(true);
    await shot("gallery-over-quota");

    // Delete, confirm, and the card is gone.
    const done = page.locator(`.openv-card[data-video-id="${doneId}"]`);
    await done.locator(".openv-delete").click();
    await done.locator(".openv-delete-confirm").click();
    await done.waitFor({ state: "detached", timeout: 10_000 });
    await shot("gallery-after-delete");
  }, 180_000);
});
