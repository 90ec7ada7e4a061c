import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Video } from "@openv/protocol";
import type { JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";
import { ClerkTestKit, clerkUserEvent } from "./support/clerk.js";

/**
 * Clerk through the real routes: the server verifies session tokens networklessly with a key pair
 * the test makes, and Svix-signed user webhooks with a secret the test makes.
 */
describe.each(backends)("Clerk in the server ($name)", ({ adminUrl }) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  let clerk: ClerkTestKit;
  let other: ClerkTestKit;

  beforeAll(async () => {
    clerk = await ClerkTestKit.create();
    other = await ClerkTestKit.create();
    provider = new ScriptedProvider();
    server = await startTestServer({ adminUrl, provider, clerk: clerk.options });
  });
  afterAll(() => server.close());

  const token = (claims: JWTPayload = {}, signWith?: ClerkTestKit) => (signWith ?? clerk).token(claims);
  const call = (pathname: string, init: RequestInit = {}) => fetch(`${server.origin}/api${pathname}`, init);
  const asUser = async (pathname: string, init: RequestInit = {}, claims: JWTPayload = {}) =>
    call(pathname, {
      ...init,
      headers: { authorization: `Bearer ${await token(claims)}`, "content-type": "application/json", ...init.headers },
    });

  it("accepts a session token signed by the instance's key, by header or __session cookie", async () => {
    const byHeader = await asUser("/terms/check");
    expect(byHeader.status).toBe(200);
    const byCookie = await call("/usage", { headers: { cookie: `theme=dark; __session=${await token()}` } });
    expect(byCookie.status).toBe(200);
    // The development header means nothing once Clerk is configured.
    const devHeader = await call("/usage", { headers: { "x-openv-user": "user_ada" } });
    expect(devHeader.status).toBe(401);
  });

  it("expired, wrong-key, wrong-azp and missing tokens are 401 with the contract's error", async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = {
      expired: await token({ exp: now - 120, iat: now - 600, nbf: now - 600 }),
      "wrong key": await token({}, other),
      "wrong azp": await token({ azp: "https://evil.example" }),
    };
    for (const [name, bad] of Object.entries(cases)) {
      const response = await call("/videos", { headers: { authorization: `Bearer ${bad}` } });
      expect(response.status, name).toBe(401);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code, name).toBe("unauthorized");
      expect(body.error.message, name).not.toContain(bad);
    }
    const missing = await call("/videos");
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/Bearer|__session/);
  });

  const signedWebhook = (body: string, options?: { id?: string; ageSeconds?: number }) =>
    clerk.signedWebhook(body, options);
  const userEvent = clerkUserEvent;
  const userRow = async (id: string) => {
    const store = server.openv.adapters.store as unknown as {
      client: { user: { findUnique(args: unknown): Promise<{ email: string | null; deletedAt: Date | null } | null> } };
    };
    return store.client.user.findUnique({ where: { id } });
  };

  it("user.created and user.updated upsert the user; a replayed delivery changes nothing", async () => {
    const created = signedWebhook(userEvent("user.created", "user_bob", "bob@example.com"), { id: "msg_created" });
    const first = await call("/webhooks/clerk", created);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, applied: true });
    expect(await userRow("user_bob")).toMatchObject({ email: "bob@example.com", deletedAt: null });

    await call("/webhooks/clerk", signedWebhook(userEvent("user.updated", "user_bob", "robert@example.com")));
    expect(await userRow("user_bob")).toMatchObject({ email: "robert@example.com" });

    // The first delivery again (same svix-id, freshly signed): applied before, so ignored now.
    const counts = await server.tableCounts();
    const replay = await call(
      "/webhooks/clerk",
      signedWebhook(userEvent("user.created", "user_bob", "bob@example.com"), { id: "msg_created" }),
    );
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ received: true, applied: false });
    expect(await userRow("user_bob")).toMatchObject({ email: "robert@example.com" });
    expect(await server.tableCounts()).toEqual(counts);
  });

  it("a bad signature or an old timestamp is 401 and changes nothing", async () => {
    const counts = await server.tableCounts();
    const body = userEvent("user.created", "user_mallory", "m@example.com");
    const tampered = signedWebhook(body);
    tampered.body = body.replace("m@example.com", "x@example.com");
    const old = signedWebhook(body, { ageSeconds: 10 * 60 });
    const unsigned = { method: "POST", body, headers: { "content-type": "application/json" } };
    for (const [name, request] of Object.entries({ tampered, old, unsigned })) {
      const response = await call("/webhooks/clerk", request);
      expect(response.status, name).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code, name).toBe("unauthorized");
    }
    expect(await userRow("user_mallory")).toBeNull();
    expect(await server.tableCounts()).toEqual(counts);
  });

  it("user.deleted deletes the user's videos and their files, and cancels running jobs", async () => {
    const user = "user_carol";
    expect((await asUser("/terms/accept", { method: "POST", body: '{"version":"1.0.0"}' }, { sub: user })).status).toBe(
      200,
    );
    const make = async () =>
      (
        (await (
          await asUser("/videos", { method: "POST", body: JSON.stringify(generateBody) }, { sub: user })
        ).json()) as {
          video: Video;
        }
      ).video;
    const done = await make();
    const running = await make();

    // The first one completes with a file in the server's storage.
    const source = path.join(os.tmpdir(), `openv-clerk-${randomBytes(4).toString("hex")}.mp4`);
    await writeFile(source, "not really an mp4");
    const stored = await server.openv.adapters.storage.putFile(`${done.id}-0.mp4`, source, "video/mp4");
    const index = provider.submissions.findIndex((submission) => submission.videoId === done.id);
    await provider.send(
      {
        status: "COMPLETED",
        output: { url: stored.url, key: stored.key, frames: 7, fps: 30, width: 256, height: 256, seconds: 0.233 },
      },
      index,
    );
    expect((await fetch(stored.url)).status).toBe(200);

    const deleted = await call("/webhooks/clerk", signedWebhook(userEvent("user.deleted", user)));
    expect(await deleted.json()).toEqual({ received: true, applied: true });
    // The deleted account's session is refused from now on.
    expect((await asUser("/videos", {}, { sub: user })).status).toBe(401);
    const live = await server.openv.adapters.store.liveVideoIds(user);
    expect(live).toEqual([]);
    expect((await fetch(stored.url)).status).toBe(404);
    expect(provider.cancelled).toContain(running.jobId);
    expect(await userRow(user)).toMatchObject({ deletedAt: expect.any(Date) });
    // The unfinished video's seconds were refunded; the finished one's stay used.
    const { periodStart, periodEnd } = { periodStart: new Date(0), periodEnd: new Date(Date.now() + 60_000) };
    const used = await server.openv.adapters.store.transaction((tx) => tx.usedSeconds(user, periodStart, periodEnd));
    expect(used).toBeCloseTo(7 / 30, 3);
  });
});
