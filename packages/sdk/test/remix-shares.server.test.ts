// Remix and share links (issue 21) through the SDK, against the real reference server with the local
// preview provider (a real MP4 per video). No msw in this file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  createClient,
  createShare,
  listShares,
  NotFoundError,
  type OpenVClient,
  revokeShare,
} from "../src/index.js";
import { type RealServer, smallVideo, startRealServer } from "./support/real-server.js";

let server: RealServer;
let client: OpenVClient;

beforeAll(async () => {
  server = await startRealServer({ config: { maxActiveJobs: 50 } });
  client = createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": "remixer" }, retryDelayMs: 20 });
  await client.terms.accept((await client.terms.get()).version);
});
afterAll(() => server.close());

describe("client.videos.remix", () => {
  it("makes a new video from a completed one, its settings carried and the changes applied", async () => {
    const source = await client.videos.createAndWait({ ...smallVideo, seed: 1234, cfg: 3 }, { timeoutMs: 60_000 });
    const { video } = await client.videos.remix(source.id, { prompt: "the fox, at dawn", cfg: 6 });
    expect(video).toMatchObject({ remixOf: source.id, prompt: "the fox, at dawn", seed: 1234, cfg: 6, frames: 7 });

    const missing = await client.videos.remix("vid_nope").catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(NotFoundError);
    const unfinished = await client.videos.remix(video.id).catch((caught: unknown) => caught);
    expect(unfinished).toBeInstanceOf(ConflictError);
    expect(unfinished).toMatchObject({ code: "video_not_completed" });
  });
});

describe("createShare, listShares, revokeShare", () => {
  it("creates a link anyone can open, lists it, and revokes it", async () => {
    const video = await client.videos.createAndWait(smallVideo, { timeoutMs: 60_000 });
    const share = await createShare(client, video.id, { expiresInSeconds: 3600 });
    expect(share.url).toMatch(/\/api\/share\/[A-Za-z0-9_-]{43}$/);
    expect((await fetch(share.url)).status).toBe(200);
    expect((await fetch(`${share.url}/video.mp4`, { headers: { range: "bytes=0-9" } })).status).toBe(206);
    expect((await listShares(client, video.id)).shares.map((entry) => entry.id)).toEqual([share.id]);

    await revokeShare(client, video.id, share.id);
    expect((await listShares(client, video.id)).shares).toEqual([]);
    expect((await fetch(share.url)).status).toBe(404);
    const stranger = createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": "stranger" } });
    expect(await createShare(stranger, video.id).catch((caught: unknown) => caught)).toBeInstanceOf(NotFoundError);
  });
});
