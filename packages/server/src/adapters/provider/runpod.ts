import { type RunPodJob, RunPodJobSchema, type WorkerInput } from "@openv/protocol/worker";
import { FetchError, ofetch } from "ofetch";
import type { Provider, ProviderSubmission } from "../../core/ports.js";
import { fetchOf } from "./hosted.js";

/** RunPod's public serverless API, the default `baseUrl`. */
export const runPodPublicApi = "https://api.runpod.ai/v2";

/** Settings of `createRunPodProvider`. */
export interface RunPodProviderOptions {
  /** RUNPOD_API_KEY. */
  apiKey: string;
  /** RUNPOD_ENDPOINT_ID: the serverless endpoint running worker-mochi. */
  endpointId: string;
  /** RUNPOD_BASE_URL: RunPod's public v2 API by default, or any RunPod-compatible endpoint. */
  baseUrl?: string | undefined;
  /**
   * `policy.executionTimeout`: how long a job may run on a worker before RunPod stops it
   * (`TIMED_OUT`). Default 30 minutes: a full-length Mochi video at 64 steps takes well over
   * RunPod's 10-minute default on one GPU.
   */
  executionTimeoutMs?: number | undefined;
  /** `policy.ttl`: how long RunPod keeps the job from submission, queue time included. Default 24 h. */
  ttlMs?: number | undefined;
  /** Timeout of each HTTP call. Default 30 s. */
  requestTimeoutMs?: number | undefined;
  /**
   * RUNPOD_DELIVERY: how the worker delivers its MP4. `"upload-url"`: the job input carries
   * `upload: {url, max_bytes}`, a signed single-use URL on this server that the worker `PUT`s to
   * (no storage account on the worker). `"worker"`: the worker's own storage (UploadThing). Default:
   * `"worker"` when the server stores on UploadThing, else `"upload-url"`.
   */
  delivery?: "upload-url" | "worker" | undefined;
  /** Mints the upload URL of a video's attempt (set by the server for `"upload-url"` delivery). */
  uploadTarget?: ((videoId: string, attempt: number) => NonNullable<WorkerInput["upload"]>) | undefined;
}

/** What RunPod answers to `/run` and `/cancel`: at least the job id and its status. */
const runAnswer = RunPodJobSchema.pick({ id: true, status: true });

/**
 * The RunPod serverless provider over RunPod's REST API v2: `POST /{endpoint}/run` with
 * `{input, webhook, policy}`, `GET /{endpoint}/status/{id}`, `POST /{endpoint}/cancel/{id}`, bearer
 * auth. RunPod never signs webhooks: the per-video token in `webhookUrl` is what the server checks.
 */
export function createRunPodProvider(options: RunPodProviderOptions): Provider {
  const { apiKey, endpointId } = options;
  if (!apiKey)
    throw new Error(
      "RunPod needs an API key: set `runpod.apiKey` (RUNPOD_API_KEY for the reference server; RunPod console → Settings → API Keys).",
    );
  if (!endpointId || !/^[A-Za-z0-9_-]+$/.test(endpointId)) {
    throw new Error(
      "RunPod needs the endpoint id of your worker-mochi deployment: set RUNPOD_ENDPOINT_ID (RunPod console → Serverless → your endpoint).",
    );
  }
  const baseUrl = (options.baseUrl ?? runPodPublicApi).replace(/\/+$/, "");
  const policy = {
    executionTimeout: options.executionTimeoutMs ?? 30 * 60_000,
    ttl: options.ttlMs ?? 24 * 60 * 60_000,
  };
  if (policy.executionTimeout < 5_000) throw new Error("RunPod's executionTimeout must be at least 5 000 ms.");
  if (policy.ttl < 10_000 || policy.ttl > 7 * 24 * 60 * 60_000) {
    throw new Error("RunPod's ttl must be between 10 s and 7 days.");
  }
  // The guarded fetcher with RUNPOD_BASE_URL's host admitted (a self-hosted RunPod-compatible
  // runner may be on a LAN); a redirect elsewhere is checked like any URL.
  const guarded = fetchOf(undefined, [baseUrl]);
  const fetchThroughGuard: typeof fetch = (input, init) =>
    guarded(typeof input === "string" || input instanceof URL ? input : input.url, init);
  const api = ofetch.create(
    {
      baseURL: `${baseUrl}/${endpointId}`,
      headers: { authorization: `Bearer ${apiKey}`, accept: "application/json" },
      timeout: options.requestTimeoutMs ?? 30_000,
      // Submissions are never retried blindly: a retried POST /run can start a second GPU job.
      // Status and cancel are idempotent, so a lost answer may be asked again.
      retry: 0,
    },
    { fetch: fetchThroughGuard },
  );

  /** Errors that say which call failed, how, and what to check (the key never appears). */
  const describe = (call: string, error: unknown): Error => {
    if (error instanceof FetchError) {
      const status = error.statusCode;
      const body = typeof error.data === "string" ? error.data : JSON.stringify(error.data ?? "");
      const hint =
        status === 401 || status === 403
          ? " Check RUNPOD_API_KEY and that it may use this endpoint."
          : status === 404
            ? " Check RUNPOD_ENDPOINT_ID."
            : status === 429
              ? " RunPod is rate limiting requests; it will be tried again."
              : "";
      return new Error(
        status
          ? `RunPod ${call} answered ${status}${body && body !== '""' ? `: ${body.slice(0, 300)}` : ""}.${hint}`
          : `RunPod ${call} failed: ${error.cause instanceof Error ? error.cause.message : error.message}`,
        { cause: error },
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  };

  return {
    name: `RunPod endpoint ${endpointId} at ${baseUrl}`,

    async submit({ input, webhookUrl, videoId, attempt, outputKey }: ProviderSubmission) {
      let answer: unknown;
      const upload = options.uploadTarget?.(videoId, attempt);
      const job = { ...input, output_key: outputKey, ...(upload && { upload }) };
      try {
        answer = await api("/run", {
          method: "POST",
          body: { input: job, webhook: webhookUrl, policy },
        });
      } catch (error) {
        throw describe("/run", error);
      }
      const parsed = runAnswer.safeParse(answer);
      if (!parsed.success) throw new Error(`RunPod /run answered without a job id: ${JSON.stringify(answer)}`);
      return { jobId: parsed.data.id };
    },

    async status(jobId: string): Promise<RunPodJob | null> {
      let answer: unknown;
      try {
        answer = await api(`/status/${encodeURIComponent(jobId)}`, { method: "GET", retry: 1, retryDelay: 500 });
      } catch (error) {
        // RunPod forgets a job after its ttl, and a finished job's result after 30 minutes.
        if (error instanceof FetchError && error.statusCode === 404) return null;
        throw describe(`/status/${jobId}`, error);
      }
      const parsed = RunPodJobSchema.safeParse(answer);
      if (!parsed.success)
        throw new Error(`RunPod /status/${jobId} answered an unknown shape: ${JSON.stringify(answer)}`);
      return parsed.data;
    },

    async cancel(jobId: string) {
      try {
        await api(`/cancel/${encodeURIComponent(jobId)}`, { method: "POST", retry: 1, retryDelay: 500 });
      } catch (error) {
        // A job RunPod no longer knows cannot run: nothing to cancel.
        if (error instanceof FetchError && error.statusCode === 404) return;
        throw describe(`/cancel/${jobId}`, error);
      }
    },
  };
}
