import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindings, generateBody, startTestServer, type TestServer } from "./helpers.js";

const app = "http://app.example";
const evil = "http://evil.example";

/** Every `access-control-*` header of an answer. */
const corsHeaders = (response: Response) =>
  Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-")));

const list = (value: string | null) => (value ?? "").split(",").map((item) => item.trim().toLowerCase());

describe.each(bindings)("CORS on the %s binding", (binding) => {
  let server: TestServer;
  let plain: TestServer;
  beforeAll(async () => {
    [server, plain] = await Promise.all([
      startTestServer({ binding, allowedOrigins: [app], allowCredentials: true }),
      startTestServer({ binding }),
    ]);
    await server.api("/terms/accept", { method: "POST", json: { version: "1.0.0" } });
  });
  afterAll(async () => {
    await Promise.all([server.close(), plain.close()]);
  });

  const preflight = (target: TestServer, origin: string, method = "POST") =>
    fetch(`${target.origin}/api/videos`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": method,
        "access-control-request-headers": "content-type, idempotency-key, x-openv-user",
      },
    });

  it("answers an allowed origin's preflight with the methods and headers the API uses", async () => {
    const response = await preflight(server, app);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(app);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(list(response.headers.get("access-control-allow-methods"))).toEqual(
      expect.arrayContaining(["get", "post", "delete"]),
    );
    expect(list(response.headers.get("access-control-allow-headers"))).toEqual(
      expect.arrayContaining(["authorization", "content-type", "idempotency-key", "last-event-id", "x-openv-user"]),
    );
    expect(list(response.headers.get("vary"))).toContain("origin");
  });

  it("lets an allowed origin read answers, errors and the headers clients need", async () => {
    const generated = await server.api("/videos", {
      method: "POST",
      json: generateBody,
      headers: { origin: app, "idempotency-key": "cors-1" },
    });
    expect(generated.status).toBe(202);
    expect(generated.headers.get("access-control-allow-origin")).toBe(app);
    expect(generated.headers.get("access-control-allow-credentials")).toBe("true");
    expect(list(generated.headers.get("access-control-expose-headers"))).toEqual(
      expect.arrayContaining(["retry-after", "idempotent-replayed", "x-request-id"]),
    );

    const missing = await server.api("/videos/vid_nope", { headers: { origin: app } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(app);

    const stream = await server.api("/videos/events", { headers: { origin: app } });
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(stream.headers.get("access-control-allow-origin")).toBe(app);
    await stream.body?.cancel();
  });

  it("gives an origin that is not allowed no CORS headers at all", async () => {
    const response = await preflight(server, evil);
    expect(corsHeaders(response)).toEqual({});
    const usage = await server.api("/usage", { headers: { origin: evil } });
    expect(usage.status).toBe(200);
    expect(corsHeaders(usage)).toEqual({});
    expect(list(usage.headers.get("vary"))).toContain("origin");
  });

  it("sends no CORS headers when no origins are allowed (same-origin apps)", async () => {
    expect(corsHeaders(await preflight(plain, app))).toEqual({});
    expect(corsHeaders(await plain.api("/usage", { headers: { origin: app } }))).toEqual({});
  });
});

describe.each(bindings)("allowedOrigins as a predicate (%s binding)", (binding) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ binding, allowedOrigins: (origin) => origin.endsWith(".app.example") });
  });
  afterAll(() => server.close());

  it("allows exactly the origins the predicate accepts, without credentials unless asked", async () => {
    const allowed = await server.api("/usage", { headers: { origin: "https://tenant.app.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://tenant.app.example");
    expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();
    const refused = await server.api("/usage", { headers: { origin: "https://app.example.evil" } });
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});

const executablePath = process.env.OPENV_CHROMIUM ?? "/usr/bin/chromium";

/**
 * The real thing: a page on one port talks to the API on another. Chromium sends the preflights,
 * enforces the answers, and streams server-sent events across origins.
 */
describe.skipIf(!existsSync(executablePath)).each(bindings)("cross-origin in Chromium (%s binding)", (binding) => {
  let page: Server;
  let pageOrigin: string;
  let api: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    page = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end("<!doctype html><title>another origin</title><p>the page</p>");
    });
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
    api = await startTestServer({ binding, allowedOrigins: [pageOrigin], previewStepDelayMs: 30 });
    browser = await chromium.launch({
      executablePath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await new Promise((resolve) => page?.close(resolve));
  });

  it("a page on another port generates a video and watches it complete over SSE", async () => {
    const tab = await browser.newPage();
    await tab.goto(pageOrigin);
    // The API is on 127.0.0.1, the page on localhost: different origins, so every call is CORS.
    const result = await tab.evaluate(
      async ({ base, body }) => {
        const headers = { "x-openv-user": "carol", "content-type": "application/json" };
        await fetch(`${base}/terms/accept`, { method: "POST", headers, body: JSON.stringify({ version: "1.0.0" }) });
        const stream = await fetch(`${base}/videos/events`, { headers: { "x-openv-user": "carol" } });
        const generated = await fetch(`${base}/videos`, {
          method: "POST",
          headers: { ...headers, "idempotency-key": "chromium-1" },
          body: JSON.stringify(body),
        });
        const requestId = generated.headers.get("x-request-id");
        const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let text = "";
        const statuses: string[] = [];
        while (!statuses.includes("completed")) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
          const frames = text.split("\n\n");
          text = frames.pop() ?? "";
          for (const frame of frames) {
            const data = frame.split("\n").find((line) => line.startsWith("data: "));
            const status = data && (JSON.parse(data.slice(6)) as { status?: string }).status;
            if (status) statuses.push(status);
          }
        }
        await reader.cancel();
        return { generateStatus: generated.status, requestId, statuses };
      },
      { base: `${api.origin}/api`, body: generateBody },
    );
    expect(result.generateStatus).toBe(202);
    // An exposed header is readable from the page.
    expect(result.requestId).toBeTruthy();
    expect(result.statuses[0]).toBe("queued");
    expect(result.statuses.at(-1)).toBe("completed");
  });

  it("a page on an origin that is not allowed cannot read the API", async () => {
    const other = await startTestServer({ binding, allowedOrigins: ["http://elsewhere.example"] });
    try {
      const tab = await browser.newPage();
      await tab.goto(pageOrigin);
      const outcome = await tab.evaluate(async (base) => {
        try {
          await fetch(`${base}/usage`, { headers: { "x-openv-user": "carol" } });
          return "read";
        } catch (error) {
          return String(error);
        }
      }, `${other.origin}/api`);
      expect(outcome).toMatch(/Failed to fetch/);
    } finally {
      await other.close();
    }
  });
});
