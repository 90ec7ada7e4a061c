import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createClient, type OpenVClient } from "@openv/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** examples/nextjs */
const app = path.resolve(import.meta.dirname, "..");

/** Variables that would switch the server away from its embedded defaults (as in packages/server's tests). */
const serviceVariable = /^(CLERK_|RUNPOD_|UPLOADTHING_|DATABASE_URL$|PUBLIC_URL$|NEXT_PUBLIC_)/;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Clerk session token as Clerk signs them (RS256, `sub` = the user), verified by the server
 * with CLERK_JWT_KEY and no network. `next start` runs with NODE_ENV=production, where OpenV
 * refuses development auth, so the example is tested the way it runs in production.
 */
function sessionToken(privateKey: KeyObject, userId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${part({ alg: "RS256", typ: "JWT" })}.${part({ sub: userId, iat: now, nbf: now - 5, exp: now + 600 })}`;
  return `${unsigned}.${sign("sha256", Buffer.from(unsigned), privateKey).toString("base64url")}`;
}

describe("examples/nextjs: `next start` serving the gallery and the OpenV API in one route", () => {
  let child: ChildProcess | undefined;
  let output = "";
  let dataDir: string;
  let base: string;
  let client: OpenVClient;

  beforeAll(async () => {
    if (!existsSync(path.join(app, ".next", "BUILD_ID"))) {
      throw new Error(
        "examples/nextjs has no production build (.next/BUILD_ID): run `pnpm build` at the repository root first.",
      );
    }
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-nextjs-"));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !serviceVariable.test(name)));
    child = spawn(
      process.execPath,
      [path.join(app, "node_modules/next/dist/bin/next"), "start", "--port", String(port), "--hostname", "127.0.0.1"],
      {
        cwd: app,
        env: {
          ...env,
          NODE_ENV: "production",
          NEXT_TELEMETRY_DISABLED: "1",
          OPENV_DATA_DIR: dataDir,
          // The fetch handler never takes its origin from a request: it is configured.
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          OPENV_PREVIEW_STEP_MS: "20",
          CLERK_JWT_KEY: publicKey.export({ type: "spki", format: "pem" }).toString(),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    // Ready once the API answers: the first request opens the embedded database (seconds; more on
    // a busy machine).
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`next start did not answer /api/health within 90 s:\n${output}`);
      const health = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
      if (health?.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    client = createClient({
      baseUrl: `${base}/api`,
      getToken: () => sessionToken(privateKey, "user_nextjs"),
      maxRetries: 1,
      timeoutMs: 10_000,
    });
  }, 100_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGTERM");
      const killed = setTimeout(() => child?.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killed);
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("renders the gallery page at /", async () => {
    const response = await fetch(`${base}/`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('id="openv-app"');
    // The terms gate renders its fallback on the server; the form and gallery follow in the browser.
    expect(html).toContain("openv-terms-loading");
    expect(html).toContain("<title>OpenV");
    expect(html).not.toContain("fonts.googleapis.com");
  });

  it("answers the API in the contract's format: 401 without a Clerk session, 404 for unknown routes", async () => {
    const unauthorized = await fetch(`${base}/api/usage`, { signal: AbortSignal.timeout(10_000) });
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()).error.code).toBe("unauthorized");
    const unknown = await fetch(`${base}/api/no-such-route`, { method: "PUT", signal: AbortSignal.timeout(10_000) });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe("not_found");
  });

  it("takes a prompt to a playable MP4 through the SDK, lists it and deletes it", async () => {
    const terms = await client.checkTerms();
    expect(terms.accepted).toBe(false);
    await client.acceptTerms(terms.version);

    const watcher = client.watch();
    const statuses = new Set<string>();
    watcher.on("status", (status) => statuses.add(status));
    try {
      const { video } = await client.generate({ prompt: "a paper boat on a pond", frames: 7, width: 256, height: 256 });
      expect(video).toMatchObject({ status: "queued", userId: "user_nextjs" });
      const done = await watcher.wait(video.id, { timeoutMs: 30_000 });
      expect(done.status).toBe("completed");
      // The live view streamed Server-Sent Events through the route handler.
      expect(statuses.has("live")).toBe(true);

      const url = done.url as string;
      expect(url).toMatch(/\.mp4$/);
      const file = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      expect(file.status).toBe(200);
      expect(file.headers.get("content-type")).toBe("video/mp4");
      const bytes = new Uint8Array(await file.arrayBuffer());
      expect(bytes.byteLength).toBeGreaterThan(100);
      expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe("ftyp");
      const range = await fetch(url, { headers: { range: "bytes=0-99" }, signal: AbortSignal.timeout(10_000) });
      expect(range.status).toBe(206);
      expect(range.headers.get("content-range")).toBe(`bytes 0-99/${bytes.byteLength}`);
      expect((await range.arrayBuffer()).byteLength).toBe(100);

      const page = await client.list();
      expect(page.videos.map((listed) => listed.id)).toContain(video.id);

      expect(await client.delete(video.id)).toEqual([video.id]);
      expect((await client.list()).videos.map((listed) => listed.id)).not.toContain(video.id);
    } finally {
      watcher.close();
    }
  });
});
