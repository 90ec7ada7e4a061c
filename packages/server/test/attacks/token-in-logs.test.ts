import type { AddressInfo } from "node:net";
import type { Video } from "@openv/protocol";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openv } from "../../src/fastify/plugin.js";
import { createOpenVHandler } from "../../src/fetch.js";
import { capturedLogger, eventually } from "./support.js";

interface Host {
  origin: string;
  close(): Promise<void>;
}

/** A host app at log level `trace` (everything a verbose operator keeps), on each binding. */
async function hostApp(
  binding: "fastify" | "fetch",
  logger: ReturnType<typeof capturedLogger>["logger"],
): Promise<Host> {
  const options = { dataDir: null, reconciler: false as const, generateRateLimit: false as const };
  if (binding === "fastify") {
    const app = Fastify({ loggerInstance: logger, forceCloseConnections: true, pluginTimeout: 120_000 });
    await app.register(openv, options);
    await app.listen({ port: 0, host: "127.0.0.1" });
    return { origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
  }
  const { createAdaptorServer } = await import("@hono/node-server");
  let handler: ReturnType<typeof createOpenVHandler> | undefined;
  const server = createAdaptorServer({ fetch: (request) => (handler as NonNullable<typeof handler>)(request) });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  handler = createOpenVHandler({ ...options, publicUrl: origin, logger });
  await handler.ready();
  return {
    origin,
    async close() {
      await handler?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

/**
 * Row 3: webhook tokens were in the info log (`/api/runpod/webhook?…&token=…` on every request line);
 * a token copied from the log forced a retry.
 */
describe.each(["fastify", "fetch"] as const)("attack: capabilities read from the log (%s binding)", (binding) => {
  const captured = capturedLogger("trace");
  let host: Host;
  beforeAll(async () => {
    host = await hostApp(binding, captured.logger);
  });
  afterAll(() => host.close());

  it("a whole video's life at log level trace leaves no webhook token, share token, signature or session in the log", async () => {
    const api = (pathname: string, init: RequestInit = {}) =>
      fetch(`${host.origin}/api${pathname}`, {
        ...init,
        headers: { "x-openv-user": "alice", "content-type": "application/json", ...init.headers },
      });
    await api("/terms/accept", { method: "POST", body: JSON.stringify({ version: "1.0.0" }) });
    const created = await api("/videos", {
      method: "POST",
      headers: { authorization: "Bearer secret-session-token-123", cookie: "__session=secret-cookie-456" },
      body: JSON.stringify({ prompt: "a lighthouse at dusk", frames: 7, width: 256, height: 256 }),
    });
    expect(created.status).toBe(202);
    const { video } = (await created.json()) as { video: Video };
    await eventually(async () => {
      const read = (await (await api(`/videos/${video.id}`)).json()) as { video: Video };
      return read.video.status === "completed" ? read.video : undefined;
    });
    // Share links (issue 21): the token is a path segment; opening the page and the MP4 logs neither.
    const share = (await (await api(`/videos/${video.id}/shares`, { method: "POST", body: "{}" })).json()) as {
      url: string;
    };
    const shareToken = share.url.split("/").at(-1) as string;
    expect((await fetch(share.url)).status).toBe(200);
    expect((await fetch(`${share.url}/video.mp4`, { headers: { range: "bytes=0-99" } })).status).toBe(206);
    const log = captured.text();
    expect(log).not.toContain(shareToken);
    if (binding === "fastify") expect(log).toContain("/api/share/[redacted]/video.mp4");
    // The local provider reported through the webhook route: Fastify logged that request…
    if (binding === "fastify") expect(log).toContain("/runpod/webhook");
    // …without its token.
    expect(log).not.toMatch(/token=(?!\[redacted\])/);
    expect(log).not.toContain("secret-session-token-123");
    expect(log).not.toContain("secret-cookie-456");
  });
});
