import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import type { RunPodJob } from "@openv/protocol/worker";
import { z } from "zod";
import { OpenVError } from "../../core/errors.js";
import type { OutboundFetch, Provider, ProviderSubmission, ProviderWebhookRequest } from "../../core/ports.js";
import {
  callHttp,
  completedJob,
  excerpt,
  fetchOf,
  type HttpAnswer,
  headerValue,
  imageReference,
  invalidCallback,
  parseCallbackJson,
} from "./hosted.js";

/** fal.ai's queue API, the default `baseUrl`. */
export const falQueueApi = "https://queue.fal.run";
/** Where fal publishes the ED25519 keys that sign its webhooks (a JSON Web Key Set). */
export const falWebhookKeysUrl = "https://rest.fal.ai/.well-known/jwks.json";

/** Settings of `createFalProvider`. */
export interface FalProviderOptions {
  /** FAL_KEY: the API key (fal dashboard → Keys), sent as `Authorization: Key …`. */
  apiKey: string;
  /**
   * FAL_MODEL: the fal endpoint id to render on, e.g. `"fal-ai/ltx-video"` or
   * `"fal-ai/kling-video/v2.1/standard/image-to-video"`. A submission whose model is itself a fal
   * endpoint id (the catalog's `providerModel`, e.g. `"fal-ai/wan-i2v"`) renders on that one
   * instead; one of the two is needed.
   */
  model?: string | undefined;
  /** The queue API. Default `https://queue.fal.run`. */
  baseUrl?: string | undefined;
  /** The fetch to call fal with. Default: the global fetch. */
  fetch?: typeof fetch | undefined;
  /**
   * Extra model input merged over `{prompt, negative_prompt?, image_url?}` for every request, for
   * fields a model needs that OpenV does not know (`duration`, `aspect_ratio`, `resolution`, …).
   * @example (submission) => ({ duration: submission.durationSeconds > 5 ? "10" : "5" })
   */
  input?: ((submission: ProviderSubmission) => Record<string, unknown>) | undefined;
  /**
   * Verify the ED25519 signature fal puts on each webhook against fal's published keys (fetched from
   * `webhookKeysUrl` and cached). Default true. Off, the per-video token in the webhook URL is the
   * only check (it already keeps strangers out; the signature also proves the body came from fal).
   */
  verifyWebhooks?: boolean | undefined;
  /** Where fal's webhook keys are fetched from. Default `https://rest.fal.ai/.well-known/jwks.json`. */
  webhookKeysUrl?: string | undefined;
  /** Timeout of each HTTP call, in ms. Default 30 s. */
  requestTimeoutMs?: number | undefined;
}

/** How far a webhook's `x-fal-webhook-timestamp` may be from now (fal's documented window). */
const webhookToleranceSeconds = 300;
/** fal lets verifiers cache its keys for up to a day. */
const keysCacheMs = 24 * 60 * 60_000;
/** An unknown signature refetches the keys (they rotate), but not more often than this. */
const keysRefetchMinMs = 60_000;

/** App namespaces whose endpoint ids carry one more segment before the app (fal's client does the same). */
const namespacedApps = new Set(["workflows", "comfy"]);
const endpointPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9._-]+)+$/;

/** Whether `model` is a fal endpoint id (`owner/app[/path]`), as opposed to an OpenV model name. */
export function isFalEndpointId(model: string): boolean {
  return endpointPattern.test(model);
}

/**
 * The app part of an endpoint id: `fal-ai/flux/dev` → `fal-ai/flux`. Requests are submitted to the
 * full endpoint, but their status, result and cancel URLs use the app only.
 */
function appOf(endpoint: string): string {
  const parts = endpoint.split("/");
  return parts.slice(0, namespacedApps.has(parts[0] ?? "") ? 3 : 2).join("/");
}

/**
 * OpenV's job id for a fal request: `<app>:<request_id>`, e.g.
 * `fal-ai/kling-video:764cabcf-…`. The queue URLs need the app, and a job id is all `status` and
 * `cancel` are given.
 */
function jobIdOf(app: string, requestId: string): string {
  return `${app}:${requestId}`;
}

function parseJobId(jobId: string): { app: string; requestId: string } {
  const colon = jobId.lastIndexOf(":");
  const app = jobId.slice(0, colon);
  const requestId = jobId.slice(colon + 1);
  if (colon <= 0 || !isFalEndpointId(app) || !requestId) {
    throw new Error(
      `"${jobId}" is not a fal job id of this server (<app>:<request_id>); it was not submitted by the fal provider.`,
    );
  }
  return { app, requestId };
}

const SubmitAnswerSchema = z.object({ request_id: z.string().min(1) });
const LogSchema = z.object({ message: z.string() }).loose();
const StatusAnswerSchema = z
  .object({
    status: z.enum(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]),
    logs: z.array(LogSchema).nullish(),
    error: z.string().nullish(),
    error_type: z.string().nullish(),
  })
  .loose();
const VideoFileSchema = z
  .object({
    url: z.string().min(1),
    width: z.number().optional(),
    height: z.number().optional(),
    fps: z.number().optional(),
    num_frames: z.number().optional(),
    duration: z.number().optional(),
  })
  .loose();
const ResultSchema = z.object({ video: VideoFileSchema }).loose();

/** The body fal posts to `fal_webhook` once a request is done. */
const WebhookBodySchema = z.object({
  request_id: z.string().min(1),
  gateway_request_id: z.string().nullish(),
  status: z.enum(["OK", "ERROR"]),
  payload: z.unknown().optional(),
  error: z.string().nullish(),
  payload_error: z.string().nullish(),
});

const ModelErrorSchema = z
  .object({ loc: z.array(z.union([z.string(), z.number()])).optional(), msg: z.string(), type: z.string().optional() })
  .loose();
const ErrorBodySchema = z
  .object({ detail: z.union([z.string(), z.array(ModelErrorSchema)]).optional(), error_type: z.string().optional() })
  .loose();

/**
 * A fal error as the lifecycle's `code: message` text (failure.ts reads the code). Model errors
 * (a `detail` array, HTTP 422) refused the input: `content_rejected` for content-policy refusals,
 * else `invalid_input`; neither is retried. Request errors (`detail` text with an `error_type` such
 * as `request_timeout` or `runner_disconnected`) keep fal's type and are retried.
 */
export function falErrorText(body: unknown, fallback: string, httpStatus?: number): string {
  const parsed = ErrorBodySchema.safeParse(body);
  const detail = parsed.success ? parsed.data.detail : undefined;
  if (Array.isArray(detail) && detail.length > 0) {
    const refusedContent = detail.some((item) => /content_policy|nsfw|safety/i.test(item.type ?? ""));
    const message = detail
      .map((item) => {
        const where = (item.loc ?? []).filter((part) => part !== "body").join(".");
        return where ? `${where}: ${item.msg}` : item.msg;
      })
      .join("; ");
    return `${refusedContent ? "content_rejected" : "invalid_input"}: ${message}`;
  }
  const errorType = parsed.success ? parsed.data.error_type : undefined;
  const text = typeof detail === "string" && detail ? detail : fallback;
  if (errorType && /^[a-z][a-z0-9_]*$/.test(errorType)) return `${errorType}: ${text}`;
  if (httpStatus === 422) return `invalid_input: ${text}`;
  return `provider_error: ${text || "fal reported a failure without a message"}`;
}

/** Progress from a runner's tqdm bar in fal's logs (`45%|████▌ | 23/50`), the last one logged. */
function progressFromLogs(logs: { message: string }[] | null | undefined): number | null {
  // The last 50 lines, each read to 500 characters, with bounded quantifiers: linear in what is read.
  for (const log of (logs ?? []).slice(-50).reverse()) {
    const match = /(\d{1,3}(?:\.\d{1,6})?)%\|/.exec(log.message.slice(0, 500));
    if (match?.[1]) return Math.min(1, Number(match[1]) / 100);
  }
  return null;
}

/** The COMPLETED update for a fal result with `video.url`, or the failure a result without one is. */
function completionOf(id: string, payload: unknown): RunPodJob {
  const parsed = ResultSchema.safeParse(payload);
  if (!parsed.success) {
    const keys = payload && typeof payload === "object" ? Object.keys(payload).join(", ") : typeof payload;
    return {
      id,
      status: "FAILED",
      error: `invalid_output: fal's result has no video.url (it has: ${keys || "nothing"}); is the model a video model?`,
    };
  }
  const { video } = parsed.data;
  return completedJob(id, video.url, {
    width: video.width,
    height: video.height,
    fps: video.fps,
    frames: video.num_frames,
    seconds: video.duration,
  });
}

/** fal's webhook keys, cached, and the ED25519 check of one delivery. */
class FalWebhookVerifier {
  readonly #url: string;
  readonly #fetch: OutboundFetch;
  readonly #timeoutMs: number;
  #keys: KeyObject[] = [];
  #fetchedAt = 0;

  constructor(url: string, fetchFn: OutboundFetch, timeoutMs: number) {
    this.#url = url;
    this.#fetch = fetchFn;
    this.#timeoutMs = timeoutMs;
  }

  async verify(request: ProviderWebhookRequest, body: Uint8Array): Promise<void> {
    const requestId = headerValue(request.headers, "x-fal-webhook-request-id")?.trim();
    const userId = headerValue(request.headers, "x-fal-webhook-user-id")?.trim();
    const timestamp = headerValue(request.headers, "x-fal-webhook-timestamp")?.trim();
    const signature = headerValue(request.headers, "x-fal-webhook-signature")?.trim();
    if (!requestId || !userId || !timestamp || !signature) {
      throw unauthorized(
        "The fal webhook is missing its x-fal-webhook-* signature headers. fal signs every webhook; pass the request's headers through unchanged (or turn `verifyWebhooks` off behind a proxy that strips them).",
      );
    }
    const seconds = Number(timestamp);
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - seconds) > webhookToleranceSeconds) {
      throw unauthorized(
        `The fal webhook's timestamp is more than ${webhookToleranceSeconds} s from this server's clock: a replay, or a clock that needs syncing (NTP).`,
      );
    }
    if (!/^(?:[0-9a-f]{2})+$/i.test(signature)) throw unauthorized("The fal webhook signature is not hex.");
    const digest = createHash("sha256").update(body).digest("hex");
    const message = Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${digest}`, "utf8");
    const signatureBytes = Buffer.from(signature, "hex");
    const matches = (keys: KeyObject[]) => keys.some((key) => verify(null, message, key, signatureBytes));
    if (matches(await this.#currentKeys(false))) return;
    // fal rotates its keys: a signature no cached key knows gets one fresh look.
    if (Date.now() - this.#fetchedAt >= keysRefetchMinMs && matches(await this.#currentKeys(true))) return;
    throw unauthorized(
      "The fal webhook signature does not match fal's published keys; this request did not come from fal.",
    );
  }

  async #currentKeys(refresh: boolean): Promise<KeyObject[]> {
    if (!refresh && this.#keys.length > 0 && Date.now() - this.#fetchedAt < keysCacheMs) return this.#keys;
    let answer: HttpAnswer;
    try {
      answer = await callHttp(this.#fetch, this.#url, {
        method: "GET",
        headers: { accept: "application/json" },
        timeoutMs: this.#timeoutMs,
      });
    } catch (error) {
      throw keysUnavailable(this.#url, error instanceof Error ? error.message : String(error), error);
    }
    if (answer.status < 200 || answer.status >= 300) throw keysUnavailable(this.#url, `it answered ${answer.status}`);
    const keys = z
      .object({
        keys: z.array(z.object({ kty: z.string(), crv: z.string().optional(), x: z.string().optional() }).loose()),
      })
      .safeParse(answer.body);
    const usable: KeyObject[] = [];
    for (const key of keys.success ? keys.data.keys : []) {
      if (key.kty !== "OKP" || key.crv !== "Ed25519" || !key.x) continue;
      try {
        usable.push(createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: key.x }, format: "jwk" }));
      } catch {
        // A key this Node.js cannot read is skipped; the others may still verify.
      }
    }
    if (usable.length === 0) throw keysUnavailable(this.#url, `it holds no Ed25519 key (${excerpt(answer.body, 200)})`);
    this.#keys = usable;
    this.#fetchedAt = Date.now();
    return usable;
  }
}

function unauthorized(message: string): OpenVError {
  return new OpenVError({ code: "unauthorized", message });
}

function keysUnavailable(url: string, reason: string, cause?: unknown): OpenVError {
  return new OpenVError({
    code: "service_unavailable",
    message: `Could not read fal's webhook signing keys from ${url} (${reason}), so the webhook cannot be verified yet. fal retries webhooks; check that this server can reach rest.fal.ai.`,
    retryAfterSeconds: 30,
    cause,
  });
}

/**
 * fal.ai's queue API as a `Provider`: `POST {baseUrl}/{endpoint}?fal_webhook=…` with the model's
 * input, `GET …/{app}/requests/{id}/status?logs=1` (progress from the runner's progress bar when it
 * logs one), the result from `GET …/{app}/requests/{id}`, and `PUT …/{app}/requests/{id}/cancel`;
 * `Authorization: Key {apiKey}`. fal calls the webhook once, when the request is done, with
 * `{request_id, status: "OK" | "ERROR", payload, error}`; `readWebhook` verifies fal's ED25519
 * signature (see `verifyWebhooks`) on top of the per-video token the route checks.
 */
export function createFalProvider(options: FalProviderOptions): Provider {
  const apiKey = options.apiKey?.trim();
  if (!apiKey) throw new Error("fal.ai needs an API key: set FAL_KEY (fal dashboard → Keys).");
  const defaultModel = options.model?.trim() || undefined;
  if (defaultModel !== undefined && !isFalEndpointId(defaultModel)) {
    throw new Error(
      `FAL_MODEL "${defaultModel}" is not a fal endpoint id; use the id from the model's page on fal.ai, e.g. fal-ai/ltx-video.`,
    );
  }
  const baseUrl = (options.baseUrl ?? falQueueApi).replace(/\/+$/, "");
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const fetchFn = fetchOf(options.fetch, [baseUrl, options.webhookKeysUrl ?? falWebhookKeysUrl]);
  const verifier =
    options.verifyWebhooks === false
      ? null
      : new FalWebhookVerifier(options.webhookKeysUrl ?? falWebhookKeysUrl, fetchFn, timeoutMs);
  const headers = { authorization: `Key ${apiKey}`, accept: "application/json" };

  const call = (path: string, init: RequestInit = {}) =>
    callHttp(fetchFn, `${baseUrl}/${path}`, { ...init, headers: { ...headers, ...init.headers }, timeoutMs });

  /** An error that says which call failed, how, and what to check (never the key). */
  const refused = (what: string, answer: HttpAnswer, endpoint?: string): Error => {
    const hint =
      answer.status === 401 || answer.status === 403
        ? " Check FAL_KEY."
        : answer.status === 404 && endpoint
          ? ` Check the model: fal has no endpoint "${endpoint}".`
          : answer.status === 422
            ? " The model refused the input."
            : answer.status === 429
              ? " fal is rate limiting this key; it will be tried again."
              : "";
    return new Error(`fal ${what} answered ${answer.status}: ${excerpt(answer.body)}.${hint}`);
  };
  const unreachable = (what: string, error: unknown): Error =>
    new Error(`fal ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });

  async function result(jobId: string, app: string, requestId: string): Promise<RunPodJob | null> {
    const path = `${app}/requests/${encodeURIComponent(requestId)}`;
    let answer: HttpAnswer;
    try {
      answer = await call(path, { method: "GET" });
    } catch (error) {
      throw unreachable(`result of ${requestId}`, error);
    }
    if (answer.status === 404) return null;
    if (answer.status >= 200 && answer.status < 300) return completionOf(jobId, answer.body);
    if (answer.status === 401 || answer.status === 403 || answer.status === 429) {
      throw refused(`result of ${requestId}`, answer);
    }
    // The request itself failed: fal answers its error (a model error or a request error).
    return { id: jobId, status: "FAILED", error: falErrorText(answer.body, excerpt(answer.body), answer.status) };
  }

  return {
    name: `fal.ai queue at ${baseUrl}${defaultModel ? ` (${defaultModel})` : ""}`,

    async submit(submission: ProviderSubmission) {
      const endpoint = isFalEndpointId(submission.model) ? submission.model : defaultModel;
      if (!endpoint) {
        throw new Error(
          `fal.ai has no model for "${submission.model}": set FAL_MODEL to a fal endpoint id (e.g. fal-ai/ltx-video), or map the model to one.`,
        );
      }
      const { input, image } = submission;
      const body = {
        prompt: input.positive_prompt,
        ...(input.negative_prompt && { negative_prompt: input.negative_prompt }),
        ...(image && { image_url: await imageReference(image) }),
        ...options.input?.(submission),
      };
      const query = new URLSearchParams({ fal_webhook: submission.webhookUrl });
      let answer: HttpAnswer;
      try {
        answer = await call(`${endpoint}?${query}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch (error) {
        throw unreachable(`submission to ${endpoint}`, error);
      }
      if (answer.status < 200 || answer.status >= 300) throw refused(`submission to ${endpoint}`, answer, endpoint);
      const parsed = SubmitAnswerSchema.safeParse(answer.body);
      if (!parsed.success) {
        throw new Error(`fal answered the submission to ${endpoint} without a request_id: ${excerpt(answer.body)}`);
      }
      return { jobId: jobIdOf(appOf(endpoint), parsed.data.request_id) };
    },

    async status(jobId: string): Promise<RunPodJob | null> {
      const { app, requestId } = parseJobId(jobId);
      let answer: HttpAnswer;
      try {
        answer = await call(`${app}/requests/${encodeURIComponent(requestId)}/status?logs=1`, { method: "GET" });
      } catch (error) {
        throw unreachable(`status of ${requestId}`, error);
      }
      // fal no longer knows the request (or never did under this app).
      if (answer.status === 404) return null;
      if (answer.status < 200 || answer.status >= 300) throw refused(`status of ${requestId}`, answer);
      const parsed = StatusAnswerSchema.safeParse(answer.body);
      if (!parsed.success)
        throw new Error(`fal answered the status of ${requestId} in an unknown shape: ${excerpt(answer.body)}`);
      const status = parsed.data;
      switch (status.status) {
        case "IN_QUEUE":
          return { id: jobId, status: "IN_QUEUE" };
        case "IN_PROGRESS": {
          const progress = progressFromLogs(status.logs);
          return { id: jobId, status: "IN_PROGRESS", ...(progress !== null && { output: { progress } }) };
        }
        case "COMPLETED":
          if (status.error) {
            return { id: jobId, status: "FAILED", error: falErrorText(status, status.error) };
          }
          return result(jobId, app, requestId);
      }
    },

    async cancel(jobId: string) {
      const { app, requestId } = parseJobId(jobId);
      let answer: HttpAnswer;
      try {
        answer = await call(`${app}/requests/${encodeURIComponent(requestId)}/cancel`, { method: "PUT" });
      } catch (error) {
        throw unreachable(`cancel of ${requestId}`, error);
      }
      // 400 ALREADY_COMPLETED and 404 NOT_FOUND: nothing left to cancel.
      if ((answer.status >= 200 && answer.status < 300) || answer.status === 400 || answer.status === 404) return;
      throw refused(`cancel of ${requestId}`, answer);
    },

    async readWebhook(request: ProviderWebhookRequest): Promise<RunPodJob> {
      if (verifier) await verifier.verify(request, request.body ?? new Uint8Array());
      const expected = 'fal\'s {request_id, status: "OK" | "ERROR", payload}';
      const parsed = WebhookBodySchema.safeParse(parseCallbackJson(request.body, "The fal webhook body", expected));
      if (!parsed.success) throw invalidCallback("The fal webhook body", expected, parsed.error);
      if (!request.jobId) {
        // Only the stored job id knows the app; fal retries webhooks, so the next try finds it.
        throw new OpenVError({
          code: "service_unavailable",
          message: "The submission of this fal request is still being recorded; send the webhook again shortly.",
          retryAfterSeconds: 5,
        });
      }
      const { app } = parseJobId(request.jobId);
      const id = jobIdOf(app, parsed.data.request_id);
      const { status, payload, error, payload_error: payloadError } = parsed.data;
      if (status === "ERROR") return { id, status: "FAILED", error: falErrorText(payload, error ?? "") };
      if (payload === null || payload === undefined) {
        return {
          id,
          status: "FAILED",
          error: `invalid_output: fal could not send the result${payloadError ? ` (${payloadError})` : ""}.`,
        };
      }
      return completionOf(id, payload);
    },
  };
}
