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

/** Item 11: storage never keeps what the records do not point at. */
describe("the reconciler sweeps files no record points at", () => {
  let server: TestServer;
  let provider: ScriptedProvider;
  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({ provider, config: { maxActiveJobs: 10 } });
    await accepted(server);
  });
  afterAll(() => server.close());

  it("deletes orphaned outputs and uploads, keeps every file a record points at, and files of other names", async () => {
    const storage = server.openv.adapters.storage;
    const put = (key: string) => storage.putBytes(key, new Uint8Array([1, 2, 3]), "video/mp4");
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    const kept = [
      await put(`${video.id}-0.mp4`), // the running attempt may be writing it
      await put("notes.txt"), // not a name this server gives: never touched
    ];
    const orphans = [
      await put("vid_AAAAAAAAAAAAAAAA-0.mp4"), // a video that does not exist
      await put(`${video.id}-0-abc123.mp4`.replace("-0-", "-7-")), // an attempt the video never had
      await put("upl_gone.png"), // an upload whose record is gone
    ];
    const deleted = await server.openv.reconciler.sweepFiles(new Date(Date.now() + 1000));
    expect(deleted.sort()).toEqual(orphans.map((file) => file.key).sort());
    for (const file of orphans) expect((await fetch(file.url)).status).toBe(404);
    for (const file of kept) expect((await fetch(file.url)).status).toBe(200);
    // Nothing younger than the age limit is taken.
    const fresh = await put("vid_BBBBBBBBBBBBBBBB-0.mp4");
    expect(await server.openv.reconciler.sweepFiles(new Date(Date.now() - 60_000))).toEqual([]);
    expect((await fetch(fresh.url)).status).toBe(200);
  });
});
