import type { Video } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createRunwayProvider,
  nearestDuration,
  nearestRatio,
  type RunwayProviderOptions,
  runwayModels,
} from "../src/adapters/provider/runway.js";
import type { Provider, ProviderImage, ProviderSubmission } from "../src/core/ports.js";
import { accepted, backends, generateBody, startTestServer, type TestServer } from "./helpers.js";
import { providerSubmission } from "./support/provider-submission.js";
import { tinyMp4 } from "./support/tiny-mp4.js";

const apiKey = `key_${"ab".repeat(64)}`;
const api = "https://api.dev.runwayml.com";
const cdn = "https://dnznrvs05pmza.cloudfront.net/runway-out";

// Runway's API and CDN are intercepted at their real addresses; calls to the loopback server pass.
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "bypass" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  version: string | null;
  body: unknown;
}

/** Runway's task API: creation gets task ids, GET answers from `tasks`, DELETE removes. */
function fakeRunway() {
  const seen: Seen[] = [];
  const tasks = new Map<string, Record<string, unknown>>();
  let next = 0;
  const record = async (request: Request) => {
    const text = await request.text();
    seen.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get("authorization"),
      version: request.headers.get("x-runway-version"),
      body: text ? JSON.parse(text) : null,
    });
  };
  network.use(
    http.post(`${api}/v1/image_to_video`, async ({ request }) => {
      await record(request);
      const id = `task-${++next}`;
      tasks.set(id, { id, status: "PENDING", createdAt: new Date().toISOString() });
      return HttpResponse.json({ id });
    }),
    http.get(`${api}/v1/tasks/:id`, async ({ request, params }) => {
      await record(request);
      const task = tasks.get(params.id as string);
      return task ? HttpResponse.json(task) : HttpResponse.json({ error: "Task not found" }, { status: 404 });
    }),
    http.delete(`${api}/v1/tasks/:id`, async ({ request, params }) => {
      await record(request);
      if (!tasks.delete(params.id as string)) return HttpResponse.json({ error: "Task not found" }, { status: 404 });
      return new HttpResponse(null, { status: 204 });
    }),
  );
  return { seen, tasks, creations: () => seen.filter((request) => request.method === "POST") };
}

const imageBytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const image = (url: string): ProviderImage => ({
  url,
  contentType: "image/jpeg",
  width: 1280,
  height: 720,
  read: async () => imageBytes,
});
const input = {
  positive_prompt: "the waves roll in",
  width: 848,
  height: 480,
  num_frames: 31,
  steps: 64,
  cfg: 4.5,
  seed: 7,
};
const submission = (overrides: Partial<ProviderSubmission> = {}): ProviderSubmission =>
  providerSubmission(input, {
    webhookUrl: "https://openv.example/api/runpod/webhook?video=vid_1&attempt=0&token=t",
    image: image("https://images.example.com/beach.jpg"),
    ...overrides,
  });
const provider = (options: Partial<RunwayProviderOptions> = {}) => createRunwayProvider({ apiKey, ...options });

describe("the Runway adapter speaks Runway's API (version 2024-11-06)", () => {
  it("creates an image_to_video task with bearer auth, the version header and the mapped ratio and duration", async () => {
    const runway = fakeRunway();
    const { jobId } = await provider().submit(submission());
    expect(jobId).toBe("task-1");
    expect(runway.seen).toEqual([
      {
        method: "POST",
        url: `${api}/v1/image_to_video`,
        authorization: `Bearer ${apiKey}`,
        version: "2024-11-06",
        body: {
          model: "gen4_turbo",
          promptImage: "https://images.example.com/beach.jpg",
          promptText: "the waves roll in",
          ratio: "1280:720",
          duration: 5,
          seed: 7,
        },
      },
    ]);
  });

  it("sends an image Runway cannot fetch as a data URI, and renders on the submission's Runway model", async () => {
    const runway = fakeRunway();
    await provider().submit(
      submission({
        model: "gen3a_turbo",
        image: image("http://127.0.0.1:3000/api/files/in.jpg"),
        input: { ...input, width: 480, height: 848 },
        durationSeconds: 9,
      }),
    );
    expect(runway.seen[0]?.body).toMatchObject({
      model: "gen3a_turbo",
      promptImage: `data:image/jpeg;base64,${Buffer.from(imageBytes).toString("base64")}`,
      ratio: "768:1280",
      duration: 10,
    });
  });

  it("maps sizes to the nearest ratio the model renders and lengths to the nearest duration", () => {
    const gen4 = runwayModels.gen4_turbo?.ratios ?? [];
    expect(nearestRatio(848, 480, gen4)).toBe("1280:720");
    expect(nearestRatio(480, 848, gen4)).toBe("720:1280");
    expect(nearestRatio(256, 256, gen4)).toBe("960:960");
    expect(nearestRatio(1280, 544, gen4)).toBe("1584:672");
    expect(nearestRatio(1024, 768, gen4)).toBe("1104:832");
    expect(nearestDuration(1, [5, 10])).toBe(5);
    expect(nearestDuration(7.5, [5, 10])).toBe(5);
    expect(nearestDuration(8, [5, 10])).toBe(10);
    expect(nearestDuration(2, [8])).toBe(8);
  });

  it("refuses a request without an image, an overlong prompt, and a bad key with errors that say what to do", async () => {
    const runway = fakeRunway();
    await expect(provider().submit(submission({ image: null }))).rejects.toThrow(
      /Runway renders video from an image: this request has none/,
    );
    await expect(
      provider().submit(submission({ input: { ...input, positive_prompt: "x".repeat(1001) } })),
    ).rejects.toThrow(/up to 1000 characters; this one has 1001/);
    expect(runway.seen).toEqual([]);
    network.use(
      http.post(`${api}/v1/image_to_video`, () => HttpResponse.json({ error: "Unauthorized" }, { status: 401 })),
    );
    const error = (await provider()
      .submit(submission())
      .catch((caught: unknown) => caught)) as Error;
    expect(error.message).toMatch(/Runway \/v1\/image_to_video answered 401.*Check RUNWAYML_API_SECRET/);
    expect(error.message).not.toContain(apiKey);
    expect(() => createRunwayProvider({ apiKey: "" })).toThrow(/RUNWAYML_API_SECRET/);
    expect(() => createRunwayProvider({ apiKey, model: "gen9" })).toThrow(/RUNWAY_MODEL "gen9"/);
    expect(() => createRunwayProvider({ apiKey, model: "toString" })).toThrow(/RUNWAY_MODEL "toString"/);
  });

  it("maps every task status to the lifecycle's job update", async () => {
    const runway = fakeRunway();
    const runwayProvider = provider();
    const { jobId } = await runwayProvider.submit(submission());
    const statusOf = async (task: Record<string, unknown>) => {
      runway.tasks.set(jobId, { id: jobId, createdAt: "2025-01-01T00:00:00Z", ...task });
      return runwayProvider.status(jobId);
    };
    expect(await statusOf({ status: "PENDING" })).toEqual({ id: jobId, status: "IN_QUEUE" });
    expect(await statusOf({ status: "THROTTLED" })).toEqual({ id: jobId, status: "IN_QUEUE" });
    expect(await statusOf({ status: "RUNNING", progress: 0.37 })).toEqual({
      id: jobId,
      status: "IN_PROGRESS",
      output: { progress: 0.37 },
    });
    expect(await statusOf({ status: "RUNNING" })).toEqual({ id: jobId, status: "IN_PROGRESS" });
    expect(await statusOf({ status: "SUCCEEDED", output: [`${cdn}/abc.mp4?_jwt=x`] })).toMatchObject({
      id: jobId,
      status: "COMPLETED",
      output: { url: `${cdn}/abc.mp4?_jwt=x`, key: "abc.mp4" },
    });
    expect(await statusOf({ status: "SUCCEEDED", output: [] })).toMatchObject({
      status: "FAILED",
      error: expect.stringMatching(/^invalid_output:/),
    });
    expect(
      await statusOf({ status: "FAILED", failure: "Prompt text was flagged", failureCode: "SAFETY.INPUT.TEXT" }),
    ).toEqual({ id: jobId, status: "FAILED", error: "content_rejected: Prompt text was flagged (SAFETY.INPUT.TEXT)" });
    expect(
      await statusOf({ status: "FAILED", failure: "Rejected the output", failureCode: "INTERNAL.BAD_OUTPUT.CODE01" }),
    ).toEqual({ id: jobId, status: "FAILED", error: "runway_internal_bad_output_code01: Rejected the output" });
    expect(await statusOf({ status: "CANCELLED" })).toEqual({ id: jobId, status: "CANCELLED" });
    expect(await runwayProvider.status("task-unknown")).toBeNull();
    expect(
      runway.seen.filter((request) => request.method === "GET").every((request) => request.version === "2024-11-06"),
    ).toBe(true);
  });

  it("cancels with DELETE /v1/tasks/{id}; a task Runway no longer knows is not an error", async () => {
    const runway = fakeRunway();
    const runwayProvider = provider();
    const { jobId } = await runwayProvider.submit(submission());
    await runwayProvider.cancel(jobId);
    await runwayProvider.cancel(jobId);
    expect(runway.seen.filter((request) => request.method === "DELETE")).toEqual([
      {
        method: "DELETE",
        url: `${api}/v1/tasks/task-1`,
        authorization: `Bearer ${apiKey}`,
        version: "2024-11-06",
        body: null,
      },
      {
        method: "DELETE",
        url: `${api}/v1/tasks/task-1`,
        authorization: `Bearer ${apiKey}`,
        version: "2024-11-06",
        body: null,
      },
    ]);
    network.use(http.delete(`${api}/v1/tasks/:id`, () => HttpResponse.json({ error: "boom" }, { status: 500 })));
    await expect(runwayProvider.cancel(jobId)).rejects.toThrow(/Runway DELETE \/v1\/tasks\/task-1 answered 500/);
  });

  it("honours RUNWAY_BASE_URL and extra model limits", async () => {
    const seen: string[] = [];
    network.use(
      http.post("http://runway.internal:8080/v1/image_to_video", async ({ request }) => {
        seen.push(JSON.stringify(await request.json()));
        return HttpResponse.json({ id: "t" });
      }),
    );
    await provider({
      baseUrl: "http://runway.internal:8080/",
      model: "gen4.5",
      models: { "gen4.5": { ratios: ["1280:720", "720:1280"], durations: [2, 4, 6, 8, 10] } },
    }).submit(submission({ durationSeconds: 3.1 }));
    expect(JSON.parse(seen[0] as string)).toMatchObject({ model: "gen4.5", ratio: "1280:720", duration: 4 });
  });
});

/**
 * The lifecycle hands providers no input image yet (image-to-video uploads are wired elsewhere):
 * this stands in for that, giving every submission the image a user uploaded.
 */
function withUploadedImage(provider: Provider, uploaded: ProviderImage): Provider {
  return {
    name: provider.name,
    submit: (submission) => provider.submit({ ...submission, image: submission.image ?? uploaded }),
    status: (jobId) => provider.status(jobId),
    cancel: (jobId) => provider.cancel(jobId),
  };
}

describe("the server rendering on Runway, driven by the reconciler", () => {
  const { adminUrl } = backends.at(-1) as (typeof backends)[number];
  let server: TestServer;
  let runway: ReturnType<typeof fakeRunway>;
  let mp4: Buffer;

  beforeAll(async () => {
    mp4 = await tinyMp4();
    server = await startTestServer({
      adminUrl,
      provider: withUploadedImage(createRunwayProvider({ apiKey }), image("https://uploads.example.com/beach.jpg")),
      // Runway has no webhooks: every unfinished video is polled when the test runs a pass.
      reconciler: { silentMs: 0, intervalMs: 3_600_000 },
      config: { maxActiveJobs: 50 },
    });
    const terms = (await (await server.api("/terms/check")).json()) as { version: string };
    await server.api("/terms/accept", { method: "POST", json: { version: terms.version } });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    runway = fakeRunway();
    network.use(
      http.get(
        `${cdn}/:name`,
        () => new HttpResponse(new Uint8Array(mp4), { headers: { "content-type": "video/mp4" } }),
      ),
    );
  });

  const read = async (id: string) => ((await (await server.api(`/videos/${id}`)).json()) as { video: Video }).video;
  const used = async () => ((await (await server.api("/usage")).json()) as { usedSeconds: number }).usedSeconds;
  const create = async () => {
    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(202);
    return ((await response.json()) as { video: Video }).video;
  };
  const setTask = (id: string, task: Record<string, unknown>) =>
    runway.tasks.set(id, { id, createdAt: new Date().toISOString(), ...task });

  it("PENDING keeps the video queued, RUNNING makes it processing with progress, SUCCEEDED completes it into storage", async () => {
    const video = await create();
    expect(video).toMatchObject({ status: "queued", jobId: "task-1" });
    expect(runway.creations()[0]?.body).toMatchObject({
      model: "gen4_turbo",
      promptImage: "https://uploads.example.com/beach.jpg",
      promptText: generateBody.prompt,
      ratio: "960:960",
      duration: 5,
    });

    await server.openv.reconciler.runOnce();
    expect(await read(video.id)).toMatchObject({ status: "queued", progress: null });
    setTask("task-1", { status: "RUNNING", progress: 0.42 });
    await server.openv.reconciler.runOnce();
    expect(await read(video.id)).toMatchObject({ status: "processing", progress: 0.42 });
    setTask("task-1", { status: "SUCCEEDED", output: [`${cdn}/task-1.mp4`] });
    await server.openv.reconciler.runOnce();
    const done = await read(video.id);
    expect(done).toMatchObject({ status: "completed", progress: 1, jobId: "task-1" });
    expect(done.url?.startsWith(`${server.origin}/api/files/`)).toBe(true);
    expect(Buffer.from(await (await fetch(done.url as string)).arrayBuffer()).equals(mp4)).toBe(true);
    expect(runway.seen.filter((request) => request.url.endsWith("/v1/tasks/task-1")).length).toBeGreaterThanOrEqual(3);
  });

  it("a content-moderation failure fails the video at once and refunds it; an internal failure is retried", async () => {
    const before = await used();
    const refused = await create();
    setTask("task-1", { status: "FAILED", failure: "The input image was flagged", failureCode: "SAFETY.INPUT.IMAGE" });
    await server.openv.reconciler.runOnce();
    expect(await read(refused.id)).toMatchObject({
      status: "failed",
      retryCount: 0,
      error: { code: "content_rejected", message: "The input image was flagged (SAFETY.INPUT.IMAGE)" },
    });
    expect(await used()).toBeCloseTo(before, 3);

    const flaky = await create();
    setTask("task-2", { status: "FAILED", failure: "Something went wrong", failureCode: "INTERNAL" });
    await server.openv.reconciler.runOnce();
    expect(await read(flaky.id)).toMatchObject({ status: "processing", retryCount: 1, jobId: "task-3" });
    expect(runway.creations()).toHaveLength(3);
    setTask("task-3", { status: "SUCCEEDED", output: [`${cdn}/task-3.mp4`] });
    await server.openv.reconciler.runOnce();
    expect(await read(flaky.id)).toMatchObject({ status: "completed", retryCount: 1 });
  });

  it("a task Runway deleted fails the video as job_expired, refunded", async () => {
    const before = await used();
    const video = await create();
    runway.tasks.delete("task-1");
    await server.openv.reconciler.runOnce();
    expect(await read(video.id)).toMatchObject({ status: "failed", error: { code: "job_expired" } });
    expect(await used()).toBeCloseTo(before, 3);
  });

  it("deleting an unfinished video cancels its Runway task", async () => {
    const video = await create();
    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    expect(runway.seen.some((request) => request.method === "DELETE" && request.url.endsWith("/v1/tasks/task-1"))).toBe(
      true,
    );
    expect(runway.tasks.has("task-1")).toBe(false);
  });
});

describe("the server with the Runway adapter and no image to animate", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ provider: createRunwayProvider({ apiKey }) });
    await accepted(server);
  });
  afterAll(() => server.close());

  it("answers 502 provider_unavailable saying an image is needed, and charges nothing", async () => {
    const runway = fakeRunway();
    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("provider_unavailable");
    expect(body.error.message).toMatch(/Runway renders video from an image/);
    expect(((await (await server.api("/usage")).json()) as { usedSeconds: number }).usedSeconds).toBe(0);
    expect(runway.seen).toEqual([]);
  });
});
