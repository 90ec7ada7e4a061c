import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModels } from "../src/adapters/defaults.js";
import { mochiModel } from "../src/core/catalog.js";
import { accepted, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

describe("the models catalog routes each model to its provider", () => {
  let server: TestServer;
  const main = new ScriptedProvider();
  const hosted = new ScriptedProvider();
  beforeAll(async () => {
    server = await startTestServer({
      provider: main,
      providers: { fal: hosted },
      models: [
        mochiModel,
        {
          ...mochiModel,
          id: "hosted-1",
          name: "Hosted",
          provider: "fal",
          providerModel: "fal-ai/some-model",
          limits: { ...mochiModel.limits, fps: 24, frames: { min: 25, max: 121, step: 24, default: 49 } },
        },
      ],
    });
    await accepted(server);
  });
  afterAll(() => server.close());

  it("submits, cancels and reads webhooks through the model's provider, with its own defaults and limits", async () => {
    const answer = await server.api("/videos", { method: "POST", json: { prompt: "a heron", model: "hosted-1" } });
    expect(answer.status).toBe(202);
    const video = (await answer.json()).video as Video;
    expect(video).toMatchObject({ model: "hosted-1", frames: 49, fps: 24 });
    expect(video.durationSeconds).toBeCloseTo(49 / 24, 6);
    expect(main.submissions.some((entry) => entry.videoId === video.id)).toBe(false);
    const submission = hosted.submissions.find((entry) => entry.videoId === video.id);
    expect(submission).toMatchObject({ model: "fal-ai/some-model", fps: 24 });

    await hosted.send({ status: "IN_PROGRESS", output: { progress: 0.5 } });
    expect((await (await server.api(`/videos/${video.id}`)).json()).video).toMatchObject({
      status: "processing",
      progress: 0.5,
    });
    await server.api(`/videos/${video.id}`, { method: "DELETE" });
    expect(hosted.cancelled).toEqual([submission?.jobId]);
    expect(main.cancelled).toEqual([]);

    // Mochi's rules do not apply to this model, and its own do.
    const mochiFrames = await server.api("/videos", { method: "POST", json: { ...generateBody, model: "hosted-1" } });
    expect(mochiFrames.status).toBe(400);
    expect((await mochiFrames.json()).error.details.issues[0]).toMatchObject({ path: ["frames"] });
  });

  it("one refusal names every field to fix: the schema's and the model's", async () => {
    const answer = await server.api("/videos", {
      method: "POST",
      json: { prompt: "a heron", frames: 8, width: 300, height: 256 },
    });
    expect(answer.status).toBe(400);
    const paths = (await answer.json()).error.details.issues.map((issue: { path: string[] }) => issue.path.join("."));
    expect(paths).toEqual(["width", "frames"]);
  });

  it("builds a default catalog with one model per configured provider", () => {
    expect(defaultModels({}).map((model) => model.id)).toEqual(["mochi-1"]);
    const models = defaultModels({
      fal: { apiKey: "k", model: "fal-ai/ltx-video" },
      runway: { apiKey: "k" },
      workflow: { url: "https://n8n.example/webhook/x", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
    });
    expect(models.map((model) => [model.id, model.provider, model.providerModel, model.image])).toEqual([
      ["mochi-1", "default", undefined, "none"],
      ["fal", "fal", "fal-ai/ltx-video", "optional"],
      ["runway-gen4-turbo", "runway", "gen4_turbo", "required"],
      ["workflow", "workflow", undefined, "optional"],
    ]);
  });
});
