// Invite-only access through the SDK against the real server (in-process, random port): the
// role, a restricted generate, redeeming, and the admin voucher calls of @openv/sdk/admin.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVoucher, deactivateVoucher, listVouchers } from "../src/admin.js";
import {
  createClient,
  ForbiddenError,
  getAccess,
  NotFoundError,
  type OpenVClient,
  redeemAccess,
  ValidationError,
} from "../src/index.js";
import { type RealServer, ScriptedProvider, startRealServer } from "./support/real-server.js";

const admin = "admin-ada";
let server: RealServer;
const clientFor = (user: string): OpenVClient =>
  createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": user }, retryDelayMs: 20 });

beforeAll(async () => {
  server = await startRealServer({
    provider: new ScriptedProvider(),
    config: { access: "invite", adminUserIds: [admin] },
  });
});
afterAll(() => server.close());

describe("invite-only access through the SDK", () => {
  it("a restricted user is refused with ForbiddenError access_restricted, redeems a code and may generate", async () => {
    const user = clientFor("rita");
    expect(await getAccess(user)).toEqual({ role: "restricted", voucher: null });
    await user.terms.accept("1.0.0");
    const refused = await user.videos.create({ prompt: "a fox" }).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect(refused).toMatchObject({ status: 403, code: "access_restricted" });
    expect((refused as Error).message).toMatch(/access\/redeem/);

    const voucher = await createVoucher(clientFor(admin), { maxUses: 1 });
    expect(voucher).toMatchObject({ maxUses: 1, uses: 0, active: true });
    expect(await redeemAccess(user, voucher.code.toLowerCase())).toEqual({ role: "user" });
    expect((await getAccess(user)).voucher?.code).toBe(voucher.code);
    expect((await user.videos.create({ prompt: "a fox", frames: 7, width: 256, height: 256 })).video.status).toBe(
      "queued",
    );

    const usedUp = await redeemAccess(clientFor("sam"), voucher.code).catch((caught: unknown) => caught);
    expect(usedUp).toBeInstanceOf(ValidationError);
    expect(usedUp).toMatchObject({ code: "voucher_invalid", details: { reason: "used_up" } });
  });

  it("admin calls: list and deactivate; non-admins get ForbiddenError", async () => {
    const adminClient = clientFor(admin);
    const { code } = await createVoucher(adminClient, { code: "welcome-friends", maxUses: 5 });
    await deactivateVoucher(adminClient, code);
    expect((await listVouchers(adminClient)).find((voucher) => voucher.code === code)).toMatchObject({
      active: false,
      uses: 0,
    });
    expect(await deactivateVoucher(adminClient, "NEVER-ISSUED").catch((caught: unknown) => caught)).toBeInstanceOf(
      NotFoundError,
    );
    expect(await listVouchers(clientFor("sam")).catch((caught: unknown) => caught)).toBeInstanceOf(ForbiddenError);
    const refused = await redeemAccess(clientFor("sam"), "welcome friends").catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ code: "voucher_invalid", details: { reason: "deactivated" } });
  });
});
