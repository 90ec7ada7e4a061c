import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accepted, createTestDatabase, generateBody, readEvents, startTestServer, type TestServer } from "./helpers.js";
import { RunPodStandIn, runUntilCancelled } from "./support/runpod-stand-in.js";

const adminUrl = process.env.OPENV_TEST_DATABASE_URL;
const apiKey = "rp_key";
const endpointId = "mochi";

/**
 * Production runs several stateless instances on one PostgreSQL. Here two real servers share one
 * real database and one RunPod-compatible stand-in. Jobs whose prompt says "hold" run until
 * cancelled; every other job fails with a retryable worker error, and no webhook is ever delivered,
 * so only the reconcilers can notice.
 */
describe.skipIf(!adminUrl)("two server instances on one PostgreSQL", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let standIn: RunPodStandIn;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    standIn = await new RunPodStandIn({
      apiKey,
      endpointId,
      dropWebhook: () => true,
      statusDelayMs: 40,
      runner: async (job) => {
        if (job.input.positive_prompt.includes("hold")) return runUntilCancelled(job);
        throw new Error("model_error: CUDA error: an illegal memory access was encountered");
      },
    }).start();
    database = await createTestDatabase(adminUrl as string);
    const options = {
      databaseUrl: database.url,
      runpod: { apiKey, endpointId, baseUrl: standIn.baseUrl },
      outputAllowedHosts: [standIn.host],
      // Instances must share the secret that signs webhook URLs (OPENV_WEBHOOK_SECRET).
      webhookSecret: "one-secret-for-every-instance",
      config: { maxActiveJobs: 20, monthlyLimitSeconds: 1000 },
      // The loops never fire on their own: the test runs passes on both instances at once.
      reconciler: { silentMs: 0, intervalMs: 3_600_000, batchSize: 5, concurrency: 3 },
    };
    a = await startTestServer(options);
    b = await startTestServer(options);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await standIn?.close();
    await database?.drop();
  });

  it("a webhook posted to instance A reaches an SSE client of instance B within 1 s", async () => {
    expect(b.openv.adapters.events.name).toMatch(/LISTEN\/NOTIFY/);
    await accepted(a, "carol");
    const created = (await (
      await b.api("/videos", { method: "POST", user: "carol", json: { ...generateBody, prompt: "hold still" } })
    ).json()) as { video: Video };
    // Once the response has started, B has subscribed this user (its LISTEN was set up at start).
    const stream = await b.api("/videos/events", { user: "carol" });
    const seenOnB = readEvents(stream, (events) =>
      events.some((event) => (event.data as Video | null)?.status === "processing"),
    );
    // RunPod calls the URL it was given (naming B, which submitted); the load balancer sends it to A.
    const webhook = new URL(standIn.submitted.at(-1)?.webhook as string);
    const sentAt = performance.now();
    const hook = await fetch(`${a.origin}${webhook.pathname}${webhook.search}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: created.video.jobId, status: "IN_PROGRESS", output: { progress: 0.25 } }),
    });
    expect(await hook.json()).toEqual({ received: true, applied: true });
    const events = await seenOnB;
    const arrivedMs = performance.now() - sentAt;
    expect(events.at(-1)?.data).toMatchObject({ id: created.video.id, status: "processing", progress: 0.25 });
    expect(arrivedMs).toBeLessThan(1000);
    // Deleting it on A cancels the job B submitted.
    expect((await a.api(`/videos/${created.video.id}`, { method: "DELETE", user: "carol" })).status).toBe(204);
    expect(standIn.job(created.video.jobId as string)?.status).toBe("CANCELLED");
  });

  it("reconcilers on both instances never process a job twice", async () => {
    const users = ["u1", "u2", "u3", "u4"];
    await Promise.all(users.map((user) => accepted(a, user)));
    const videos: (Video & { user: string })[] = [];
    for (const user of users) {
      for (let i = 0; i < 3; i++) {
        const response = await (i % 2 ? a : b).api("/videos", { method: "POST", user, json: generateBody });
        videos.push({ ...((await response.json()) as { video: Video }).video, user });
      }
    }
    await standIn.settle();
    const ids = new Set(videos.map((video) => video.id));
    const statusCallsBefore = standIn.statusCalls.length;

    // Both instances run passes at once, round after round, until every video has failed for good
    // (each attempt fails; MAX_RETRIES is 2, so each video is submitted exactly 3 times).
    for (let round = 0; round < 10; round++) {
      await Promise.all([
        a.openv.reconciler.runOnce(),
        b.openv.reconciler.runOnce(),
        a.openv.reconciler.runOnce(),
        b.openv.reconciler.runOnce(),
      ]);
      await standIn.settle();
    }

    const submissions = standIn.submitted
      .map((job) => new URL(job.webhook as string).searchParams)
      .filter((query) => ids.has(query.get("video") as string))
      .map((query) => `${query.get("video")}#${query.get("attempt")}`);
    // Each attempt of each video went to RunPod exactly once, whichever instance sent it.
    expect(submissions).toHaveLength(videos.length * 3);
    expect(new Set(submissions).size).toBe(submissions.length);

    // No job was ever asked about by two passes at the same time.
    const calls = standIn.statusCalls.slice(statusCallsBefore);
    for (const jobId of new Set(calls.map((call) => call.jobId))) {
      const forJob = calls.filter((call) => call.jobId === jobId).sort((x, y) => x.start - y.start);
      forJob.slice(1).forEach((call, i) => {
        expect(call.start).toBeGreaterThanOrEqual((forJob[i] as { end: number }).end);
      });
    }
    const states = await Promise.all(
      videos.map(
        async (video) =>
          ((await (await a.api(`/videos/${video.id}`, { user: video.user })).json()) as { video: Video }).video,
      ),
    );
    expect(states.map((video) => [video.status, video.retryCount, video.error?.code])).toEqual(
      videos.map(() => ["failed", 2, "model_error"]),
    );
  });
});
