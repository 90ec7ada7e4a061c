// videos.createAndWait and the resources against the real reference server (in-process, random
// port, the local preview provider rendering real MP4s), with a counting fetch. No msw here: msw
// buffers streamed answers of requests it lets through.
import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type OpenVClient } from "../src/index.js";
import { type RealServer, smallVideo, startRealServer } from "./support/real-server.js";

let server: RealServer;
beforeAll(async () => {
  server = await startRealServer({ previewStepDelayMs: 50 });
});
afterAll(() => server?.close());

/** A client for `user` whose fetch records `METHOD path` of every request. */
function countingClient(user: string): { client: OpenVClient; requests: string[] } {
  const requests: string[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    requests.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname.replace("/api", "")}`);
    return globalThis.fetch(input, init);
  };
  return { client: createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": user }, fetch }), requests };
}

describe("videos.createAndWait against the real server", () => {
  it("renders to completion, reporting progress, with a constant number of requests", async () => {
    const { client, requests } = countingClient("waiter");
    await client.terms.accept("1.0.0");
    // A library to not load: a few earlier videos of the same user.
    for (let index = 0; index < 3; index++) await client.videos.createAndWait(smallVideo);
    requests.length = 0;

    const seen: Video["status"][] = [];
    const done = await client.videos.createAndWait(smallVideo, {
      timeoutMs: 60_000,
      onProgress: (video) => {
        if (seen.at(-1) !== video.status) seen.push(video.status);
      },
    });
    expect(done.status).toBe("completed");
    expect(done.url).toMatch(/^http/);
    expect(seen[0]).toBe("queued");
    expect(seen.at(-1)).toBe("completed");
    // The submit, the stream, one catch-up GET: the progress came on the stream.
    expect(requests).toEqual(["POST /videos", "GET /videos/events", `GET /videos/${done.id}`]);
    expect(requests).not.toContain("GET /videos");
  });

  it("usage, models, terms and withResponse on the real routes", async () => {
    const { client } = countingClient("reader");
    const terms = await client.terms.get();
    expect(terms.accepted).toBe(false);
    expect((await client.terms.accept(terms.version)).accepted).toBe(true);
    expect((await client.usage.get()).limitSeconds).toBeGreaterThan(0);
    expect((await client.models.list())[0]?.id).toBe("mochi-1");
    const { data, requestId, response } = await client.videos.list().withResponse();
    expect(data.videos).toEqual([]);
    expect(response.status).toBe(200);
    expect(requestId).toMatch(/.+/);
  });
});
