import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GenerateResponseSchema, type Video } from "@openv/protocol";
import { imageSize } from "image-size";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createFfmpegPreviewExtractor, previewSettingsFor } from "../src/adapters/media/ffmpeg-previews.js";
import { createS3Storage } from "../src/adapters/storage/s3.js";
import type { PreviewExtractor } from "../src/core/ports.js";
import {
  accepted,
  bindingsOnBackends,
  completedOutput,
  generateBody,
  readEvents,
  ScriptedProvider,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "./helpers.js";
import { S3StandIn } from "./support/s3-stand-in.js";
import { tinyMp4 } from "./support/tiny-mp4.js";

// posters21: posters and scrub sprites, derived from each completed video by the local preview
// provider's real MP4 (ffmpeg), on local files and on private S3 storage (a stand-in behind msw).

const credentials = { accessKeyId: "AKIAOPENVTEST0000001", secretAccessKey: "openv/test+secret/key/0123456789abcdef" };
const bucket = "openv-previews";
const endpoint = "https://s3.previews.example";
const region = "eu-west-1";
const s3 = new S3StandIn({ bucket, region, ...credentials, style: "path", origin: endpoint });

// Kept before msw patches fetch: msw holds back the chunks of a streamed answer it passes through.
const unpatchedFetch = globalThis.fetch;
const network = setupServer();
beforeAll(() =>
  network.listen({
    onUnhandledRequest: (request, print) => {
      if (new URL(request.url).hostname !== "127.0.0.1") print.error();
    },
  }),
);
afterAll(() => network.close());
beforeEach(() => {
  s3.objects.clear();
  s3.requests.length = 0;
  network.use(...s3.handlers());
});
afterEach(() => network.resetHandlers());

/** 31 frames of 512×256: a 10 × 4 sheet of 160×80 frames, one every 1/30 s. */
const body = { prompt: "a lighthouse at dusk, waves rolling in", frames: 31, width: 512, height: 256 };

const read = async (server: TestServer, id: string) =>
  ((await (await server.api(`/videos/${id}`)).json()) as { video: Video }).video;

/**
 * Requests a video from the local preview provider and waits for it to complete and for its
 * previews to settle: `settled` says when (default: it has a poster). The webhook that completed
 * it queues the derivation just after the completion commits, so a read may see it completed first.
 */
async function completedVideo(
  server: TestServer,
  settled: (video: Video) => boolean = (video) => video.posterUrl !== null,
): Promise<Video> {
  await accepted(server);
  const response = await server.api("/videos", { method: "POST", json: body });
  expect(response.status).toBe(202);
  const { video } = GenerateResponseSchema.parse(await response.json());
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await server.openv.lifecycle.previewsIdle();
    const current = await read(server, video.id);
    if (current.status === "completed" && settled(current)) return current;
    expect(current.status).not.toBe("failed");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the preview video did not complete");
}

/** Downloads an image and reads its real format and size from its bytes. */
async function downloadImage(url: string) {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { contentType: response.headers.get("content-type"), ...imageSize(bytes), head: [...bytes.subarray(0, 3)] };
}

/** An extractor that fails while `failing` is set, else runs ffmpeg; counts its calls. */
function switchableExtractor(): PreviewExtractor & { calls: number; failing: boolean } {
  const ffmpeg = createFfmpegPreviewExtractor();
  return {
    name: "switchable",
    calls: 0,
    failing: false,
    async extract(source) {
      this.calls++;
      if (this.failing) throw new Error("ffmpeg exited with 1: simulated decode error");
      return ffmpeg.extract(source);
    },
  };
}

describe.each(bindingsOnBackends)("posters and sprites ($binding binding, $name)", ({ binding, adminUrl }) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const start = (options: TestServerOptions = {}) => startTestServer({ binding, adminUrl, previews: true, ...options });

  it("a completed video gets a JPEG poster and a sprite sheet beside it, both decodable at the stated sizes; deleting the video deletes them", async () => {
    server = await start();
    const video = await completedVideo(server);

    expect(video.posterUrl).toMatch(new RegExp(`/api/files/${video.id}-0-poster\\.jpg$`));
    expect(video.sprite).toEqual({
      url: expect.stringMatching(new RegExp(`/api/files/${video.id}-0-sprite\\.jpg$`)),
      columns: 10,
      rows: 4,
      frameWidth: 160,
      frameHeight: 80,
      interval: 1 / 30,
    });
    const poster = await downloadImage(video.posterUrl ?? "");
    expect(poster).toMatchObject({ contentType: "image/jpeg", type: "jpg", width: 512, height: 256 });
    expect(poster.head).toEqual([0xff, 0xd8, 0xff]);
    const sprite = await downloadImage(video.sprite?.url ?? "");
    expect(sprite).toMatchObject({ contentType: "image/jpeg", type: "jpg", width: 10 * 160, height: 4 * 80 });

    // The list and the change feed carry them too (the previews were a change of their own).
    const list = (await (await server.api("/videos")).json()) as { videos: Video[] };
    expect(list.videos[0]?.posterUrl).toBe(video.posterUrl);
    const stream = await unpatchedFetch(`${server.origin}/api/videos/events?since=0`, {
      headers: { "x-openv-user": "alice" },
    });
    const replay = await readEvents(stream, (events) =>
      events.some((event) => (event.data as Video | null)?.posterUrl),
    );
    const changes = replay.filter((event) => event.event === "video").map((event) => event.data as Video);
    expect(changes.at(-1)).toMatchObject({ id: video.id, posterUrl: video.posterUrl, sprite: video.sprite });

    // The orphan sweep takes previews no live video records, and keeps this video's.
    const storage = server.openv.adapters.storage;
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    const orphans = [
      await storage.putBytes("vid_AAAAAAAAAAAAAAAA-0-poster.jpg", jpeg, "image/jpeg"),
      await storage.putBytes(`${video.id}-3-sprite.jpg`, jpeg, "image/jpeg"),
    ];
    const swept = await server.openv.reconciler.sweepFiles(new Date(Date.now() + 1000));
    expect(swept.filter((key) => key.includes("-poster.") || key.includes("-sprite.")).sort()).toEqual(
      orphans.map((file) => file.key).sort(),
    );
    expect((await fetch(video.posterUrl ?? "")).status).toBe(200);
    expect((await fetch(video.sprite?.url ?? "")).status).toBe(200);

    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(video.posterUrl ?? "")).status).toBe(404);
    expect((await fetch(video.sprite?.url ?? "")).status).toBe(404);
  });

  it("on private S3 storage the poster and sprite are objects beside the video, handed out signed on every read, and deleted with it", async () => {
    const storage = createS3Storage({ bucket, region, endpoint, forcePathStyle: true, credentials, prefix: "v/" });
    server = await start({ storage });
    const video = await completedVideo(server);

    expect([...s3.objects.keys()].sort()).toEqual(
      [`v/${video.id}-0.mp4`, `v/${video.id}-0-poster.jpg`, `v/${video.id}-0-sprite.jpg`].sort(),
    );
    expect(s3.objects.get(`v/${video.id}-0-poster.jpg`)?.contentType).toBe("image/jpeg");
    for (const url of [video.posterUrl, video.sprite?.url]) {
      expect(url).toMatch(/[?&]X-Amz-Signature=[0-9a-f]{64}(&|$)/);
      expect(await downloadImage(url ?? "")).toMatchObject({ type: "jpg" });
    }
    // The database keeps the plain URLs.
    const stored = await server.openv.adapters.store.getVideo("alice", video.id);
    expect(stored?.posterUrl).toBe(`${endpoint}/${bucket}/v/${video.id}-0-poster.jpg`);

    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    expect([...s3.objects.keys()]).toEqual([]);
  });

  it("a failed extraction still completes the video (fields null, a log line); the reconciler retries it and backfills videos without previews, a bounded batch per pass, up to maxAttempts", async () => {
    const extractor = switchableExtractor();
    const logs: { msg: string; [field: string]: unknown }[] = [];
    server = await start({
      previews: { extractor, retryAfterMs: 0, maxAttempts: 2 },
      // The test drives the reconciler by hand (runOnce), so it owns the loop: a background pass
      // (every 5 s by default) retried the first video early on a busy machine (soak run, calls 3 ≠ 2).
      reconciler: { previewBatchSize: 1, intervalMs: 3_600_000 },
      onLog: (line) => logs.push(line),
    });
    extractor.failing = true;
    /** Settled once the derivation of the video failed and was logged. */
    const failedOnce = (video: Video) =>
      logs.some((line) => line.msg.startsWith("could not derive") && line.videoId === video.id);
    const first = await completedVideo(server, failedOnce);
    expect(first).toMatchObject({ status: "completed", posterUrl: null, sprite: null });
    expect(extractor.calls).toBe(1);
    const warning = logs.find((line) => line.msg.startsWith("could not derive the video's poster"));
    expect(warning).toMatchObject({ videoId: first.id, problem: "ffmpeg exited with 1: simulated decode error" });
    expect(JSON.stringify(warning)).not.toMatch(/token=|X-Amz-Signature/);
    const second = await completedVideo(server, failedOnce);
    expect(extractor.calls).toBe(2);

    // One video a pass (previewBatchSize 1), newest first; each has 2 attempts in all.
    await server.openv.reconciler.runOnce();
    expect(extractor.calls).toBe(3);
    await server.openv.reconciler.runOnce();
    expect(extractor.calls).toBe(4);
    await server.openv.reconciler.runOnce();
    expect(extractor.calls, "both have had their 2 attempts: nothing more is tried").toBe(4);
    for (const id of [first.id, second.id]) expect((await read(server, id)).posterUrl).toBeNull();

    // A video whose first try failed gets its previews from the reconciler once extraction works.
    const third = await completedVideo(server, failedOnce);
    expect(third.posterUrl).toBeNull();
    extractor.failing = false;
    await server.openv.reconciler.runOnce();
    const after = await read(server, third.id);
    expect(after.posterUrl).toMatch(new RegExp(`${third.id}-0-poster\\.jpg$`));
    expect(after.sprite?.columns).toBe(10);
    const calls = extractor.calls;
    await server.openv.reconciler.runOnce();
    expect(extractor.calls, "done: later passes leave it alone").toBe(calls);
  });

  it("with previews off the fields stay null and nothing is derived", () => {
    expect(previewSettingsFor(false)).toEqual({ extractor: null });
    expect(previewSettingsFor(undefined).extractor?.name).toMatch(/^ffmpeg at /);
  });
});

describe("posters and sprites on UploadThing storage", () => {
  const appId = "openvtestapp";
  const token = Buffer.from(JSON.stringify({ apiKey: "sk_live_test", appId, regions: ["sea1"] })).toString("base64");
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    vi.restoreAllMocks();
  });

  it("the MP4 is read back from the app's CDN, the poster and sprite are uploaded beside it under the server's keys, and deleted with the video", async () => {
    // uploadthing 7.7 warns about its own deprecated fields on every upload (pingdotgg/uploadthing#1224).
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const files = new Map<string, { bytes: Buffer; type: string }>();
    const deleted: string[] = [];
    network.use(
      http.put("https://sea1.ingest.uploadthing.com/:fileKey", async ({ request, params }) => {
        const file = (await request.formData()).get("file") as File;
        const customId = new URL(request.url).searchParams.get("x-ut-custom-id") ?? String(params.fileKey);
        files.set(customId, { bytes: Buffer.from(await file.arrayBuffer()), type: file.type });
        return HttpResponse.json({
          url: `https://utfs.io/f/${params.fileKey}`,
          appUrl: `https://utfs.io/a/${appId}/${params.fileKey}`,
          ufsUrl: `https://${appId}.ufs.sh/f/${params.fileKey}`,
          fileHash: "abc",
        });
      }),
      http.get(`https://${appId}.ufs.sh/f/:key`, ({ params }) => {
        const file = files.get(String(params.key));
        return file
          ? HttpResponse.arrayBuffer(new Uint8Array(file.bytes).buffer, { headers: { "content-type": file.type } })
          : new HttpResponse(null, { status: 404 });
      }),
      http.post("https://api.uploadthing.com/v6/deleteFiles", async ({ request }) => {
        deleted.push(...(((await request.json()) as { customIds?: string[] }).customIds ?? []));
        return HttpResponse.json({ success: true, deletedCount: 1 });
      }),
    );
    const provider = new ScriptedProvider();
    server = await startTestServer({ provider, uploadthing: { token }, previews: true });
    await accepted(server);
    const { video } = GenerateResponseSchema.parse(
      await (await server.api("/videos", { method: "POST", json: generateBody })).json(),
    );
    // The worker stores its MP4 at the attempt's key, then reports completion.
    const stored = await server.openv.adapters.storage.putBytes(`${video.id}-0.mp4`, await tinyMp4(), "video/mp4");
    const completion = { ...completedOutput(server, { videoId: video.id }), url: stored.url, key: stored.key };
    expect((await provider.send({ status: "COMPLETED", output: completion })).status).toBe(200);
    await server.openv.lifecycle.previewsIdle();

    const done = await read(server, video.id);
    expect(done.posterUrl).toBe(`https://${appId}.ufs.sh/f/${video.id}-0-poster.jpg`);
    expect(done.sprite?.url).toBe(`https://${appId}.ufs.sh/f/${video.id}-0-sprite.jpg`);
    const poster = files.get(`${video.id}-0-poster.jpg`);
    expect(poster?.type).toBe("image/jpeg");
    expect(imageSize(new Uint8Array(poster?.bytes ?? []))).toMatchObject({ type: "jpg", width: 256, height: 256 });

    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    expect(deleted).toEqual(
      expect.arrayContaining([`${video.id}-0.mp4`, `${video.id}-0-poster.jpg`, `${video.id}-0-sprite.jpg`]),
    );
  });
});

describe("createFfmpegPreviewExtractor", () => {
  const source = async (bytes: Uint8Array) => ({
    writeTo: (file: string) => writeFile(file, bytes),
    width: 64,
    height: 64,
    frames: 7,
    fps: 30,
  });
  it("kills ffmpeg past its time limit and says so, leaving no temporary files", async () => {
    // Its own temp folder: other suites (and servers they start) derive previews in the OS one meanwhile.
    const tempDir = await mkdtemp(path.join(tmpdir(), "openv-previews-test-"));
    try {
      const extractor = createFfmpegPreviewExtractor({ timeoutMs: 1, tempDir });
      await expect(extractor.extract(await source(await tinyMp4()))).rejects.toThrow(
        "ffmpeg took longer than 1 ms and was stopped",
      );
      expect(await readdir(tempDir)).toEqual([]);
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  });

  it("a storage read that stalls fails within its time limit", async () => {
    const extractor = createFfmpegPreviewExtractor({ readTimeoutMs: 50 });
    const stalled = { ...(await source(new Uint8Array())), writeTo: () => new Promise<void>(() => {}) };
    await expect(extractor.extract(stalled)).rejects.toThrow("reading the video from storage took longer than 50 ms");
  });

  it("a file that is not a video fails with ffmpeg's reason", async () => {
    const extractor = createFfmpegPreviewExtractor();
    await expect(extractor.extract(await source(new TextEncoder().encode("not a video")))).rejects.toThrow(
      /^ffmpeg exited with 1: .*Invalid data/,
    );
  });
});
