import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accepted,
  bindingsOnBackends,
  generateBody,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";
import { completedVideo } from "./support/completed-video.js";

// Remix (issue 21): POST /videos/:id/remix, on both bindings.
describe.each(bindingsOnBackends)("remix on the $binding binding ($name)", ({ binding, adminUrl }) => {
  let server: TestServer;
  const provider = new ScriptedProvider();
  const source = { ...generateBody, negativePrompt: "blurry", seed: 42, steps: 10, cfg: 3 };

  beforeAll(async () => {
    server = await startTestServer({ binding, adminUrl, provider, config: { maxActiveJobs: 50 } });
    await accepted(server);
    await accepted(server, "bob");
  });
  afterAll(() => server.close());

  const remix = (id: string, json: unknown, init: { user?: string; headers?: Record<string, string> } = {}) =>
    server.api(`/videos/${id}/remix`, { method: "POST", json, ...init });

  it("carries the source's settings, applies the changes, and names the source", async () => {
    const original = await completedVideo(server, provider, source);
    expect(original.remixOf).toBeNull();
    const response = await remix(original.id, { prompt: "the same fox, at night", cfg: 5 });
    expect(response.status).toBe(202);
    const { video } = (await response.json()) as { video: Video };
    expect(video).toMatchObject({
      remixOf: original.id,
      status: "queued",
      prompt: "the same fox, at night",
      negativePrompt: "blurry",
      frames: 7,
      width: 256,
      height: 256,
      seed: 42,
      steps: 10,
      cfg: 5,
      model: original.model,
    });
    expect(video.id).not.toBe(original.id);
    // What the provider was asked to render.
    expect(provider.submissions.at(-1)?.input).toMatchObject({ seed: 42, steps: 10, cfg: 5, num_frames: 7 });
    // `{}` (or no body) renders the same settings again.
    const again = (await (await server.api(`/videos/${original.id}/remix`, { method: "POST" })).json()) as {
      video: Video;
    };
    expect(again.video).toMatchObject({ remixOf: original.id, prompt: source.prompt, cfg: 3, seed: 42 });
  });

  it("is charged once and idempotent, like generate", async () => {
    const original = await completedVideo(server, provider, source);
    const before = (await (await server.api("/usage")).json()) as { usedSeconds: number };
    const key = { "idempotency-key": `remix-${binding}` };
    const first = await remix(original.id, { seed: 7 }, { headers: key });
    const second = await remix(original.id, { seed: 7 }, { headers: key });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const [a, b] = [(await first.json()) as { video: Video }, (await second.json()) as { video: Video }];
    expect(b.video.id).toBe(a.video.id);
    const after = (await (await server.api("/usage")).json()) as { usedSeconds: number };
    expect(after.usedSeconds - before.usedSeconds).toBeCloseTo(7 / 30, 2);
    // The same key with another change is a different request.
    expect((await remix(original.id, { seed: 8 }, { headers: key })).status).toBe(422);
  });

  it("refuses a source that is not completed (409), deleted or someone else's (404)", async () => {
    const queued = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    const notDone = await remix(queued.video.id, {});
    expect(notDone.status).toBe(409);
    expect((await notDone.json()).error).toMatchObject({
      code: "video_not_completed",
      details: { status: "queued" },
    });

    const original = await completedVideo(server, provider, source);
    const stranger = await remix(original.id, {}, { user: "bob" });
    expect(stranger.status).toBe(404);
    expect((await stranger.json()).error.code).toBe("not_found");

    expect((await server.api(`/videos/${original.id}`, { method: "DELETE" })).status).toBe(204);
    const gone = await remix(original.id, {});
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.code).toBe("not_found");
  });

  it("checks the changes like a generate body", async () => {
    const original = await completedVideo(server, provider, source);
    const response = await remix(original.id, { frames: 8, image: "upl_x" });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe("validation_failed");
  });
});
