import type { UploadResponse, Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenVHandler } from "../../src/fetch.js";
import { accepted, bindings, generateBody, startTestServer, type TestServer } from "../helpers.js";
import { capturedLogger, eventually, makePng, rawRequest, Trap } from "./support.js";

/** A valid 64×64 upload. */
const png = makePng(64, 64);

/**
 * Row 1: the fetch handler without `publicUrl` took the first request's Host header as the origin
 * of every webhook URL (token included) and file URL, for every later user.
 */
describe("attack: a Host header chooses where webhooks and file URLs point", () => {
  let trap: Trap;
  beforeAll(async () => {
    trap = await new Trap().listen();
  });
  afterAll(() => trap.close());

  it("the fetch handler without publicUrl refuses to start, naming the option, and calls nobody", async () => {
    const { logger } = capturedLogger("silent");
    const handler = createOpenVHandler({ dataDir: null, logger, generateRateLimit: false, reconciler: false });
    await expect(handler.ready()).rejects.toThrow(/publicUrl/);
    const answer = await handler(
      new Request(`${trap.origin}/api/videos`, {
        method: "POST",
        headers: { host: `127.0.0.1:${trap.port}`, "content-type": "application/json", "x-openv-user": "mallory" },
        body: JSON.stringify(generateBody),
      }),
    );
    expect(answer.status).toBeGreaterThanOrEqual(500);
    const body = (await answer.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toMatch(/publicUrl/);
    await handler.close().catch(() => {});
    expect(trap.hits).toEqual([]);
  });

  describe.each(bindings)("%s binding with publicUrl", (binding) => {
    let server: TestServer;
    beforeAll(async () => {
      // The local preview provider posts its callbacks (with their tokens) to the webhook URL.
      server = await startTestServer({ binding, config: { maxActiveJobs: 10 } });
    });
    afterAll(() => server.close());

    it("a request naming another Host / X-Forwarded-Host moves no webhook and no file URL", async () => {
      const forged = {
        host: `127.0.0.1:${trap.port}`,
        "x-forwarded-host": `127.0.0.1:${trap.port}`,
        "x-forwarded-proto": "http",
      };
      // The attacker's request is the server's first.
      const terms = await rawRequest(server.origin, "/api/terms/accept", {
        method: "POST",
        headers: { ...forged, "x-openv-user": "mallory", "content-type": "application/json" },
        body: JSON.stringify({ version: "1.0.0" }),
      });
      expect(terms.status).toBeLessThan(300);
      await accepted(server, "alice");
      const created = await rawRequest(server.origin, "/api/videos", {
        method: "POST",
        headers: { ...forged, "x-openv-user": "mallory", "content-type": "application/json" },
        body: JSON.stringify(generateBody),
      });
      expect(created.status).toBe(202);
      const { video } = JSON.parse(created.text) as { video: Video };
      const uploaded = await rawRequest(server.origin, "/api/uploads", {
        method: "POST",
        headers: { ...forged, "x-openv-user": "mallory", "content-type": "image/png" },
        body: png,
      });
      expect(uploaded.status).toBe(201);
      const { upload } = JSON.parse(uploaded.text) as UploadResponse;
      expect(new URL(upload.url).origin).toBe(server.origin);

      // A later user's video completes through the real webhook route, and its URL is ours.
      const done = await eventually(async () => {
        const read = (await (await server.api(`/videos/${video.id}`, { user: "mallory" })).json()) as { video: Video };
        return read.video.status === "completed" ? read.video : undefined;
      });
      expect(new URL(done.url as string).origin).toBe(server.origin);
      const later = (await (
        await server.api("/videos", { method: "POST", user: "alice", json: generateBody })
      ).json()) as {
        video: Video;
      };
      await eventually(async () => {
        const read = (await (await server.api(`/videos/${later.video.id}`, { user: "alice" })).json()) as {
          video: Video;
        };
        return read.video.status === "completed" ? read.video : undefined;
      });
      expect(trap.hits).toEqual([]);
    });
  });
});
