import { describe, expect, it } from "vitest";
import { hasChromium, useGallery } from "./support.js";

/**
 * Timing and Wait (issue 21) in headless Chromium against `pnpm start`: a first render, asked for
 * with `Prefer: wait`, comes back finished (201) and gives the server a history; three more queued
 * at once show "3rd in line" and "about N s left" on the newest card, which go once it is done.
 * The local preview provider waits OPENV_PREVIEW_STEP_MS per step (one step here) before it starts.
 */
describe.skipIf(!hasChromium)("queue position and time left in the gallery", () => {
  const gallery = useGallery({ name: "eta", env: { OPENV_PREVIEW_STEP_MS: "2500" } });
  const { base } = gallery;
  const user = "eta-viewer";
  const generate = (prompt: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/videos`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-openv-user": user, ...headers },
      body: JSON.stringify({ prompt, frames: 7, width: 256, height: 256, steps: 1 }),
    });

  it("shows the newest of three queued videos 3rd in line with the time it has left", async () => {
    const { page } = gallery;
    await page.goto(`${base}/?as=${user}`);
    await page.locator(".openv-terms-accept").click();
    await page.locator('.openv-gallery[data-state="empty"]').waitFor();

    const first = await generate("a first render to learn from", { prefer: "wait=30" });
    expect(first.status).toBe(201);
    expect(first.headers.get("preference-applied")).toBe("wait=30");
    expect((await first.json()).video.renderSeconds).toBeGreaterThan(0);

    for (const prompt of ["a red kite", "a blue kite", "a green kite"])
      expect((await generate(prompt)).status).toBe(202);
    const newest = page.locator(".openv-card", { hasText: "a green kite" });
    await newest.locator(".openv-queue-position", { hasText: "3rd in line" }).waitFor({ timeout: 2000 });
    expect(await newest.locator(".openv-eta").textContent()).toMatch(/^about \d+ s left$/);
    await gallery.shot("eta-queued");

    await newest.locator("video").waitFor({ timeout: 30_000 });
    expect(await newest.locator(".openv-timing").count()).toBe(0);
  }, 120_000);
});
