import { mkdtemp, rm } from "node:fs/promises";
import http, { type IncomingHttpHeaders } from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { ErrorBodySchema } from "@openv/protocol";
import Fastify, { type FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { settingsFromEnv } from "../src/config-env.js";
import { openv } from "../src/fastify/plugin.js";
import { createOpenVHandler, type OpenVHandler } from "../src/fetch.js";
import { createReferenceServer } from "../src/reference-server.js";
import { bindings, startTestServer, type TestServer } from "./helpers.js";

const MiB = 1024 * 1024;
const quiet = { dataDir: null, reconciler: false, outbox: false, generateRateLimit: false } as const;

describe.each(bindings)("routing on the %s binding: every method and path gets the contract's answer", (binding) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ binding });
  });
  afterAll(() => server.close());

  // node:http rather than fetch, which refuses TRACE.
  const call = (method: string, path: string) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }>((resolve, reject) => {
      const request = http.request(`${server.origin}${path}`, { method, headers: { "x-openv-user": "alice" } });
      request.on("error", reject);
      request.on("response", async (response) => {
        let text = "";
        for await (const chunk of response) text += chunk;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? JSON.parse(text) : null });
      });
      request.end();
    });

  it.each([
    ["PUT", "/api/videos", ["POST", "GET", "HEAD", "DELETE"]],
    ["PATCH", "/api/videos/vid_1", ["GET", "HEAD", "DELETE"]],
    ["PROPFIND", "/api/videos", ["POST", "GET", "HEAD", "DELETE"]],
    ["TRACE", "/api/health", ["GET", "HEAD"]],
    ["LOCK", "/api/uploads", ["POST"]],
    ["GET", "/api/terms/accept", ["POST"]],
    ["DELETE", "/api/openapi.json", ["GET", "HEAD"]],
  ])("%s %s → 405 method_not_allowed with Allow and X-Request-Id", async (method, path, allow) => {
    const { status, headers, body } = await call(method, path);
    expect(status).toBe(405);
    expect(ErrorBodySchema.parse(body).error.code).toBe("method_not_allowed");
    expect(headers.allow?.split(", ").sort()).toEqual([...allow].sort());
    expect(headers["x-request-id"]).toBeTruthy();
    expect(headers["content-type"]).toMatch(/^application\/json/);
  });

  it.each([
    ["GET", "/api/nothing-here"],
    ["PROPFIND", "/api/nothing-here"],
    ["TRACE", "/api/videos/vid_1/more"],
    ["POST", "/api"],
  ])("%s %s → 404 not_found with X-Request-Id", async (method, path) => {
    const { status, headers, body } = await call(method, path);
    expect(status).toBe(404);
    expect(ErrorBodySchema.parse(body).error.code).toBe("not_found");
    expect(headers["x-request-id"]).toBeTruthy();
    expect(headers.allow).toBeUndefined();
  });

  it("HEAD on a known path is served as its GET, without a body", async () => {
    const response = await fetch(`${server.origin}/api/health`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.text()).toBe("");
  });
});

// ── Body caps: a cap per route before any byte of the body is read ───────────────────────────────

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  /** Bytes of the body the server had taken off the socket when its answer arrived. */
  serverBytesRead: number;
}

/**
 * Sends a request line and headers, then `bodyBytes` of body as fast as the socket takes it, and
 * resolves with the status and headers as soon as they arrive, and how much of the body the
 * server's socket had read by then (its `bytesRead` less the header bytes).
 */
function rawRequest(
  origin: string,
  serverSockets: Socket[],
  head: string,
  bodyBytes: number,
  { chunked = false }: { chunked?: boolean } = {},
): Promise<RawAnswer> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1");
    let received = Buffer.alloc(0);
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    socket.on("error", () => {}); // the server hangs up while the body is still being sent
    socket.on("close", () => reject(new Error("the server closed the connection without an answer")));
    socket.on("data", (data) => {
      received = Buffer.concat([received, data]);
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return;
      const [statusLine = "", ...lines] = received.subarray(0, end).toString("latin1").split("\r\n");
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      const serverSide = serverSockets.at(-1);
      const serverBytesRead = Math.max(0, (serverSide?.bytesRead ?? 0) - Buffer.byteLength(head));
      socket.removeAllListeners("close");
      socket.destroy();
      resolve({ status: Number(statusLine.split(" ")[1]), headers, serverBytesRead });
    });
    const pump = () => {
      while (written < bodyBytes && !socket.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, bodyBytes - written));
        written += part.length;
        const framed = chunked
          ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from("\r\n")])
          : part;
        if (!socket.write(framed)) {
          socket.once("drain", pump);
          return;
        }
      }
      if (chunked && !socket.destroyed) socket.write("0\r\n\r\n");
    };
    socket.on("connect", () => {
      socket.write(head);
      pump();
    });
  });
}

const headFor = (method: string, path: string, length: number | "chunked", type = "application/json") =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-OpenV-User: alice\r\nContent-Type: ${type}\r\n${
    length === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${length}`
  }\r\n\r\n`;

describe("body caps on the fastify binding: refused before the body is read", () => {
  let app: FastifyInstance;
  let origin: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    app = Fastify();
    await app.register(openv, quiet);
    app.server.on("connection", (socket: Socket) => sockets.push(socket));
    await app.listen({ port: 0, host: "127.0.0.1" });
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it("a 10 MiB body to an unknown route: 404 with nothing read", async () => {
    const answer = await rawRequest(origin, sockets, headFor("POST", "/api/nothing-here", 10 * MiB), 10 * MiB);
    expect(answer.status).toBe(404);
    expect(answer.headers["x-request-id"]).toBeTruthy();
    expect(answer.headers.connection).toBe("close");
    expect(answer.serverBytesRead).toBeLessThan(MiB);
  });

  it("a 10 MiB body to a known path with another method: 405 with nothing read", async () => {
    const answer = await rawRequest(origin, sockets, headFor("PUT", "/api/videos", 10 * MiB), 10 * MiB);
    expect(answer.status).toBe(405);
    expect(answer.serverBytesRead).toBeLessThan(MiB);
  });

  it("a declared 10 MiB body to a 1 MiB route: 413 with nothing read", async () => {
    const answer = await rawRequest(origin, sockets, headFor("POST", "/api/terms/accept", 10 * MiB), 10 * MiB);
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe("close");
    expect(answer.serverBytesRead).toBeLessThan(MiB);
  });

  it("an undeclared (chunked) 10 MiB body to a 1 MiB route: 413 after at most about 1 MiB", async () => {
    const answer = await rawRequest(origin, sockets, headFor("POST", "/api/terms/accept", "chunked"), 10 * MiB, {
      chunked: true,
    });
    expect(answer.status).toBe(413);
    expect(answer.serverBytesRead).toBeLessThan(2 * MiB);
  });

  it("uploads take up to 10 MiB, and no more", async () => {
    const over = await rawRequest(
      origin,
      sockets,
      headFor("POST", "/api/uploads", 10 * MiB + 1, "image/png"),
      10 * MiB + 1,
    );
    expect(over.status).toBe(413);
    expect(over.serverBytesRead).toBeLessThan(MiB);
    // 2 MiB is over the default cap but within the upload cap: read whole, then judged as an image.
    const within = await rawRequest(origin, sockets, headFor("POST", "/api/uploads", 2 * MiB, "image/png"), 2 * MiB);
    expect(within.status).toBe(415);
  });
});

/** Sends a request line and headers only, and resolves with the status of the server's first answer line. */
function firstStatus(origin: string, head: string): Promise<number> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(head));
    let received = "";
    socket.on("error", reject);
    socket.on("data", (data) => {
      received += data.toString("latin1");
      const line = received.indexOf("\r\n");
      if (line === -1) return;
      socket.destroy();
      resolve(Number(received.slice(0, line).split(" ")[1]));
    });
  });
}

describe("the reference server invites a body (Expect: 100-continue) only where a route reads it", () => {
  let app: FastifyInstance;
  let origin: string;
  let dataDir: string;
  beforeAll(async () => {
    vi.stubEnv("LOG_LEVEL", "silent");
    dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-continue-"));
    app = await createReferenceServer(settingsFromEnv({ OPENV_DATA_DIR: dataDir }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }, 130_000);
  afterAll(async () => {
    await app?.close();
    vi.unstubAllEnvs();
    await rm(dataDir, { recursive: true, force: true });
  });

  const expecting = (method: string, target: string, length: number) =>
    headFor(method, target, length, "image/png").replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n");

  it("no route, another method or over the cap: the refusal comes instead of 100 Continue", async () => {
    expect(await firstStatus(origin, expecting("POST", "/api/nothing-here", 10 * MiB))).toBe(404);
    expect(await firstStatus(origin, expecting("PUT", "/api/uploads", 10 * MiB))).toBe(405);
    expect(await firstStatus(origin, expecting("POST", "/api/terms/accept", 10 * MiB))).toBe(413);
    expect(await firstStatus(origin, expecting("POST", "/elsewhere", 10 * MiB))).toBe(404);
  });

  it("a body a route will read is invited", async () => {
    expect(await firstStatus(origin, expecting("POST", "/api/uploads", 2 * MiB))).toBe(100);
  });
});

/** A request body that counts the bytes the handler pulls from it (pulled only when read). */
function countingBody(total: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= total) return controller.close();
        const part = chunk.subarray(0, Math.min(chunk.length, total - pulled));
        pulled += part.length;
        controller.enqueue(part);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

describe("body caps on the fetch binding: refused before the body is read", () => {
  let handler: OpenVHandler;
  beforeAll(async () => {
    handler = createOpenVHandler({ ...quiet, publicUrl: "http://127.0.0.1:1", logger: pino({ level: "silent" }) });
    await handler.ready();
  });
  afterAll(() => handler.close());

  const send = async (method: string, path: string, size: number, declare: boolean, type = "application/json") => {
    const body = countingBody(size);
    const response = await handler(
      new Request(`http://127.0.0.1${path}`, {
        method,
        headers: {
          "x-openv-user": "alice",
          "content-type": type,
          ...(declare && { "content-length": String(size) }),
        },
        body: body.stream,
        duplex: "half",
      } as RequestInit),
    );
    return { response, pulled: body.pulled() };
  };

  it("a 10 MiB body to an unknown route: 404 with nothing read", async () => {
    const { response, pulled } = await send("POST", "/api/nothing-here", 10 * MiB, false);
    expect(response.status).toBe(404);
    expect(pulled).toBe(0);
  });

  it("a 10 MiB body to a known path with another method: 405 with nothing read", async () => {
    const { response, pulled } = await send("PROPFIND", "/api/videos", 10 * MiB, false);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST, GET, HEAD, DELETE");
    expect(pulled).toBe(0);
  });

  it("a declared 10 MiB body to a 1 MiB route: 413 with nothing read", async () => {
    const { response, pulled } = await send("POST", "/api/terms/accept", 10 * MiB, true);
    expect(response.status).toBe(413);
    expect(pulled).toBe(0);
  });

  it("an undeclared 10 MiB body to a 1 MiB route: 413 after at most 1 MiB and one chunk", async () => {
    const { response, pulled } = await send("POST", "/api/terms/accept", 10 * MiB, false);
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(MiB + 64 * 1024);
  });

  it("uploads take up to 10 MiB, and no more", async () => {
    const over = await send("POST", "/api/uploads", 11 * MiB, false, "image/png");
    expect(over.response.status).toBe(413);
    expect(over.pulled).toBeLessThanOrEqual(10 * MiB + 64 * 1024);
    const within = await send("POST", "/api/uploads", 2 * MiB, false, "image/png");
    expect(within.response.status).toBe(415);
    expect(within.pulled).toBe(2 * MiB);
  });
});
