import type { RunPodJob } from "@openv/protocol/worker";
import { z } from "zod";
import type { Provider, ProviderSubmission } from "../../core/ports.js";
import { callHttp, completedJob, excerpt, fetchOf, type HttpAnswer, imageReference } from "./hosted.js";

/** Runway's developer API, the default `baseUrl`. */
export const runwayApi = "https://api.dev.runwayml.com";
/** The API version every request names (`X-Runway-Version`). */
export const runwayApiVersion = "2024-11-06";

/** What one Runway image-to-video model accepts. */
export interface RunwayModelLimits {
  /** The output sizes it renders, as Runway spells them (`"1280:720"`). */
  ratios: string[];
  /** The lengths it renders, in seconds. */
  durations: number[];
}

/** The image-to-video models Runway documents, with the ratios and durations each accepts. */
export const runwayModels: Readonly<Record<string, RunwayModelLimits>> = {
  gen4_turbo: { ratios: ["1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"], durations: [5, 10] },
  gen3a_turbo: { ratios: ["1280:768", "768:1280"], durations: [5, 10] },
  veo3: { ratios: ["1280:720", "720:1280"], durations: [8] },
};

/** Settings of `createRunwayProvider`. */
export interface RunwayProviderOptions {
  /** RUNWAYML_API_SECRET: the API key from Runway's developer portal (`key_…`), sent as a bearer token. */
  apiKey: string;
  /**
   * RUNWAY_MODEL: the model to render on, default `"gen4_turbo"`. A submission whose model is a
   * Runway model (a key of `runwayModels` or `models`) renders on that one instead.
   */
  model?: string | undefined;
  /** RUNWAY_BASE_URL: the API. Default `https://api.dev.runwayml.com`. */
  baseUrl?: string | undefined;
  /** The fetch to call Runway with. Default: the global fetch. */
  fetch?: typeof fetch | undefined;
  /** More models, or other limits for known ones, merged over `runwayModels`. */
  models?: Record<string, RunwayModelLimits> | undefined;
  /** Timeout of each HTTP call, in ms. Default 30 s. */
  requestTimeoutMs?: number | undefined;
}

/** Runway refuses data URIs of 5 MiB and more. */
const maxDataUriLength = 5 * 1024 * 1024;
/** Runway's limit on `promptText`, in UTF-16 code units (JavaScript's `length`). */
const maxPromptLength = 1000;

const CreateAnswerSchema = z.object({ id: z.string().min(1) });
const TaskSchema = z
  .object({
    id: z.string(),
    status: z.enum(["PENDING", "THROTTLED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]),
    progress: z.number().nullish(),
    output: z.array(z.string()).nullish(),
    failure: z.string().nullish(),
    failureCode: z.string().nullish(),
  })
  .loose();

/** The allowed ratio closest in shape to width × height (compared as log aspect ratios). */
export function nearestRatio(width: number, height: number, ratios: string[]): string {
  const target = Math.log(width / height);
  let best = ratios[0] as string;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const ratio of ratios) {
    const [w, h] = ratio.split(":").map(Number);
    const distance = Math.abs(Math.log((w as number) / (h as number)) - target);
    if (distance < bestDistance) {
      best = ratio;
      bestDistance = distance;
    }
  }
  return best;
}

/** The allowed duration closest to `seconds`; a tie goes to the shorter one. */
export function nearestDuration(seconds: number, durations: number[]): number {
  return [...durations].sort((a, b) => Math.abs(a - seconds) - Math.abs(b - seconds) || a - b)[0] as number;
}

/**
 * A Runway failure as the lifecycle's `code: message` text (failure.ts reads the code). Content
 * moderation (`SAFETY.*`, `INPUT_PREPROCESSING.SAFETY.*`) is `content_rejected`, which is never
 * retried (Runway: "You should not retry these generations"); anything else keeps Runway's code,
 * lower-cased, and is retried while retries remain.
 */
export function runwayErrorText(failureCode: string | null | undefined, failure: string | null | undefined): string {
  const message = failure?.trim() || "Runway reported a failure without a reason.";
  const code = failureCode?.trim() ?? "";
  if (/(?:^|\.)SAFETY(?:\.|$)/.test(code)) return `content_rejected: ${message} (${code})`;
  const normalized = code
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return `${/^[a-z]/.test(normalized) ? `runway_${normalized}` : "provider_error"}: ${message}`;
}

/**
 * Runway's image-to-video API as a `Provider`: `POST /v1/image_to_video` with
 * `{model, promptImage, promptText, ratio, duration, seed?}` (the video's size mapped to the nearest
 * ratio the model renders, its length to the nearest duration), `GET /v1/tasks/{id}`, and
 * `DELETE /v1/tasks/{id}` to cancel; bearer auth and `X-Runway-Version: 2024-11-06` on every call.
 * Runway has no webhooks: the reconciler polls `status` while a video is unfinished.
 */
export function createRunwayProvider(options: RunwayProviderOptions): Provider {
  const apiKey = options.apiKey?.trim();
  if (!apiKey) {
    throw new Error("Runway needs an API key: set RUNWAYML_API_SECRET (Runway developer portal → API Keys).");
  }
  const models: Record<string, RunwayModelLimits> = { ...runwayModels, ...options.models };
  const defaultModel = options.model?.trim() || "gen4_turbo";
  if (!Object.hasOwn(models, defaultModel)) {
    throw new Error(
      `RUNWAY_MODEL "${defaultModel}" is not a Runway image-to-video model OpenV knows (${Object.keys(models).join(", ")}); pick one, or describe it in the \`models\` option.`,
    );
  }
  const baseUrl = (options.baseUrl ?? runwayApi).replace(/\/+$/, "");
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const fetchFn = fetchOf(options.fetch, [baseUrl]);
  const headers = {
    authorization: `Bearer ${apiKey}`,
    "x-runway-version": runwayApiVersion,
    accept: "application/json",
  };
  const call = (path: string, init: RequestInit = {}) =>
    callHttp(fetchFn, `${baseUrl}${path}`, { ...init, headers: { ...headers, ...init.headers }, timeoutMs });

  const refused = (what: string, answer: HttpAnswer): Error => {
    const hint =
      answer.status === 401
        ? " Check RUNWAYML_API_SECRET (keys start with key_; the API lives at api.dev.runwayml.com)."
        : answer.status === 400
          ? " Runway refused the input."
          : answer.status === 429
            ? " Runway is rate limiting this key or its daily limit is spent; it will be tried again."
            : "";
    return new Error(`Runway ${what} answered ${answer.status}: ${excerpt(answer.body)}.${hint}`);
  };
  const unreachable = (what: string, error: unknown): Error =>
    new Error(`Runway ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });

  return {
    name: `Runway at ${baseUrl} (${defaultModel})`,

    async submit(submission: ProviderSubmission) {
      const { image, input } = submission;
      if (!image) {
        throw new Error(
          "Runway renders video from an image: this request has none. Send an input image, or render text-only requests on another provider.",
        );
      }
      if (input.positive_prompt.length > maxPromptLength) {
        throw new Error(
          `Runway takes prompts of up to ${maxPromptLength} characters; this one has ${input.positive_prompt.length}. Shorten the prompt.`,
        );
      }
      const model = Object.hasOwn(models, submission.model) ? submission.model : defaultModel;
      const limits = models[model] as RunwayModelLimits;
      const promptImage = await imageReference(image);
      if (promptImage.startsWith("data:") && promptImage.length >= maxDataUriLength) {
        throw new Error(
          `The input image is too large to send to Runway inline (${Math.round(promptImage.length / 1024)} KiB encoded, under 5 MiB allowed). Serve images from public https storage, or upload a smaller image.`,
        );
      }
      const body = {
        model,
        promptImage,
        promptText: input.positive_prompt,
        ratio: nearestRatio(input.width, input.height, limits.ratios),
        duration: nearestDuration(submission.durationSeconds, limits.durations),
        ...(input.seed !== undefined && { seed: input.seed }),
      };
      let answer: HttpAnswer;
      try {
        answer = await call("/v1/image_to_video", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch (error) {
        throw unreachable("/v1/image_to_video", error);
      }
      if (answer.status < 200 || answer.status >= 300) throw refused("/v1/image_to_video", answer);
      const parsed = CreateAnswerSchema.safeParse(answer.body);
      if (!parsed.success)
        throw new Error(`Runway /v1/image_to_video answered without a task id: ${excerpt(answer.body)}`);
      return { jobId: parsed.data.id };
    },

    async status(jobId: string): Promise<RunPodJob | null> {
      const path = `/v1/tasks/${encodeURIComponent(jobId)}`;
      let answer: HttpAnswer;
      try {
        answer = await call(path, { method: "GET" });
      } catch (error) {
        throw unreachable(path, error);
      }
      // A deleted task (or one of another key) is gone for good.
      if (answer.status === 404) return null;
      if (answer.status < 200 || answer.status >= 300) throw refused(path, answer);
      const parsed = TaskSchema.safeParse(answer.body);
      if (!parsed.success) throw new Error(`Runway ${path} answered an unknown shape: ${excerpt(answer.body)}`);
      const task = parsed.data;
      switch (task.status) {
        case "PENDING":
        case "THROTTLED":
          return { id: jobId, status: "IN_QUEUE" };
        case "RUNNING":
          return {
            id: jobId,
            status: "IN_PROGRESS",
            ...(typeof task.progress === "number" && { output: { progress: task.progress } }),
          };
        case "SUCCEEDED": {
          const url = task.output?.[0];
          if (!url) {
            return {
              id: jobId,
              status: "FAILED",
              error: "invalid_output: Runway reported success without an output URL.",
            };
          }
          // Runway's output URLs expire within 24–48 hours: the lifecycle copies the file at once.
          return completedJob(jobId, url);
        }
        case "FAILED":
          return { id: jobId, status: "FAILED", error: runwayErrorText(task.failureCode, task.failure) };
        case "CANCELLED":
          return { id: jobId, status: "CANCELLED" };
      }
    },

    async cancel(jobId: string) {
      const path = `/v1/tasks/${encodeURIComponent(jobId)}`;
      let answer: HttpAnswer;
      try {
        answer = await call(path, { method: "DELETE", headers: { accept: "*/*" } });
      } catch (error) {
        throw unreachable(`DELETE ${path}`, error);
      }
      // 404: Runway no longer knows the task; nothing can run.
      if ((answer.status >= 200 && answer.status < 300) || answer.status === 404) return;
      throw refused(`DELETE ${path}`, answer);
    },
  };
}
