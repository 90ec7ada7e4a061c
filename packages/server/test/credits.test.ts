import type { CreditsResponse, ListModelsResponse, Usage, Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mochiModel } from "../src/core/catalog.js";
import {
  accepted,
  backends,
  completedOutput,
  generateBody,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const admin = "admin_1";

/** A second, dearer model on the same provider, to show prices come from the catalog. */
const premium = { ...mochiModel, id: "mochi-1-hd", name: "Mochi 1 HD", cost: { credits: 3 } };

describe.each(backends)("credits billing ($name)", ({ adminUrl }) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({
      adminUrl,
      provider,
      models: [mochiModel, premium],
      config: { billing: "credits", adminUserIds: [admin], maxActiveJobs: 100 },
    });
  });
  afterAll(() => server.close());

  const grant = (userId: string, credits: number, as = admin, reason?: string) =>
    server.api("/admin/credits", { method: "POST", user: as, json: { userId, credits, ...(reason && { reason }) } });
  const credits = async (user: string) =>
    (await (await server.api("/credits?limit=200", { user })).json()) as CreditsResponse;
  const create = async (user: string, body: object = generateBody) =>
    server.api("/videos", { method: "POST", user, json: body });
  const read = async (user: string, id: string) =>
    ((await (await server.api(`/videos/${id}`, { user })).json()) as { video: Video }).video;

  it("20 parallel generates with credits for 5: exactly 5 are accepted and the ledger sums to the balance", async () => {
    const user = "racer";
    await accepted(server, user);
    expect((await grant(user, 5, admin, "purchase #1")).status).toBe(200);

    const answers = await Promise.all(Array.from({ length: 20 }, () => create(user)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(5);
    expect(statuses.filter((status) => status === 402)).toHaveLength(15);
    const refused = await answers.find((answer) => answer.status === 402)?.json();
    expect(refused.error).toMatchObject({
      code: "insufficient_credits",
      details: { balance: 0, price: 1, model: "mochi-1" },
    });
    expect(refused.error.message).toMatch(/balance is 0/);

    const { balance, entries } = await credits(user);
    expect(balance).toBe(0);
    expect(entries.reduce((sum, entry) => sum + entry.delta, 0)).toBe(balance);
    expect(entries.filter((entry) => entry.reason === "generation")).toHaveLength(5);
    expect(entries.filter((entry) => entry.reason === "purchase #1")).toHaveLength(1);
    // Each entry's balanceAfter chains from the one before it (entries are newest first).
    const oldestFirst = [...entries].reverse();
    oldestFirst.reduce((before, entry) => {
      expect(entry.balanceAfter).toBe(before + entry.delta);
      return entry.balanceAfter;
    }, 0);
    const accepted202 = await Promise.all(
      answers.filter((answer) => answer.status === 202).map(async (answer) => (await answer.json()).video as Video),
    );
    expect(new Set(accepted202.map((video) => video.id)).size).toBe(5);
    expect(accepted202.every((video) => video.creditCost === 1)).toBe(true);
    // Refused requests left no video behind.
    expect((await (await server.api("/videos?limit=200", { user })).json()).videos).toHaveLength(5);
  });

  it("charges the model's own price and reports the balance in the answer and in /usage", async () => {
    const user = "buyer";
    await accepted(server, user);
    await grant(user, 4);
    const answer = await create(user, { ...generateBody, model: "mochi-1-hd" });
    expect(answer.status).toBe(202);
    const body = (await answer.json()) as { video: Video; usage: Usage };
    expect(body.video).toMatchObject({ model: "mochi-1-hd", creditCost: 3 });
    expect(body.usage).toMatchObject({ credits: { balance: 1 }, limitSeconds: null, remainingSeconds: null });
    const second = await create(user, { ...generateBody, model: "mochi-1-hd" });
    expect(second.status).toBe(402);
    expect((await second.json()).error.details).toEqual({ balance: 1, price: 3, model: "mochi-1-hd" });
    // The cheaper model still fits.
    expect((await create(user)).status).toBe(202);
    expect((await (await server.api("/usage", { user })).json()).credits).toEqual({ balance: 0 });
  });

  it("refunds a failed video once, even when the failure is delivered twice, and a deleted unfinished one", async () => {
    const user = "refunded";
    await accepted(server, user);
    await grant(user, 2);
    const failing = (await (await create(user)).json()).video as Video;
    const index = provider.submissions.findIndex((submission) => submission.videoId === failing.id);
    await provider.send({ status: "FAILED", error: "invalid_input: no" }, index);
    await provider.send({ status: "FAILED", error: "invalid_input: no" }, index);
    expect((await read(user, failing.id)).status).toBe("failed");
    let ledger = await credits(user);
    expect(ledger.balance).toBe(2);
    expect(ledger.entries.filter((entry) => entry.videoId === failing.id).map((entry) => entry.delta)).toEqual([1, -1]);

    const deleted = (await (await create(user)).json()).video as Video;
    expect((await server.api(`/videos/${deleted.id}`, { method: "DELETE", user })).status).toBe(204);
    ledger = await credits(user);
    expect(ledger.balance).toBe(2);
    expect(ledger.entries[0]).toMatchObject({ videoId: deleted.id, delta: 1, reason: "refund" });

    // A completed video keeps its charge, also when it is deleted later.
    const done = (await (await create(user)).json()).video as Video;
    const doneIndex = provider.submissions.findIndex((submission) => submission.videoId === done.id);
    await provider.send({ status: "COMPLETED", output: completedOutput(server, { videoId: done.id }) }, doneIndex);
    expect((await read(user, done.id)).status).toBe("completed");
    await server.api(`/videos/${done.id}`, { method: "DELETE", user });
    expect((await credits(user)).balance).toBe(1);
  });

  it("only admins grant; removing more than the balance is refused and changes nothing", async () => {
    const before = await server.tableCounts();
    const forbidden = await grant("someone", 100, "not-an-admin");
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).error.code).toBe("forbidden");
    expect(await server.tableCounts()).toEqual(before);

    await grant("someone", 3);
    const overdraw = await grant("someone", -5);
    expect(overdraw.status).toBe(402);
    expect((await overdraw.json()).error.details).toMatchObject({ balance: 3 });
    const removed = await grant("someone", -2, admin, "chargeback");
    expect(await removed.json()).toMatchObject({ balance: 1, entry: { delta: -2, reason: "chargeback" } });
    const zero = await grant("someone", 0);
    expect(zero.status).toBe(400);
  });

  it("lists the catalog with limits and prices, and a client cannot name its own price", async () => {
    const models = (await (await fetch(`${server.origin}/api/models`)).json()) as ListModelsResponse;
    expect(models.models.map((model) => [model.id, model.cost.credits])).toEqual([
      ["mochi-1", 1],
      ["mochi-1-hd", 3],
    ]);
    expect(models.models[0]?.limits.frames).toMatchObject({ min: 7, max: 163, step: 6 });
    expect(models.models[0]).not.toHaveProperty("provider");

    const user = "haggler";
    await accepted(server, user);
    await grant(user, 1);
    for (const field of ["price", "cost", "credits"]) {
      const answer = await create(user, { ...generateBody, [field]: 0 });
      expect(answer.status).toBe(400);
    }
    const unknown = await create(user, { ...generateBody, model: "free-model" });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error.details.issues[0]).toMatchObject({ path: ["model"], code: "unknown_model" });
    expect((await credits(user)).balance).toBe(1);
  });
});

describe("monthly-seconds billing stays the default", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ provider: new ScriptedProvider() });
    await accepted(server);
  });
  afterAll(() => server.close());

  it("reports seconds and no credits, and generates without any balance", async () => {
    const answer = await server.api("/videos", { method: "POST", json: generateBody });
    expect(answer.status).toBe(202);
    const { video, usage } = (await answer.json()) as { video: Video; usage: Usage };
    expect(video.creditCost).toBeNull();
    expect(usage).toMatchObject({ credits: null, limitSeconds: 600 });
    expect(usage.usedSeconds).toBeCloseTo(7 / 30, 3);
  });
});
