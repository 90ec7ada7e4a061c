import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");

describe("pnpm start: the reference server with no configuration", () => {
  let server: ChildProcess;
  let dataDir: string;
  let output = "";
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const base = `http://127.0.0.1:${port}`;
  let startedIn = 0;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-start-"));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      OPENV_DATA_DIR: dataDir,
      OPENV_PREVIEW_STEP_MS: "20",
    };
    for (const name of ["DATABASE_URL", "PUBLIC_URL", "NODE_ENV"]) delete env[name];
    const started = Date.now();
    server = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], { cwd: root, env });
    server.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    server.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    for (;;) {
      if (Date.now() - started > 120_000) throw new Error(`server did not start:\n${output}`);
      const health = await fetch(`${base}/api/health`).catch(() => null);
      if (health?.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    startedIn = Date.now() - started;
  }, 130_000);

  afterAll(async () => {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves /api/health within 15 s and prints its URL", () => {
    expect(startedIn).toBeLessThan(15_000);
    expect(output).toContain(`OpenV is running at ${base}`);
  });

  it("takes a scripted session (terms, generate, poll) to a completed, downloadable video", async () => {
    const call = async (pathname: string, init?: RequestInit) => {
      const response = await fetch(`${base}${pathname}`, {
        ...init,
        headers: { "content-type": "application/json", "x-openv-user": "curl-user" },
      });
      return { status: response.status, body: await response.json() };
    };
    expect((await call("/api/terms/accept", { method: "POST", body: '{"version":"1.0.0"}' })).status).toBe(200);
    const created = await call("/api/videos", {
      method: "POST",
      body: '{"prompt":"a paper boat on a pond","frames":13}',
    });
    expect(created.status).toBe(202);
    let video = created.body.video;
    const deadline = Date.now() + 60_000;
    while (video.status !== "completed" && video.status !== "failed" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      video = (await call(`/api/videos/${video.id}`)).body.video;
    }
    expect(video.status).toBe("completed");
    const file = await fetch(video.url);
    expect(file.headers.get("content-type")).toBe("video/mp4");
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    expect(output).toMatch(/video processing → completed/);
  });
});
