import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Video } from "@openv/protocol";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunPodStandIn } from "./support/runpod-stand-in.js";
import { embeddedEnv, root, type SpawnedServer, spawnServer } from "./support/spawn-server.js";

const startScript = path.join(root, "scripts/start.mjs");

type Call = (pathname: string, init?: RequestInit) => Promise<{ status: number; body: { video: Video } }>;

/** Polls the video until it is completed or failed (a minute at most). */
async function untilFinished(call: Call, first: Video): Promise<Video> {
  let video = first;
  const deadline = Date.now() + 60_000;
  while (video.status !== "completed" && video.status !== "failed" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    video = (await call(`/api/videos/${video.id}`)).body.video;
  }
  return video;
}

describe("pnpm start: the reference server with no configuration", () => {
  let server: SpawnedServer;
  let dataDir: string;
  const port = 30_000 + Math.floor(Math.random() * 10_000);
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-start-"));
    const env = embeddedEnv({ PORT: String(port), OPENV_DATA_DIR: dataDir, OPENV_PREVIEW_STEP_MS: "20" });
    server = await spawnServer(startScript, env, port);
  }, 130_000);

  afterAll(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves /api/health, prints its URL and names its embedded adapters", () => {
    // A guard against hangs, not a speed claim (timings on a shared 2-core runner flake); the
    // figure is printed so a slow start shows up in the CI log.
    process.stdout.write(`reference server: first start to /api/health in ${server.startedIn} ms\n`);
    expect(server.startedIn).toBeLessThan(60_000);
    expect(server.output).toContain(`OpenV is running at ${base}`);
    expect(server.output).toMatch(/"provider":"local preview/);
    expect(server.output).toMatch(/"auth":"development header/);
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
    const video = await untilFinished(call, created.body.video);
    expect(video.status).toBe("completed");
    const file = await fetch(video.url as string);
    expect(file.headers.get("content-type")).toBe("video/mp4");
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    expect(server.output).toMatch(/video processing → completed/);
  });
});

describe("the reference server configured from the environment (Clerk + RunPod)", () => {
  let server: SpawnedServer;
  let standIn: RunPodStandIn;
  let dataDir: string;
  let key: Awaited<ReturnType<typeof generateKeyPair>>;
  const port = 40_000 + Math.floor(Math.random() * 10_000);
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    standIn = await new RunPodStandIn({ apiKey: "rp_env_key", endpointId: "env-endpoint" }).start();
    key = await generateKeyPair("RS256", { extractable: true });
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-start-env-"));
    const env = embeddedEnv({
      PORT: String(port),
      OPENV_DATA_DIR: dataDir,
      // A PEM on one line with literal \n, as many hosts store it.
      CLERK_JWT_KEY: (await exportSPKI(key.publicKey)).replace(/\n/g, "\\n"),
      CLERK_AUTHORIZED_PARTIES: "https://app.example.com",
      RUNPOD_API_KEY: "rp_env_key",
      RUNPOD_ENDPOINT_ID: "env-endpoint",
      RUNPOD_BASE_URL: standIn.baseUrl,
    });
    server = await spawnServer(startScript, env, port);
  }, 130_000);

  afterAll(async () => {
    await server.stop();
    await standIn.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("says at start which adapters it runs with", () => {
    expect(server.output).toContain(`"provider":"RunPod endpoint env-endpoint at ${standIn.baseUrl}"`);
    expect(server.output).toMatch(/"auth":"Clerk \(networkless/);
    expect(server.output).toMatch(/PUBLIC_URL is not/);
  });

  it("a Clerk session takes a prompt through RunPod to a completed video", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: "user_env", azp: "https://app.example.com", iat: now, nbf: now - 5 })
      .setProtectedHeader({ alg: "RS256" })
      .setExpirationTime(now + 300)
      .sign(key.privateKey);
    const call = async (pathname: string, init?: RequestInit) => {
      const response = await fetch(`${base}${pathname}`, {
        ...init,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      });
      return { status: response.status, body: await response.json() };
    };
    expect((await fetch(`${base}/api/usage`)).status).toBe(401);
    expect((await call("/api/terms/accept", { method: "POST", body: '{"version":"1.0.0"}' })).status).toBe(200);
    const created = await call("/api/videos", {
      method: "POST",
      body: '{"prompt":"a kite","frames":7,"width":256,"height":256}',
    });
    expect(created.status).toBe(202);
    const video = await untilFinished(call, created.body.video);
    expect(video).toMatchObject({ status: "completed", jobId: standIn.submitted[0]?.id });
    expect(video.url?.startsWith(`${base}/api/files/`)).toBe(true);
  });
});
