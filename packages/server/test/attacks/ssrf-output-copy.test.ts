import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Video } from "@openv/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLocalStorage } from "../../src/adapters/storage/local.js";
import {
  accepted,
  bindings,
  generateBody,
  ScriptedProvider,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "../helpers.js";
import { tinyMp4 } from "../support/tiny-mp4.js";

// Issue 16, row 4: "The output copy fetches internal addresses". A webhook sender (a worker, or
// anyone holding a video's webhook token) names the URL the server copies the finished video
// from. Before the guarded fetcher, a COMPLETED naming an internal URL was followed, stored and
// served to anyone at /api/files/…; the 503's error text told an open port from a closed one; and
// a 2 GiB body went to disk until the 1 GiB limit.

/** A plain HTTP server on 127.0.0.1 whose requests are counted. */
async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? "");
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, requests };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** A port on 127.0.0.1 where nothing listens (it listened a moment ago). */
async function closedPort(): Promise<number> {
  const { server, port } = await listen(() => {});
  await close(server);
  return port;
}

const outputAt = (url: string) => ({
  url,
  key: "out.mp4",
  frames: 7,
  fps: 30,
  width: 256,
  height: 256,
  seconds: 0.233,
});

describe.each(bindings)("attack: SSRF through the output copy (%s binding)", (binding) => {
  let secret: Awaited<ReturnType<typeof listen>>;
  let redirector: Awaited<ReturnType<typeof listen>>;
  let mp4: Buffer;

  beforeAll(async () => {
    mp4 = await tinyMp4();
    // An internal service: it answers what a video would be, so only the address check stops it.
    secret = await listen((_request, response) => {
      response.writeHead(200, { "content-type": "video/mp4" });
      response.end(mp4);
    });
    redirector = await listen((request, response) => {
      const to = new URL(request.url ?? "/", "http://x").searchParams.get("to") ?? "/";
      response.writeHead(302, { location: to });
      response.end();
    });
  });
  afterAll(async () => {
    await close(secret.server);
    await close(redirector.server);
  });

  async function serverWith(options: TestServerOptions = {}) {
    const provider = new ScriptedProvider();
    const server = await startTestServer({ binding, provider, ...options });
    await accepted(server);
    const created = await server.api("/videos", { method: "POST", json: generateBody });
    const { video } = (await created.json()) as { video: Video };
    return { server, provider, video };
  }

  async function expectNothingAdopted(server: TestServer, video: Video) {
    const { video: now } = (await (await server.api(`/videos/${video.id}`)).json()) as { video: Video };
    expect(now.status).not.toBe("completed");
    expect(now.url).toBeNull();
    expect((await server.api(`/files/${video.id}-0.mp4`)).status).toBe(404);
  }

  it("a COMPLETED naming http://localhost:…/redirect?to=http://127.0.0.1:…/secret is not followed, stored or served", async () => {
    const { server, provider, video } = await serverWith();
    try {
      const attack = `http://localhost:${redirector.port}/redirect?to=${encodeURIComponent(
        `http://127.0.0.1:${secret.port}/secret`,
      )}`;
      const answer = await provider.send({ status: "COMPLETED", output: outputAt(attack) });
      expect(answer.status).toBe(503);
      expect(redirector.requests).toEqual([]);
      expect(secret.requests).toEqual([]);
      await expectNothingAdopted(server, video);
    } finally {
      await server.close();
    }
  });

  it("a redirect from an allowed host into 127.0.0.1 is refused at the redirect", async () => {
    // The redirector stands for a public host here; its redirect leads inside.
    const { server, provider, video } = await serverWith({ outputAllowedHosts: [`localhost:${redirector.port}`] });
    try {
      const before = redirector.requests.length;
      const attack = `http://localhost:${redirector.port}/redirect?to=${encodeURIComponent(
        `http://127.0.0.1:${secret.port}/secret`,
      )}`;
      const answer = await provider.send({ status: "COMPLETED", output: outputAt(attack) });
      expect(answer.status).toBe(503);
      expect(redirector.requests.length).toBe(before + 1);
      expect(secret.requests).toEqual([]);
      await expectNothingAdopted(server, video);
    } finally {
      await server.close();
    }
  });

  it("the error does not tell an open port from a closed one (no port scan through the 503)", async () => {
    const { server, provider, video } = await serverWith();
    const closed = await closedPort();
    // A port that accepts the connection and never answers.
    const silent = await listen(() => {});
    try {
      const probe = async (port: number) => {
        const answer = await provider.send({
          status: "COMPLETED",
          output: outputAt(`http://127.0.0.1:${port}/probe?x=1`),
        });
        const body = (await answer.json()) as { error: { code: string; message: string } };
        return {
          status: answer.status,
          code: body.error.code,
          message: body.error.message.replaceAll(String(port), "PORT"),
        };
      };
      const open = await probe(secret.port);
      expect(open.status).toBe(503);
      expect(await probe(closed)).toEqual(open);
      expect(await probe(silent.port)).toEqual(open);
      expect(open.message).not.toMatch(/ECONNREFUSED|refused|timed? ?out|404|200|answered/i);
      expect(secret.requests).toEqual([]);
      expect(silent.requests).toEqual([]);
      await expectNothingAdopted(server, video);
    } finally {
      await close(silent.server);
      await server.close();
    }
  });

  describe("a 2 GiB body", () => {
    const twoGiB = 2 * 1024 ** 3;
    const cap = 4 * 1024 * 1024;
    let tmp: string;
    const originalTmpdir = process.env.TMPDIR;
    let big: Awaited<ReturnType<typeof listen>>;
    let sent = 0;

    beforeAll(async () => {
      big = await listen((request, response) => {
        const declared = request.url?.startsWith("/declared") ?? false;
        response.writeHead(200, {
          "content-type": "video/mp4",
          ...(declared && { "content-length": String(twoGiB) }),
        });
        const chunk = Buffer.alloc(64 * 1024, 7);
        let written = 0;
        let stopped = false;
        response.on("close", () => {
          stopped = true;
        });
        const pump = () => {
          while (!stopped && written < twoGiB) {
            written += chunk.length;
            sent += chunk.length;
            if (!response.write(chunk)) return void response.once("drain", pump);
          }
          if (!stopped) response.end();
        };
        pump();
      });
    });
    afterAll(() => close(big.server));
    afterEach(async () => {
      if (originalTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = originalTmpdir;
      await rm(tmp, { recursive: true, force: true });
    });

    for (const form of ["declared", "streamed"] as const) {
      it(`is cut at the copy limit and nothing of it stays on disk (${form} length)`, async () => {
        tmp = await mkdtemp(path.join(os.tmpdir(), "openv-ssrf-tmp-"));
        const directory = path.join(tmp, "files");
        await mkdir(directory);
        let origin = "";
        const storage = createLocalStorage({
          directory,
          baseUrl: () => `${origin}/api/files`,
          copy: { maxBytes: cap },
        });
        // The big host is allowed (it stands for a public host): the size limit must hold on its own.
        const { server, provider, video } = await serverWith({
          storage,
          outputAllowedHosts: [`127.0.0.1:${big.port}`],
        });
        origin = server.origin;
        process.env.TMPDIR = tmp;
        sent = 0;
        try {
          const answer = await provider.send({
            status: "COMPLETED",
            output: outputAt(`http://127.0.0.1:${big.port}/${form}.mp4`),
          });
          expect(answer.status).toBe(503);
          const body = (await answer.json()) as { error: { message: string } };
          expect(body.error.message).toMatch(/more than the 4 MiB limit/);
          // The server stopped reading long before 2 GiB: what it took is the limit plus what sat in socket buffers.
          expect(sent).toBeLessThan(cap + 32 * 1024 * 1024);
          expect(await readdir(directory)).toEqual([]);
          expect((await readdir(tmp)).filter((name) => name.startsWith("openv-copy-"))).toEqual([]);
          await expectNothingAdopted(server, video);
        } finally {
          await server.close();
        }
      });
    }
  });
});
