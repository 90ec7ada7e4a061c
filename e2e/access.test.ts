import { describe, expect, it } from "vitest";
import { hasChromium, useGallery } from "./support.js";

/**
 * Invite-only access (access21) in headless Chromium against `pnpm start` with OPENV_ACCESS=invite:
 * a new visitor sees the voucher field instead of the form, a refused code says why, the code an
 * admin issued admits them, and the form appears. Screenshots into test-artifacts/e2e/.
 */
describe.skipIf(!hasChromium)("invite-only access in a real browser", () => {
  const gallery = useGallery({
    name: "access",
    env: { OPENV_ACCESS: "invite", OPENV_ADMIN_USER_IDS: "admin-ada", OPENV_PREVIEW_STEP_MS: "0" },
  });

  it("the gate shows, a code admits, the form appears", async () => {
    const { page, base } = gallery;
    const issued = await fetch(`${base}/api/admin/vouchers`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-openv-user": "admin-ada" },
      body: JSON.stringify({ maxUses: 1 }),
    });
    expect(issued.status).toBe(201);
    const { code } = (await issued.json()) as { code: string };

    await page.goto(`${base}/?as=visitor`);
    const gate = page.locator(".openv-access");
    await gate.waitFor();
    expect(await page.locator(".openv-prompt").count()).toBe(0);

    await gate.getByLabel("Voucher code").fill("WRONG-CODE-1234");
    await gate.locator(".openv-access-redeem").click();
    expect(await gate.getByRole("alert").textContent()).toMatch(/No voucher has this code/);
    await gallery.shot("access-gate");

    await gate.getByLabel("Voucher code").fill(code.toLowerCase());
    await gate.locator(".openv-access-redeem").click();
    await gate.waitFor({ state: "detached" });
    // Admitted: the terms come next, then the form.
    await page.locator(".openv-terms-accept").click();
    await page.locator(".openv-prompt").waitFor();
    await gallery.shot("access-admitted");
  }, 120_000);
});
