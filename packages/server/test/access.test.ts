// Invite-only access (access21): shared/API.md, Additions v1.1 "Invite-only access".
import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { AccessStatus, ListVouchersResponse, Voucher } from "@openv/protocol";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, defaultMigrationsDir } from "../src/adapters/store/migrate.js";
import { voucherKey } from "../src/core/access.js";
import {
  accepted,
  backends,
  bindings,
  generateBody,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const admin = "root";
const day = 24 * 60 * 60 * 1000;

/** A clock the test moves forward (voucher expiry is judged by it). */
function advanceableClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance: (ms: number) => {
      offsetMs += ms;
    },
  };
}

const helpersFor = (server: () => TestServer) => ({
  issue: async (body: object = {}, as = admin) => {
    const answer = await server().api("/admin/vouchers", { method: "POST", user: as, json: body });
    return { status: answer.status, body: await answer.json() };
  },
  redeem: async (user: string, code: string) => {
    const answer = await server().api("/access/redeem", { method: "POST", user, json: { code } });
    return { status: answer.status, body: await answer.json() };
  },
  access: async (user: string) => (await (await server().api("/access", { user })).json()) as AccessStatus,
});

describe.each(bindings)("invite-only access (%s binding)", (binding) => {
  let server: TestServer;
  const clock = advanceableClock();
  const { issue, redeem, access } = helpersFor(() => server);
  beforeAll(async () => {
    server = await startTestServer({
      binding,
      provider: new ScriptedProvider(),
      access: "invite",
      clock: clock.now,
      config: { adminUserIds: [admin], maxActiveJobs: 100 },
    });
  });
  afterAll(() => server.close());

  it("refuses generate, the seed route and uploads with access_restricted until a voucher is redeemed", async () => {
    await accepted(server, "alice");
    const generate = await server.api("/videos", { method: "POST", user: "alice", json: generateBody });
    expect(generate.status).toBe(403);
    const { error } = await generate.json();
    expect(error).toMatchObject({ code: "access_restricted", details: { role: "restricted" } });
    expect(error.message).toMatch(/Ask an admin for a voucher code.*POST \/api\/access\/redeem with \{"code"/);
    const seed = await server.api("/runpod", {
      method: "POST",
      user: "alice",
      json: { prompt: "a fox", frames: 7, input: { positive_prompt: "a fox", num_frames: 7, width: 256, height: 256 } },
    });
    expect((await seed.json()).error.code).toBe("access_restricted");
    const upload = await server.api("/uploads", {
      method: "POST",
      user: "alice",
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
      headers: { "content-type": "image/png" },
    });
    expect(upload.status).toBe(403);
    expect((await upload.json()).error.code).toBe("access_restricted");
    expect(await access("alice")).toEqual({ role: "restricted", voucher: null });
    // Reading stays open.
    expect((await server.api("/videos", { user: "alice" })).status).toBe(200);
  });

  it("a voucher admits: issued by an admin, redeemed in any spelling, then generate works", async () => {
    const issued = await issue();
    expect(issued.status).toBe(201);
    const voucher = issued.body as Voucher;
    expect(voucher).toMatchObject({ maxUses: 1, uses: 0, active: true });
    expect(voucher.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(new Date(voucher.expiresAt).getTime() - clock.now().getTime()).toBeGreaterThan(29.9 * day);
    expect(new Date(voucher.expiresAt).getTime() - clock.now().getTime()).toBeLessThanOrEqual(30 * day);

    const typed = voucher.code.toLowerCase().replaceAll("-", " ");
    expect(await redeem("alice", typed)).toEqual({ status: 200, body: { role: "user" } });
    expect(await access("alice")).toMatchObject({ role: "user", voucher: { code: voucher.code } });
    // Again: nothing more is counted.
    expect(await redeem("alice", voucher.code)).toEqual({ status: 200, body: { role: "user" } });
    const listed = (await (await server.api("/admin/vouchers", { user: admin })).json()) as ListVouchersResponse;
    expect(listed.vouchers.find((v) => v.code === voucher.code)).toMatchObject({ uses: 1, maxUses: 1 });

    const generate = await server.api("/videos", { method: "POST", user: "alice", json: generateBody });
    expect(generate.status).toBe(202);

    // Used up for anyone else.
    expect(await redeem("bob", voucher.code)).toMatchObject({
      status: 400,
      body: { error: { code: "voucher_invalid", details: { reason: "used_up" } } },
    });
  });

  it("refuses unknown, deactivated and expired codes, each with its reason", async () => {
    expect(await redeem("carol", "NOPE-NOPE-NOPE")).toMatchObject({
      status: 400,
      body: { error: { code: "voucher_invalid", details: { reason: "unknown" } } },
    });

    const withdrawn = (await issue({ maxUses: 5 })).body as Voucher;
    const deactivate = await server.api(`/admin/vouchers/${withdrawn.code}`, { method: "DELETE", user: admin });
    expect(deactivate.status).toBe(204);
    const refused = await redeem("carol", withdrawn.code);
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: "voucher_invalid", details: { reason: "deactivated" } } },
    });
    expect(refused.body.error.message).toMatch(/Ask an admin/);
    expect((await server.api("/admin/vouchers/ZZZZ-ZZZZ", { method: "DELETE", user: admin })).status).toBe(404);

    const shortLived = (await issue({ code: "spring-party-2026", expiresInDays: 1, maxUses: 10 })).body as Voucher;
    expect(shortLived.code).toBe("SPRING-PARTY-2026");
    clock.advance(2 * day);
    const expired = await redeem("carol", "spring party 2026");
    expect(expired).toMatchObject({
      status: 400,
      body: { error: { code: "voucher_invalid", details: { reason: "expired" } } },
    });
    expect(expired.body.error.message).toMatch(/expired on/);
    expect(await access("carol")).toEqual({ role: "restricted", voucher: null });

    // A chosen code that reads the same as an existing one is refused.
    const taken = await issue({ code: "SPR1NG-PARTY-2O26" });
    expect(taken.status).toBe(400);
    expect(taken.body.error.code).toBe("validation_failed");
  });

  it("voucher routes are for admins only; admins are admitted without a voucher", async () => {
    expect((await issue({}, "mallory")).body.error.code).toBe("forbidden");
    expect((await server.api("/admin/vouchers", { user: "mallory" })).status).toBe(403);
    const del = await server.api("/admin/vouchers/ANYTHING", { method: "DELETE", user: "mallory" });
    expect(del.status).toBe(403);
    expect((await del.json()).error.code).toBe("forbidden");

    expect(await access(admin)).toEqual({ role: "admin", voucher: null });
    await accepted(server, admin);
    expect((await server.api("/videos", { method: "POST", user: admin, json: generateBody })).status).toBe(202);
    const spare = (await issue()).body as Voucher;
    expect(await redeem(admin, spare.code)).toEqual({ status: 200, body: { role: "admin" } });
    const listed = (await (await server.api("/admin/vouchers", { user: admin })).json()) as ListVouchersResponse;
    expect(listed.vouchers.find((v) => v.code === spare.code)?.uses).toBe(0);
  });
});

describe.each(backends)("voucher redemption under concurrency ($name)", ({ adminUrl }) => {
  let server: TestServer;
  const { issue, redeem } = helpersFor(() => server);
  beforeAll(async () => {
    server = await startTestServer({ adminUrl, access: "invite", config: { adminUserIds: [admin] } });
  });
  afterAll(() => server.close());

  it("10 users redeeming a one-use code at once: exactly one is admitted", async () => {
    const { code } = (await issue()).body as Voucher;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => redeem(`racer-${i}`, code)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    const refused = answers.filter((answer) => answer.status === 400);
    expect(refused).toHaveLength(9);
    for (const answer of refused) expect(answer.body.error.details.reason).toBe("used_up");
    const listed = (await (await server.api("/admin/vouchers", { user: admin })).json()) as ListVouchersResponse;
    expect(listed.vouchers.find((v) => v.code === code)?.uses).toBe(1);
  });

  it("one user redeeming a code 5 times at once counts one use", async () => {
    const { code } = (await issue({ maxUses: 3 })).body as Voucher;
    const answers = await Promise.all(Array.from({ length: 5 }, () => redeem("eager", code)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    const listed = (await (await server.api("/admin/vouchers", { user: admin })).json()) as ListVouchersResponse;
    expect(listed.vouchers.find((v) => v.code === code)?.uses).toBe(1);
  });
});

describe("open access (the default)", () => {
  let server: TestServer;
  const { access } = helpersFor(() => server);
  beforeAll(async () => {
    server = await startTestServer({ provider: new ScriptedProvider() });
  });
  afterAll(() => server.close());

  it("admits everyone as a user: no voucher, no access_restricted", async () => {
    expect(await access("dana")).toEqual({ role: "user", voucher: null });
    await accepted(server, "dana");
    expect((await server.api("/videos", { method: "POST", user: "dana", json: generateBody })).status).toBe(202);
  });
});

describe("voucherKey", () => {
  it("compares codes without case, spaces, hyphens or the look-alikes O/0 and I/L/1", () => {
    expect(voucherKey("abcd-efgh-ijkl-mnop")).toBe(voucherKey("ABCD EFGH 1JK1 MN0P"));
    expect(voucherKey("Spring-Party-2026")).toBe("SPR1NGPARTY2026");
  });
});

describe("the access migration", () => {
  it("keeps users who existed before it admitted (role user); rows created after it start restricted", async () => {
    const before = await mkdtemp(path.join(os.tmpdir(), "openv-migrations-"));
    const db = await PGlite.create();
    try {
      await cp(defaultMigrationsDir(), before, {
        recursive: true,
        filter: (source) => !source.includes("20261207100300_access"),
      });
      await applyMigrations(new PrismaPGlite(db), before);
      await db.query(`INSERT INTO "User" ("id") VALUES ('early-bird')`);
      await applyMigrations(new PrismaPGlite(db), defaultMigrationsDir());
      await db.query(`INSERT INTO "User" ("id") VALUES ('newcomer')`);
      const { rows } = await db.query<{ id: string; role: string }>(`SELECT "id", "role" FROM "User" ORDER BY "id"`);
      expect(rows).toEqual([
        { id: "early-bird", role: "user" },
        { id: "newcomer", role: "restricted" },
      ]);
      // A stored role is never admin (admins are configuration), and a voucher never passes its uses.
      await expect(db.query(`UPDATE "User" SET "role" = 'admin'`)).rejects.toThrow(/User_role_known/);
    } finally {
      await db.close();
      await rm(before, { recursive: true, force: true });
    }
  });
});
