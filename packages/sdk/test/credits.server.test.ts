// Models, credits, uploads and the admin grant against the real reference server under credits
// billing (in-process, random port). No msw in this file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  ForbiddenError,
  InsufficientCreditsError,
  type OpenVClient,
  ValidationError,
} from "../src/index.js";
import { model } from "./support/fixtures.js";
import { pngImage } from "./support/images.js";
import { type RealServer, ScriptedProvider, smallVideo, startRealServer } from "./support/real-server.js";

const admin = "admin-ada";
let server: RealServer;
const clientFor = (user: string): OpenVClient =>
  createClient({ baseUrl: server.baseUrl, headers: { "x-openv-user": user }, retryDelayMs: 20 });

/** Mochi's limits at 2 credits a video, on the main provider. */
const mochi = {
  ...model("mochi-1", { name: "Mochi 1", description: "Text to video.", cost: { credits: 2 } }),
  provider: "default",
};
const animate = { ...mochi, id: "animate-1", name: "Animate", image: "required" as const, cost: { credits: 5 } };

beforeAll(async () => {
  server = await startRealServer({
    provider: new ScriptedProvider(),
    models: [mochi, animate],
    config: { billing: "credits", adminUserIds: [admin], maxActiveJobs: 50 },
  });
});
afterAll(() => server.close());

describe("credits billing through the SDK", () => {
  it("models() lists the server's catalog with prices, default first", async () => {
    const models = await clientFor("browser").models();
    expect(models.map((model) => [model.id, model.image, model.cost.credits])).toEqual([
      ["mochi-1", "none", 2],
      ["animate-1", "required", 5],
    ]);
  });

  it("only an admin can grant credits; the balance, ledger and usage follow", async () => {
    const user = clientFor("grace");
    const forbidden = await user.grantCredits({ userId: "grace", credits: 100 }).catch((caught: unknown) => caught);
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(forbidden).toMatchObject({ status: 403, code: "forbidden" });
    expect((forbidden as Error).message).toMatch(/admin/i);

    const granted = await clientFor(admin).grantCredits({ userId: "grace", credits: 7, reason: "purchase #1" });
    expect(granted.balance).toBe(7);
    expect(granted.entry).toMatchObject({ delta: 7, balanceAfter: 7, reason: "purchase #1" });

    const usage = await user.usage();
    expect(usage).toMatchObject({ limitSeconds: null, remainingSeconds: null, credits: { balance: 7 } });
    const credits = await user.credits({ limit: 1 });
    expect(credits.balance).toBe(7);
    expect(credits.entries).toHaveLength(1);
  });

  it("a video the balance cannot pay is an InsufficientCreditsError with the price, and nothing is charged", async () => {
    const user = clientFor("hopper");
    await user.acceptTerms("1.0.0");
    await clientFor(admin).grantCredits({ userId: "hopper", credits: 3 });
    const { video, usage } = await user.generate(smallVideo);
    expect(video.creditCost).toBe(2);
    expect(usage.credits).toEqual({ balance: 1 });

    const error = await user.generate(smallVideo).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).toMatchObject({ status: 402, balance: 1, price: 2, model: "mochi-1" });
    expect((await user.credits()).balance).toBe(1);
  });

  it("uploadImage stores a PNG that an image-to-video request then names; non-images are refused", async () => {
    const user = clientFor("lovelace");
    await user.acceptTerms("1.0.0");
    await clientFor(admin).grantCredits({ userId: "lovelace", credits: 10 });

    const upload = await user.uploadImage(new Blob([pngImage(96, 64)], { type: "image/png" }));
    expect(upload).toMatchObject({ contentType: "image/png", width: 96, height: 64 });
    expect(upload.id).toMatch(/^upl_/);
    const file = await fetch(upload.url);
    expect(file.status).toBe(200);

    const { video } = await user.generate({ ...smallVideo, model: "animate-1", image: upload.id });
    expect(video).toMatchObject({ model: "animate-1", imageId: upload.id, creditCost: 5 });
    expect((await user.credits()).entries.map((entry) => entry.delta)).toEqual([-5, 10]);

    // Bytes as bytes: no content type needed, the server reads the format.
    expect((await user.uploadImage(pngImage(64, 64))).contentType).toBe("image/png");
    const notAnImage = await user
      .uploadImage(new TextEncoder().encode("just some text, not a picture"))
      .catch((caught: unknown) => caught);
    expect(notAnImage).toBeInstanceOf(ValidationError);
    expect(notAnImage).toMatchObject({ status: 415, code: "unsupported_media_type" });
    expect((notAnImage as Error).message).toMatch(/Upload a PNG, JPEG or WebP/);
  });
});
