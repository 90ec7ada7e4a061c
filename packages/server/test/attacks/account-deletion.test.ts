import type { UploadResponse, Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, generateBody, ScriptedProvider, startTestServer, type TestServer } from "../helpers.js";
import { ClerkTestKit, clerkUserEvent } from "../support/clerk.js";
import { makePng } from "./support.js";

/**
 * Row 7: after a signed Clerk `user.deleted`, the user's upload URL still served, and their
 * session token (valid for up to a minute more) still generated.
 */
describe.each(backends)(
  "attack: a deleted account keeps acting and its uploads stay public ($name)",
  ({ adminUrl }) => {
    let server: TestServer;
    let clerk: ClerkTestKit;
    const user = "user_gone";

    beforeAll(async () => {
      clerk = await ClerkTestKit.create();
      server = await startTestServer({ adminUrl, provider: new ScriptedProvider(), clerk: clerk.options });
    });
    afterAll(() => server.close());

    const asUser = async (pathname: string, init: RequestInit = {}) =>
      fetch(`${server.origin}/api${pathname}`, {
        ...init,
        headers: { authorization: `Bearer ${await clerk.token({ sub: user })}`, ...init.headers },
      });
    const json = { "content-type": "application/json" };

    it("uploads and their files go with the account, and its session is refused on every route", async () => {
      expect(
        (await asUser("/terms/accept", { method: "POST", headers: json, body: '{"version":"1.0.0"}' })).status,
      ).toBe(200);
      const uploaded = await asUser("/uploads", {
        method: "POST",
        headers: { "content-type": "image/png" },
        body: makePng(64, 64),
      });
      expect(uploaded.status).toBe(201);
      const { upload } = (await uploaded.json()) as UploadResponse;
      expect((await fetch(upload.url)).status).toBe(200);
      const made = await asUser("/videos", { method: "POST", headers: json, body: JSON.stringify(generateBody) });
      const { video } = (await made.json()) as { video: Video };

      const deleted = await fetch(
        `${server.origin}/api/webhooks/clerk`,
        clerk.signedWebhook(clerkUserEvent("user.deleted", user)),
      );
      expect(await deleted.json()).toEqual({ received: true, applied: true });

      expect((await fetch(upload.url)).status).toBe(404);
      const routes: [string, RequestInit][] = [
        ["/videos", { method: "POST", headers: json, body: JSON.stringify(generateBody) }],
        ["/videos", {}],
        [`/videos/${video.id}`, {}],
        ["/usage", {}],
        ["/terms/check", {}],
        ["/uploads", { method: "POST", headers: { "content-type": "image/png" }, body: makePng(64, 64) }],
        ["/videos/events?since=0", {}],
      ];
      for (const [pathname, init] of routes) {
        const answer = await asUser(pathname, init);
        expect([401, 403], `${init.method ?? "GET"} ${pathname}`).toContain(answer.status);
        await answer.body?.cancel();
      }
      const counts = await server.tableCounts();
      expect(counts.Upload).toBe(0);

      // Re-created (a new user.created for the id), the account works again.
      await fetch(`${server.origin}/api/webhooks/clerk`, clerk.signedWebhook(clerkUserEvent("user.created", user)));
      expect((await asUser("/usage")).status).toBe(200);
    });
  },
);
