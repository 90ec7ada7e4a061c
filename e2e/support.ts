import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import {
  embeddedEnv,
  ensureBuilt,
  root,
  type SpawnedServer,
  spawnServer,
  testPort,
} from "../packages/server/test/support/spawn-server.js";

/** Debian's Chromium (`.ci/run` installs it), driven through playwright-core; suites skip without it. */
export const executablePath = process.env.OPENV_CHROMIUM ?? "/usr/bin/chromium";
export const hasChromium = existsSync(executablePath);
/** Where the suites write their screenshots (the README's images are copied from here). */
export const artifacts = path.join(root, "test-artifacts/e2e");

export interface GalleryOptions {
  /** The data directory's name prefix under the OS temp dir (one per suite, removed afterwards). */
  name: string;
  /** The reference server's environment beyond PORT and OPENV_DATA_DIR (embedded defaults apply). */
  env?: NodeJS.ProcessEnv;
  /** How long `pnpm start` may take to answer health; default 180 s. */
  startTimeoutMs?: number;
  /** Build what the sources call for before starting (once, outside the start timeout); default true. */
  build?: boolean;
  /** Runs before the server starts (e.g. a worker runner whose URL goes into the env); its result is merged into env. */
  before?: () => Promise<NodeJS.ProcessEnv | undefined>;
  /** Runs after the server and browser are gone. */
  after?: () => Promise<void>;
}

export interface Gallery {
  /** The server's origin, e.g. http://127.0.0.1:31234. */
  readonly base: string;
  readonly browser: Browser;
  /** A 1280×900 context and its first page, reporting page errors on stderr. */
  readonly context: BrowserContext;
  readonly page: Page;
  /** Stops the reference server (the page stays open). */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  startServer(): Promise<void>;
  /** A full-page screenshot into test-artifacts/e2e/<name>.png. */
  shot(name: string, target?: Page): Promise<void>;
  /** A fresh context (no cookies, no storage) with one page, closed with the browser. */
  newPage(options?: Parameters<Browser["newContext"]>[0]): Promise<Page>;
}

/**
 * Registers the life of one browser suite: `pnpm start` (scripts/start.mjs) on a fresh data
 * directory and a free port, headless Chromium, one page; all torn down after the suite. Call it at
 * the top of a `describe`; the returned object's fields are ready inside the tests.
 */
export function useGallery(options: GalleryOptions): Gallery {
  const port = testPort();
  const base = `http://127.0.0.1:${port}`;
  let server: SpawnedServer | undefined;
  let dataDir = "";
  let env: NodeJS.ProcessEnv = {};
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`e2e: ${what} is not started (use it inside a test, after beforeAll)`);
    return value;
  };

  const startServer = async () => {
    server = await spawnServer(path.join(root, "scripts/start.mjs"), env, port, options.startTimeoutMs ?? 180_000);
  };

  beforeAll(async () => {
    // A build the sources call for happens here (one at a time), not inside the start timeout.
    if (options.build !== false) await ensureBuilt();
    await mkdir(artifacts, { recursive: true });
    dataDir = await mkdtemp(path.join(os.tmpdir(), `openv-e2e-${options.name}-`));
    const extra = (await options.before?.()) ?? {};
    env = embeddedEnv({ ...options.env, ...extra, PORT: String(port), OPENV_DATA_DIR: dataDir });
    await startServer();
    browser = await chromium.launch({
      executablePath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (error) => process.stderr.write(`[page error] ${error.message}\n`));
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await options.after?.();
  });

  return {
    base,
    get browser() {
      return ready(browser, "the browser");
    },
    get context() {
      return ready(context, "the browser context");
    },
    get page() {
      return ready(page, "the page");
    },
    async stopServer() {
      await server?.stop();
      server = undefined;
    },
    startServer,
    async shot(name, target) {
      await (target ?? ready(page, "the page")).screenshot({
        path: path.join(artifacts, `${name}.png`),
        fullPage: true,
      });
    },
    async newPage(contextOptions) {
      const fresh = await ready(browser, "the browser").newContext(contextOptions);
      const created = await fresh.newPage();
      created.on("pageerror", (error) => process.stderr.write(`[page error] ${error.message}\n`));
      return created;
    },
  };
}

/**
 * Plays a `<video>` muted and waits (up to 10 s) until it has decoded a frame; answers what the
 * element then reports, for the test to assert on.
 */
export function playVideo(video: Locator): Promise<{ readyState: number; duration: number; src: string }> {
  return video.evaluate(async (element: HTMLVideoElement) => {
    element.muted = true;
    await element.play().catch(() => {});
    const started = Date.now();
    while (element.readyState < 2 && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { readyState: element.readyState, duration: element.duration, src: element.currentSrc };
  });
}
