import { describe, expect, it } from "vitest";
import { findWorkerVenv, startWorkerRunner, type WorkerRunner } from "../packages/server/test/support/worker-runner.js";
import { hasChromium, playVideo, useGallery } from "./support.js";

const found = findWorkerVenv();
if ("skip" in found) console.warn(`[gallery through worker-mochi] skipped: ${found.skip}`);

/**
 * The gallery after `pnpm start` with RUNPOD_* pointing at worker-mochi's local runner
 * (`serve.sh --tiny`): one video generated in Chromium goes through the real worker (the tiny
 * random Mochi on CPU renders it, the worker PUTs the MP4 to the server) and plays in the page.
 */
describe.skipIf(!hasChromium || "skip" in found)("the gallery through the real worker", () => {
  let runner: WorkerRunner | undefined;
  const gallery = useGallery({
    name: "worker",
    startTimeoutMs: 400_000,
    before: async () => {
      runner = await startWorkerRunner((found as { venv: string }).venv);
      return {
        RUNPOD_API_KEY: "local-runner",
        RUNPOD_ENDPOINT_ID: "mochi-local",
        RUNPOD_BASE_URL: runner.baseUrl,
        // The reconciler asks the runner for progress of jobs it has not heard about for 1 s.
        OPENV_RECONCILE_SILENT_MS: "1000",
      };
    },
    after: async () => {
      await runner?.stop();
    },
  });
  const { base } = gallery;

  it("generates one video through worker-mochi and plays it", async () => {
    const { page } = gallery;
    await page.goto(base);
    await page.locator(".openv-terms-accept").click();
    await page.locator(".openv-prompt").waitFor();
    // The tiny model reads 64 T5 tokens (characters): a short prompt. Small and few steps: CPU.
    await page.locator(".openv-prompt").fill("a paper boat on a pond");
    await page.locator(".openv-length").fill("0.2");
    await page.locator(".openv-advanced summary").click();
    await page.locator('input[name="width"]').fill("256");
    await page.locator('input[name="height"]').fill("256");
    await page.locator('input[name="steps"]').fill("2");
    await page.locator(".openv-submit").click();

    const card = page.locator(".openv-card").first();
    await card.waitFor();
    const video = page.locator('.openv-card[data-status="completed"] video');
    await video.waitFor({ timeout: 240_000 });
    const media = await playVideo(video);
    expect(media.readyState).toBeGreaterThanOrEqual(2);
    expect(media.duration).toBeCloseTo(7 / 30, 1);
    // The file is the one the worker uploaded for this video's first attempt.
    const id = await page.locator('.openv-card[data-status="completed"]').getAttribute("data-video-id");
    expect(media.src).toContain(`/api/files/${id}-0.mp4`);
    await gallery.shot("gallery-through-worker");
  }, 300_000);
});
