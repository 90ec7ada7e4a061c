import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accepted, bindings, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

describe.each(bindings)("webhook ingestion and retries (%s binding)", (binding) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({ binding, provider, config: { maxRetries: 2, maxActiveJobs: 50 } });
    await accepted(server);
  });
  afterAll(() => server.close());

  const create = async () =>
    ((await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as { video: Video }).video;
  const read = async (id: string) => ((await (await server.api(`/videos/${id}`)).json()) as { video: Video }).video;

  it("a retryable failure is resubmitted exactly once per failure, even when delivered 5 times", async () => {
    const video = await create();
    const before = provider.submissions.length;
    await Promise.all(
      Array.from({ length: 5 }, () => provider.send({ status: "FAILED", error: "upload_failed: 503" })),
    );
    expect(provider.submissions.length).toBe(before + 1);
    const retried = await read(video.id);
    expect(retried).toMatchObject({ status: "processing", retryCount: 1, jobId: provider.submissions.at(-1)?.jobId });
    // A late update of the first attempt changes nothing.
    const stale = await provider.send({ status: "COMPLETED", output: {} }, before - 1);
    expect(await stale.json()).toEqual({ received: true, applied: false });

    await provider.send({ status: "TIMED_OUT" });
    expect((await read(video.id)).retryCount).toBe(2);
    await provider.send({ status: "FAILED", error: "model_error: CUDA error" });
    const failed = await read(video.id);
    expect(failed).toMatchObject({
      status: "failed",
      retryCount: 2,
      error: { code: "model_error", message: "CUDA error" },
    });
    expect(provider.submissions.length).toBe(before + 2);
  });

  it("a permanent failure fails at once and refunds; a completion without a url is not a completion", async () => {
    const usedBefore = (await (await server.api("/usage")).json()).usedSeconds;
    const video = await create();
    await provider.send({ status: "FAILED", error: "invalid_input: width: must be a multiple of 16" });
    expect(await read(video.id)).toMatchObject({ status: "failed", retryCount: 0, error: { code: "invalid_input" } });
    expect((await (await server.api("/usage")).json()).usedSeconds).toBeCloseTo(usedBefore, 3);

    const other = await create();
    await provider.send({ status: "COMPLETED", output: { key: "no-url" } });
    expect(await read(other.id)).toMatchObject({ status: "processing", retryCount: 1, url: null });
  });

  it("CANCELLED fails without retry and refunds", async () => {
    const video = await create();
    await provider.send({ status: "CANCELLED" });
    expect(await read(video.id)).toMatchObject({ status: "failed", error: { code: "cancelled" } });
  });

  it("a forged or missing token is 401 and changes nothing", async () => {
    const video = await create();
    const submission = provider.submissions.at(-1);
    const url = new URL(submission?.webhookUrl as string);
    url.searchParams.set("token", "forged");
    const forged = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: submission?.jobId, status: "COMPLETED", output: {} }),
    });
    expect(forged.status).toBe(401);
    const missing = await server.api("/runpod/webhook", { method: "POST", json: { id: "x", status: "COMPLETED" } });
    expect(missing.status).toBe(401);
    expect((await read(video.id)).status).toBe("queued");
  });
});
