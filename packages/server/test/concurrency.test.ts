import type { Video } from "@openv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import {
  accepted,
  backends,
  completedOutput,
  generateBody,
  retryUnavailable,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";

describe.each(backends)("concurrency on $name", ({ adminUrl }) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(config: object, provider = new ScriptedProvider()) {
    server = await startTestServer({ adminUrl, provider, config });
    return { server, provider };
  }

  it("50 parallel generates against a quota that fits 10: exactly 10 accepted, usage never over", async () => {
    // 10 videos of 31 frames (31/30 s each) fit in 10.4 s; the 11th does not.
    const { server } = await start({ monthlyLimitSeconds: 10.4, maxActiveJobs: 100 });
    await accepted(server);
    // Like the SDK, each request has its own Idempotency-Key and retries a 503 (a burst of 50 on a
    // busy machine can wait past the database pool's limit); a retry replays, never adds a video.
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        retryUnavailable(() =>
          server.api("/videos", {
            method: "POST",
            headers: { "idempotency-key": `burst-${index}` },
            json: { ...generateBody, frames: 31 },
          }),
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(10);
    expect(statuses.filter((status) => status === 403)).toHaveLength(40);
    const usage = await (await server.api("/usage")).json();
    expect(usage.usedSeconds).toBeCloseTo(310 / 30, 3);
    expect(usage.usedSeconds).toBeLessThanOrEqual(usage.limitSeconds);
    expect((await server.tableCounts()).Video).toBe(10);
  });

  it("20 parallel generates with MAX_ACTIVE_JOBS 3: exactly 3 accepted", async () => {
    const { server } = await start({ maxActiveJobs: 3 });
    await accepted(server);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        retryUnavailable(() =>
          server.api("/videos", {
            method: "POST",
            json: generateBody,
            headers: { "idempotency-key": `limit-${index}` },
          }),
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(3);
    expect(statuses.filter((status) => status === 409)).toHaveLength(17);
  });

  it("one Idempotency-Key sent 20 times in parallel: one video, one charge", async () => {
    const { server, provider } = await start({ maxActiveJobs: 100 });
    await accepted(server);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        retryUnavailable(() =>
          server.api("/videos", { method: "POST", json: generateBody, headers: { "idempotency-key": "same-key" } }),
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 202 || status === 409)).toBe(true);
    const ids = new Set(
      await Promise.all(
        responses.filter((r) => r.status === 202).map(async (r) => ((await r.json()) as { video: Video }).video.id),
      ),
    );
    expect(ids.size).toBe(1);
    expect(provider.submissions).toHaveLength(1);
    expect((await server.tableCounts()).UsageEntry).toBe(1);
    expect((await (await server.api("/usage")).json()).usedSeconds).toBeCloseTo(7 / 30, 3);
  });

  it("10 duplicate and out-of-order webhooks: one transition each, no regression", async () => {
    const { server, provider } = await start({});
    await accepted(server);
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    const events = server.openv.lifecycle;
    const seen: string[] = [];
    const heard = new Set<string>();
    const unsubscribe = events.subscribe("alice", ({ change }) => {
      heard.add(change.id);
      if (change.id === video.id && !("deleted" in change)) seen.push(change.status);
    });
    const updates = [
      { status: "IN_PROGRESS" as const, output: { progress: 0.3 } },
      { status: "COMPLETED" as const, output: completedOutput(server, { videoId: video.id }) },
      { status: "IN_QUEUE" as const },
      { status: "IN_PROGRESS" as const, output: { progress: 0.9 } },
      { status: "COMPLETED" as const, output: completedOutput(server, { videoId: video.id }) },
      { status: "IN_PROGRESS" as const, output: { progress: 0.3 } },
      { status: "FAILED" as const, error: "model_error: late" },
      { status: "COMPLETED" as const, output: completedOutput(server, { videoId: video.id }) },
      { status: "IN_QUEUE" as const },
      { status: "COMPLETED" as const, output: completedOutput(server, { videoId: video.id }) },
    ];
    // The first completion lands first; the 8 late updates then race each other. (All 10 at once
    // could let the retryable FAILED arrive before any COMPLETED, and a resubmission is then the
    // right outcome, not the one this test is about.)
    const [first, second, ...late] = updates.map((update) => () => retryUnavailable(() => provider.send(update)));
    const answers = [await first?.(), await second?.(), ...(await Promise.all(late.map((send) => send())))];
    expect(answers.map((answer) => answer?.status)).toEqual(Array(10).fill(200));
    // Changes reach subscribers through the event bus, on PostgreSQL asynchronously (LISTEN/NOTIFY,
    // in commit order): once a change made after every answer is heard, every change the updates
    // published has been heard too.
    const next = await server.api("/videos", { method: "POST", json: generateBody });
    const afterwards = ((await next.json()) as { video: Video }).video.id;
    for (const deadline = Date.now() + 15_000; !heard.has(afterwards) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(heard.has(afterwards)).toBe(true);
    unsubscribe();
    const final = (await (await server.api(`/videos/${video.id}`)).json()).video as Video;
    expect(final.status).toBe("completed");
    expect(final.retryCount).toBe(0);
    expect(seen.filter((status) => status === "completed")).toHaveLength(1);
    // Every status a subscriber saw moves forward.
    const rank = { queued: 0, processing: 1, completed: 2, failed: 2 } as Record<string, number>;
    expect(seen.map((status) => rank[status])).toEqual([...seen.map((status) => rank[status])].sort());
    expect(provider.submissions.filter((submission) => submission.videoId === video.id)).toHaveLength(1);
  });
});
