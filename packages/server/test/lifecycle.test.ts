import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { GenerateResponseSchema, ListVideosResponseSchema, type Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveFfmpegPath } from "../src/adapters/provider/local.js";
import { accepted, bindings, generateBody, readEvents, startTestServer, type TestServer } from "./helpers.js";

describe.each(bindings)("the whole lifecycle with the local preview provider (%s binding)", (binding) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ binding, previewStepDelayMs: 40 });
  });
  afterAll(() => server.close());

  it("takes a prompt to a playable MP4: queued → processing (with progress) → completed", async () => {
    await accepted(server);
    const events = await server.api("/videos/events");
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const eventsDone = readEvents(events, (seen) =>
      seen.some((event) => (event.data as Video | null)?.status === "completed"),
    );

    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(202);
    const { video, usage } = GenerateResponseSchema.parse(await response.json());
    expect(video.status).toBe("queued");
    expect(video.durationSeconds).toBeCloseTo(7 / 30);
    expect(usage.usedSeconds).toBeCloseTo(7 / 30, 3);

    const seen = (await eventsDone).filter((event) => event.event === "video").map((event) => event.data as Video);
    const statuses = seen.map((change) => change.status);
    expect(statuses[0]).toBe("queued");
    expect(statuses).toContain("processing");
    expect(statuses.at(-1)).toBe("completed");
    const progress = seen.filter((change) => change.status === "processing").map((change) => change.progress);
    expect(progress.some((value) => value !== null && value > 0 && value < 1)).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => (a ?? 0) - (b ?? 0)));

    const list = ListVideosResponseSchema.parse(await (await server.api("/videos")).json());
    const done = list.videos[0] as Video;
    expect(done).toMatchObject({ id: video.id, status: "completed", progress: 1 });
    expect(done.jobId).toMatch(/^local-/);

    const file = await fetch(done.url as string);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("video/mp4");
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.subarray(4, 8).toString("latin1")).toBe("ftyp");

    const range = await fetch(done.url as string, { headers: { range: "bytes=0-99" } });
    expect(range.status).toBe(206);
    expect(range.headers.get("content-range")).toBe(`bytes 0-99/${bytes.length}`);
    expect((await range.arrayBuffer()).byteLength).toBe(100);

    // ffmpeg decodes every frame: 7 frames of 256×256 H.264.
    const { stderr } = await promisify(execFile)(resolveFfmpegPath(), [
      "-hide_banner",
      "-i",
      done.url as string,
      "-map",
      "0:v:0",
      "-f",
      "null",
      "-",
    ]);
    expect(stderr).toMatch(/Video: h264.*yuv420p.*256x256/);
    expect(stderr).toMatch(/frame=\s*7\b/);
  });
});
