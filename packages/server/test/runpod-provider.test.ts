import type { Video } from "@openv/protocol";
import type { RunPodJob } from "@openv/protocol/worker";
import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRunPodProvider } from "../src/adapters/provider/runpod.js";
import { accepted, generateBody, startTestServer, type TestServer } from "./helpers.js";

const apiKey = "rp_secret_key_123";
const endpointId = "mochi-endpoint";
const api = `https://api.runpod.ai/v2/${endpointId}`;
const input = { positive_prompt: "a fox", width: 256, height: 256, num_frames: 7, steps: 4, cfg: 4.5 };
/** The submission fields a RunPod job ignores (it renders `input`). */
const submission = { outputKey: "vid_1-0.mp4", model: "mochi-1", durationSeconds: 7 / 30, fps: 30, image: null };

// RunPod's API is intercepted at its real address; the tests' own calls to the loopback server pass.
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "bypass" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: unknown;
}

/** The webhook URL a recorded /run call carried. */
function webhookOf(run: Seen | undefined): string {
  if (!run) throw new Error("no such /run call");
  return (run.body as { webhook: string }).webhook;
}

/** RunPod's three calls, answering from `jobs`; every request is recorded. */
function fakeRunPod(options: { base?: string; statusDelayMs?: number } = {}) {
  const base = options.base ?? api;
  const seen: Seen[] = [];
  const jobs = new Map<string, RunPodJob>();
  let next = 0;
  const record = async (request: Request) => {
    const text = await request.text();
    seen.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get("authorization"),
      body: text ? JSON.parse(text) : null,
    });
  };
  network.use(
    http.post(`${base}/run`, async ({ request }) => {
      await record(request);
      const id = `job-${++next}`;
      jobs.set(id, { id, status: "IN_QUEUE" });
      return HttpResponse.json({ id, status: "IN_QUEUE" });
    }),
    http.get(`${base}/status/:id`, async ({ request, params }) => {
      await record(request);
      if (options.statusDelayMs) await delay(options.statusDelayMs);
      const job = jobs.get(params.id as string);
      return job ? HttpResponse.json(job) : HttpResponse.json({ error: "job not found" }, { status: 404 });
    }),
    http.post(`${base}/cancel/:id`, async ({ request, params }) => {
      await record(request);
      const job = jobs.get(params.id as string);
      if (!job) return HttpResponse.json({ error: "job not found" }, { status: 404 });
      jobs.set(job.id, { ...job, status: "CANCELLED" });
      return HttpResponse.json({ id: job.id, status: "CANCELLED" });
    }),
  );
  const runs = () => seen.filter((request) => request.url.endsWith("/run"));
  return { seen, jobs, runs };
}

describe("the RunPod adapter speaks RunPod's REST API v2", () => {
  it("submits {input, webhook, policy} to /run with bearer auth", async () => {
    const runpod = fakeRunPod();
    const provider = createRunPodProvider({ apiKey, endpointId });
    const { jobId } = await provider.submit({
      videoId: "vid_1",
      attempt: 0,
      ...submission,
      input,
      webhookUrl: "https://hook/x?t=1",
    });
    expect(jobId).toBe("job-1");
    expect(runpod.seen).toEqual([
      {
        method: "POST",
        url: `${api}/run`,
        authorization: `Bearer ${apiKey}`,
        body: {
          // The worker's input, plus the name the server chose for this attempt's file.
          input: { ...input, output_key: "vid_1-0.mp4" },
          webhook: "https://hook/x?t=1",
          policy: { executionTimeout: 30 * 60_000, ttl: 24 * 60 * 60_000 },
        },
      },
    ]);
  });

  it("honours RUNPOD_BASE_URL and the policy it is given", async () => {
    const runpod = fakeRunPod({ base: `http://runpod.internal:8000/v2/${endpointId}` });
    const provider = createRunPodProvider({
      apiKey,
      endpointId,
      baseUrl: "http://runpod.internal:8000/v2/",
      executionTimeoutMs: 120_000,
      ttlMs: 3_600_000,
    });
    await provider.submit({ videoId: "vid_1", attempt: 0, ...submission, input, webhookUrl: "https://hook" });
    expect(runpod.seen[0]?.url).toBe(`http://runpod.internal:8000/v2/${endpointId}/run`);
    expect(runpod.seen[0]?.body).toMatchObject({ policy: { executionTimeout: 120_000, ttl: 3_600_000 } });
  });

  it("reads /status, maps an unknown job to null, and cancels with POST /cancel", async () => {
    const runpod = fakeRunPod();
    const provider = createRunPodProvider({ apiKey, endpointId });
    runpod.jobs.set("job-9", { id: "job-9", status: "IN_PROGRESS", output: { stage: "denoising", progress: 0.5 } });
    expect(await provider.status("job-9")).toEqual({
      id: "job-9",
      status: "IN_PROGRESS",
      output: { stage: "denoising", progress: 0.5 },
    });
    expect(await provider.status("gone")).toBeNull();
    await provider.cancel("job-9");
    await provider.cancel("gone");
    expect(runpod.jobs.get("job-9")?.status).toBe("CANCELLED");
    expect(runpod.seen.map((request) => `${request.method} ${request.url.replace(api, "")}`)).toEqual([
      "GET /status/job-9",
      "GET /status/gone",
      "POST /cancel/job-9",
      "POST /cancel/gone",
    ]);
    expect(runpod.seen.every((request) => request.authorization === `Bearer ${apiKey}`)).toBe(true);
  });

  it("a refused /run throws a helpful error, once (never retried blindly), without the key", async () => {
    let calls = 0;
    network.use(
      http.post(`${api}/run`, () => {
        calls += 1;
        return HttpResponse.json({ error: "Unauthorized" }, { status: 401 });
      }),
    );
    const provider = createRunPodProvider({ apiKey, endpointId });
    const error = await provider
      .submit({ videoId: "v", attempt: 0, ...submission, input, webhookUrl: "https://hook" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/RunPod \/run answered 401.*Check RUNPOD_API_KEY/);
    expect(error.message).not.toContain(apiKey);
    expect(calls).toBe(1);

    network.use(http.post(`${api}/run`, () => HttpResponse.error()));
    await expect(
      provider.submit({ videoId: "v", attempt: 0, ...submission, input, webhookUrl: "https://hook" }),
    ).rejects.toThrow(/RunPod \/run failed/);
  });

  it("refuses to start without a key or endpoint, or with a policy RunPod rejects", () => {
    expect(() => createRunPodProvider({ apiKey: "", endpointId })).toThrow(/RUNPOD_API_KEY/);
    expect(() => createRunPodProvider({ apiKey, endpointId: "" })).toThrow(/RUNPOD_ENDPOINT_ID/);
    expect(() => createRunPodProvider({ apiKey, endpointId, ttlMs: 1000 })).toThrow(/ttl/);
  });
});

describe("the server with the RunPod adapter: every webhook status", () => {
  let server: TestServer;
  let runpod: ReturnType<typeof fakeRunPod>;
  const fileBytes = Buffer.from("\x00\x00\x00\x18ftypmp42 fake mp4 bytes for the copy", "latin1");

  beforeAll(async () => {
    server = await startTestServer({ runpod: { apiKey, endpointId }, config: { maxActiveJobs: 50 } });
    await accepted(server);
  });
  afterAll(() => server.close());

  beforeEach(() => {
    runpod = fakeRunPod();
    // A worker's file outside the server's storage (another bucket, a signed link).
    network.use(
      http.get(
        "https://cdn.example/out/:name",
        () => new HttpResponse(new Uint8Array(fileBytes), { headers: { "content-type": "video/mp4" } }),
      ),
    );
  });

  async function create(): Promise<{ video: Video; webhook: (job: Omit<RunPodJob, "id">) => Promise<Response> }> {
    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(202);
    const { video } = (await response.json()) as { video: Video };
    return { video, webhook: (job) => post(runpod.runs().at(-1), job) };
  }

  /** Posts a job update to the webhook URL a /run call carried, as RunPod does. */
  function post(run: Seen | undefined, job: Omit<RunPodJob, "id">, id?: string) {
    const jobId = id ?? `job-${runpod.runs().indexOf(run as Seen) + 1}`;
    return fetch(webhookOf(run), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: jobId, ...job }),
    });
  }

  const read = async (id: string) => ((await (await server.api(`/videos/${id}`)).json()) as { video: Video }).video;
  const used = async () => ((await (await server.api("/usage")).json()) as { usedSeconds: number }).usedSeconds;
  const output = (url: string) => ({ url, key: "k", frames: 7, fps: 30, width: 256, height: 256, seconds: 0.233 });

  it("IN_QUEUE keeps the video queued; IN_PROGRESS moves it to processing with progress", async () => {
    const { video, webhook } = await create();
    expect(video.jobId).toBe("job-1");
    expect((await webhook({ status: "IN_QUEUE" })).status).toBe(200);
    expect(await read(video.id)).toMatchObject({ status: "queued", jobId: "job-1" });
    await webhook({ status: "IN_PROGRESS", output: { stage: "denoising", progress: 0.4, step: 26, steps: 64 } });
    expect(await read(video.id)).toMatchObject({ status: "processing", progress: 0.4 });
  });

  it("COMPLETED with a url: the file is copied into storage and the video completes", async () => {
    const { video, webhook } = await create();
    const answer = await webhook({ status: "COMPLETED", output: output("https://cdn.example/out/v.mp4?sig=abc") });
    expect(answer.status).toBe(200);
    const done = await read(video.id);
    expect(done).toMatchObject({ status: "completed", progress: 1, retryCount: 0 });
    expect(done.url?.startsWith(`${server.origin}/api/files/`)).toBe(true);
    expect(Buffer.from(await (await fetch(done.url as string)).arrayBuffer()).equals(fileBytes)).toBe(true);
  });

  it("COMPLETED without a url is a failure: the video is resubmitted, not completed", async () => {
    const { video, webhook } = await create();
    await webhook({ status: "COMPLETED", output: { key: "k", frames: 7 } });
    expect(await read(video.id)).toMatchObject({ status: "processing", retryCount: 1, url: null, jobId: "job-2" });
    expect(runpod.runs()).toHaveLength(2);
    expect(webhookOf(runpod.runs()[1])).toContain("attempt=1");
  });

  it("FAILED with a retryable error resubmits once per failure up to MAX_RETRIES, then fails and refunds", async () => {
    const before = await used();
    const { video } = await create();
    await post(runpod.runs()[0], { status: "FAILED", error: "model_error: CUDA error: illegal memory access" });
    expect(await read(video.id)).toMatchObject({ status: "processing", retryCount: 1 });
    await post(runpod.runs()[1], { status: "TIMED_OUT" });
    expect(await read(video.id)).toMatchObject({ status: "processing", retryCount: 2 });
    await post(runpod.runs()[2], { status: "FAILED", error: "upload_failed: HTTP 503" });
    expect(await read(video.id)).toMatchObject({
      status: "failed",
      retryCount: 2,
      error: { code: "upload_failed", message: "HTTP 503" },
    });
    expect(runpod.runs()).toHaveLength(3);
    expect(await used()).toBeCloseTo(before, 3);
  });

  it("FAILED with a permanent error (invalid_input) fails at once and refunds", async () => {
    const before = await used();
    const { video, webhook } = await create();
    await webhook({ status: "FAILED", error: "invalid_input: width: must be a multiple of 16" });
    expect(await read(video.id)).toMatchObject({ status: "failed", retryCount: 0, error: { code: "invalid_input" } });
    expect(runpod.runs()).toHaveLength(1);
    expect(await used()).toBeCloseTo(before, 3);
  });

  it("CANCELLED fails without retry; TIMED_OUT is retried", async () => {
    const cancelled = await create();
    await cancelled.webhook({ status: "CANCELLED" });
    expect(await read(cancelled.video.id)).toMatchObject({ status: "failed", error: { code: "cancelled" } });
    const timedOut = await create();
    await timedOut.webhook({ status: "TIMED_OUT" });
    expect(await read(timedOut.video.id)).toMatchObject({ status: "processing", retryCount: 1 });
    expect(runpod.runs()).toHaveLength(3);
  });

  it("a RunPod outage at submission is 502 provider_unavailable with nothing charged", async () => {
    network.use(http.post(`${api}/run`, () => HttpResponse.json({ error: "upstream" }, { status: 503 })));
    const before = await used();
    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("provider_unavailable");
    expect(body.error.message).toMatch(/RunPod \/run answered 503.*nothing was charged/);
    expect(await used()).toBeCloseTo(before, 3);
  });
});

describe("RunPod answering garbage or not at all", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      runpod: { apiKey, endpointId, requestTimeoutMs: 300 },
      reconciler: { silentMs: 0, intervalMs: 3_600_000 },
    });
    await accepted(server);
  });
  afterAll(() => server.close());

  const used = async () => ((await (await server.api("/usage")).json()) as { usedSeconds: number }).usedSeconds;

  it.each([
    ["an HTML error page with status 200", () => new HttpResponse("<html>Bad gateway</html>", { status: 200 })],
    ["JSON without a job id", () => HttpResponse.json({ status: "IN_QUEUE" })],
    ["a 500", () => HttpResponse.json({ error: "internal" }, { status: 500 })],
    [
      "nothing within the request timeout",
      async () => {
        await delay(2000);
        return HttpResponse.json({ id: "late", status: "IN_QUEUE" });
      },
    ],
  ])("/run answering %s: 502 provider_unavailable, nothing charged, nothing left active", async (_name, answer) => {
    network.use(http.post(`${api}/run`, answer));
    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("provider_unavailable");
    expect(await used()).toBe(0);
    const videos = ((await (await server.api("/videos")).json()) as { videos: Video[] }).videos;
    expect(videos.every((video) => video.status === "failed")).toBe(true);
  });

  it("/status answering garbage changes nothing; the next good answer is applied", async () => {
    fakeRunPod();
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    network.use(http.get(`${api}/status/:id`, () => new HttpResponse("not json", { status: 200 })));
    const report = await server.openv.reconciler.runOnce();
    expect(report.outcomes.unreachable).toBe(1);
    expect(((await (await server.api(`/videos/${video.id}`)).json()) as { video: Video }).video.status).toBe("queued");
    network.resetHandlers();
    network.use(
      http.get(`${api}/status/:id`, ({ params }) =>
        HttpResponse.json({ id: params.id, status: "IN_PROGRESS", output: { progress: 0.5 } }),
      ),
    );
    await server.openv.reconciler.runOnce();
    expect(((await (await server.api(`/videos/${video.id}`)).json()) as { video: Video }).video).toMatchObject({
      status: "processing",
      progress: 0.5,
    });
  });
});

describe("10 parallel list/reconcile passes over one retryable failed video", () => {
  let server: TestServer;
  beforeAll(async () => {
    // Every unfinished video counts as silent; the loop itself never fires (the test runs the passes).
    server = await startTestServer({
      runpod: { apiKey, endpointId },
      reconciler: { silentMs: 0, intervalMs: 3_600_000 },
    });
    await accepted(server);
  });
  afterAll(() => server.close());

  it("resubmit it exactly once (the original OpenV made 10 GPU jobs here)", async () => {
    const runpod = fakeRunPod({ statusDelayMs: 100 });
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    // RunPod failed the job and the webhook was lost.
    runpod.jobs.set("job-1", { id: "job-1", status: "FAILED", error: "model_error: CUDA error" });
    const { reconciler } = server.openv;

    await Promise.all([
      ...Array.from({ length: 10 }, () => reconciler.runOnce()),
      ...Array.from({ length: 10 }, () => server.api("/videos")),
      // RunPod's own webhook retries arriving at the same moment.
      ...Array.from({ length: 3 }, () =>
        fetch(webhookOf(runpod.runs()[0]), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(runpod.jobs.get("job-1")),
        }),
      ),
    ]);
    expect(runpod.runs()).toHaveLength(2);
    const after = ((await (await server.api(`/videos/${video.id}`)).json()) as { video: Video }).video;
    expect(after).toMatchObject({ status: "processing", retryCount: 1, jobId: "job-2" });
    // The claim kept the passes off each other: at most one status call for the failed job.
    expect(runpod.seen.filter((request) => request.url.endsWith("/status/job-1")).length).toBeLessThanOrEqual(1);
  });
});
