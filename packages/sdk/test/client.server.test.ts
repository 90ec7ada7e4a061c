// The client against the real reference server (in-process, random port). No msw in this file:
// msw's interception would sit between the client and the real server.
import { isTombstone } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  createClient,
  isOpenVError,
  NotFoundError,
  type OpenVClient,
  QuotaExceededError,
  TermsRequiredError,
  ValidationError,
} from "../src/index.js";
import { type RealServer, ScriptedProvider, smallVideo, startRealServer } from "./support/real-server.js";

let server: RealServer;
const clientFor = (user: string): OpenVClient =>
  createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": user }, retryDelayMs: 20 });

beforeAll(async () => {
  // The scripted provider leaves jobs queued, so the limits below are reached deterministically.
  server = await startRealServer({
    provider: new ScriptedProvider(),
    config: { monthlyLimitSeconds: 1, maxActiveJobs: 50 },
  });
});
afterAll(() => server.close());

describe("typed errors from the real server", () => {
  it("a user who has not accepted the terms gets TermsRequiredError with the version to accept", async () => {
    const client = clientFor("terms-user");
    const error = await client.generate(smallVideo).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TermsRequiredError);
    expect(isOpenVError(error)).toBe(true);
    const terms = error as TermsRequiredError;
    expect(terms).toMatchObject({ status: 403, code: "terms_required", version: "1.0.0" });

    expect(await client.checkTerms()).toMatchObject({ accepted: false, version: "1.0.0", acceptedAt: null });
    const mismatch = await client.acceptTerms("0.1").catch((caught: unknown) => caught);
    expect(mismatch).toBeInstanceOf(ConflictError);
    expect(mismatch).toMatchObject({ status: 409, code: "terms_version_mismatch" });
    const accepted = await client.acceptTerms(terms.version);
    expect(accepted).toMatchObject({ accepted: true, version: "1.0.0" });
    expect((await client.checkTerms()).accepted).toBe(true);
    expect((await client.generate(smallVideo)).video.status).toBe("queued");
  });

  it("going over the monthly seconds is a QuotaExceededError carrying the usage numbers", async () => {
    const client = clientFor("quota-user");
    await client.acceptTerms("1.0.0");
    await client.generate(smallVideo); // 7 frames: 0.233 s of the 1 s limit
    const error = await client.generate({ ...smallVideo, frames: 31 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QuotaExceededError);
    const quota = error as QuotaExceededError;
    expect(quota.status).toBe(403);
    expect(quota.code).toBe("quota_exceeded");
    expect(quota.limitSeconds).toBe(1);
    expect(quota.usedSeconds).toBeCloseTo(0.233, 2);
    expect(quota.remainingSeconds).toBeCloseTo(0.767, 2);
    expect(quota.requestedSeconds).toBeCloseTo(31 / 30, 2);
    const usage = await client.usage();
    expect(usage.usedSeconds).toBeCloseTo(0.233, 2);
    expect(usage.limitSeconds).toBe(1);
  });

  it("an invalid request is a ValidationError listing the offending fields", async () => {
    const client = clientFor("validation-user");
    const error = await client.generate({ ...smallVideo, frames: 8, width: 300 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).issues.map((issue) => issue.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["frames", "width"]));
  });

  it("another user's video, or no video at all, is a NotFoundError", async () => {
    const owner = clientFor("owner");
    await owner.acceptTerms("1.0.0");
    const { video } = await owner.generate(smallVideo);
    expect((await owner.get(video.id)).id).toBe(video.id);
    for (const id of [video.id, "no-such-video"]) {
      const error = await clientFor("stranger")
        .get(id)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ status: 404, code: "not_found" });
    }
  });
});

describe("calls against the real server", () => {
  it("the same idempotency key replays the first video and charges once", async () => {
    const client = clientFor("idem-user");
    await client.acceptTerms("1.0.0");
    const first = await client.generate(smallVideo, { idempotencyKey: "order-42" });
    const again = await client.generate(smallVideo, { idempotencyKey: "order-42" });
    expect(first.replayed).toBe(false);
    expect(again.replayed).toBe(true);
    expect(again.video.id).toBe(first.video.id);
    expect((await client.usage()).usedSeconds).toBeCloseTo(0.233, 2);
    const other = await client.generate(smallVideo);
    expect(other.video.id).not.toBe(first.video.id);
    expect(other.idempotencyKey).not.toBe("order-42");
  });

  it("list gives one page when awaited and every video across pages when iterated", async () => {
    const client = clientFor("list-user");
    await client.acceptTerms("1.0.0");
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await client.generate(smallVideo)).video.id);

    const page = await client.list({ limit: 3 });
    expect(page.videos.map((video) => video.id)).toEqual(ids.slice(1).reverse());
    expect(page.nextCursor).not.toBeNull();

    const all: string[] = [];
    for await (const video of client.list({ limit: 3 })) all.push(video.id);
    expect(all).toEqual([...ids].reverse());
  });

  it("delete removes the user's videos, leaves out others', and list(updatedSince) reports tombstones", async () => {
    const client = clientFor("delete-user");
    await client.acceptTerms("1.0.0");
    const before = await client.list();
    const a = (await client.generate(smallVideo)).video;
    const b = (await client.generate(smallVideo)).video;
    const deleted = await client.delete([a.id, "not-mine"]);
    expect(deleted).toEqual([a.id]);
    expect(await client.delete(b.id)).toEqual([b.id]);
    await expect(client.get(a.id)).rejects.toBeInstanceOf(NotFoundError);

    const changes = [];
    for await (const change of client.list({ updatedSince: before.serverTime })) changes.push(change);
    const tombstones = changes.filter(isTombstone).map((change) => change.id);
    expect(tombstones.sort()).toEqual([a.id, b.id].sort());
  });
});
