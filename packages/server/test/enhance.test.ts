import type { Video } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { accepted, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

const generate = async (server: TestServer, body: object) => {
  const answer = await server.api("/videos", { method: "POST", json: body });
  return { status: answer.status, body: await answer.json() };
};

describe("prompt enhancement", () => {
  describe("with the default template enhancer", () => {
    let server: TestServer;
    let provider: ScriptedProvider;
    beforeAll(async () => {
      provider = new ScriptedProvider();
      server = await startTestServer({ provider, config: { maxActiveJobs: 50 } });
      await accepted(server);
    });
    afterAll(() => server.close());

    it("keeps the prompt as typed, stores and shows the enhanced one, and renders the enhanced one", async () => {
      const { status, body } = await generate(server, {
        ...generateBody,
        prompt: "a corgi dancing",
        enhancePrompt: true,
      });
      expect(status).toBe(202);
      const video = body.video as Video;
      expect(video.prompt).toBe("a corgi dancing");
      expect(video.enhancedPrompt).toMatch(/^a corgi dancing\b/);
      expect(video.enhancedPrompt?.length).toBeGreaterThan("a corgi dancing".length + 20);
      const read = (await (await server.api(`/videos/${video.id}`)).json()).video as Video;
      expect(read).toMatchObject({ prompt: "a corgi dancing", enhancedPrompt: video.enhancedPrompt });
      const submission = provider.submissions.find((entry) => entry.videoId === video.id);
      expect(submission?.input.positive_prompt).toBe(video.enhancedPrompt);
    });

    it("leaves a request without enhancePrompt as typed", async () => {
      const { body } = await generate(server, { ...generateBody, prompt: "a corgi sleeping" });
      expect(body.video).toMatchObject({ prompt: "a corgi sleeping", enhancedPrompt: null });
      const submission = provider.submissions.find((entry) => entry.videoId === body.video.id);
      expect(submission?.input.positive_prompt).toBe("a corgi sleeping");
    });
  });

  describe("with OpenAI (OPENAI_API_KEY)", () => {
    const openai = setupServer();
    let server: TestServer;
    let provider: ScriptedProvider;
    const seen: { authorization: string | null; body: { model: string; messages: { content: string }[] } }[] = [];
    beforeAll(async () => {
      openai.listen({ onUnhandledRequest: "bypass" });
      provider = new ScriptedProvider();
      server = await startTestServer({ provider, openai: { apiKey: "sk-test", maxRetries: 0 } });
      await accepted(server);
    });
    afterEach(() => openai.resetHandlers());
    afterAll(async () => {
      await server.close();
      openai.close();
    });

    it("renders OpenAI's rewrite and keeps both prompts", async () => {
      openai.use(
        http.post("https://api.openai.com/v1/chat/completions", async ({ request }) => {
          seen.push({ authorization: request.headers.get("authorization"), body: (await request.json()) as never });
          return HttpResponse.json({
            id: "chatcmpl-1",
            object: "chat.completion",
            created: 1,
            model: "gpt-4o-mini",
            choices: [
              {
                index: 0,
                finish_reason: "stop",
                message: { role: "assistant", content: "  A corgi dances on a sunlit stage, slow dolly-in.  " },
              },
            ],
          });
        }),
      );
      const { status, body } = await generate(server, { ...generateBody, prompt: "corgi dance", enhancePrompt: true });
      expect(status).toBe(202);
      expect(body.video).toMatchObject({
        prompt: "corgi dance",
        enhancedPrompt: "A corgi dances on a sunlit stage, slow dolly-in.",
      });
      expect(seen.at(-1)?.authorization).toBe("Bearer sk-test");
      expect(JSON.stringify(seen.at(-1)?.body.messages)).toContain("corgi dance");
    });

    it("falls back to the prompt as typed when OpenAI fails, and still makes the video", async () => {
      openai.use(
        http.post("https://api.openai.com/v1/chat/completions", () =>
          HttpResponse.json({ error: { message: "Rate limit reached", type: "requests" } }, { status: 429 }),
        ),
      );
      const { status, body } = await generate(server, { ...generateBody, prompt: "corgi jump", enhancePrompt: true });
      expect(status).toBe(202);
      expect(body.video).toMatchObject({ prompt: "corgi jump", enhancedPrompt: null });
      const submission = provider.submissions.find((entry) => entry.videoId === body.video.id);
      expect(submission?.input.positive_prompt).toBe("corgi jump");
    });
  });

  describe("with enhancement turned off (enhancer: null)", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ provider: new ScriptedProvider(), enhancer: null });
      await accepted(server);
    });
    afterAll(() => server.close());

    it("refuses enhancePrompt with a clear 400 and creates nothing", async () => {
      const before = await server.tableCounts();
      const { status, body } = await generate(server, { ...generateBody, enhancePrompt: true });
      expect(status).toBe(400);
      expect(body.error.details.issues[0]).toMatchObject({ path: ["enhancePrompt"], code: "not_available" });
      expect(await server.tableCounts()).toEqual(before);
    });
  });
});
