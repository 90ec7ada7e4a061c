import { GenerateResponseSchema, ListVideosResponseSchema, type Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accepted,
  backends,
  bindings,
  completedOutput,
  generateBody,
  readEvents,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";

// Timing and Wait (issue 21): queue positions, ETAs and the recorded seconds of videos, in lists,
// reads and SSE frames; `Prefer: wait=N` on generate.

const listed = async (server: TestServer) =>
  ListVideosResponseSchema.parse(await (await server.api("/videos")).json()).videos as Video[];

describe.each(backends)("queue position and ETA ($name)", ({ adminUrl }) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({ adminUrl, provider, config: { maxActiveJobs: 10 } });
    await accepted(server);
  });
  afterAll(() => server.close());

  it("numbers 5 queued videos in line, then estimates from the first finished render", async () => {
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const response = await server.api("/videos", { method: "POST", json: { ...generateBody, seed: index } });
      expect(response.status).toBe(202);
      ids.push(GenerateResponseSchema.parse(await response.json()).video.id);
    }
    const before = await listed(server);
    // Newest first: the last one has 4 ahead of it. No finished render yet: no ETA.
    expect(before.map((video) => video.queuePosition)).toEqual([4, 3, 2, 1, 0]);
    expect(before.every((video) => video.etaSeconds === null)).toBe(true);
    expect(before.every((video) => video.queueSeconds === null && video.renderSeconds === null)).toBe(true);

    // The first starts (RunPod says it waited 2 s) and finishes (12 s of rendering).
    await provider.send({ status: "IN_PROGRESS", delayTime: 2000, output: { progress: 0.1 } }, 0);
    await provider.send(
      {
        status: "COMPLETED",
        delayTime: 2000,
        executionTime: 12_000,
        output: completedOutput(server, { videoId: ids[0] as string }),
      },
      0,
    );
    const first = (await (await server.api(`/videos/${ids[0]}`)).json()).video as Video;
    expect(first).toMatchObject({
      status: "completed",
      queueSeconds: 2,
      renderSeconds: 12,
      queuePosition: null,
      etaSeconds: null,
    });

    const after = await listed(server);
    expect(after.slice(0, 4).map((video) => video.queuePosition)).toEqual([3, 2, 1, 0]);
    // Queued: the history's 2 s wait (less what it has waited) plus its 12 s render.
    for (const video of after.slice(0, 4)) {
      expect(video.etaSeconds).toBeGreaterThanOrEqual(12);
      expect(video.etaSeconds).toBeLessThanOrEqual(14);
    }

    // The second starts rendering: out of line (0), the rest move up; its ETA follows the history.
    await provider.send({ status: "IN_PROGRESS", output: { progress: 0.05 } }, 1);
    const second = (await (await server.api(`/videos/${ids[1]}`)).json()).video as Video;
    expect(second).toMatchObject({ status: "processing", queuePosition: 0 });
    expect(second.etaSeconds).toBeGreaterThanOrEqual(11);
    expect(second.etaSeconds).toBeLessThanOrEqual(12);
    expect(second.queueSeconds).toBeGreaterThanOrEqual(0);
    expect((await listed(server)).slice(0, 3).map((video) => video.queuePosition)).toEqual([2, 1, 0]);
  });

  it("each frame of an unfinished video carries its place in line and ETA; finished ones their seconds", async () => {
    const user = "bob";
    await accepted(server, user);
    const events = await server.api("/videos/events", { user });
    const done = readEvents(events, (seen) =>
      seen.some((event) => (event.data as Video | null)?.status === "completed"),
    );
    const { video } = GenerateResponseSchema.parse(
      await (await server.api("/videos", { method: "POST", json: generateBody, user })).json(),
    );
    // Behind alice's 3 queued videos; the history gives it an ETA.
    expect(video).toMatchObject({ queuePosition: 3, queueSeconds: null, renderSeconds: null });
    expect(video.etaSeconds).toBeGreaterThanOrEqual(12);
    await provider.send({ status: "IN_PROGRESS", output: { progress: 0.5 } });
    await provider.send({
      status: "COMPLETED",
      executionTime: 3000,
      output: completedOutput(server, { videoId: video.id }),
    });
    const frames = (await done).filter((event) => event.event === "video").map((event) => event.data as Video);
    const queued = frames.find((frame) => frame.status === "queued");
    const processing = frames.find((frame) => frame.status === "processing");
    const completed = frames.find((frame) => frame.status === "completed");
    expect(queued).toMatchObject({ queuePosition: 3 });
    expect(queued?.etaSeconds).toBeGreaterThanOrEqual(12);
    expect(processing).toMatchObject({ queuePosition: 0, renderSeconds: null });
    expect(processing?.queueSeconds).toBeGreaterThanOrEqual(0);
    // Half done: its own pace (a few ms so far) gives the 1 s floor.
    expect(processing?.etaSeconds).toBeGreaterThanOrEqual(1);
    expect(completed).toMatchObject({ queuePosition: null, etaSeconds: null, renderSeconds: 3 });
  });
});

describe.each(backends)("a deep queue ($name)", ({ adminUrl }) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ adminUrl, provider: new ScriptedProvider() });
    await accepted(server);
  });
  afterAll(() => server.close());

  it("counts the place in line up to 1,000 ahead: a new video reads 1,000 (1,000 or more), never the whole queue", async () => {
    // 1,200 of another user's videos waiting for the same provider (the default one, the scripted provider).
    const client = (
      server.openv.adapters.store as unknown as { client: { $executeRawUnsafe(sql: string): Promise<number> } }
    ).client;
    await client.$executeRawUnsafe(`INSERT INTO "User" ("id") VALUES ('crowd')`);
    await client.$executeRawUnsafe(
      `INSERT INTO "Video" ("id", "userId", "prompt", "model", "status", "frames", "fps", "durationSeconds",
         "width", "height", "steps", "cfg", "createdAt", "updatedAt")
       SELECT 'crowd-' || i, 'crowd', 'a crowd', 'mochi-1', 'queued', 31, 30, 1.0333, 848, 480, 64, 4.5,
         now() - interval '1 hour' + i * interval '1 ms', now()
       FROM generate_series(1, 1200) AS i`,
    );
    const { video } = GenerateResponseSchema.parse(
      await (await server.api("/videos", { method: "POST", json: generateBody })).json(),
    );
    expect(video.queuePosition).toBe(1000);
    // The oldest of the crowd is first in line, exactly.
    const first = (await (await server.api("/videos/crowd-1", { user: "crowd" })).json()).video as Video;
    expect(first.queuePosition).toBe(0);
    const tenth = (await (await server.api("/videos/crowd-10", { user: "crowd" })).json()).video as Video;
    expect(tenth.queuePosition).toBe(9);
  });
});

describe.each(bindings)("Prefer: wait on POST /videos (%s binding)", (binding) => {
  let fast: TestServer;
  let slow: TestServer;
  let provider: ScriptedProvider;
  beforeAll(async () => {
    provider = new ScriptedProvider();
    [fast, slow] = await Promise.all([
      startTestServer({ binding, previewStepDelayMs: 5 }),
      startTestServer({ binding, provider, config: { maxActiveJobs: 10 } }),
    ]);
    await Promise.all([accepted(fast), accepted(slow)]);
  });
  afterAll(() => Promise.all([fast.close(), slow.close()]));

  it("answers 201 with the finished video when it finishes within the wait, replays too", async () => {
    const key = `wait-fast-${binding}`;
    const post = () =>
      fast.api("/videos", {
        method: "POST",
        json: generateBody,
        headers: { prefer: "wait=30", "idempotency-key": key },
      });
    const response = await post();
    expect(response.status).toBe(201);
    expect(response.headers.get("preference-applied")).toBe("wait=30");
    const body = GenerateResponseSchema.parse(await response.json());
    expect(body.video).toMatchObject({ status: "completed", progress: 1, etaSeconds: null });
    expect(body.video.url).toMatch(/^http/);
    expect(body.video.renderSeconds).toBeGreaterThan(0);
    expect(body.usage.usedSeconds).toBeCloseTo(7 / 30, 3);

    const replay = await post();
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("preference-applied")).toBe("wait=30");
    expect((await replay.json()).video).toMatchObject({ id: body.video.id, status: "completed" });

    // POST /runpod shares the handler, and the wait.
    const seed = await fast.api("/runpod", {
      method: "POST",
      headers: { prefer: "wait=30" },
      json: { prompt: "waves", frames: 7, input: { positive_prompt: "waves", num_frames: 7, width: 256, height: 256 } },
    });
    expect(seed.status).toBe(201);
    expect(seed.headers.get("preference-applied")).toBe("wait=30");
  });

  it("a remix waits too: 201 with the finished remix, naming its source", async () => {
    const made = await fast.api("/videos", { method: "POST", json: generateBody, headers: { prefer: "wait=30" } });
    expect(made.status).toBe(201);
    const source = GenerateResponseSchema.parse(await made.json()).video;
    const response = await fast.api(`/videos/${source.id}/remix`, {
      method: "POST",
      json: { prompt: "the same, at night" },
      headers: { prefer: "wait=30" },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("preference-applied")).toBe("wait=30");
    const remixed = GenerateResponseSchema.parse(await response.json()).video;
    expect(remixed).toMatchObject({ status: "completed", remixOf: source.id, prompt: "the same, at night" });
  });

  it("answers the usual 202 once the wait is over, and a replay after the finish 201", async () => {
    const key = `wait-slow-${binding}`;
    const post = (prefer: string) =>
      slow.api("/videos", { method: "POST", json: generateBody, headers: { prefer, "idempotency-key": key } });
    const started = Date.now();
    const response = await post("wait=1");
    expect(response.status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(response.headers.get("preference-applied")).toBeNull();
    const { video } = GenerateResponseSchema.parse(await response.json());
    expect(video.status).toBe("queued");

    // A malformed preference is ignored: no wait at all.
    const ignored = await post("wait=soon");
    expect(ignored.status).toBe(202);
    expect(ignored.headers.get("idempotent-replayed")).toBe("true");

    await provider.send({
      status: "COMPLETED",
      executionTime: 1000,
      output: completedOutput(slow, { videoId: video.id }),
    });
    const replay = await post("wait=5");
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await replay.json()).video).toMatchObject({ id: video.id, status: "completed", renderSeconds: 1 });
  });

  it("stops waiting when the client goes away", async () => {
    const lifecycle = slow.openv.lifecycle;
    const original = lifecycle.submitVideoAndWait.bind(lifecycle);
    let held: Promise<{ status: number; endedAt: number }> | undefined;
    lifecycle.submitVideoAndWait = (request, wait) => {
      const answer = original(request, wait);
      held = answer.then((result) => ({ status: result.status, endedAt: Date.now() }));
      return answer;
    };
    try {
      const controller = new AbortController();
      const request = slow
        .api("/videos", {
          method: "POST",
          json: generateBody,
          headers: { prefer: "wait=60" },
          signal: controller.signal,
        })
        .catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const abortedAt = Date.now();
      controller.abort();
      expect(await request).toBeInstanceOf(Error);
      // The server let go of the wait (and its subscription) at once, not after 60 s.
      const ended = await held;
      expect(ended?.status).toBe(202);
      expect((ended?.endedAt ?? Number.POSITIVE_INFINITY) - abortedAt).toBeLessThan(5000);
    } finally {
      lifecycle.submitVideoAndWait = original;
    }
  });
});
