import { GenerateResponseSchema, type Video } from "@openv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { accepted, backends, generateBody, readEvents, startTestServer, type TestServer } from "./helpers.js";
import {
  RunPodStandIn,
  type RunPodStandInOptions,
  renderWithFfmpeg,
  runUntilCancelled,
} from "./support/runpod-stand-in.js";

const apiKey = "rp_test_key";
const endpointId = "mochi-e2e";

/**
 * The production path end to end: the RunPod adapter talks HTTP to a RunPod-compatible stand-in on
 * loopback, which runs the job (a real MP4), reports progress through /status only (as RunPod
 * does), and calls the webhook back once, unsigned, with the per-video token the server gave it.
 */
describe.each(backends)("RunPod end to end over HTTP ($name)", ({ adminUrl }) => {
  let server: TestServer | undefined;
  let standIn: RunPodStandIn | undefined;
  afterEach(async () => {
    await server?.close();
    await standIn?.close();
    server = undefined;
    standIn = undefined;
  });

  async function start(options: Partial<RunPodStandInOptions> = {}, reconciler = { intervalMs: 100, silentMs: 150 }) {
    standIn = await new RunPodStandIn({ apiKey, endpointId, ...options }).start();
    server = await startTestServer({
      adminUrl,
      runpod: { apiKey, endpointId, baseUrl: standIn.baseUrl },
      outputAllowedHosts: [standIn.host],
      reconciler,
    });
    await accepted(server);
    return { server, standIn };
  }

  it("a prompt becomes a playable video in our storage, with progress on the way", async () => {
    const { server, standIn } = await start();
    const events = await server.api("/videos/events");
    const done = readEvents(events, (seen) =>
      seen.some((event) => (event.data as Video | null)?.status === "completed"),
    );

    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(202);
    const { video } = GenerateResponseSchema.parse(await response.json());

    const seen = (await done).filter((event) => event.event === "video").map((event) => event.data as Video);
    const progress = seen.filter((change) => change.status === "processing").map((change) => change.progress ?? 0);
    expect(progress.some((value) => value > 0 && value < 1)).toBe(true);
    const final = seen.at(-1) as Video;
    expect(final).toMatchObject({ id: video.id, status: "completed", progress: 1, jobId: standIn.submitted[0]?.id });

    // The worker's file was served by the stand-in; the video now plays from the server's storage.
    expect(final.url?.startsWith(`${server.origin}/api/files/`)).toBe(true);
    const original = await fetch(`${standIn.baseUrl.replace(/\/v2$/, "")}/files/${final.jobId}.mp4`);
    const copy = await fetch(final.url as string);
    expect(copy.headers.get("content-type")).toBe("video/mp4");
    expect(Buffer.from(await copy.arrayBuffer()).equals(Buffer.from(await original.arrayBuffer()))).toBe(true);

    // One /run with the worker input, the webhook and the policy; bearer auth on every call.
    const runs = standIn.requests.filter((request) => request.url.endsWith("/run"));
    expect(runs).toHaveLength(1);
    expect(runs[0]?.body).toMatchObject({
      input: { positive_prompt: generateBody.prompt, num_frames: 7, width: 256, height: 256 },
      webhook: expect.stringContaining(`/api/runpod/webhook?video=${video.id}&attempt=0&token=`),
      policy: { executionTimeout: expect.any(Number), ttl: expect.any(Number) },
    });
    expect(standIn.requests.every((request) => request.authorization === `Bearer ${apiKey}`)).toBe(true);
    await standIn.settle();
    expect(standIn.webhookDeliveries).toEqual([{ jobId: final.jobId, status: 200 }]);
  });

  it("a lost webhook: the reconciler finds the finished job through /status", async () => {
    const { server, standIn } = await start({ dropWebhook: () => true });
    const { video } = GenerateResponseSchema.parse(
      await (await server.api("/videos", { method: "POST", json: generateBody })).json(),
    );
    const final = await waitForVideo(server, video.id, (current) => current.status === "completed");
    expect(final.url?.startsWith(`${server.origin}/api/files/`)).toBe(true);
    expect(standIn.webhookDeliveries).toEqual([]);
    expect(standIn.requests.some((request) => request.url.includes("/status/"))).toBe(true);
  });

  it("a job RunPod deleted after its ttl fails the video with a clear error and refunds it", async () => {
    // The worker never finishes; the stand-in's clock then passes the ttl the adapter sent.
    const { server, standIn } = await start({ runner: runUntilCancelled });
    const { video } = GenerateResponseSchema.parse(
      await (await server.api("/videos", { method: "POST", json: generateBody })).json(),
    );
    await waitForVideo(server, video.id, (current) => current.status === "processing");
    const run = standIn.requests.find((request) => request.url.endsWith("/run"));
    const { ttl } = (run?.body as { policy: { ttl: number } } | undefined)?.policy ?? { ttl: Number.NaN };
    standIn.advance(ttl + 1000);
    const failed = await waitForVideo(server, video.id, (current) => current.status === "failed");
    expect(failed.error?.code).toBe("job_expired");
    expect(failed.error?.message).toMatch(/no longer knows job .*refunded/);
    expect((await (await server.api("/usage")).json()).usedSeconds).toBe(0);
  });

  it("a worker failure is retried with a new job; the second attempt completes", async () => {
    let runs = 0;
    const { server, standIn } = await start({
      runner: async (job) => {
        runs += 1;
        if (runs === 1) throw new Error("model_error: CUDA error: an illegal memory access was encountered");
        return renderWithFfmpeg(job);
      },
    });
    const { video } = GenerateResponseSchema.parse(
      await (await server.api("/videos", { method: "POST", json: generateBody })).json(),
    );
    const final = await waitForVideo(server, video.id, (current) => current.status === "completed");
    expect(final.retryCount).toBe(1);
    expect(final.jobId).toBe(standIn.submitted[1]?.id);
    expect(standIn.submitted).toHaveLength(2);
    expect(standIn.submitted[1]?.webhook).toContain("attempt=1");
  });

  it("deleting a running video cancels its RunPod job", async () => {
    const { server, standIn } = await start({ runner: runUntilCancelled });
    const { video } = GenerateResponseSchema.parse(
      await (await server.api("/videos", { method: "POST", json: generateBody })).json(),
    );
    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    const jobId = standIn.submitted[0]?.id as string;
    expect(standIn.requests.some((request) => request.url.endsWith(`/cancel/${jobId}`))).toBe(true);
    expect(standIn.job(jobId)?.status).toBe("CANCELLED");
  });
});

/** Polls GET /videos/:id until `done` holds (the reconciler works in the background). */
export async function waitForVideo(
  server: TestServer,
  id: string,
  done: (video: Video) => boolean,
  timeoutMs = 20_000,
): Promise<Video> {
  const deadline = Date.now() + timeoutMs;
  let last: Video | undefined;
  while (Date.now() < deadline) {
    last = ((await (await server.api(`/videos/${id}`)).json()) as { video: Video }).video;
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`video ${id} did not reach the expected state; last: ${JSON.stringify(last)}`);
}
