import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accepted, bindings, generateBody, ScriptedProvider, startTestServer, type TestServer } from "../helpers.js";

/**
 * Row 10: after a retry and a delete, the first attempt's MP4 still answered 200. Each attempt now
 * writes to a key the server chose for it, and every attempt's file goes when it is superseded or
 * the video is deleted.
 */
describe.each(bindings)("attack: an earlier attempt's MP4 outlives its video (%s binding)", (binding) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({ binding, provider, config: { maxRetries: 2, maxActiveJobs: 10 } });
    await accepted(server);
  });
  afterAll(() => server.close());

  /** What a worker does: store its MP4 under the key its submission names. */
  const workerStores = async (index: number) => {
    const submission = provider.submissions[index];
    const key = (submission as { outputKey?: string } | undefined)?.outputKey;
    expect(key, "each submission names the key its output must be stored under").toMatch(/\S/);
    return server.openv.adapters.storage.putBytes(key as string, new Uint8Array([0, 0, 0, 24]), "video/mp4");
  };

  it("each attempt has its own key; a superseded attempt's file and the final one go with the video", async () => {
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    const first = provider.submissions.length - 1;
    const firstFile = await workerStores(first);
    // The worker stored its file, then the job failed (say, a crash after the upload): retried.
    await provider.send({ status: "FAILED", error: "model_error: CUDA error" }, first);
    const second = provider.submissions.length - 1;
    expect(second).toBe(first + 1);
    const secondFile = await workerStores(second);
    expect(secondFile.key).not.toBe(firstFile.key);
    expect((await fetch(firstFile.url)).status, "the superseded attempt's file is deleted").toBe(404);

    const output = {
      url: secondFile.url,
      key: secondFile.key,
      frames: 7,
      fps: 30,
      width: 256,
      height: 256,
      seconds: 0.233,
    };
    await provider.send({ status: "COMPLETED", output }, second);
    const done = ((await (await server.api(`/videos/${video.id}`)).json()) as { video: Video }).video;
    expect(done.status).toBe("completed");
    expect((await fetch(secondFile.url)).status).toBe(200);

    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(firstFile.url)).status).toBe(404);
    expect((await fetch(secondFile.url)).status).toBe(404);
  });

  it("a late completion of a deleted video deletes only that attempt's own file", async () => {
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    const index = provider.submissions.length - 1;
    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    // The worker finished after the delete: its file has no owner and must not stay.
    const file = await workerStores(index);
    const output = { url: file.url, key: file.key, frames: 7, fps: 30, width: 256, height: 256, seconds: 0.233 };
    expect((await provider.send({ status: "COMPLETED", output }, index)).status).toBe(200);
    expect((await fetch(file.url)).status).toBe(404);
  });
});
