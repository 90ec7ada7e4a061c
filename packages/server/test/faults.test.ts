import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "./helpers.js";
import { RunPodStandIn } from "./support/runpod-stand-in.js";
import { embeddedEnv, ensureBuilt, root, type SpawnedServer, spawnServer, testPort } from "./support/spawn-server.js";

const cli = path.join(root, "packages/server/dist/cli.js");
const adminUrl = process.env.OPENV_TEST_DATABASE_URL;

/**
 * The server process killed at the worst moments (SIGKILL: no shutdown code runs), then started
 * again on the same database and port. RunPod is the loopback stand-in, whose requests the test
 * holds open to choose the moment. Every video must end terminal, charged once, submitted once.
 */
describe("the server killed mid-flight loses no video", () => {
  let standIn: RunPodStandIn;
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let server: SpawnedServer | null = null;
  const port = testPort();
  const base = `http://127.0.0.1:${port}`;

  async function start() {
    const env = embeddedEnv({
      PORT: String(port),
      PUBLIC_URL: base,
      OPENV_DATA_DIR: dataDir,
      RUNPOD_API_KEY: "rp_fault_key",
      RUNPOD_ENDPOINT_ID: "faults",
      RUNPOD_BASE_URL: standIn.baseUrl,
      OPENV_OUTPUT_ALLOWED_HOSTS: standIn.host,
      OPENV_RECONCILE_INTERVAL_MS: "200",
      // Short, so the second test's reconciler claims the video and copies its file while the
      // webhook's copy is held: the kill lands on both.
      OPENV_RECONCILE_SILENT_MS: "500",
      OPENV_RECONCILE_JOBLESS_GRACE_MS: "1500",
      ...(database && { DATABASE_URL: database.url }),
    });
    // dist/cli.js itself, not scripts/start.mjs: SIGKILL must reach the server process.
    server = await spawnServer(cli, env, port, 60_000);
  }

  /** SIGKILL: no shutdown code runs. */
  const kill = () => server?.stop("SIGKILL");

  const call = async (pathname: string, init: RequestInit = {}) =>
    fetch(`${base}/api${pathname}`, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  const list = async () => ((await (await call("/videos")).json()) as { videos: Video[] }).videos;
  const until = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}\n${server?.output.slice(-3000)}`);
  };
  /** Each (video, attempt) the stand-in received. */
  const submissions = () =>
    standIn.submitted.map((job) => {
      const query = new URL(job.webhook as string).searchParams;
      return `${query.get("video")}#${query.get("attempt")}`;
    });

  beforeAll(async () => {
    // dist/cli.js must be the sources' build (a stale one would test old code).
    await ensureBuilt();
    standIn = await new RunPodStandIn({
      apiKey: "rp_fault_key",
      endpointId: "faults",
      webhookRetryDelayMs: 1000,
    }).start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-faults-"));
    if (adminUrl) database = await createTestDatabase(adminUrl);
    await start();
    expect((await call("/terms/accept", { method: "POST", body: '{"version":"1.0.0"}' })).status).toBe(200);
  }, 15 * 60_000);

  afterAll(async () => {
    await kill();
    await standIn?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const body = JSON.stringify({ prompt: "a lantern on a dark river", frames: 7, width: 256, height: 256 });

  it("killed after storing a video, before RunPod accepted it: submitted once after restart, charged once", async () => {
    standIn.holdRuns = true;
    const request = call("/videos", { method: "POST", body }).catch((error: unknown) => error);
    await until("the /run call to be held", () => standIn.held.runs === 1);
    await kill();
    expect(await request).toBeInstanceOf(Error); // the client never got an answer
    standIn.holdRuns = false;
    expect(standIn.submitted).toHaveLength(0);

    await start();
    const video = await until("the video to complete", async () =>
      (await list()).find((candidate) => candidate.status === "completed"),
    );
    expect(video.prompt).toBe("a lantern on a dark river");
    expect(submissions()).toEqual([`${video.id}#0`]);
    const usage = (await (await call("/usage")).json()) as { usedSeconds: number };
    expect(usage.usedSeconds).toBeCloseTo(7 / 30, 3);
  }, 90_000);

  it("killed between a webhook's receipt and its commit: completed once after restart", async () => {
    const before = standIn.submitted.length;
    standIn.holdFiles = true;
    const created = (await (await call("/videos", { method: "POST", body })).json()) as { video: Video };
    // The job finishes; its webhook arrives and the server starts copying the file in — held. The
    // video stays silent, so a reconciler pass claims it and starts its own copy — held too.
    await until("the webhook's and the reconciler's file copies to be held", () => standIn.held.files >= 2);
    await kill();
    standIn.holdFiles = false;
    // The provider's webhook retries are spent while the server is down (RunPod's are 10 s apart,
    // a restart can take longer): only the restarted server's reconciler can finish the video.
    const jobId = standIn.submitted.at(-1)?.id;
    await until("the webhook's deliveries to be spent", () =>
      standIn.webhookDeliveries.filter((delivery) => delivery.jobId === jobId).length === 3 ? true : undefined,
    );

    await start();
    // The killed reconciler's claim lapses within its lease (15 s), and the restarted one finishes
    // the video; 60 s for a busy machine.
    const done = await until(
      "the video to complete",
      async () => {
        const video = (await list()).find((candidate) => candidate.id === created.video.id);
        return video?.status === "completed" ? video : undefined;
      },
      60_000,
    );
    expect(done.url?.startsWith(`${base}/api/files/`)).toBe(true);
    expect((await fetch(done.url as string)).status).toBe(200);
    expect(submissions().slice(before)).toEqual([`${created.video.id}#0`]);
    const videos = await list();
    expect(videos.map((video) => video.status)).toEqual(["completed", "completed"]);
    const usage = (await (await call("/usage")).json()) as { usedSeconds: number };
    expect(usage.usedSeconds).toBeCloseTo((2 * 7) / 30, 3);
  }, 150_000);
});
