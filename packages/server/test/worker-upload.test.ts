import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalStorage } from "../src/adapters/storage/local.js";
import { OpenVError } from "../src/core/errors.js";
import { attemptOutputKey } from "../src/core/output-keys.js";
import type { Storage, VideoRecord } from "../src/core/ports.js";
import { WorkerUploads } from "../src/core/worker-upload.js";
import { workerUploadsFor } from "../src/http/worker-upload-route.js";

const publicUrl = "https://videos.example.com";
let directory: string;
let storage: Storage;
let now = Date.parse("2026-12-06T12:00:00Z");
const videos = new Map<string, Pick<VideoRecord, "id" | "retryCount" | "status" | "deletedAt">>();
const store = { getVideoById: async (id: string) => (videos.get(id) as VideoRecord | undefined) ?? null };
const uploads = new WorkerUploads({
  secret: "s3cret",
  publicUrl: () => publicUrl,
  prefix: "/api",
  maxBytes: 100,
  now: () => now,
});
const mp4 = new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112, 105, 115, 111, 109]);

/** The query of a target URL as the route parses it. */
function parse(url: string) {
  const parsed = new URL(url);
  const [, , , video, attempt] = parsed.pathname.split("/");
  const query = Object.fromEntries(parsed.searchParams);
  return {
    video: decodeURIComponent(video as string),
    attempt: Number(attempt),
    query: { expires: Number(query.expires), max: Number(query.max), token: query.token as string },
  };
}

async function refusal(promise: Promise<unknown>): Promise<OpenVError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OpenVError);
  return error as OpenVError;
}

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "openv-worker-upload-"));
  storage = createLocalStorage({ directory, baseUrl: () => `${publicUrl}/api/files` });
  videos.clear();
  videos.set("vid_1", { id: "vid_1", retryCount: 1, status: "processing", deletedAt: null });
  now = Date.parse("2026-12-06T12:00:00Z");
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("upload URLs for workers without a storage account", () => {
  it("points at the configured public URL, signed for one video and attempt, with its cap", () => {
    const target = uploads.target("vid_1", 1);
    expect(target.url.startsWith(`${publicUrl}/api/worker-uploads/vid_1/1?expires=`)).toBe(true);
    expect(target.max_bytes).toBe(100);
  });

  it("stores the MP4 at the key of that video and attempt, once, deleting the file it replaces", async () => {
    await storage.putBytes(attemptOutputKey("vid_1", 0), mp4, "video/mp4"); // attempt 0 uploaded, then failed
    const { video, attempt, query } = parse(uploads.target("vid_1", 1).url);
    const stored = await uploads.accept({ store, storage }, video, attempt, query, mp4);
    expect(stored).toEqual({ key: attemptOutputKey("vid_1", 1), url: `${publicUrl}/api/files/vid_1-1.mp4` });
    expect(new Uint8Array(await readFile(path.join(directory, "vid_1-1.mp4")))).toEqual(mp4);
    expect(await readdir(directory)).toEqual(["vid_1-1.mp4"]);
    const again = await refusal(uploads.accept({ store, storage }, video, attempt, query, mp4));
    expect([again.status, again.message]).toEqual([401, "The upload URL was used already."]);
  });

  it("refuses another video, another attempt, a changed cap, a forged token and an expired URL", async () => {
    const { query } = parse(uploads.target("vid_1", 1).url);
    videos.set("vid_2", { id: "vid_2", retryCount: 1, status: "processing", deletedAt: null });
    for (const [video, attempt, changed] of [
      ["vid_2", 1, query],
      ["vid_1", 0, query],
      ["vid_1", 1, { ...query, max: 10_000 }],
      ["vid_1", 1, { ...query, token: `${query.token.slice(0, -2)}AA` }],
    ] as const) {
      const error = await refusal(uploads.accept({ store, storage }, video, attempt, changed, mp4));
      expect(error.status).toBe(401);
    }
    now += 26 * 60 * 60 * 1000;
    expect((await refusal(uploads.accept({ store, storage }, "vid_1", 1, query, mp4))).message).toBe(
      "The upload URL has expired.",
    );
  });

  it("refuses a file over the cap (413), an empty one, and an attempt that is over", async () => {
    const { query } = parse(uploads.target("vid_1", 1).url);
    expect((await refusal(uploads.accept({ store, storage }, "vid_1", 1, query, new Uint8Array(101)))).status).toBe(
      413,
    );
    expect((await refusal(uploads.accept({ store, storage }, "vid_1", 1, query, null))).status).toBe(400);
    videos.set("vid_1", { id: "vid_1", retryCount: 2, status: "processing", deletedAt: null });
    expect((await refusal(uploads.accept({ store, storage }, "vid_1", 1, query, mp4))).status).toBe(401);
    videos.set("vid_1", { id: "vid_1", retryCount: 1, status: "processing", deletedAt: new Date() });
    expect((await refusal(uploads.accept({ store, storage }, "vid_1", 1, query, mp4))).status).toBe(401);
  });

  it("is on for RunPod unless the server stores on UploadThing (the worker's own default there)", () => {
    const settings = { secret: "s", publicUrl: () => publicUrl, prefix: "/api" };
    expect(workerUploadsFor({}, settings)).toBeNull();
    expect(workerUploadsFor({ runpod: {} }, settings)).toBeInstanceOf(WorkerUploads);
    expect(workerUploadsFor({ runpod: {}, uploadthing: { token: "t" } }, settings)).toBeNull();
    expect(workerUploadsFor({ runpod: { delivery: "worker" } }, settings)).toBeNull();
    expect(workerUploadsFor({ runpod: { delivery: "upload-url" }, uploadthing: {} }, settings)).toBeInstanceOf(
      WorkerUploads,
    );
  });
});
