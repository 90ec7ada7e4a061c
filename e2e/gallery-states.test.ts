import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { hasChromium, useGallery } from "./support.js";

/**
 * Every state the gallery explains, in headless Chromium against `pnpm start` with a host app's
 * settings (OPENV_PREVIEW_STEP_MS=0: a render jumps from queued to completed): the limits said
 * before they bite, offline and back, a server that goes away and comes back, dark mode and a
 * phone's width, each screenshotted into test-artifacts/e2e/, and axe (WCAG 2 A/AA) on the page in
 * light, dark and mobile: no serious or critical violation, the result printed.
 */
describe.skipIf(!hasChromium)("the gallery's states in a real browser", () => {
  const gallery = useGallery({
    name: "states",
    env: { OPENV_PREVIEW_STEP_MS: "0", MONTHLY_LIMIT_SECONDS: "60" },
  });
  const { base } = gallery;
  const shot = (target: Page, name: string) => gallery.shot(name, target);

  /** Runs axe (WCAG 2 A and AA rules), prints every violation, and returns the serious or critical ones. */
  const axe = async (target: Page, label: string) => {
    const results = await new AxeBuilder({ page: target }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
    const lines = results.violations.map(
      (violation) =>
        `  ${violation.impact ?? "?"} ${violation.id}: ${violation.help} (${violation.nodes.length} nodes)`,
    );
    process.stdout.write(
      `[axe ${label}] ${results.passes.length} rules pass, ${results.violations.length} violations${lines.length ? `:\n${lines.join("\n")}` : ""}\n`,
    );
    return results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  };

  it("empty studio: says what to write, counts characters, explains a length the browser refuses; axe passes", async () => {
    const { page } = gallery;
    await page.goto(base);
    await page.locator(".openv-terms-accept").click();
    await page.locator('.openv-gallery[data-state="empty"]').waitFor();
    await shot(page, "states-empty");
    expect(await page.locator(".openv-gallery").textContent()).not.toContain("Loading your videos");

    // An empty prompt: the button is disabled and says why.
    expect(await page.locator(".openv-submit").isDisabled()).toBe(true);
    expect(await page.locator(".openv-submit-hint").textContent()).toBe("Write a prompt to generate a video.");
    expect(await axe(page, "light, empty studio")).toEqual([]);

    // A paste past the limit is kept and explained.
    await page.locator(".openv-prompt").fill("a".repeat(2001));
    expect((await page.locator(".openv-prompt").inputValue()).length).toBe(2001);
    expect(await page.locator(".openv-char-count").first().textContent()).toBe("2,001 / 2,000 characters: 1 too many");
    await shot(page, "error-prompt-too-long");

    // 100 s: the browser refuses it as over its max, and the form names the same bound.
    await page.locator(".openv-prompt").fill("a paper boat on a pond");
    await page.locator(".openv-length").fill("100");
    expect(
      await page.locator(".openv-length").evaluate((input: HTMLInputElement) => input.validity.rangeOverflow),
    ).toBe(true);
    expect(await page.locator(".openv-frames").textContent()).toBe(
      "The longest video is 5.4 s (163 frames). Enter 5.4 or less.",
    );
    expect(await page.locator(".openv-submit").isDisabled()).toBe(true);
    await shot(page, "error-length");
    await page.locator(".openv-length").fill("1");
  }, 120_000);

  it("a host app's instant render still shows progress: queued bar, then Just finished", async () => {
    const { page } = gallery;
    await page.locator(".openv-prompt").fill("a paper boat on a pond");
    await page.locator(".openv-submit").click();
    const card = page.locator(".openv-card").first();
    await card.locator(".openv-just-finished").waitFor({ timeout: 30_000 });
    expect(await card.getAttribute("data-status")).toBe("completed");
    expect(await page.locator(".openv-announcer").textContent()).toMatch(/“a paper boat on a pond” is ready\./);
    await shot(page, "progress-host-app");
    await card.locator("video").waitFor();
    await shot(page, "host-completed");
  }, 60_000);

  it("offline: a banner, a human error, and automatic recovery when the browser is back", async () => {
    const { page } = gallery;
    await page.locator('.openv-connection[data-state="live"], .openv-connection[data-state="polling"]').waitFor();
    await gallery.context.setOffline(true);
    await page.locator('.openv-connection[data-state="offline"]').waitFor();
    expect(await page.locator(".openv-connection").textContent()).toMatch(/^You're offline\./);
    await page.locator(".openv-prompt").fill("a lighthouse in a storm");
    await page.locator(".openv-submit").click();
    const error = page.locator('.openv-form-error[data-code="network_error"]');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/^You're offline\. Check your connection/);
    expect(await error.textContent()).not.toMatch(/Failed to fetch|<no response>/);
    await shot(page, "offline");

    await gallery.context.setOffline(false);
    await page.locator('.openv-connection[data-state="recovered"]').waitFor({ timeout: 30_000 });
    // The error went with its cause.
    await error.waitFor({ state: "detached", timeout: 10_000 });
    await shot(page, "back-online");
  }, 120_000);

  it("the server goes away: reconnecting, then recovered by itself when it is back", async () => {
    const { page } = gallery;
    await gallery.stopServer();
    await page.locator('.openv-connection[data-state="reconnecting"]').waitFor({ timeout: 60_000 });
    expect(await page.locator(".openv-connection").textContent()).toMatch(/Reconnecting…/);
    await shot(page, "reconnecting");
    await gallery.startServer();
    await page.locator('.openv-connection[data-state="recovered"]').waitFor({ timeout: 90_000 });
    await shot(page, "reconnected");
  }, 300_000);

  it("dark mode (the system's, and the override) and a phone's width; axe passes in both", async () => {
    const { page } = gallery;
    await page.emulateMedia({ colorScheme: "dark" });
    await page.locator('.openv-connection[data-state="live"], .openv-connection[data-state="polling"]').waitFor({
      timeout: 30_000,
    });
    const background = await page
      .locator(".openv-form")
      .evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(background).toBe("rgb(31, 32, 35)");
    await shot(page, "dark");
    expect(await axe(page, "dark")).toEqual([]);
    // The override: light even though the system is dark.
    await page.evaluate(() => {
      document.documentElement.dataset.openvTheme = "light";
    });
    expect(await page.locator(".openv-form").evaluate((element) => getComputedStyle(element).backgroundColor)).toBe(
      "rgb(255, 255, 255)",
    );
    await page.evaluate(() => {
      delete document.documentElement.dataset.openvTheme;
    });
    await page.emulateMedia({ colorScheme: "light" });

    // axe needs a page of a context (not browser.newPage()).
    const phoneContext = await gallery.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phone = await phoneContext.newPage();
    await phone.goto(base);
    await phone.locator(".openv-gallery .openv-card").first().waitFor({ timeout: 30_000 });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(phone, "mobile");
    expect(await axe(phone, "mobile")).toEqual([]);
    await phoneContext.close();
  }, 120_000);
});
