import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Video } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createWorkflowProvider,
  type WorkflowCallback,
  WorkflowCallbackSchema,
  type WorkflowProviderOptions,
} from "../src/adapters/provider/workflow.js";
import { openvOptionsFromSettings, settingsFromEnv } from "../src/config-env.js";
import { isOpenVError } from "../src/core/errors.js";
import type { ProviderSubmission, ProviderWebhookRequest } from "../src/core/ports.js";
import { backends, generateBody, startTestServer, type TestServer } from "./helpers.js";
import { providerSubmission } from "./support/provider-submission.js";
import { tinyMp4 } from "./support/tiny-mp4.js";

const secret = `whsec_${randomBytes(32).toString("base64")}`;
const hook = "https://n8n.example.com/webhook/openv-render";
const cdn = "https://files.n8n-storage.example.com/renders";

// The workflow and its file host are intercepted at their addresses; calls to the loopback server pass.
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "bypass" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The workflow's trigger (and its status and cancel endpoints); every request is recorded. */
function fakeWorkflow(answer: (body: Record<string, unknown>) => unknown = () => ({ ok: true })) {
  const seen: Seen[] = [];
  const states = new Map<string, unknown>();
  const record = async (request: Request) => {
    const entry = {
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    };
    seen.push(entry);
    return entry;
  };
  network.use(
    http.post(hook, async ({ request }) => {
      const entry = await record(request);
      return HttpResponse.json(answer(JSON.parse(entry.body)) as Record<string, unknown>);
    }),
    http.get("https://n8n.example.com/webhook/openv-status/:id", async ({ request, params }) => {
      await record(request);
      const state = states.get(params.id as string);
      return state ? HttpResponse.json(state as object) : HttpResponse.json({ error: "unknown job" }, { status: 404 });
    }),
    http.post("https://n8n.example.com/webhook/openv-cancel", async ({ request }) => {
      await record(request);
      return HttpResponse.json({ cancelled: true });
    }),
  );
  return { seen, states, jobs: () => seen.filter((request) => request.url === hook) };
}

/** Verifies a recorded request's Standard Webhooks signature as the workflow would, returning the body. */
function verified(request: Seen | undefined): Record<string, unknown> {
  if (!request) throw new Error("no such request");
  return new Webhook(secret).verify(request.body, request.headers) as Record<string, unknown>;
}

/** A callback body signed as the workflow signs it (or with another secret). */
function signedCallback(body: unknown, signWith = secret): { headers: Record<string, string>; body: string } {
  const text = JSON.stringify(body);
  const id = `msg_${randomBytes(8).toString("hex")}`;
  const now = new Date();
  return {
    body: text,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(signWith).sign(id, now, text),
    },
  };
}

const asRequest = (callback: { headers: Record<string, string>; body: string }, jobId: string | null) =>
  ({
    body: new TextEncoder().encode(callback.body),
    headers: callback.headers,
    jobId,
  }) satisfies ProviderWebhookRequest;

const input = {
  positive_prompt: "a paper boat on a river",
  width: 848,
  height: 480,
  num_frames: 31,
  steps: 64,
  cfg: 4.5,
};
const submission = (overrides: Partial<ProviderSubmission> = {}) => providerSubmission(input, overrides);
const provider = (options: Partial<WorkflowProviderOptions> = {}) =>
  createWorkflowProvider({ url: hook, secret, ...options });

describe("the workflow adapter posts signed jobs", () => {
  it("posts the job, signed with Standard Webhooks, with the extra headers, and keeps the workflow's job id", async () => {
    const workflow = fakeWorkflow(() => ({ jobId: "exec-42" }));
    const { jobId } = await provider({ headers: { authorization: "Bearer n8n-token" } }).submit(
      submission({
        image: {
          url: "https://uploads.example.com/u.png",
          contentType: "image/png",
          width: 640,
          height: 360,
          read: async () => new Uint8Array(),
        },
      }),
    );
    expect(jobId).toMatch(/^wf_[0-9a-z]+_exec-42$/);
    const [request] = workflow.seen;
    expect(request?.method).toBe("POST");
    expect(request?.headers).toMatchObject({ authorization: "Bearer n8n-token", "content-type": "application/json" });
    expect(verified(request)).toEqual({
      jobId: expect.stringMatching(/^[0-9a-f]{24}$/),
      videoId: "vid_1",
      attempt: 0,
      model: "mochi-1",
      input,
      durationSeconds: 31 / 30,
      fps: 30,
      image: { url: "https://uploads.example.com/u.png", contentType: "image/png", width: 640, height: 360 },
      callbackUrl: submission().webhookUrl,
    });
    // Signed over the exact bytes: a changed body no longer verifies.
    expect(() => verified({ ...(request as Seen), body: (request as Seen).body.replace("vid_1", "vid_2") })).toThrow();
  });

  it("without a job id in the answer, the job keeps the id it was sent with", async () => {
    const workflow = fakeWorkflow(() => ({}));
    const { jobId } = await provider().submit(submission());
    const sent = verified(workflow.seen[0]).jobId as string;
    expect(jobId.endsWith(`_${sent}`)).toBe(true);
    expect(verified(workflow.seen[0]).image).toBeNull();
  });

  it("a refusing or unreachable workflow throws an error that says what to check", async () => {
    network.use(http.post(hook, () => HttpResponse.json({ message: "Workflow is not active" }, { status: 404 })));
    await expect(provider().submit(submission())).rejects.toThrow(
      /workflow at n8n\.example\.com answered a new job with 404.*OPENV_WORKFLOW_URL.*switched on/,
    );
    network.use(http.post(hook, () => HttpResponse.error()));
    await expect(provider().submit(submission())).rejects.toThrow(/Could not reach the workflow at n8n\.example\.com/);
  });

  it("refuses a secret that is not whsec_ base64, and a URL that is not http(s)", () => {
    expect(() => createWorkflowProvider({ url: hook, secret: "hunter2" })).toThrow(
      /OPENV_WORKFLOW_SECRET must be a Standard Webhooks secret/,
    );
    expect(() => createWorkflowProvider({ url: "ftp://x", secret })).toThrow(/http\(s\) URL/);
  });
});

describe("workflow callbacks: the signature verified, the body read into a job update", () => {
  const jobId = "wf_lx0abc_exec-42";
  const read = (body: unknown, options: { signWith?: string; jobId?: string | null } = {}) =>
    provider().readWebhook?.(
      asRequest(signedCallback(body, options.signWith), options.jobId === undefined ? jobId : options.jobId),
    );
  const failure = (promise: Promise<unknown> | undefined) =>
    (promise ?? Promise.resolve()).then(
      () => null,
      (error: unknown) => error,
    );

  it("maps processing, completed and failed", async () => {
    expect(await read({ status: "processing", progress: 0.25 })).toEqual({
      id: jobId,
      status: "IN_PROGRESS",
      output: { progress: 0.25 },
    });
    expect(await read({ status: "processing" })).toEqual({ id: jobId, status: "IN_PROGRESS" });
    expect(
      await read({ status: "completed", url: `${cdn}/v.mp4`, frames: 31, fps: 30, width: 848, height: 480 }),
    ).toEqual({
      id: jobId,
      status: "COMPLETED",
      output: { url: `${cdn}/v.mp4`, key: "v.mp4", frames: 31, fps: 30, width: 848, height: 480, seconds: 31 / 30 },
    });
    expect(await read({ status: "failed", error: { code: "model_error", message: "CUDA out of memory" } })).toEqual({
      id: jobId,
      status: "FAILED",
      error: "model_error: CUDA out of memory",
    });
  });

  it("a wrong or missing signature is unauthorized", async () => {
    const wrong = await failure(
      read({ status: "processing" }, { signWith: `whsec_${randomBytes(32).toString("base64")}` }),
    );
    expect(isOpenVError(wrong) && wrong.code).toBe("unauthorized");
    expect((wrong as Error).message).toMatch(/signature is not valid.*OPENV_WORKFLOW_SECRET/);
    const unsigned = await failure(
      provider().readWebhook?.({ body: new TextEncoder().encode('{"status":"processing"}'), headers: {}, jobId }),
    );
    expect(isOpenVError(unsigned) && unsigned.code).toBe("unauthorized");
    expect((unsigned as Error).message).toMatch(/not signed: send webhook-id, webhook-timestamp and webhook-signature/);
  });

  it("a correctly signed body that is not a callback is validation_failed, with the issues", async () => {
    const error = await failure(read({ status: "done", url: "nope" }));
    expect(isOpenVError(error) && error.code).toBe("validation_failed");
    expect(isOpenVError(error) && error.details?.issues).toEqual([expect.objectContaining({ path: ["status"] })]);
    const badCode = await failure(read({ status: "failed", error: { code: "Model Error", message: "x" } }));
    expect((badCode as Error).message).toMatch(/error\.code must be snake_case/);
  });

  it("a callback naming another job does not speak for this one; one before the submission is recorded is 503", async () => {
    expect((await read({ status: "processing", jobId: "exec-41" }))?.id).not.toBe(jobId);
    expect((await read({ status: "processing", jobId: "exec-42" }))?.id).toBe(jobId);
    const early = await failure(read({ status: "processing" }, { jobId: null }));
    expect(isOpenVError(early) && early.code).toBe("service_unavailable");
  });

  it("exports the callback schema workflows are written against", () => {
    const callback: WorkflowCallback = { status: "completed", url: `${cdn}/v.mp4` };
    expect(WorkflowCallbackSchema.parse(callback)).toEqual(callback);
  });
});

describe("workflow status and cancel", () => {
  afterEach(() => vi.restoreAllMocks());

  it("without statusUrl a job has no news until jobTimeoutMs, then fails as timed_out", async () => {
    const workflow = fakeWorkflow(() => ({ jobId: "exec-1" }));
    const wf = provider({ jobTimeoutMs: 60_000 });
    const { jobId } = await wf.submit(submission());
    expect(await wf.status(jobId)).toEqual({ id: jobId, status: "IN_QUEUE" });
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + 61_000);
    expect(await wf.status(jobId)).toEqual({
      id: jobId,
      status: "FAILED",
      error: expect.stringMatching(/^timed_out: The workflow did not finish the job within 1 minutes/),
    });
    expect(workflow.seen).toHaveLength(1);
  });

  it("with statusUrl, GET {statusUrl}/{jobId} answers the callback shape; 404 is a job the workflow forgot", async () => {
    const workflow = fakeWorkflow(() => ({ jobId: "exec-7" }));
    const wf = provider({
      statusUrl: "https://n8n.example.com/webhook/openv-status",
      headers: { authorization: "Bearer t" },
    });
    const { jobId } = await wf.submit(submission());
    workflow.states.set("exec-7", { status: "processing", progress: 0.5 });
    expect(await wf.status(jobId)).toEqual({ id: jobId, status: "IN_PROGRESS", output: { progress: 0.5 } });
    workflow.states.set("exec-7", { status: "completed", url: `${cdn}/exec-7.mp4` });
    expect(await wf.status(jobId)).toMatchObject({
      id: jobId,
      status: "COMPLETED",
      output: { url: `${cdn}/exec-7.mp4` },
    });
    workflow.states.set("exec-7", { status: "failed", error: { code: "invalid_input", message: "no prompt" } });
    expect(await wf.status(jobId)).toEqual({ id: jobId, status: "FAILED", error: "invalid_input: no prompt" });
    workflow.states.delete("exec-7");
    expect(await wf.status(jobId)).toBeNull();
    const polls = workflow.seen.filter((request) => request.method === "GET");
    expect(polls.map((request) => request.url)).toEqual(
      Array(4).fill("https://n8n.example.com/webhook/openv-status/exec-7"),
    );
    expect(polls.every((request) => request.headers.authorization === "Bearer t")).toBe(true);
  });

  it("a workflow on a LAN address is reached (its configured host is admitted), but its redirect into another internal address is refused", async () => {
    // Two loopback servers: the operator's workflow (configured, so admitted) and an internal
    // service it must not be able to point the server at.
    const inside: string[] = [];
    const internal = createServer((request, response) => {
      inside.push(request.url ?? "");
      response.end(JSON.stringify({ status: "completed", url: `${cdn}/stolen.mp4` }));
    });
    const lan = createServer((request: IncomingMessage, response) => {
      if (request.method === "POST") return void response.end(JSON.stringify({ jobId: "exec-lan" }));
      const { port } = internal.address() as AddressInfo;
      response.writeHead(302, { location: `http://127.0.0.1:${port}/latest/meta-data/` });
      response.end();
    });
    await new Promise<void>((resolve) => internal.listen(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => lan.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(lan.address() as AddressInfo).port}`;
      const wf = createWorkflowProvider({ url: `${base}/hook`, statusUrl: `${base}/status`, secret });
      const { jobId } = await wf.submit(submission());
      expect(jobId).toMatch(/_exec-lan$/);
      const status = wf.status(jobId);
      await expect(status).rejects.toThrow(
        /Could not reach the workflow at 127\.0\.0\.1:\d+ for the state of job exec-lan/,
      );
      await expect(status).rejects.not.toThrow(/stolen|meta-data/);
      expect(inside).toEqual([]);
    } finally {
      internal.close();
      lan.close();
      internal.closeAllConnections();
      lan.closeAllConnections();
    }
  });

  it("cancel posts a signed {jobId} to cancelUrl; without one it does nothing", async () => {
    const workflow = fakeWorkflow(() => ({ jobId: "exec-9" }));
    const { jobId } = await provider().submit(submission());
    await provider().cancel(jobId);
    expect(workflow.seen).toHaveLength(1);
    await provider({ cancelUrl: "https://n8n.example.com/webhook/openv-cancel" }).cancel(jobId);
    const cancel = workflow.seen.at(-1);
    expect(cancel?.url).toBe("https://n8n.example.com/webhook/openv-cancel");
    expect(verified(cancel)).toEqual({ jobId: "exec-9" });
    network.use(
      http.post("https://n8n.example.com/webhook/openv-cancel", () => HttpResponse.json({}, { status: 404 })),
    );
    await provider({ cancelUrl: "https://n8n.example.com/webhook/openv-cancel" }).cancel(jobId);
  });
});

describe("the server rendering on a workflow, end to end", () => {
  const { adminUrl } = backends.at(-1) as (typeof backends)[number];
  let server: TestServer;
  let workflow: ReturnType<typeof fakeWorkflow>;
  let mp4: Buffer;

  beforeAll(async () => {
    mp4 = await tinyMp4();
    server = await startTestServer({
      adminUrl,
      provider: createWorkflowProvider({ url: hook, secret }),
      config: { maxActiveJobs: 50 },
    });
    const terms = (await (await server.api("/terms/check")).json()) as { version: string };
    await server.api("/terms/accept", { method: "POST", json: { version: terms.version } });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    let executions = 0;
    workflow = fakeWorkflow(() => ({ jobId: `exec-${++executions}` }));
    network.use(
      http.get(
        `${cdn}/:name`,
        () => new HttpResponse(new Uint8Array(mp4), { headers: { "content-type": "video/mp4" } }),
      ),
    );
  });

  const read = async (id: string) => ((await (await server.api(`/videos/${id}`)).json()) as { video: Video }).video;
  const used = async () => ((await (await server.api("/usage")).json()) as { usedSeconds: number }).usedSeconds;
  const create = async () => {
    const response = await server.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(202);
    return ((await response.json()) as { video: Video }).video;
  };
  /** Posts a callback to the callbackUrl the workflow received with job `index`. */
  const callBack = (body: unknown, options: { signWith?: string; index?: number } = {}) => {
    const job = verified(workflow.jobs()[options.index ?? workflow.jobs().length - 1]);
    const signed = signedCallback(body, options.signWith);
    return fetch(job.callbackUrl as string, { method: "POST", headers: signed.headers, body: signed.body });
  };

  it("a prompt goes to the workflow; its callbacks move the video to processing and to completed in our storage", async () => {
    const video = await create();
    expect(video).toMatchObject({ status: "queued", jobId: expect.stringMatching(/_exec-1$/) });
    expect(verified(workflow.jobs()[0])).toMatchObject({
      videoId: video.id,
      attempt: 0,
      input: { positive_prompt: generateBody.prompt, num_frames: 7, width: 256, height: 256 },
      callbackUrl: expect.stringContaining(`/api/runpod/webhook?video=${video.id}&attempt=0&token=`),
    });

    expect((await callBack({ status: "processing", progress: 0.3 })).status).toBe(200);
    expect(await read(video.id)).toMatchObject({ status: "processing", progress: 0.3 });
    const answer = await callBack({ status: "completed", url: `${cdn}/exec-1.mp4`, frames: 7, fps: 30 });
    expect(answer.status).toBe(200);
    const done = await read(video.id);
    expect(done).toMatchObject({ status: "completed", progress: 1 });
    expect(done.url?.startsWith(`${server.origin}/api/files/`)).toBe(true);
    expect(Buffer.from(await (await fetch(done.url as string)).arrayBuffer()).equals(mp4)).toBe(true);
  });

  it("a failed callback with a permanent code fails the video with the workflow's error and refunds it", async () => {
    const before = await used();
    const video = await create();
    expect(await used()).toBeGreaterThan(before);
    await callBack({ status: "processing" });
    const answer = await callBack({
      status: "failed",
      error: { code: "invalid_input", message: "The prompt is empty after filtering." },
    });
    expect(answer.status).toBe(200);
    expect(await read(video.id)).toMatchObject({
      status: "failed",
      retryCount: 0,
      error: { code: "invalid_input", message: "The prompt is empty after filtering." },
    });
    expect(await used()).toBeCloseTo(before, 3);
  });

  it("a retryable failure submits the job to the workflow again, with a new callback URL", async () => {
    const video = await create();
    await callBack({ status: "failed", error: { code: "model_error", message: "GPU lost" } });
    expect(await read(video.id)).toMatchObject({
      status: "processing",
      retryCount: 1,
      jobId: expect.stringMatching(/_exec-2$/),
    });
    expect(verified(workflow.jobs()[1])).toMatchObject({ videoId: video.id, attempt: 1 });
    expect(verified(workflow.jobs()[1]).callbackUrl).toContain("attempt=1");
  });

  it("a callback with a wrong signature is 401 and leaves the video unchanged", async () => {
    const video = await create();
    const before = await server.tableCounts();
    const answer = await callBack(
      { status: "completed", url: `${cdn}/forged.mp4` },
      { signWith: `whsec_${randomBytes(32).toString("base64")}` },
    );
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    expect(await read(video.id)).toEqual(video);
    expect(await server.tableCounts()).toEqual(before);
  });

  it("a signed callback that is not a callback is 400 and leaves the video unchanged", async () => {
    const video = await create();
    const answer = await callBack({ status: "completed" });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("validation_failed");
    expect(await read(video.id)).toEqual(video);
  });
});

describe("configuring the providers registry", () => {
  it("reads FAL_KEY, RUNWAYML_API_SECRET and OPENV_WORKFLOW_* into the service options", () => {
    const settings = settingsFromEnv({
      FAL_KEY: "fal-key",
      FAL_MODEL: "fal-ai/ltx-video",
      RUNWAYML_API_SECRET: "key_abc",
      RUNWAY_MODEL: "gen3a_turbo",
      RUNWAY_BASE_URL: "https://runway.internal",
      OPENV_WORKFLOW_URL: hook,
      OPENV_WORKFLOW_SECRET: secret,
    });
    expect(settings.services).toMatchObject({
      fal: { apiKey: "fal-key", model: "fal-ai/ltx-video" },
      runway: { apiKey: "key_abc", model: "gen3a_turbo", baseUrl: "https://runway.internal" },
      workflow: { url: hook, secret },
    });
    expect(openvOptionsFromSettings(settings)).toMatchObject({
      fal: settings.services.fal,
      workflow: settings.services.workflow,
    });
    expect(settingsFromEnv({}).services).toEqual({});
  });

  it("refuses half-configured providers with the variable to set", () => {
    expect(() => settingsFromEnv({ FAL_MODEL: "fal-ai/ltx-video" })).toThrow(/FAL_MODEL is set without FAL_KEY/);
    expect(() => settingsFromEnv({ RUNWAY_MODEL: "gen4_turbo" })).toThrow(
      /RUNWAY_MODEL is set without RUNWAYML_API_SECRET/,
    );
    expect(() => settingsFromEnv({ OPENV_WORKFLOW_URL: hook })).toThrow(/partly configured: set OPENV_WORKFLOW_SECRET/);
    expect(() => settingsFromEnv({ OPENV_WORKFLOW_SECRET: secret })).toThrow(/set OPENV_WORKFLOW_URL/);
  });

  it("builds the configured providers into adapters.providers under fal, runway and workflow", async () => {
    const { adminUrl } = backends.at(-1) as (typeof backends)[number];
    const server = await startTestServer({
      adminUrl,
      fal: { apiKey: "fal-key", model: "fal-ai/ltx-video" },
      runway: { apiKey: "key_abc" },
      workflow: { url: hook, secret },
    });
    try {
      const { providers, provider } = server.openv.adapters;
      expect(Object.keys(providers).sort()).toEqual(["fal", "runway", "workflow"]);
      expect(providers.fal?.name).toMatch(/^fal\.ai queue/);
      expect(providers.runway?.name).toMatch(/^Runway/);
      expect(providers.workflow?.name).toBe("workflow at n8n.example.com");
      // The main provider is still the default one.
      expect(provider.name).toMatch(/^local preview/);
    } finally {
      await server.close();
    }
    const plain = await startTestServer({ adminUrl });
    try {
      expect(plain.openv.adapters.providers).toEqual({});
    } finally {
      await plain.close();
    }
  });
});
