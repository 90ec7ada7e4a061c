import type { Video } from "@openv/protocol";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";

describe("examples/fastify-host: OpenV mounted beside the host's own routes", () => {
  let app: FastifyInstance;
  let origin: string;
  beforeAll(async () => {
    app = await buildApp({ dataDir: null, logger: false });
    await app.listen({ port: 0, host: "127.0.0.1" });
    origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  const call = (pathname: string, init: RequestInit = {}) =>
    fetch(`${origin}${pathname}`, {
      ...init,
      headers: { "content-type": "application/json", "x-openv-user": "shopper", ...init.headers },
    });

  it("the host's routes and its 404s are untouched", async () => {
    expect(await (await call("/products/7")).json()).toEqual({ id: "7", name: "Kite" });
    const missing = await call("/nowhere");
    expect(missing.status).toBe(404);
    // Fastify's own 404 body, not OpenV's error format: OpenV's handlers stay inside its prefix.
    expect(await missing.json()).toMatchObject({ statusCode: 404, error: "Not Found" });
  });

  it("OpenV serves its contract under /video-api, down to a playable video", async () => {
    expect(await (await call("/video-api/health")).json()).toEqual({ status: "ok" });
    const unknown = await call("/video-api/videos/nope");
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });

    await call("/video-api/terms/accept", { method: "POST", body: '{"version":"1.0.0"}' });
    const created = await call("/video-api/videos", {
      method: "POST",
      body: JSON.stringify({ prompt: "a kite over the sea", frames: 7, width: 256, height: 256 }),
    });
    expect(created.status).toBe(202);
    let video = ((await created.json()) as { video: Video }).video;
    const deadline = Date.now() + 30_000;
    while (video.status !== "completed" && video.status !== "failed" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      video = ((await (await call(`/video-api/videos/${video.id}`)).json()) as { video: Video }).video;
    }
    expect(video.status).toBe("completed");
    // The file is served under the host's prefix too.
    expect(video.url?.startsWith(`${origin}/video-api/files/`)).toBe(true);
    expect((await fetch(video.url as string)).headers.get("content-type")).toBe("video/mp4");
  });
});
