import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accepted, bindings, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

describe.each(bindings)(
  "bad input gets the contract's status and code, and changes nothing (%s binding)",
  (binding) => {
    let server: TestServer;
    let provider: ScriptedProvider;
    let webhookUrl: URL;
    beforeAll(async () => {
      provider = new ScriptedProvider();
      server = await startTestServer({ binding, provider });
      await accepted(server);
      await server.api("/videos", { method: "POST", json: generateBody });
      webhookUrl = new URL(provider.submissions[0]?.webhookUrl as string);
    });
    afterAll(() => server.close());

    const post = (path: string, body: string, contentType = "application/json") =>
      server.api(path, { method: "POST", body, headers: { "content-type": contentType } });
    const forged = () => {
      const url = new URL(webhookUrl);
      url.searchParams.set("token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
      return url;
    };

    const cases: [string, () => Promise<Response>, number, string][] = [
      ["malformed JSON", () => post("/videos", '{"prompt": "a cat",'), 400, "validation_failed"],
      ["a prompt that is a number", () => post("/videos", JSON.stringify({ prompt: 42 })), 400, "validation_failed"],
      [
        "frames as a string",
        () => post("/videos", JSON.stringify({ prompt: "x", frames: "31" })),
        400,
        "validation_failed",
      ],
      ["an unknown field", () => post("/videos", JSON.stringify({ prompt: "x", price: 0 })), 400, "validation_failed"],
      [
        "a prompt of 2001 chars",
        () => post("/videos", JSON.stringify({ prompt: "a".repeat(2001) })),
        400,
        "validation_failed",
      ],
      ["frames 30", () => post("/videos", JSON.stringify({ prompt: "x", frames: 30 })), 400, "validation_failed"],
      ["width 850", () => post("/videos", JSON.stringify({ prompt: "x", width: 850 })), 400, "validation_failed"],
      [
        "seed over 32 bits",
        () => post("/videos", JSON.stringify({ prompt: "x", seed: 2 ** 32 })),
        400,
        "validation_failed",
      ],
      ["an empty body", () => post("/videos", ""), 400, "validation_failed"],
      ["a form body", () => post("/videos", "prompt=x", "application/x-www-form-urlencoded"), 400, "validation_failed"],
      [
        "a 2 MB body",
        () => post("/videos", JSON.stringify({ prompt: "x".repeat(2 * 1024 * 1024) })),
        413,
        "payload_too_large",
      ],
      [
        "an Idempotency-Key of 256 chars",
        () =>
          server.api("/videos", {
            method: "POST",
            json: generateBody,
            headers: { "idempotency-key": "k".repeat(256) },
          }),
        400,
        "validation_failed",
      ],
      ["a list limit of 500", () => server.api("/videos?limit=500"), 400, "validation_failed"],
      ["a forged list cursor", () => server.api("/videos?cursor=bm9wZQ"), 400, "validation_failed"],
      ["a missing video id", () => server.api("/videos/vid_missing"), 404, "not_found"],
      ["deleting an unknown video", () => server.api("/videos/vid_missing", { method: "DELETE" }), 404, "not_found"],
      [
        "a bulk delete of 101 ids",
        () =>
          server.api("/videos", { method: "DELETE", json: { ids: Array.from({ length: 101 }, (_, i) => `v${i}`) } }),
        400,
        "validation_failed",
      ],
      [
        "a bulk delete of nothing",
        () => server.api("/videos", { method: "DELETE", json: {} }),
        400,
        "validation_failed",
      ],
      ["accepting terms without a version", () => post("/terms/accept", "{}"), 400, "validation_failed"],
      [
        "a forged webhook token",
        () =>
          fetch(forged(), {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              id: "job-1",
              status: "COMPLETED",
              output: {
                url: "https://evil.example/x.mp4",
                key: "x",
                frames: 7,
                fps: 30,
                width: 256,
                height: 256,
                seconds: 1,
              },
            }),
          }),
        401,
        "unauthorized",
      ],
      [
        "a webhook without a token",
        () => post("/runpod/webhook", JSON.stringify({ id: "job-1", status: "FAILED" })),
        401,
        "unauthorized",
      ],
      [
        "a webhook with a bad status",
        () =>
          fetch(webhookUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ id: "job-1", status: "DONE" }),
          }),
        400,
        "validation_failed",
      ],
    ];

    it.each(cases)("%s → %i %s", async (_name, send, status, code) => {
      const before = await server.tableCounts();
      const response = await send();
      expect(response.status).toBe(status);
      const body = await response.json();
      expect(body.error.code).toBe(code);
      if (code === "validation_failed" && status === 400 && body.error.details) {
        expect(Array.isArray(body.error.details.issues)).toBe(true);
      }
      expect(await server.tableCounts()).toEqual(before);
    });

    it("the video is untouched after all of them", async () => {
      const list = await (await server.api("/videos")).json();
      expect(list.videos).toHaveLength(1);
      expect(list.videos[0]).toMatchObject({ status: "queued", url: null, prompt: generateBody.prompt });
    });
  },
);
