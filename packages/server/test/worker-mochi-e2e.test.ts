import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Video, VideoSchema } from "@openv/protocol";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settingsFromEnv } from "../src/config-env.js";
import { createReferenceServer } from "../src/reference-server.js";
import { backends, createTestDatabase } from "./helpers.js";
import { findWorkerVenv, startWorkerRunner, type WorkerRunner } from "./support/worker-runner.js";

/**
 * The whole path with nothing stood in: the reference server, configured by RUNPOD_* variables
 * only, submits to worker-mochi's RunPod-compatible runner (`scripts/serve.sh --tiny`, the real
 * handler and the real diffusers Mochi pipeline at a tiny random size on CPU); the worker renders,
 * encodes, PUTs the MP4 to the server's signed upload URL and the runner calls the webhook back.
 */
const found = findWorkerVenv();
const venv = "venv" in found ? found.venv : "";
if ("skip" in found) console.warn(`[worker-mochi e2e] skipped: ${found.skip}`);

/** Facts of an MP4 as PyAV (FFmpeg) decodes it, every frame counted. */
function probe(file: string) {
  const script = [
    "import av, json, sys",
    "with av.open(sys.argv[1]) as c:",
    "    s = c.streams.video[0]",
    "    n = sum(1 for _ in c.decode(s))",
    "    print(json.dumps({'codec': s.codec_context.name, 'pix_fmt': str(s.codec_context.pix_fmt),",
    "        'width': s.codec_context.width, 'height': s.codec_context.height, 'frames': n}))",
  ].join("\n");
  return JSON.parse(execFileSync(path.join(venv, "bin/python"), ["-c", script, file], { encoding: "utf8" }));
}

const video = { prompt: "a fox", frames: 7, width: 256, height: 256, steps: 2, seed: 11 };

describe.skipIf("skip" in found).each(backends)("worker-mochi behind the reference server ($name)", ({ adminUrl }) => {
  let runner: WorkerRunner;
  let app: FastifyInstance;
  let origin: string;
  let dataDir: string;
  let database: { url: string; drop: () => Promise<void> } | null = null;

  beforeAll(async () => {
    runner = await startWorkerRunner(venv);
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-worker-e2e-"));
    database = adminUrl ? await createTestDatabase(adminUrl) : null;
    process.env.LOG_LEVEL ??= "silent";
    app = await createReferenceServer(
      settingsFromEnv({
        NODE_ENV: "test",
        OPENV_DATA_DIR: dataDir,
        RUNPOD_API_KEY: "local-runner",
        RUNPOD_ENDPOINT_ID: "mochi-local",
        RUNPOD_BASE_URL: runner.baseUrl,
        ...(database && { DATABASE_URL: database.url }),
      }),
    );
    origin = await app.listen({ host: "127.0.0.1", port: 0 });
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    await runner?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const api = (user: string, pathname: string, init: { method?: string; json?: unknown } = {}) =>
    fetch(`${origin}/api${pathname}`, {
      method: init.method ?? "GET",
      headers: { "x-openv-user": user, ...(init.json !== undefined && { "content-type": "application/json" }) },
      ...(init.json !== undefined && { body: JSON.stringify(init.json) }),
    });

  async function generate(user: string, body: object): Promise<Video> {
    expect((await api(user, "/terms/accept", { method: "POST", json: { version: "1.0.0" } })).status).toBe(200);
    const response = await api(user, "/videos", { method: "POST", json: body });
    expect(response.status, await response.clone().text()).toBe(202);
    return VideoSchema.parse(((await response.json()) as { video: unknown }).video);
  }

  async function waitFor(user: string, id: string, done: (video: Video) => boolean): Promise<Video> {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const current = VideoSchema.parse(
        ((await (await api(user, `/videos/${id}`)).json()) as { video: unknown }).video,
      );
      if (done(current)) return current;
      if (Date.now() > deadline) throw new Error(`video ${id} stuck at ${JSON.stringify(current)}\n${runner.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const usedSeconds = async (user: string) =>
    ((await (await api(user, "/usage")).json()) as { usedSeconds: number }).usedSeconds;

  it("a prompt becomes a completed video whose MP4 decodes as the worker rendered it", async () => {
    const created = await generate("alice", video);
    const final = await waitFor("alice", created.id, (current) => current.status === "completed");
    expect(final).toMatchObject({ status: "completed", progress: 1, frames: 7, width: 256, height: 256 });
    expect(final.url?.startsWith(`${origin}/api/files/`)).toBe(true);

    // The runner still holds the job: its output is the file the server adopted.
    const job = (await (await fetch(`${runner.baseUrl}/mochi-local/status/${final.jobId}`)).json()) as {
      status: string;
      output: { url: string; key: string; seed: number; frames: number };
    };
    expect(job.status).toBe("COMPLETED");
    expect(job.output).toMatchObject({ frames: 7, seed: 11, key: `${final.id}-0.mp4` });
    expect(final.url).toContain(job.output.key);

    const file = path.join(dataDir, "download.mp4");
    const answer = await fetch(final.url as string);
    expect(answer.headers.get("content-type")).toBe("video/mp4");
    await writeFile(file, Buffer.from(await answer.arrayBuffer()));
    expect(probe(file)).toEqual({ codec: "h264", pix_fmt: "yuv420p", width: 256, height: 256, frames: 7 });
  }, 240_000);

  it("a cancel mid-render: the video is deleted and refunded, the worker's job ends CANCELLED", async () => {
    const created = await generate("bob", { ...video, steps: 100 });
    const rendering = await waitFor("bob", created.id, (current) => current.jobId !== null);
    // Mid-render as the worker sees it (the server learns progress only when it polls).
    const jobStatus = async () =>
      ((await (await fetch(`${runner.baseUrl}/mochi-local/status/${rendering.jobId}`)).json()) as { status: string })
        .status;
    for (let tries = 0; (await jobStatus()) !== "IN_PROGRESS" && tries < 600; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await jobStatus()).toBe("IN_PROGRESS");
    expect(await usedSeconds("bob")).toBeGreaterThan(0);
    expect((await api("bob", `/videos/${created.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api("bob", `/videos/${created.id}`)).status).toBe(404);
    expect(await usedSeconds("bob")).toBe(0);
    const job = (await (await fetch(`${runner.baseUrl}/mochi-local/status/${rendering.jobId}`)).json()) as {
      status: string;
    };
    expect(job.status).toBe("CANCELLED");
  }, 240_000);

  it("a worker-side failure (a prompt past the T5 window) fails the video with the worker's code, refunded", async () => {
    const created = await generate("carol", { ...video, prompt: "a fox ".repeat(20) });
    const final = await waitFor("carol", created.id, (current) => current.status === "failed");
    expect(final.error?.code).toBe("invalid_input");
    expect(final.error?.message).toMatch(/positive_prompt: \d+ T5 tokens, Mochi reads at most 64/);
    expect(final.retryCount).toBe(0);
    expect(await usedSeconds("carol")).toBe(0);
  }, 240_000);
});
