import type { Video } from "@openv/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddedStore } from "../src/adapters/store/embedded.js";
import type { PrismaStore } from "../src/adapters/store/prisma.js";
import type { ProviderSubmission, Store } from "../src/core/ports.js";
import { accepted, bindings, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

/**
 * The embedded store behind a switch the test throws: `down` makes every call fail as a lost
 * database connection does; `cutAfterNextCommit` lets the next transaction commit, then reports the
 * connection lost (the answer to COMMIT never arrives) and stays down. A transaction is a
 * `transaction`, or the one statement of `admitAndInsertVideo` (a generate's admission).
 */
function switchableStore(real: Store) {
  const state = { down: false, cutAfterNextCommit: false };
  const lost = () => Object.assign(new Error("Connection terminated unexpectedly"), { code: "P1017" });
  const store = new Proxy(real, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "close") return value.bind(target);
      return async (...args: unknown[]) => {
        if (state.down) throw lost();
        const result = await value.apply(target, args);
        if ((property === "transaction" || property === "admitAndInsertVideo") && state.cutAfterNextCommit) {
          state.cutAfterNextCommit = false;
          state.down = true;
          throw lost();
        }
        return result;
      };
    },
  });
  return { store, state };
}

/** A provider that accepts the job, and at that moment the database goes away (the job id cannot be saved). */
class ProviderThatOutlivesTheDatabase extends ScriptedProvider {
  onSubmit: (() => void) | null = null;
  override async submit(submission: ProviderSubmission) {
    const accepted = await super.submit(submission);
    this.onSubmit?.();
    return accepted;
  }
}

describe.each(bindings)("Idempotency-Key after a failure past COMMIT, and after a delete (%s)", (binding) => {
  let server: TestServer;
  let state: ReturnType<typeof switchableStore>["state"];
  const provider = new ProviderThatOutlivesTheDatabase();
  let keys = 0;
  const user = "ivy";

  beforeAll(async () => {
    const switchable = switchableStore(await createEmbeddedStore());
    state = switchable.state;
    server = await startTestServer({ binding, provider, store: switchable.store, config: { maxActiveJobs: 20 } });
    await accepted(server, user);
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    state.down = false;
    state.cutAfterNextCommit = false;
    provider.onSubmit = null;
  });

  /** The key's record as the database has it (read directly, past the switch). */
  const keyState = async (key: string) => {
    const client = (server.openv.adapters.store as unknown as PrismaStore).client;
    const rows = await client.$queryRawUnsafe<{ state: string }[]>(
      `SELECT "state" FROM "IdempotencyRecord" WHERE "userId" = $1 AND "key" = $2`,
      user,
      key,
    );
    return rows[0]?.state;
  };
  const generate = (key: string) =>
    server.api("/videos", { method: "POST", user, json: generateBody, headers: { "idempotency-key": key } });
  const usedSeconds = async () =>
    ((await (await server.api("/usage", { user })).json()) as { usedSeconds: number }).usedSeconds;
  const liveVideos = async () => ((await (await server.api("/videos", { user })).json()) as { videos: Video[] }).videos;

  it("the answer to COMMIT is lost: 503 that says the video may have been stored, and the same key then answers with that video, charged once", async () => {
    const key = `lost-commit-${++keys}`;
    const usedBefore = await usedSeconds();
    state.cutAfterNextCommit = true;
    const first = await generate(key);
    expect(first.status).toBe(503);
    const { error } = (await first.json()) as {
      error: { code: string; message: string; details?: { videoId?: string } };
    };
    expect(error.code).toBe("service_unavailable");
    expect(error.message).not.toMatch(/nothing was changed/);
    expect(error.message).toMatch(/may have been stored/);
    expect(error.message).toMatch(/same Idempotency-Key/);

    // The database is back: the record says the request ended (other instances read it there)...
    state.down = false;
    const deadline = Date.now() + 15_000;
    while ((await keyState(key)) !== "done" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await keyState(key)).toBe("done");
    // ...and the retry gets the video the lost commit stored, not 409 for 2 minutes.
    const retry = await generate(key);
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const { video } = (await retry.json()) as { video: Video };
    expect(video.id).toBe(error.details?.videoId);
    expect((await liveVideos()).filter((candidate) => candidate.id === video.id)).toHaveLength(1);
    expect(await usedSeconds()).toBeCloseTo(usedBefore + video.durationSeconds, 2);
  });

  it("the database goes away after the video is stored and the provider took the job: 503 naming the stored video, and the same key answers with it; no second video, no second charge", async () => {
    const key = `after-submit-${++keys}`;
    const usedBefore = await usedSeconds();
    const videosBefore = (await liveVideos()).length;
    provider.onSubmit = () => {
      state.down = true;
    };
    const first = await generate(key);
    expect(first.status).toBe(503);
    const { error } = (await first.json()) as {
      error: { code: string; message: string; details?: { videoId?: string } };
    };
    expect(error.code).toBe("service_unavailable");
    expect(error.message).not.toMatch(/nothing was changed/);
    const videoId = error.details?.videoId as string;
    expect(error.message).toContain(videoId);
    expect(error.message).toMatch(/was stored/);

    state.down = false;
    provider.onSubmit = null;
    const retry = await generate(key);
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as { video: Video }).video.id).toBe(videoId);
    expect((await liveVideos()).length).toBe(videosBefore + 1);
    expect(await usedSeconds()).toBeCloseTo(usedBefore + generateBody.frames / 30, 2);
  });

  it("a key whose video was deleted answers 404 not_found, as GET /videos/:id does, and makes no new video", async () => {
    const key = `deleted-${++keys}`;
    const created = await generate(key);
    expect(created.status).toBe(202);
    const { video } = (await created.json()) as { video: Video };
    expect((await server.api(`/videos/${video.id}`, { method: "DELETE", user })).status).toBe(204);
    expect((await server.api(`/videos/${video.id}`, { user })).status).toBe(404);
    const videosBefore = (await liveVideos()).length;

    const replay = await generate(key);
    expect(replay.status).toBe(404);
    const { error } = (await replay.json()) as { error: { code: string; message: string; details?: unknown } };
    expect(error.code).toBe("not_found");
    expect(error.details).toEqual({ videoId: video.id });
    expect(error.message).toMatch(/deleted/);
    expect((await liveVideos()).length).toBe(videosBefore);
  });
});
