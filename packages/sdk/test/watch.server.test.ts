// The watcher against the real reference server (in-process, random port): SSE and polling over
// real sockets. No msw in this file: msw buffers streamed answers of requests it lets through.
import type { Video, VideoStatus } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  NotFoundError,
  type OpenVClient,
  TimeoutError,
  VideoFailedError,
  type VideoWatcher,
  type WatchStatus,
} from "../src/index.js";
import { type RealServer, ScriptedProvider, smallVideo, startRealServer } from "./support/real-server.js";

const clientFor = (server: RealServer, user: string): OpenVClient =>
  createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": user } });

/** Resolves once `predicate` holds for the watcher's snapshot (checked on every change). */
function until(watcher: VideoWatcher, predicate: (videos: readonly Video[], status: WatchStatus) => boolean) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; status ${watcher.status}`)), 20_000);
    const check = () => {
      const snapshot = watcher.getSnapshot();
      if (!predicate(snapshot.videos, snapshot.status)) return;
      clearTimeout(timer);
      watcher.off("change", check);
      resolve();
    };
    watcher.on("change", check);
    check();
  });
}

/** Every status the watcher reported for each video, in order. */
function recordStatuses(watcher: VideoWatcher): Map<string, VideoStatus[]> {
  const seen = new Map<string, VideoStatus[]>();
  watcher.on("video", (video, previous) => {
    const list = seen.get(video.id) ?? [];
    if (previous?.status !== video.status) list.push(video.status);
    seen.set(video.id, list);
  });
  return seen;
}

describe("watching the local preview provider's jobs", () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer({ previewStepDelayMs: 40, config: { maxActiveJobs: 20 } });
  });
  afterAll(() => server.close());

  it("SSE: a watcher sees another client's video go queued → processing → completed", async () => {
    const generator = clientFor(server, "sse-user");
    await generator.acceptTerms("1.0.0");
    const watcher = clientFor(server, "sse-user").watch({ mode: "sse" });
    const statuses = recordStatuses(watcher);
    const progress: number[] = [];
    watcher.on("video", (video) => {
      if (video.status === "processing" && video.progress !== null) progress.push(video.progress);
    });
    await until(watcher, (_, status) => status === "live");

    const { video } = await generator.generate(smallVideo);
    const done = await watcher.wait(video.id, { timeoutMs: 20_000 });
    expect(done.status).toBe("completed");
    expect(done.url).toMatch(/^http/);
    expect(statuses.get(video.id)).toEqual(["queued", "processing", "completed"]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(watcher.getSnapshot().videos.map((v) => v.id)).toContain(video.id);
    expect(watcher.status).toBe("live");
    watcher.close();
    expect(watcher.status).toBe("closed");
  });

  it("polling: the watcher follows its client's video to completion, then stops polling", async () => {
    const client = clientFor(server, "poll-user");
    await client.acceptTerms("1.0.0");
    const watcher = client.watch({ mode: "polling", pollIntervalMs: 50, idlePollMaxMs: 200 });
    const statuses = recordStatuses(watcher);
    await until(watcher, (_, status) => status === "idle");

    const { video } = await client.generate(smallVideo);
    const done = await watcher.wait(video.id, { timeoutMs: 20_000 });
    expect(done.status).toBe("completed");
    const seen = statuses.get(video.id) ?? [];
    expect(seen[0]).toBe("queued");
    expect(seen.at(-1)).toBe("completed");
    expect(seen).toEqual(
      ["queued", "processing", "completed"].filter((status) => seen.includes(status as VideoStatus)),
    );
    await until(watcher, (_, status) => status === "idle");
    watcher.close();
  });

  it("a deletion by one client reaches another client's watcher", async () => {
    const a = clientFor(server, "delete-user");
    await a.acceptTerms("1.0.0");
    const watcher = clientFor(server, "delete-user").watch({ mode: "sse" });
    const { video } = await a.generate(smallVideo);
    await watcher.wait(video.id, { timeoutMs: 20_000 });

    const deleted = new Promise<string>((resolve) => {
      const off = watcher.on("deleted", (id) => {
        off();
        resolve(id);
      });
    });
    expect(await a.delete(video.id)).toEqual([video.id]);
    expect(await deleted).toBe(video.id);
    expect(watcher.getSnapshot().videos.some((v) => v.id === video.id)).toBe(false);
    await expect(watcher.wait(video.id)).rejects.toBeInstanceOf(NotFoundError);
    watcher.close();
  });
});

describe("watching jobs the test finishes by hand", () => {
  let server: RealServer;
  const provider = new ScriptedProvider();
  beforeAll(async () => {
    server = await startRealServer({ provider, config: { maxRetries: 0, maxActiveJobs: 20 } });
  });
  afterAll(() => server.close());

  it("wait() rejects with VideoFailedError when the job fails, and TimeoutError when it takes too long", async () => {
    const client = clientFor(server, "fail-user");
    await client.acceptTerms("1.0.0");
    const watcher = client.watch();
    const { video } = await client.generate(smallVideo);

    await expect(watcher.wait(video.id, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    // Caught before the webhook is sent: the failure's frame can reach the watcher before the
    // webhook's own answer reaches this test, and a rejection nobody handles yet fails the run.
    const waiting = watcher.wait(video.id, { timeoutMs: 20_000 }).catch((caught: unknown) => caught);
    await provider.send(video.id, { status: "FAILED", error: "invalid_input: the prompt was refused" });
    const error = await waiting;
    expect(error).toBeInstanceOf(VideoFailedError);
    expect((error as VideoFailedError).video.status).toBe("failed");
    expect((error as VideoFailedError).video.error).toMatchObject({ code: "invalid_input" });
    expect((error as VideoFailedError).details).toMatchObject({ code: "invalid_input" });
    watcher.close();
  });

  it("polling: a watcher of another client sees a deletion while a job is active", async () => {
    const a = clientFor(server, "poll-delete-user");
    await a.acceptTerms("1.0.0");
    const { video } = await a.generate(smallVideo);
    const watcher = clientFor(server, "poll-delete-user").watch({
      mode: "polling",
      pollIntervalMs: 50,
      idlePollMaxMs: 200,
    });
    await until(watcher, (videos, status) => status === "polling" && videos.some((v) => v.id === video.id));

    const deleted = new Promise<string>((resolve) => {
      const off = watcher.on("deleted", (id) => {
        off();
        resolve(id);
      });
    });
    await a.delete(video.id);
    expect(await deleted).toBe(video.id);
    await until(watcher, (_, status) => status === "idle");
    watcher.close();
  });

  it("a watcher that opened before the job shows the webhook's progress and result", async () => {
    const client = clientFor(server, "progress-user");
    await client.acceptTerms("1.0.0");
    const watcher = clientFor(server, "progress-user").watch();
    const statuses = recordStatuses(watcher);
    const { video } = await client.generate(smallVideo);
    await until(watcher, (videos) => videos.some((v) => v.id === video.id));
    await provider.send(video.id, { status: "IN_PROGRESS", output: { progress: 0.5 } });
    await until(watcher, (videos) => videos.some((v) => v.id === video.id && v.progress === 0.5));
    await provider.send(video.id, { status: "COMPLETED", output: provider.completedOutput(server.baseUrl, video.id) });
    const done = await watcher.wait(video.id, { timeoutMs: 20_000 });
    expect(done.url).toContain("/files/");
    expect(statuses.get(video.id)).toEqual(["queued", "processing", "completed"]);
    watcher.close();
  });
});
