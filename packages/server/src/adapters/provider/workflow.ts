import { randomBytes } from "node:crypto";
import type { RunPodJob } from "@openv/protocol/worker";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { z } from "zod";
import { OpenVError } from "../../core/errors.js";
import type { Provider, ProviderSubmission, ProviderWebhookRequest } from "../../core/ports.js";
import {
  callHttp,
  completedJob,
  excerpt,
  fetchOf,
  type HttpAnswer,
  headerValue,
  invalidCallback,
  parseCallbackJson,
} from "./hosted.js";

/** Settings of `createWorkflowProvider`. */
export interface WorkflowProviderOptions {
  /** OPENV_WORKFLOW_URL: where each job is posted, e.g. an n8n Webhook node's production URL. */
  url: string;
  /**
   * OPENV_WORKFLOW_SECRET: the Standard Webhooks secret (`whsec_` followed by base64) that signs
   * the jobs OpenV posts and the callbacks the workflow posts back.
   */
  secret: string;
  /** Extra headers sent with every request to the workflow (an `Authorization` its trigger checks). */
  headers?: Record<string, string> | undefined;
  /** The fetch to call the workflow with. Default: the global fetch. */
  fetch?: typeof fetch | undefined;
  /**
   * Where the workflow answers a job's state: `GET {statusUrl}/{jobId}` answering the callback shape
   * (`WorkflowCallbackSchema`), 404 for a job it does not know. Without it, OpenV learns of a job
   * only through callbacks.
   */
  statusUrl?: string | undefined;
  /** Where OpenV asks the workflow to stop a job: a signed `POST {cancelUrl}` with `{jobId}`. Without it, cancelling does nothing. */
  cancelUrl?: string | undefined;
  /**
   * How long a job may take, from submission, before it counts as lost: the reconciler then fails
   * it as `timed_out` (retried while retries remain, else refunded). Default 60 minutes.
   */
  jobTimeoutMs?: number | undefined;
  /** Timeout of each HTTP call, in ms. Default 30 s. */
  requestTimeoutMs?: number | undefined;
}

/** What a workflow posts to `callbackUrl` (and answers at `statusUrl`), signed with the shared secret. */
export const WorkflowCallbackSchema = z.discriminatedUnion("status", [
  z.object({
    /** The job is running. */
    status: z.literal("processing"),
    /** The workflow's id of the job (its answer's `jobId`, else the one OpenV sent); optional. */
    jobId: z.string().min(1).optional(),
    /** The fraction done, 0..1. */
    progress: z.number().min(0).max(1).optional(),
  }),
  z.object({
    /** The video is ready. */
    status: z.literal("completed"),
    /** The workflow's id of the job; optional. */
    jobId: z.string().min(1).optional(),
    /** Where the MP4 can be downloaded (it is copied into OpenV's storage). */
    url: z.url(),
    /** The file's key in the workflow's storage; optional. */
    key: z.string().min(1).optional(),
    /** Frames rendered; optional. */
    frames: z.number().int().positive().optional(),
    /** Frames per second; optional. */
    fps: z.number().positive().optional(),
    /** Width in pixels; optional. */
    width: z.number().int().positive().optional(),
    /** Height in pixels; optional. */
    height: z.number().int().positive().optional(),
    /** Length in seconds; optional. */
    seconds: z.number().positive().optional(),
  }),
  z.object({
    /** The job failed. */
    status: z.literal("failed"),
    /** The workflow's id of the job; optional. */
    jobId: z.string().min(1).optional(),
    /**
     * Why: a snake_case `code` (`invalid_input` and `content_rejected` are not retried; anything
     * else is, while retries remain) and a message for people.
     */
    error: z.object({
      /** Why, in snake_case; `invalid_input` and `content_rejected` are not retried. */
      code: z
        .string()
        .regex(/^[a-z][a-z0-9_]*$/, "error.code must be snake_case, e.g. invalid_input or model_error")
        .max(100),
      /** What went wrong, for people. */
      message: z.string().min(1).max(2000),
    }),
  }),
]);
/** A workflow's callback (see `WorkflowCallbackSchema`). */
export type WorkflowCallback = z.infer<typeof WorkflowCallbackSchema>;

/** What the workflow answers to a job: 2xx, optionally with its own id for the job. */
const SubmitAnswerSchema = z.object({ jobId: z.union([z.string().min(1), z.number()]).optional() }).loose();

const callbackShape = 'a workflow callback ({status: "processing" | "completed" | "failed", …})';

/**
 * OpenV's job id for a workflow job: `wf_<submitted at, base 36 ms>_<the workflow's id>`. The time
 * lets `status` tell a job that is merely slow from one that is lost, which the workflow's own id
 * cannot say.
 */
function jobIdOf(submittedAt: number, workflowJobId: string): string {
  return `wf_${submittedAt.toString(36)}_${workflowJobId}`;
}

function parseJobId(jobId: string): { submittedAt: number; workflowJobId: string } | null {
  const match = /^wf_([0-9a-z]+)_(.+)$/s.exec(jobId);
  if (!match?.[1] || !match[2]) return null;
  return { submittedAt: Number.parseInt(match[1], 36), workflowJobId: match[2] };
}

/** The callback as the lifecycle's job update. */
function jobUpdate(id: string, callback: WorkflowCallback): RunPodJob {
  switch (callback.status) {
    case "processing":
      return {
        id,
        status: "IN_PROGRESS",
        ...(callback.progress !== undefined && { output: { progress: callback.progress } }),
      };
    case "completed":
      return completedJob(id, callback.url, callback);
    case "failed":
      return { id, status: "FAILED", error: `${callback.error.code}: ${callback.error.message}` };
  }
}

/**
 * A generic HTTP workflow (n8n, Make, Zapier, your own service) as a `Provider`. Each job is a
 * `POST {url}` of `{jobId, videoId, attempt, model, input, durationSeconds, fps, image, callbackUrl}`
 * signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`, keyed by
 * `secret`); the workflow answers 2xx, optionally `{jobId}` with its own id. It reports back by
 * posting `WorkflowCallbackSchema` bodies to `callbackUrl`, signed the same way; `readWebhook`
 * verifies them. Answer the job's POST before calling back: a callback that comes first is answered
 * 503 (retry it). With `statusUrl` the reconciler also asks the workflow; either way a job that has
 * not finished `jobTimeoutMs` after submission fails as `timed_out`.
 */
export function createWorkflowProvider(options: WorkflowProviderOptions): Provider {
  const url = checkUrl(
    options.url,
    "OPENV_WORKFLOW_URL",
    "the workflow's trigger URL (an n8n Webhook node's production URL)",
  );
  const statusUrl =
    options.statusUrl && checkUrl(options.statusUrl, "statusUrl", "where the workflow answers job states");
  const cancelUrl = options.cancelUrl && checkUrl(options.cancelUrl, "cancelUrl", "where the workflow cancels jobs");
  const secret = options.secret?.trim() ?? "";
  if (!/^whsec_(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(secret)) {
    throw new Error(
      "OPENV_WORKFLOW_SECRET must be a Standard Webhooks secret: whsec_ followed by base64 of at least 24 random bytes (e.g. `echo whsec_$(openssl rand -base64 32)`). The workflow verifies and signs with the same secret.",
    );
  }
  const signer = new Webhook(secret);
  const jobTimeoutMs = options.jobTimeoutMs ?? 60 * 60_000;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const fetchFn = fetchOf(options.fetch, [url, statusUrl, cancelUrl]);
  const host = new URL(url).host;

  /** A signed JSON request to the workflow. */
  const post = (target: string, body: unknown): Promise<HttpAnswer> => {
    const payload = JSON.stringify(body);
    const id = `msg_${randomBytes(16).toString("hex")}`;
    const now = new Date();
    return callHttp(fetchFn, target, {
      method: "POST",
      headers: {
        ...options.headers,
        "content-type": "application/json",
        accept: "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": signer.sign(id, now, payload),
      },
      body: payload,
      timeoutMs,
    });
  };
  const failed = (what: string, answer: HttpAnswer): Error =>
    new Error(
      `The workflow at ${host} answered ${what} with ${answer.status}: ${excerpt(answer.body)}.${
        answer.status === 404
          ? " Check OPENV_WORKFLOW_URL, and that the workflow is active (n8n: production URL, workflow switched on)."
          : answer.status === 401 || answer.status === 403
            ? " Check the headers the workflow's trigger expects and OPENV_WORKFLOW_SECRET."
            : ""
      }`,
    );
  const unreachable = (what: string, error: unknown): Error =>
    new Error(
      `Could not reach the workflow at ${host} for ${what}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );

  return {
    name: `workflow at ${host}`,

    async submit(submission: ProviderSubmission) {
      const submittedAt = Date.now();
      const proposed = randomBytes(12).toString("hex");
      const { image } = submission;
      let answer: HttpAnswer;
      try {
        answer = await post(url, {
          jobId: proposed,
          videoId: submission.videoId,
          attempt: submission.attempt,
          model: submission.model,
          input: submission.input,
          durationSeconds: submission.durationSeconds,
          fps: submission.fps,
          image: image && { url: image.url, contentType: image.contentType, width: image.width, height: image.height },
          callbackUrl: submission.webhookUrl,
        });
      } catch (error) {
        throw unreachable("a new job", error);
      }
      if (answer.status < 200 || answer.status >= 300) throw failed("a new job", answer);
      const parsed = SubmitAnswerSchema.safeParse(answer.body);
      const own = parsed.success ? parsed.data.jobId : undefined;
      return { jobId: jobIdOf(submittedAt, own === undefined ? proposed : String(own)) };
    },

    async status(jobId: string): Promise<RunPodJob | null> {
      const parts = parseJobId(jobId);
      // Not one of ours (or from before a format change): nothing can be learned about it.
      if (!parts) return null;
      const lost = (): RunPodJob => ({
        id: jobId,
        status: "FAILED",
        error: `timed_out: The workflow did not finish the job within ${Math.round(jobTimeoutMs / 60_000)} minutes of its submission${statusUrl ? "" : " (no callback reached this server)"}.`,
      });
      const overdue = Date.now() - parts.submittedAt > jobTimeoutMs;
      if (!statusUrl) {
        // No news is all there is to say: IN_QUEUE changes nothing the user sees.
        return overdue ? lost() : { id: jobId, status: "IN_QUEUE" };
      }
      const target = `${statusUrl.replace(/\/+$/, "")}/${encodeURIComponent(parts.workflowJobId)}`;
      let answer: HttpAnswer;
      try {
        answer = await callHttp(fetchFn, target, {
          method: "GET",
          headers: { ...options.headers, accept: "application/json" },
          timeoutMs,
        });
      } catch (error) {
        throw unreachable(`the state of job ${parts.workflowJobId}`, error);
      }
      if (answer.status === 404) return null;
      if (answer.status < 200 || answer.status >= 300) throw failed(`the state of job ${parts.workflowJobId}`, answer);
      const parsed = WorkflowCallbackSchema.safeParse(answer.body);
      if (!parsed.success) {
        throw new Error(
          `The workflow at ${host} answered the state of job ${parts.workflowJobId} in an unknown shape (${excerpt(answer.body)}); answer the callback shape.`,
        );
      }
      const update = jobUpdate(jobId, parsed.data);
      return update.status === "IN_PROGRESS" && overdue ? lost() : update;
    },

    async cancel(jobId: string) {
      const parts = parseJobId(jobId);
      if (!cancelUrl || !parts) return;
      let answer: HttpAnswer;
      try {
        answer = await post(cancelUrl, { jobId: parts.workflowJobId });
      } catch (error) {
        throw unreachable(`cancelling job ${parts.workflowJobId}`, error);
      }
      // A job the workflow no longer knows, or that already ended, cannot run.
      if ((answer.status >= 200 && answer.status < 300) || [404, 409, 410].includes(answer.status)) return;
      throw failed(`cancelling job ${parts.workflowJobId}`, answer);
    },

    async readWebhook(request: ProviderWebhookRequest): Promise<RunPodJob> {
      const messageId = headerValue(request.headers, "webhook-id");
      const timestamp = headerValue(request.headers, "webhook-timestamp");
      const signature = headerValue(request.headers, "webhook-signature");
      if (!messageId || !timestamp || !signature) {
        throw new OpenVError({
          code: "unauthorized",
          message:
            "The workflow callback is not signed: send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks, keyed by OPENV_WORKFLOW_SECRET).",
        });
      }
      const text = Buffer.from(request.body ?? new Uint8Array()).toString("utf8");
      try {
        signer.verify(
          text,
          { "webhook-id": messageId, "webhook-timestamp": timestamp, "webhook-signature": signature },
          {
            jsonParse: false,
          },
        );
      } catch (error) {
        const reason = error instanceof WebhookVerificationError ? error.message : "unreadable signature headers";
        throw new OpenVError({
          code: "unauthorized",
          message: `The workflow callback's signature is not valid (${reason}). Sign the exact body with OPENV_WORKFLOW_SECRET, with a current webhook-timestamp (5 minutes of tolerance).`,
          cause: error,
        });
      }
      const parsed = WorkflowCallbackSchema.safeParse(
        parseCallbackJson(request.body, "The workflow callback", callbackShape),
      );
      if (!parsed.success) throw invalidCallback("The workflow callback", callbackShape, parsed.error);
      if (!request.jobId) {
        throw new OpenVError({
          code: "service_unavailable",
          message:
            "This job's submission is still being recorded: answer the job's POST before calling back, and retry this callback.",
          retryAfterSeconds: 5,
        });
      }
      // A callback that names another job (an earlier attempt's) gets that job's id, so the
      // lifecycle leaves this one alone.
      const stored = parseJobId(request.jobId);
      const named = parsed.data.jobId;
      const id = named && stored && named !== stored.workflowJobId ? jobIdOf(stored.submittedAt, named) : request.jobId;
      return jobUpdate(id, parsed.data);
    },
  };
}

function checkUrl(value: string | undefined, name: string, what: string): string {
  const text = value?.trim() ?? "";
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new Error(`${name} must be ${what}, a http(s) URL; got "${text}".`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new Error(`${name} must be a http(s) URL; got a ${parsed.protocol} URL.`);
  }
  return text;
}
