import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Video } from "@openv/protocol";
import type { FastifyInstance } from "fastify";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { settingsFromEnv } from "../src/config-env.js";
import { createReferenceServer } from "../src/reference-server.js";
import { readEvents, tableCounts } from "./helpers.js";
import { RunPodStandIn } from "./support/runpod-stand-in.js";
import { embeddedEnv, ensureBuilt, root, type SpawnedServer, spawnServer, testPort } from "./support/spawn-server.js";

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
  const port = testPort();
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    // A build the sources call for happens here, not inside the server's start timeout.
    await ensureBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-start-"));
    const env = embeddedEnv({ PORT: String(port), OPENV_DATA_DIR: dataDir, OPENV_PREVIEW_STEP_MS: "20" });
    server = await spawnServer(startScript, env, port);
  }, 15 * 60_000);

  afterAll(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves /api/health, prints its URL and names its embedded adapters", async () => {
    // No speed claim (a first start may build the packages, minutes on a busy machine; spawnServer's
    // timeout is the hang guard): the figure is printed so a slow start shows up in the CI log.
    process.stdout.write(`reference server: first start to /api/health in ${server.startedIn} ms\n`);
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    // Lines printed at start may reach this process after /api/health answered.
    await server.waitForOutput(`OpenV is running at ${base}`);
    await server.waitForOutput(/"provider":"local preview/);
    await server.waitForOutput(/"auth":"development header/);
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
    // Logged right after the commit a poll may already have read.
    await server.waitForOutput(/video processing → completed/);
  });
});

describe("the reference server configured from the environment (Clerk + RunPod)", () => {
  let server: SpawnedServer;
  let standIn: RunPodStandIn;
  let dataDir: string;
  let key: Awaited<ReturnType<typeof generateKeyPair>>;
  const port = testPort();
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    await ensureBuilt();
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
      OPENV_OUTPUT_ALLOWED_HOSTS: standIn.host,
    });
    server = await spawnServer(startScript, env, port);
  }, 15 * 60_000);

  afterAll(async () => {
    await server.stop();
    await standIn.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("says at start which adapters it runs with", async () => {
    // Lines printed at start may reach this process after /api/health answered.
    await server.waitForOutput(`"provider":"RunPod endpoint env-endpoint at ${standIn.baseUrl}"`);
    await server.waitForOutput(/"auth":"Clerk \(networkless/);
    await server.waitForOutput(/PUBLIC_URL is not/);
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

  it("logs one line per request, when it is answered: method, URL, status and time, never a second line on arrival", async () => {
    const answered = await fetch(`${base}/api/health?probe=one-line`);
    expect(answered.status).toBe(200);
    await server.waitForOutput(/"url":"\/api\/health\?probe=one-line"/);
    const lines = server.output
      .split("\n")
      .filter((line) => line.includes("probe=one-line"))
      .map(
        (line) =>
          JSON.parse(line) as {
            msg: string;
            req: { method: string };
            res: { statusCode: number };
            responseTime: number;
          },
      );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "request completed", req: { method: "GET" }, res: { statusCode: 200 } });
    expect(lines[0]?.responseTime).toBeGreaterThanOrEqual(0);
    expect(server.output).not.toContain('"msg":"incoming request"');
    // Through Fastify's LogController, not its deprecated top-level disableRequestLogging option.
    expect(server.output).not.toContain("FSTDEP023");
  });
});

/**
 * Over a raw socket, sends `atOnce`, then `drip` one byte every `byteEveryMs`, and reads whatever
 * comes back until the server closes the connection.
 */
function dripRequest(port: number, atOnce: string, drip: string, byteEveryMs: number) {
  return new Promise<{ response: string; dripped: number; closedAfterMs: number }>((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const bytes = Buffer.from(drip);
    let dripped = 0;
    let response = "";
    const started = Date.now();
    socket.write(atOnce);
    const timer = setInterval(() => {
      if (dripped < bytes.length && !socket.destroyed) socket.write(bytes.subarray(dripped, ++dripped));
    }, byteEveryMs);
    socket.on("data", (chunk) => {
      response += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ response, dripped, closedAfterMs: Date.now() - started });
    });
    // A guard so a server that never cuts the request fails the test instead of hanging it.
    setTimeout(() => socket.destroy(), 15_000).unref();
  });
}

describe("the reference server's request limits from the environment", () => {
  let app: FastifyInstance;
  let dataDir: string;
  let origin: string;
  let port: number;
  const call = (pathname: string, user: string, init: RequestInit = {}) =>
    fetch(`${origin}${pathname}`, {
      ...init,
      headers: { ...(init.body && { "content-type": "application/json" }), "x-openv-user": user, ...init.headers },
    });
  const accept = (user: string) => call("/api/terms/accept", user, { method: "POST", body: '{"version":"1.0.0"}' });
  const tinyVideo = JSON.stringify({ prompt: "a slow snail", frames: 7, width: 256, height: 256 });

  beforeAll(async () => {
    vi.stubEnv("LOG_LEVEL", "silent");
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-limits-"));
    app = await createReferenceServer(
      settingsFromEnv({
        OPENV_DATA_DIR: dataDir,
        OPENV_REQUEST_TIMEOUT_MS: "1000",
        OPENV_RATE_LIMIT_USER_PER_MINUTE: "2",
      }),
    );
    await app.listen({ port: 0, host: "127.0.0.1" });
    port = (app.server.address() as net.AddressInfo).port;
    origin = `http://127.0.0.1:${port}`;
  }, 130_000);

  afterAll(async () => {
    await app?.close();
    vi.unstubAllEnvs();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a request whose body (or headers) drips in one byte per 200 ms is cut with 408, and nothing is stored", async () => {
    // The user may generate, so a body that got through would store a video.
    expect((await accept("slow-user")).status).toBe(200);
    const before = await tableCounts(app.openv.service);
    const head = `POST /api/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nX-OpenV-User: slow-user\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(tinyVideo)}\r\n\r\n`;
    const request = head + tinyVideo;
    // Both at once: the headers sent whole and then the body byte by byte (all of it would take
    // ~12 s), and the headers themselves byte by byte.
    const [slowBody, slowHeaders] = await Promise.all([
      dripRequest(port, head, tinyVideo, 200),
      dripRequest(port, "", request, 200),
    ]);
    for (const [name, result, dripLength] of [
      ["slow body", slowBody, tinyVideo.length],
      ["slow headers", slowHeaders, request.length],
    ] as const) {
      expect(result.response, name).toMatch(/^HTTP\/1\.1 408 /);
      expect(result.dripped, name).toBeLessThan(dripLength);
      // Cut once the timeout (1 s) has passed, long before the request could finish; the upper
      // bound is loose because the 2-core CI machine is busy.
      expect(result.closedAfterMs, name).toBeGreaterThanOrEqual(900);
      expect(result.closedAfterMs, name).toBeLessThan(5000);
    }
    expect(await tableCounts(app.openv.service)).toEqual(before);
  });

  it("an event stream is a response, not a request: it stays open well past the timeout and delivers changes", async () => {
    expect((await accept("sse-user")).status).toBe(200);
    const stream = await call("/api/videos/events", "sse-user");
    expect(stream.status).toBe(200);
    // 2.5 timeouts with nothing on the wire (pings come every 15 s).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const created = await call("/api/videos", "sse-user", { method: "POST", body: tinyVideo });
    expect(created.status).toBe(202);
    const { video } = (await created.json()) as { video: Video };
    const events = await readEvents(stream, (seen) =>
      seen.some((event) => event.event === "video" && (event.data as Video).id === video.id),
    );
    expect(events.some((event) => (event.data as Video).id === video.id)).toBe(true);
    // Stop the preview render.
    expect((await call(`/api/videos/${video.id}`, "sse-user", { method: "DELETE" })).status).toBe(204);
  });

  it("OPENV_RATE_LIMIT_USER_PER_MINUTE=2: a user's third generate request in the minute is 429 rate_limited", async () => {
    // The user has not accepted the terms, so the requests that get through store nothing (403).
    const generate = (user: string) => call("/api/videos", user, { method: "POST", body: tinyVideo });
    expect((await generate("eager-user")).status).toBe(403);
    expect((await generate("eager-user")).status).toBe(403);
    const limited = await generate("eager-user");
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Per user: someone else is not held back.
    expect((await generate("other-user")).status).toBe(403);
  });
});
