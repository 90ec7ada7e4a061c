import { ErrorBodySchema, ListVideosResponseSchema, type Tombstone, type Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accepted,
  bindings,
  completedOutput,
  generateBody,
  readEvents,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = ErrorBodySchema.parse(await response.json());
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
}

describe.each(bindings)("routes and error codes of shared/API.md (%s binding)", (binding) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({
      binding,
      provider,
      config: { monthlyLimitSeconds: 2, maxActiveJobs: 3, maxRetries: 1 },
      generateRateLimit: { perUser: { max: 8, timeWindowMs: 60_000 }, perIp: false },
    });
  });
  afterAll(() => server.close());

  it("GET /health answers ok", async () => {
    expect(await (await server.api("/health")).json()).toEqual({ status: "ok" });
  });

  it("every answer, errors and event streams included, names its request in X-Request-Id", async () => {
    const ok = await server.api("/usage");
    const bad = await server.api("/videos/nope");
    const stream = await server.api("/videos/events");
    await stream.body?.cancel();
    const ids = [ok, bad, stream].map((response) => response.headers.get("x-request-id"));
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(3);
  });

  it("401 unauthorized for an invalid user header; 404 not_found for unknown routes", async () => {
    await expectError(await server.api("/videos", { user: "not a valid user!" }), 401, "unauthorized");
    await expectError(await server.api("/nope"), 404, "not_found");
  });

  it("terms: check, 409 terms_version_mismatch, accept twice keeps the first acceptance", async () => {
    expect(await (await server.api("/terms/check", { user: "tina" })).json()).toEqual({
      accepted: false,
      version: "1.0.0",
      acceptedAt: null,
    });
    const mismatch = await expectError(
      await server.api("/terms/accept", { method: "POST", user: "tina", json: { version: "0.9" } }),
      409,
      "terms_version_mismatch",
    );
    expect(mismatch.details).toEqual({ version: "1.0.0" });
    const first = await (await accepted(server, "tina")).json();
    const second = await (await accepted(server, "tina")).json();
    expect(first).toMatchObject({ accepted: true, version: "1.0.0" });
    expect(second.acceptedAt).toBe(first.acceptedAt);
    expect((await (await server.api("/terms/check", { user: "tina" })).json()).accepted).toBe(true);
  });

  it("403 terms_required before terms are accepted, with the version and the route under the mount prefix", async () => {
    const error = await expectError(
      await server.api("/videos", { method: "POST", user: "newbie", json: generateBody }),
      403,
      "terms_required",
    );
    expect(error.details).toEqual({ version: "1.0.0" });
    // The core does not know where the host mounted the routes; the message still names the real one.
    expect(error.message).toBe(
      'Accept the terms of use (version 1.0.0) before generating videos: POST /api/terms/accept with {"version":"1.0.0"}.',
    );
  });

  it("generate, get, list, 409 too_many_active_jobs, 403 quota_exceeded, delete with refund", async () => {
    const user = "gina";
    await accepted(server, user);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await server.api("/videos", { method: "POST", user, json: generateBody });
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as { video: Video }).video.id);
    }
    const busy = await expectError(
      await server.api("/videos", { method: "POST", user, json: generateBody }),
      409,
      "too_many_active_jobs",
    );
    expect(busy.details).toEqual({ active: 3, limit: 3 });

    const got = await (await server.api(`/videos/${ids[0]}`, { user })).json();
    expect(got.video).toMatchObject({ id: ids[0], status: "queued", frames: 7, width: 256, jobId: expect.any(String) });
    await expectError(await server.api(`/videos/${ids[0]}`, { user: "someone-else" }), 404, "not_found");

    // Finish one so a slot frees up; 3 × 7/30 s used of 2 s, a 163-frame video does not fit.
    await provider.send(
      {
        status: "COMPLETED",
        output: completedOutput(server, { videoId: ids[0] as string }),
      },
      provider.submissions.findIndex((s) => s.videoId === ids[0]),
    );
    const quota = await expectError(
      await server.api("/videos", { method: "POST", user, json: { ...generateBody, frames: 163 } }),
      403,
      "quota_exceeded",
    );
    expect(quota.details).toEqual({
      limitSeconds: 2,
      usedSeconds: 0.7,
      remainingSeconds: 1.3,
      requestedSeconds: 5.433,
    });

    const listed = ListVideosResponseSchema.parse(await (await server.api("/videos?limit=2", { user })).json());
    expect(listed.videos.map((video) => video.id)).toEqual([ids[2], ids[1]]);
    const page2 = ListVideosResponseSchema.parse(
      await (await server.api(`/videos?limit=2&cursor=${listed.nextCursor}`, { user })).json(),
    );
    expect(page2.videos.map((video) => video.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();

    // Deleting an unfinished video refunds it and cancels its job; a completed one is not refunded.
    const deleted = await server.api(`/videos/${ids[1]}`, { method: "DELETE", user });
    expect(deleted.status).toBe(204);
    expect(provider.cancelled).toContain(provider.submissions.find((s) => s.videoId === ids[1])?.jobId);
    await expectError(await server.api(`/videos/${ids[1]}`, { method: "DELETE", user }), 404, "not_found");
    const bulk = await (
      await server.api("/videos", { method: "DELETE", user, json: { ids: [ids[0], "vid_unknown"], jobIds: [] } })
    ).json();
    expect(bulk).toEqual({ deleted: [ids[0]] });
    const usage = await (await server.api("/usage", { user })).json();
    expect(usage.usedSeconds).toBeCloseTo(14 / 30, 3);
    expect(usage.limitSeconds).toBe(2);

    const changes = ListVideosResponseSchema.parse(await (await server.api("/videos?updatedSince=0", { user })).json());
    const tombstones = changes.videos.filter((entry): entry is Tombstone => "deleted" in entry);
    expect(tombstones.map((entry) => entry.id).sort()).toEqual([ids[0], ids[1]].sort());
  });

  it("POST /runpod accepts the seed app's body", async () => {
    await accepted(server, "seed");
    const response = await server.api("/runpod", {
      method: "POST",
      user: "seed",
      json: {
        prompt: "waves",
        frames: 13,
        input: { positive_prompt: "waves", num_frames: 13, width: 512, height: 256 },
      },
    });
    expect(response.status).toBe(202);
    expect((await response.json()).video).toMatchObject({ prompt: "waves", frames: 13, width: 512, height: 256 });
  });

  it("Idempotency-Key: replay, 422 idempotency_conflict, 409 idempotency_in_progress", async () => {
    const user = "ida";
    await accepted(server, user);
    const send = (body: object, key = "key-1") =>
      server.api("/videos", { method: "POST", user, json: body, headers: { "idempotency-key": key } });
    const first = await send(generateBody);
    const replay = await send({ ...generateBody });
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await replay.json()).video.id).toBe((await first.json()).video.id);
    await expectError(await send({ ...generateBody, prompt: "another prompt" }), 422, "idempotency_conflict");

    let open: () => void = () => {};
    provider.gate = new Promise((resolve) => {
      open = resolve;
    });
    const slow = send(generateBody, "key-2");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const inProgress = await send(generateBody, "key-2");
    await expectError(inProgress, 409, "idempotency_in_progress");
    expect(inProgress.headers.get("retry-after")).toBe("1");
    provider.gate = null;
    open();
    expect((await slow).status).toBe(202);
  });

  it("502 provider_unavailable refunds the charge and frees the key", async () => {
    const user = "pam";
    await accepted(server, user);
    provider.refuseWith = new Error("endpoint is throttled");
    const refused = await server.api("/videos", {
      method: "POST",
      user,
      json: generateBody,
      headers: { "idempotency-key": "retry-me" },
    });
    await expectError(refused, 502, "provider_unavailable");
    expect((await (await server.api("/usage", { user })).json()).usedSeconds).toBe(0);
    provider.refuseWith = null;
    const retried = await server.api("/videos", {
      method: "POST",
      user,
      json: generateBody,
      headers: { "idempotency-key": "retry-me" },
    });
    expect(retried.status).toBe(202);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
  });

  it("429 rate_limited with Retry-After once a user passes the generate limit", async () => {
    const user = "rita";
    let response: Response | undefined;
    for (let i = 0; i < 10; i++) {
      response = await server.api("/videos", { method: "POST", user, json: generateBody });
      if (response.status === 429) break;
    }
    await expectError(response as Response, 429, "rate_limited");
    expect(Number((response as Response).headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("SSE replays changes after Last-Event-ID, then streams live ones", async () => {
    const user = "sam";
    await accepted(server, user);
    const created = (await (await server.api("/videos", { method: "POST", user, json: generateBody })).json()).video;
    const since = Date.parse(created.updatedAt) - 1;
    const stream = await server.api("/videos/events", { user, headers: { "last-event-id": String(since) } });
    const received = readEvents(stream, (events) =>
      events.some((event) => (event.data as Video).status === "processing"),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await provider.send({ status: "IN_PROGRESS", output: { progress: 0.5 } });
    const events = await received;
    expect(events[0]).toMatchObject({ event: "video", data: { id: created.id } });
    expect(events.at(-1)).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      data: { status: "processing", progress: 0.5 },
    });
  });
});
