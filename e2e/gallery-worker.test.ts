import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  embeddedEnv,
  root,
  type SpawnedServer,
  spawnServer,
  testPort,
} from "../packages/server/test/support/spawn-server.js";
import { findWorkerVenv, startWorkerRunner, type WorkerRunner } from "../packages/server/test/support/worker-runner.js";

const executablePath = process.env.OPENV_CHROMIUM ?? "/usr/bin/chromium";
const artifacts = path.join(root, "test-artifacts/e2e");
const found = findWorkerVenv();
if ("skip" in found) console.warn(`[gallery through worker-mochi] skipped: ${found.skip}`);

/**
 * The gallery after `pnpm start` with RUNPOD_* pointing at worker-mochi's local runner
 * (`serve.sh --tiny`): one video generated in Chromium goes through the real worker (the tiny
 * random Mochi on CPU renders it, the worker PUTs the MP4 to the server) and plays in the page.
 */
describe.skipIf(!existsSync(executablePath) || "skip" in found)("the gallery through the real worker", () => {
  let runner: WorkerRunner | undefined;
  let server: SpawnedServer | undefined;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  const port = testPort();
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    runner = await startWorkerRunner((found as { venv: string }).venv);
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-e2e-worker-"));
    const env = embeddedEnv({
      PORT: String(port),
      OPENV_DATA_DIR: dataDir,
      RUNPOD_API_KEY: "local-runner",
      RUNPOD_ENDPOINT_ID: "mochi-local",
      RUNPOD_BASE_URL: runner.baseUrl,
      // The reconciler asks the runner for progress of jobs it has not heard about for 1 s.
      OPENV_RECONCILE_SILENT_MS: "1000",
    });
    server = await spawnServer(path.join(root, "scripts/start.mjs"), env, port, 400_000);
    browser = await chromium.launch({
      executablePath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (error) => {
      process.stderr.write(`[page error] ${error.message}\n`);
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await runner?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("generates one video through worker-mochi and plays it", async () => {
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
    const media = await video.evaluate(async (element: HTMLVideoElement) => {
      element.muted = true;
      await element.play().catch(() => {});
      const started = Date.now();
      while (element.readyState < 2 && Date.now() - started < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { readyState: element.readyState, duration: element.duration, src: element.currentSrc };
    });
    expect(media.readyState).toBeGreaterThanOrEqual(2);
    expect(media.duration).toBeCloseTo(7 / 30, 1);
    // The file is the one the worker uploaded for this video's first attempt.
    const id = await page.locator('.openv-card[data-status="completed"]').getAttribute("data-video-id");
    expect(media.src).toContain(`/api/files/${id}-0.mp4`);
    await page.screenshot({ path: path.join(artifacts, "gallery-through-worker.png"), fullPage: true });
  }, 300_000);
});
