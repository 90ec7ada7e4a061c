import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { Video } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFalProvider, type FalProviderOptions } from "../src/adapters/provider/fal.js";
import { isOpenVError } from "../src/core/errors.js";
import type { ProviderImage, ProviderSubmission, ProviderWebhookRequest } from "../src/core/ports.js";
import { accepted, backends, generateBody, startTestServer, type TestServer } from "./helpers.js";
import { providerSubmission } from "./support/provider-submission.js";
import { tinyMp4 } from "./support/tiny-mp4.js";

const apiKey = "fal_test_key_123";
const model = "fal-ai/ltx-video/image-to-video";
const app = "fal-ai/ltx-video";
const queue = "https://queue.fal.run";
const jwksUrl = "https://rest.fal.ai/.well-known/jwks.json";
const cdn = "https://v3.fal.media/files/monkey";

// fal's queue, its key set and its CDN are intercepted at their real addresses; calls to the
// loopback test server pass through.
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "bypass" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

/** The key pair fal signs webhooks with, as published in its JWKS. */
const falKeys = generateKeyPairSync("ed25519");

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: unknown;
}

/** fal's queue: submissions get request ids; status and results answer from `requests`. */
function fakeFal() {
  const seen: Seen[] = [];
  const requests = new Map<string, { status: unknown; result?: { status: number; body: unknown } }>();
  let next = 0;
  let jwksFetches = 0;
  const record = async (request: Request) => {
    const text = await request.text();
    seen.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get("authorization"),
      body: text ? JSON.parse(text) : null,
    });
  };
  network.use(
    http.get(jwksUrl, () => {
      jwksFetches += 1;
      return HttpResponse.json({ keys: [{ ...falKeys.publicKey.export({ format: "jwk" }), kid: "test" }] });
    }),
    http.post(`${queue}/fal-ai/*`, async ({ request }) => {
      await record(request);
      const id = `req-${++next}`;
      requests.set(id, { status: { status: "IN_QUEUE", queue_position: 0 } });
      return HttpResponse.json({
        request_id: id,
        gateway_request_id: id,
        status_url: `${queue}/${app}/requests/${id}/status`,
      });
    }),
    http.get(`${queue}/${app}/requests/:id/status`, async ({ request, params }) => {
      await record(request);
      const entry = requests.get(params.id as string);
      return entry
        ? HttpResponse.json(entry.status as object)
        : HttpResponse.json({ detail: "Not found" }, { status: 404 });
    }),
    http.get(`${queue}/${app}/requests/:id`, async ({ request, params }) => {
      await record(request);
      const result = requests.get(params.id as string)?.result;
      return result
        ? HttpResponse.json(result.body as object, { status: result.status })
        : HttpResponse.json({ detail: "Not found" }, { status: 404 });
    }),
    http.put(`${queue}/${app}/requests/:id/cancel`, async ({ request, params }) => {
      await record(request);
      const entry = requests.get(params.id as string);
      if (!entry) return HttpResponse.json({ status: "NOT_FOUND" }, { status: 404 });
      if ((entry.status as { status: string }).status === "COMPLETED") {
        return HttpResponse.json({ status: "ALREADY_COMPLETED" }, { status: 400 });
      }
      return HttpResponse.json({ status: "CANCELLATION_REQUESTED" }, { status: 202 });
    }),
  );
  return {
    seen,
    requests,
    submissions: () => seen.filter((request) => request.method === "POST"),
    jwksFetches: () => jwksFetches,
  };
}

/** A fal webhook delivery of `body`, signed as fal signs it (ED25519 over id, user, time and body hash). */
function falDelivery(
  body: unknown,
  options: { key?: KeyObject; timestamp?: number; requestId?: string } = {},
): { headers: Record<string, string>; body: string } {
  const text = JSON.stringify(body);
  const requestId = options.requestId ?? (body as { request_id?: string }).request_id ?? "req";
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const digest = createHash("sha256").update(text).digest("hex");
  const signature = sign(
    null,
    Buffer.from(`${requestId}\nuser-1\n${timestamp}\n${digest}`),
    options.key ?? falKeys.privateKey,
  ).toString("hex");
  return {
    body: text,
    headers: {
      "content-type": "application/json",
      "x-fal-webhook-request-id": requestId,
      "x-fal-webhook-user-id": "user-1",
      "x-fal-webhook-timestamp": timestamp,
      "x-fal-webhook-signature": signature,
    },
  };
}

const asWebhookRequest = (
  delivery: { headers: Record<string, string>; body: string },
  jobId: string | null,
): ProviderWebhookRequest => ({ body: new TextEncoder().encode(delivery.body), headers: delivery.headers, jobId });

const input = {
  positive_prompt: "a fox in snow",
  negative_prompt: "blurry",
  width: 848,
  height: 480,
  num_frames: 31,
  steps: 64,
  cfg: 4.5,
};
const imageBytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
const image = (url: string): ProviderImage => ({
  url,
  contentType: "image/png",
  width: 848,
  height: 480,
  read: async () => imageBytes,
});
const submission = (overrides: Partial<ProviderSubmission> = {}) => providerSubmission(input, overrides);
const provider = (options: Partial<FalProviderOptions> = {}) => createFalProvider({ apiKey, model, ...options });

describe("the fal.ai adapter speaks fal's queue API", () => {
  it("submits the model input to queue.fal.run/{model} with Key auth and the webhook as fal_webhook", async () => {
    const fal = fakeFal();
    const { jobId } = await provider().submit(submission({ image: image("https://images.example.com/in.png") }));
    expect(jobId).toBe(`${app}:req-1`);
    expect(fal.seen).toEqual([
      {
        method: "POST",
        url: `${queue}/${model}?fal_webhook=${encodeURIComponent(submission().webhookUrl)}`,
        authorization: `Key ${apiKey}`,
        body: { prompt: "a fox in snow", negative_prompt: "blurry", image_url: "https://images.example.com/in.png" },
      },
    ]);
  });

  it("sends an image fal cannot fetch (this server's loopback files) inline as a data URI", async () => {
    const fal = fakeFal();
    await provider().submit(submission({ image: image("http://127.0.0.1:3000/api/files/in.png") }));
    expect(fal.seen[0]?.body).toMatchObject({
      image_url: `data:image/png;base64,${Buffer.from(imageBytes).toString("base64")}`,
    });
  });

  it("renders on the submission's model when it is a fal endpoint id, and merges model-specific input", async () => {
    const fal = fakeFal();
    const { jobId } = await provider({ input: () => ({ duration: "5", aspect_ratio: "16:9" }) }).submit(
      submission({ model: "fal-ai/kling-video/v2.1/standard/text-to-video" }),
    );
    expect(fal.seen[0]?.url).toMatch(
      /^https:\/\/queue\.fal\.run\/fal-ai\/kling-video\/v2\.1\/standard\/text-to-video\?/,
    );
    expect(fal.seen[0]?.body).toEqual({
      prompt: "a fox in snow",
      negative_prompt: "blurry",
      duration: "5",
      aspect_ratio: "16:9",
    });
    // Status, result and cancel URLs use the app only, not the endpoint's sub-path.
    expect(jobId).toBe("fal-ai/kling-video:req-1");
  });

  it("refuses to submit without a fal model, and says which setting to fill", async () => {
    fakeFal();
    await expect(createFalProvider({ apiKey }).submit(submission())).rejects.toThrow(
      /no model for "mochi-1".*FAL_MODEL/,
    );
    expect(() => createFalProvider({ apiKey: "" })).toThrow(/FAL_KEY/);
    expect(() => createFalProvider({ apiKey, model: "ltx video" })).toThrow(
      /FAL_MODEL "ltx video" is not a fal endpoint id/,
    );
  });

  it("a refused submission throws a helpful error without the key", async () => {
    network.use(http.post(`${queue}/${model}`, () => HttpResponse.json({ detail: "Invalid key" }, { status: 401 })));
    const error = (await provider()
      .submit(submission())
      .catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/fal submission to fal-ai\/ltx-video\/image-to-video answered 401.*Check FAL_KEY/);
    expect(error.message).not.toContain(apiKey);
    network.use(http.post(`${queue}/${model}`, () => HttpResponse.error()));
    await expect(provider().submit(submission())).rejects.toThrow(/fal submission to .* failed/);
  });

  it("maps every queue status: IN_QUEUE, IN_PROGRESS with progress from the runner's logs, COMPLETED with the result", async () => {
    const fal = fakeFal();
    const falProvider = provider();
    const { jobId } = await falProvider.submit(submission());
    expect(await falProvider.status(jobId)).toEqual({ id: jobId, status: "IN_QUEUE" });

    fal.requests.set("req-1", {
      status: {
        status: "IN_PROGRESS",
        logs: [
          { message: "Loading model", level: "INFO", source: "USER", timestamp: "2025-01-01T00:00:00Z" },
          { message: " 40%|████      | 12/30 [00:10<00:15]", level: "INFO", source: "USER", timestamp: "…" },
        ],
      },
    });
    expect(await falProvider.status(jobId)).toEqual({ id: jobId, status: "IN_PROGRESS", output: { progress: 0.4 } });
    fal.requests.set("req-1", { status: { status: "IN_PROGRESS", logs: [{ message: "Loading model" }] } });
    expect(await falProvider.status(jobId)).toEqual({ id: jobId, status: "IN_PROGRESS" });

    fal.requests.set("req-1", {
      status: { status: "COMPLETED", logs: [] },
      result: {
        status: 200,
        body: { video: { url: `${cdn}/out.mp4`, content_type: "video/mp4", file_size: 1234 }, seed: 42 },
      },
    });
    expect(await falProvider.status(jobId)).toMatchObject({
      id: jobId,
      status: "COMPLETED",
      output: { url: `${cdn}/out.mp4`, key: "out.mp4" },
    });
    expect(
      fal.seen.filter((request) => request.method === "GET").map((request) => request.url.replace(queue, "")),
    ).toEqual([
      `/${app}/requests/req-1/status?logs=1`,
      `/${app}/requests/req-1/status?logs=1`,
      `/${app}/requests/req-1/status?logs=1`,
      `/${app}/requests/req-1/status?logs=1`,
      `/${app}/requests/req-1`,
    ]);
    expect(fal.seen.every((request) => request.authorization === `Key ${apiKey}`)).toBe(true);
  });

  it("maps failures: a model error is invalid_input or content_rejected (not retried), a request error keeps fal's type", async () => {
    const fal = fakeFal();
    const falProvider = provider();
    const { jobId } = await falProvider.submit(submission());
    fal.requests.set("req-1", {
      status: { status: "COMPLETED" },
      result: {
        status: 422,
        body: { detail: [{ loc: ["body", "image_url"], msg: "Image is too small", type: "image_too_small" }] },
      },
    });
    expect(await falProvider.status(jobId)).toEqual({
      id: jobId,
      status: "FAILED",
      error: "invalid_input: image_url: Image is too small",
    });
    fal.requests.set("req-1", {
      status: { status: "COMPLETED" },
      result: {
        status: 422,
        body: {
          detail: [{ loc: ["body", "prompt"], msg: "Flagged by the safety checker", type: "content_policy_violation" }],
        },
      },
    });
    expect((await falProvider.status(jobId))?.error).toBe("content_rejected: prompt: Flagged by the safety checker");
    fal.requests.set("req-1", {
      status: { status: "COMPLETED", error: "Request timed out", error_type: "request_timeout" },
    });
    expect(await falProvider.status(jobId)).toEqual({
      id: jobId,
      status: "FAILED",
      error: "request_timeout: Request timed out",
    });
    fal.requests.set("req-1", { status: { status: "COMPLETED" }, result: { status: 200, body: { images: [] } } });
    expect((await falProvider.status(jobId))?.error).toMatch(/^invalid_output: fal's result has no video\.url/);
  });

  it("a request fal no longer knows is null; cancel is a PUT, and finished or unknown requests are not an error", async () => {
    const fal = fakeFal();
    const falProvider = provider();
    const { jobId } = await falProvider.submit(submission());
    expect(await falProvider.status(`${app}:gone`)).toBeNull();
    await falProvider.cancel(jobId);
    fal.requests.set("req-1", { status: { status: "COMPLETED" } });
    await falProvider.cancel(jobId);
    await falProvider.cancel(`${app}:gone`);
    expect(fal.seen.filter((request) => request.method === "PUT").map((request) => request.url)).toEqual([
      `${queue}/${app}/requests/req-1/cancel`,
      `${queue}/${app}/requests/req-1/cancel`,
      `${queue}/${app}/requests/gone/cancel`,
    ]);
    network.use(http.put(`${queue}/${app}/requests/:id/cancel`, () => HttpResponse.json({}, { status: 500 })));
    await expect(falProvider.cancel(jobId)).rejects.toThrow(/fal cancel of req-1 answered 500/);
  });
});

describe("fal webhooks: the body read into a job update, the ED25519 signature checked", () => {
  beforeEach(() => {
    fakeFal();
  });
  const jobId = `${app}:req-7`;
  const ok = {
    request_id: "req-7",
    gateway_request_id: "req-7",
    status: "OK",
    payload: { video: { url: `${cdn}/v.mp4` } },
  };

  it("an OK delivery is COMPLETED with payload.video.url; an ERROR one is FAILED with fal's reason", async () => {
    const falProvider = provider();
    expect(await falProvider.readWebhook?.(asWebhookRequest(falDelivery(ok), jobId))).toMatchObject({
      id: jobId,
      status: "COMPLETED",
      output: { url: `${cdn}/v.mp4` },
    });
    const error = {
      request_id: "req-7",
      gateway_request_id: "req-7",
      status: "ERROR",
      error: "Invalid status code: 422",
      payload: { detail: [{ loc: ["body", "prompt"], msg: "field required", type: "value_error.missing" }] },
    };
    expect(await falProvider.readWebhook?.(asWebhookRequest(falDelivery(error), jobId))).toEqual({
      id: jobId,
      status: "FAILED",
      error: "invalid_input: prompt: field required",
    });
    const unserializable = { request_id: "req-7", status: "OK", payload: null, payload_error: "Response is not JSON" };
    expect(await falProvider.readWebhook?.(asWebhookRequest(falDelivery(unserializable), jobId))).toMatchObject({
      status: "FAILED",
      error: expect.stringMatching(/^invalid_output: .*Response is not JSON/),
    });
  });

  it("refuses a tampered body, another key's signature, a stale timestamp and missing headers as unauthorized", async () => {
    const falProvider = provider();
    const expectUnauthorized = async (request: ProviderWebhookRequest, message: RegExp) => {
      const error = await falProvider.readWebhook?.(request).catch((caught: unknown) => caught);
      expect(isOpenVError(error) && error.code).toBe("unauthorized");
      expect((error as Error).message).toMatch(message);
    };
    const signed = falDelivery(ok);
    await expectUnauthorized(
      { ...asWebhookRequest(signed, jobId), body: new TextEncoder().encode(signed.body.replace("v.mp4", "evil.mp4")) },
      /does not match fal's published keys/,
    );
    await expectUnauthorized(
      asWebhookRequest(falDelivery(ok, { key: generateKeyPairSync("ed25519").privateKey }), jobId),
      /does not match/,
    );
    await expectUnauthorized(
      asWebhookRequest(falDelivery(ok, { timestamp: Math.floor(Date.now() / 1000) - 3600 }), jobId),
      /timestamp is more than 300 s/,
    );
    await expectUnauthorized(
      { body: new TextEncoder().encode(signed.body), headers: {}, jobId },
      /missing its x-fal-webhook-\* signature headers/,
    );
  });

  it("fetches fal's keys once and caches them; an unreachable key set is 503 so fal retries", async () => {
    const fal = fakeFal();
    const falProvider = provider();
    await falProvider.readWebhook?.(asWebhookRequest(falDelivery(ok), jobId));
    await falProvider.readWebhook?.(asWebhookRequest(falDelivery(ok), jobId));
    expect(fal.jwksFetches()).toBe(1);

    network.use(http.get(jwksUrl, () => HttpResponse.error()));
    const error = await provider()
      .readWebhook?.(asWebhookRequest(falDelivery(ok), jobId))
      .catch((caught: unknown) => caught);
    expect(isOpenVError(error) && error.code).toBe("service_unavailable");
    expect((error as Error).message).toMatch(/Could not read fal's webhook signing keys.*fal retries webhooks/);
  });

  it("with verifyWebhooks off, an unsigned body is read; a body that is not fal's is validation_failed", async () => {
    const falProvider = provider({ verifyWebhooks: false });
    const unsigned = { body: new TextEncoder().encode(JSON.stringify(ok)), headers: {}, jobId };
    expect((await falProvider.readWebhook?.(unsigned))?.status).toBe("COMPLETED");
    const error = await falProvider
      .readWebhook?.({ body: new TextEncoder().encode('{"status":"DONE"}'), headers: {}, jobId })
      .catch((caught: unknown) => caught);
    expect(isOpenVError(error) && error.code).toBe("validation_failed");
    expect((error as Error).message).toMatch(/request_id/);
  });

  it("a delivery for a video whose submission is not recorded yet is 503, for fal to retry", async () => {
    const error = await provider()
      .readWebhook?.(asWebhookRequest(falDelivery(ok), null))
      .catch((caught: unknown) => caught);
    expect(isOpenVError(error) && error.code).toBe("service_unavailable");
  });
});

describe("the server rendering on fal.ai, end to end", () => {
  const { adminUrl } = backends.at(-1) as (typeof backends)[number];
  let server: TestServer;
  let fal: ReturnType<typeof fakeFal>;
  let mp4: Buffer;

  beforeAll(async () => {
    mp4 = await tinyMp4();
    server = await startTestServer({
      adminUrl,
      provider: createFalProvider({ apiKey, model }),
      // Every unfinished video counts as silent; the tests run the passes themselves.
      reconciler: { silentMs: 0, intervalMs: 3_600_000 },
      config: { maxActiveJobs: 50 },
    });
    const terms = (await (await server.api("/terms/check")).json()) as { version: string };
    expect(terms.version).toBe("1.0.0");
    await accepted(server);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    fal = fakeFal();
    network.use(
      http.get(
        `${cdn}/:name`,
        () => new HttpResponse(new Uint8Array(mp4), { headers: { "content-type": "video/mp4" } }),
      ),
    );
  });

  const read = async (id: string) => ((await (await server.api(`/videos/${id}`)).json()) as { video: Video }).video;
  const used = async () => ((await (await server.api("/usage")).json()) as { usedSeconds: number }).usedSeconds;
  /** Posts a signed fal delivery to the webhook URL the adapter gave fal in submission `index`. */
  const deliver = (body: unknown, index = fal.submissions().length - 1) => {
    const url = new URL(fal.submissions()[index]?.url as string).searchParams.get("fal_webhook") as string;
    const delivery = falDelivery(body);
    return fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
  };

  it("a prompt is submitted, polled to processing with progress, and completed by fal's webhook into our storage", async () => {
    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(202);
    const { video } = (await response.json()) as { video: Video };
    expect(video).toMatchObject({ status: "queued", jobId: `${app}:req-1` });
    expect(fal.submissions()[0]?.body).toEqual({ prompt: generateBody.prompt });
    expect(new URL(fal.submissions()[0]?.url as string).searchParams.get("fal_webhook")).toContain(
      `/api/runpod/webhook?video=${video.id}&attempt=0&token=`,
    );

    fal.requests.set("req-1", { status: { status: "IN_PROGRESS", logs: [{ message: "55%|█████▌    | 11/20" }] } });
    await server.openv.reconciler.runOnce();
    expect(await read(video.id)).toMatchObject({ status: "processing", progress: 0.55 });

    const answer = await deliver({
      request_id: "req-1",
      gateway_request_id: "req-1",
      status: "OK",
      payload: { video: { url: `${cdn}/req-1.mp4` } },
    });
    expect(answer.status).toBe(200);
    const done = await read(video.id);
    expect(done).toMatchObject({ status: "completed", progress: 1 });
    expect(done.url?.startsWith(`${server.origin}/api/files/`)).toBe(true);
    expect(Buffer.from(await (await fetch(done.url as string)).arrayBuffer()).equals(mp4)).toBe(true);
  });

  it("fal's ERROR webhook fails the video with fal's reason and refunds its seconds", async () => {
    const before = await used();
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    expect(await used()).toBeGreaterThan(before);
    const answer = await deliver({
      request_id: "req-1",
      status: "ERROR",
      error: "Invalid status code: 422",
      payload: {
        detail: [{ loc: ["body", "prompt"], msg: "Flagged by the safety checker", type: "content_policy_violation" }],
      },
    });
    expect(answer.status).toBe(200);
    expect(await read(video.id)).toMatchObject({
      status: "failed",
      retryCount: 0,
      error: { code: "content_rejected", message: "prompt: Flagged by the safety checker" },
    });
    expect(await used()).toBeCloseTo(before, 3);
  });

  it("a webhook whose signature fal did not make is 401 and changes nothing", async () => {
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    const url = new URL(fal.submissions()[0]?.url as string).searchParams.get("fal_webhook") as string;
    const forged = falDelivery(
      { request_id: "req-1", status: "OK", payload: { video: { url: `${cdn}/forged.mp4` } } },
      { key: generateKeyPairSync("ed25519").privateKey },
    );
    const answer = await fetch(url, { method: "POST", headers: forged.headers, body: forged.body });
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    expect(await read(video.id)).toMatchObject({ status: "queued", url: null });
  });
});
