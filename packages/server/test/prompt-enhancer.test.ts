import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOpenAIEnhancer } from "../src/adapters/enhancer/openai.js";
import { createTemplateEnhancer, truncateOnWordBoundary } from "../src/adapters/enhancer/template.js";

const textRequest = (prompt: string) => ({ prompt, model: "mochi-1", hasImage: false });
const imageRequest = (prompt: string) => ({ prompt, model: "mochi-1", hasImage: true });

describe("the template enhancer", () => {
  const enhancer = createTemplateEnhancer();

  it("keeps the user's prompt first, word for word, and adds camera, motion, lighting and style cues", async () => {
    const result = await enhancer.enhance(textRequest("a red fox trotting through fresh snow"));
    expect(result.startsWith("a red fox trotting through fresh snow. ")).toBe(true);
    expect(result).toMatch(/camera/i);
    expect(result).toMatch(/motion/i);
    expect(result).toMatch(/lighting/i);
    expect(result).toMatch(/photorealistic/i);
    expect(result.endsWith(".")).toBe(true);
    expect(enhancer.name).toBe("template");
  });

  it("for image-to-video, asks to animate the given image and adds no scene or style of its own", async () => {
    const result = await enhancer.enhance(imageRequest("the waves roll in"));
    expect(result.startsWith("the waves roll in. ")).toBe(true);
    expect(result).toMatch(/animate the input image/i);
    expect(result).toMatch(/keeping its subject, composition/i);
    expect(result).not.toMatch(/photorealistic|cinematic/i);
    // The same words without an image get the text-to-video cues instead.
    expect(await enhancer.enhance(textRequest("the waves roll in"))).not.toMatch(/input image/i);
  });

  it("does not add the cues a prompt already has", async () => {
    const result = await enhancer.enhance(textRequest("Drone shot over Paris at sunset, anime style"));
    const added = result.slice("Drone shot over Paris at sunset, anime style".length);
    expect(added).not.toMatch(/camera|lighting|photorealistic/i);
    expect(added).toMatch(/motion/i);

    const complete = "Slow camera pan, fluid motion, warm lighting, watercolor style: a lighthouse.";
    expect(await enhancer.enhance(textRequest(complete))).toBe(complete);
  });

  it("returns an enhanced prompt unchanged when enhancing it again, and the same output for the same input", async () => {
    for (const request of [textRequest("a cat on a windowsill"), imageRequest("make the flag wave")]) {
      const once = await enhancer.enhance(request);
      expect(await enhancer.enhance({ ...request, prompt: once })).toBe(once);
      expect(await enhancer.enhance(request)).toBe(once);
    }
  });

  it("never goes past 2000 characters and leaves out whole cues that do not fit", async () => {
    const long = `${"word ".repeat(391)}words`;
    expect(long.length).toBe(1960);
    // 40 characters are left: the 50-character camera cue does not fit, the motion cue does.
    const result = await enhancer.enhance(textRequest(long));
    expect(result).toBe(`${long}. Natural, fluid motion.`);
    expect(result.length).toBeLessThanOrEqual(2000);
    expect(await enhancer.enhance(textRequest(result))).toBe(result);

    const exact = `${"word ".repeat(388)}the end`; // 1947: the camera cue ends exactly at 2000
    expect(await enhancer.enhance(textRequest(exact))).toBe(
      `${exact}. Cinematic shot with a smooth, slow camera movement.`,
    );
    expect((await enhancer.enhance(textRequest(exact))).length).toBe(2000);

    const full = "x".repeat(2000);
    expect(await enhancer.enhance(textRequest(full))).toBe(full);
  });

  it("cuts on a word boundary, never inside a word", () => {
    expect(truncateOnWordBoundary("one two three four", 10)).toBe("one two");
    expect(truncateOnWordBoundary("one two, three", 9)).toBe("one two");
    expect(truncateOnWordBoundary("one two three", 7)).toBe("one two");
    expect(truncateOnWordBoundary("short", 10)).toBe("short");
    expect(truncateOnWordBoundary("unbreakable", 5)).toBe("unbre");
    // A cut never leaves half of an emoji's surrogate pair.
    expect(truncateOnWordBoundary("abcd🦊🦊", 5)).toBe("abcd");
  });

  it("uses custom cue lists, still skipping those the prompt covers", async () => {
    const custom = createTemplateEnhancer({
      textCues: [
        { text: "shot on 35mm film", coveredBy: ["film", "35mm"] },
        { text: "shallow depth of field", coveredBy: ["bokeh"] },
      ],
      imageCues: [{ text: "gently animate the picture", coveredBy: [] }],
    });
    expect(await custom.enhance(textRequest("a busy market"))).toBe(
      "a busy market. Shot on 35mm film, shallow depth of field.",
    );
    expect(await custom.enhance(textRequest("a busy market, bokeh"))).toBe("a busy market, bokeh. Shot on 35mm film.");
    expect(await custom.enhance(imageRequest("a busy market!"))).toBe("a busy market! Gently animate the picture.");
  });

  it("runs a custom template but keeps the user's prompt first and the result within maxLength", async () => {
    const seen: { prompt: string; cues: string[] }[] = [];
    const custom = createTemplateEnhancer({
      maxLength: 60,
      template: (request, cues) => {
        seen.push({ prompt: request.prompt, cues });
        return `In the style of a nature documentary: ${request.prompt}, ${cues.join(", ")}`;
      },
    });
    const result = await custom.enhance(textRequest("  an owl at dusk  "));
    expect(seen[0]?.prompt).toBe("an owl at dusk");
    expect(seen[0]?.cues).toContain("natural, fluid motion");
    // The template did not start with the prompt, so the prompt is put first; then cut to 60 on a word.
    expect(result.startsWith("an owl at dusk. In the style of")).toBe(true);
    expect(result.length).toBeLessThanOrEqual(60);
    expect(result).toBe("an owl at dusk. In the style of a nature documentary: an owl");
  });
});

// OpenAI's API is intercepted at its real address.
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

const completionsUrl = "https://api.openai.com/v1/chat/completions";
const apiKey = "sk-test-enhancer-key";

interface SeenRequest {
  authorization: string | null;
  body: {
    model: string;
    messages: { role: string; content: string }[];
  };
}

function completion(content: string | null, extra: { refusal?: string; finish_reason?: string } = {}) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-4o-mini",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: extra.refusal ?? null },
        finish_reason: extra.finish_reason ?? "stop",
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

/** Answers every chat completion with `answer` and records each request. */
function fakeOpenAI(answer: () => Response | Promise<Response>, url = completionsUrl) {
  const seen: SeenRequest[] = [];
  network.use(
    http.post(url, async ({ request }) => {
      seen.push({
        authorization: request.headers.get("authorization"),
        body: (await request.json()) as SeenRequest["body"],
      });
      return answer();
    }),
  );
  return seen;
}

describe("the OpenAI enhancer", () => {
  it("sends the user's prompt to gpt-4o-mini with the API key and returns the trimmed answer", async () => {
    const seen = fakeOpenAI(() =>
      HttpResponse.json(
        completion('\n  "A red fox trots through fresh snow, low tracking shot, soft dawn light."  \n'),
      ),
    );
    const enhancer = createOpenAIEnhancer({ apiKey, maxRetries: 0 });
    const result = await enhancer.enhance(textRequest("a red fox in snow"));

    expect(result).toBe("A red fox trots through fresh snow, low tracking shot, soft dawn light.");
    expect(enhancer.name).toBe("OpenAI gpt-4o-mini");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.authorization).toBe(`Bearer ${apiKey}`);
    expect(seen[0]?.body.model).toBe("gpt-4o-mini");
    const [system, user] = seen[0]?.body.messages ?? [];
    expect(system?.role).toBe("system");
    expect(system?.content).toMatch(/video/i);
    expect(user?.role).toBe("user");
    expect(user?.content).toContain("a red fox in snow");
    expect(user?.content).toMatch(/text-to-video/);
  });

  it("tells the model when an input image is animated, and uses the chosen model and baseURL", async () => {
    const seen = fakeOpenAI(
      () => HttpResponse.json(completion("The waves roll gently toward the shore.")),
      "https://llm.example.test/v1/chat/completions",
    );
    const enhancer = createOpenAIEnhancer({
      apiKey,
      model: "gpt-4.1-nano",
      baseURL: "https://llm.example.test/v1",
      maxRetries: 0,
    });
    expect(await enhancer.enhance(imageRequest("waves"))).toBe("The waves roll gently toward the shore.");
    expect(seen[0]?.body.model).toBe("gpt-4.1-nano");
    expect(seen[0]?.body.messages[1]?.content).toMatch(/image-to-video.*animate/);
  });

  it("cuts an answer longer than 2000 characters on a word boundary", async () => {
    const answer = "slow motion ".repeat(300).trim(); // 3599 characters
    fakeOpenAI(() => HttpResponse.json(completion(answer)));
    const result = await createOpenAIEnhancer({ apiKey, maxRetries: 0 }).enhance(textRequest("rain"));
    expect(result.length).toBeLessThanOrEqual(2000);
    expect(result.length).toBeGreaterThan(1980);
    // A prefix of the answer that ends where a word ends.
    expect(answer.startsWith(result)).toBe(true);
    expect(answer.charAt(result.length)).toBe(" ");
  });

  it("throws a readable error on 429, without retrying when maxRetries is 0", async () => {
    const seen = fakeOpenAI(() =>
      HttpResponse.json(
        { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } },
        { status: 429 },
      ),
    );
    const enhancer = createOpenAIEnhancer({ apiKey, maxRetries: 0 });
    await expect(enhancer.enhance(textRequest("a fox"))).rejects.toThrow(/rate limited or out of quota \(429\)/);
    expect(seen).toHaveLength(1);
  });

  it("throws on a 500, saying it is temporary", async () => {
    const seen = fakeOpenAI(() => HttpResponse.json({ error: { message: "boom" } }, { status: 500 }));
    const enhancer = createOpenAIEnhancer({ apiKey, maxRetries: 0 });
    await expect(enhancer.enhance(textRequest("a fox"))).rejects.toThrow(/server error \(500\).*temporary/);
    expect(seen).toHaveLength(1);
  });

  it("retries a 500 maxRetries times through a given client, then answers", async () => {
    // A client with its own fetch: msw 2.15 cannot cancel a mocked body, which the SDK does
    // before each retry (mswjs/interceptors#799), so retries are shown without msw.
    const statuses = [500, 200];
    const calls: string[] = [];
    const client = new OpenAI({
      apiKey,
      fetch: async (url) => {
        calls.push(String(url));
        const status = statuses.shift() ?? 500;
        const body = status === 200 ? completion("A fox, on the second try.") : { error: { message: "boom" } };
        return new Response(JSON.stringify(body), {
          status,
          headers: { "content-type": "application/json", "retry-after-ms": "1" },
        });
      },
    });
    const enhancer = createOpenAIEnhancer({ client, maxRetries: 1 });
    expect(await enhancer.enhance(textRequest("a fox"))).toBe("A fox, on the second try.");
    expect(calls).toEqual([completionsUrl, completionsUrl]);

    statuses.push(500, 500);
    await expect(createOpenAIEnhancer({ client, maxRetries: 1 }).enhance(textRequest("a fox"))).rejects.toThrow(
      /server error \(500\)/,
    );
    expect(calls).toHaveLength(4);
  });

  it("throws when the key is refused (401), pointing at apiKey", async () => {
    fakeOpenAI(() => HttpResponse.json({ error: { message: "Incorrect API key" } }, { status: 401 }));
    await expect(createOpenAIEnhancer({ apiKey, maxRetries: 0 }).enhance(textRequest("a fox"))).rejects.toThrow(
      /API key was refused \(401\).*Check apiKey/,
    );
  });

  it("throws when the answer is empty or only whitespace", async () => {
    fakeOpenAI(() => HttpResponse.json(completion("   \n ")));
    const enhancer = createOpenAIEnhancer({ apiKey, maxRetries: 0 });
    await expect(enhancer.enhance(textRequest("a fox"))).rejects.toThrow(/answered with no text/);

    fakeOpenAI(() => HttpResponse.json(completion(null)));
    await expect(enhancer.enhance(textRequest("a fox"))).rejects.toThrow(/answered with no text/);
  });

  it("throws when the model refuses or the content filter withholds the answer", async () => {
    fakeOpenAI(() => HttpResponse.json(completion(null, { refusal: "I can't help with that." })));
    const enhancer = createOpenAIEnhancer({ apiKey, maxRetries: 0 });
    await expect(enhancer.enhance(textRequest("a fox"))).rejects.toThrow(/refused.*I can't help with that/);

    fakeOpenAI(() => HttpResponse.json(completion("partial", { finish_reason: "content_filter" })));
    await expect(enhancer.enhance(textRequest("a fox"))).rejects.toThrow(/content filter/);
  });

  it("throws when the API does not answer within timeoutMs", async () => {
    fakeOpenAI(async () => {
      await delay(2000);
      return HttpResponse.json(completion("too late"));
    });
    const enhancer = createOpenAIEnhancer({ apiKey, timeoutMs: 100, maxRetries: 0 });
    const started = Date.now();
    await expect(enhancer.enhance(textRequest("a fox"))).rejects.toThrow(/no answer within 100 ms.*timeoutMs/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("refuses to start without an API key or client", () => {
    expect(() => createOpenAIEnhancer({})).toThrow(/needs an OpenAI API key: pass \{ apiKey \}/);
  });
});
