// Wait (issue 21): `videos.create({wait})` and `createAndWait` asking the real server to hold the
// answer (`Prefer: wait=N`), following the video's events only when the wait runs out, and abort
// at every stage. No msw: it buffers streamed answers.
import type { ProviderSubmission } from "@openv/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortError, createClient, type OpenVClient } from "../src/index.js";
import { type RealServer, ScriptedProvider, smallVideo, startRealServer } from "./support/real-server.js";

/** Finishes each video `afterMs` after its submission, unless `hold` is set. */
class LateProvider extends ScriptedProvider {
  afterMs = 1500;
  hold = false;
  baseUrl = "";

  override async submit(submission: ProviderSubmission) {
    const answer = await super.submit(submission);
    if (!this.hold) {
      setTimeout(() => {
        void this.send(submission.videoId, {
          status: "COMPLETED",
          executionTime: 1000,
          output: this.completedOutput(this.baseUrl, submission.videoId),
        }).catch(() => {});
      }, this.afterMs);
    }
    return answer;
  }
}

let fast: RealServer;
let slow: RealServer;
const late = new LateProvider();
beforeAll(async () => {
  [fast, slow] = await Promise.all([startRealServer({ previewStepDelayMs: 5 }), startRealServer({ provider: late })]);
  late.baseUrl = slow.baseUrl;
});
afterAll(() => Promise.all([fast?.close(), slow?.close()]));

function countingClient(server: RealServer, user: string): { client: OpenVClient; requests: string[] } {
  const requests: string[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    const prefer = headers.get("prefer");
    requests.push(
      `${init?.method ?? "GET"} ${new URL(String(input)).pathname.replace("/api", "")}${prefer ? ` (${prefer})` : ""}`,
    );
    return globalThis.fetch(input, init);
  };
  return { client: createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": user }, fetch }), requests };
}

describe("Prefer: wait through the SDK", () => {
  it("create({wait}) gets the finished video in one answer (201)", async () => {
    const { client } = countingClient(fast, "quick");
    await client.terms.accept("1.0.0");
    const { data, response } = await client.videos.create(smallVideo, { wait: 30 }).withResponse();
    expect(response.status).toBe(201);
    expect(response.headers.get("preference-applied")).toBe("wait=30");
    expect(data.video).toMatchObject({ status: "completed", etaSeconds: null });
    expect(data.video.renderSeconds).toBeGreaterThan(0);
  });

  it("createAndWait is one request when the server's wait covers the render", async () => {
    const { client, requests } = countingClient(fast, "quick");
    const done = await client.videos.createAndWait(smallVideo, { timeoutMs: 30_000 });
    expect(done.status).toBe("completed");
    expect(requests).toEqual(["POST /videos (wait=60)"]);
  });

  it("createAndWait follows the video's events when the server answers 202 first", async () => {
    const { client, requests } = countingClient(slow, "patient");
    await client.terms.accept("1.0.0");
    requests.length = 0;
    late.afterMs = 1500;
    const done = await client.videos.createAndWait(smallVideo, { wait: 1, timeoutMs: 20_000 });
    expect(done).toMatchObject({ status: "completed", renderSeconds: 1 });
    expect(requests).toEqual(["POST /videos (wait=1)", "GET /videos/events", `GET /videos/${done.id}`]);
  });

  it("abort ends createAndWait while the server holds the answer, and while it follows the events", async () => {
    const { client } = countingClient(slow, "impatient");
    await client.terms.accept("1.0.0");
    late.hold = true;
    try {
      const holding = new AbortController();
      const started = Date.now();
      setTimeout(() => holding.abort(), 300);
      await expect(client.videos.createAndWait(smallVideo, { signal: holding.signal })).rejects.toBeInstanceOf(
        AbortError,
      );
      expect(Date.now() - started).toBeLessThan(3000);

      const following = new AbortController();
      setTimeout(() => following.abort(), 1600);
      await expect(
        client.videos.createAndWait(smallVideo, { wait: 1, signal: following.signal }),
      ).rejects.toBeInstanceOf(AbortError);
    } finally {
      late.hold = false;
    }
  });
});
