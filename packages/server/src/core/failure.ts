import { type RunPodJob, type WorkerOutput, WorkerOutputSchema, WorkerProgressSchema } from "@openv/protocol/worker";

/** Why a provider job did not produce a video, and whether submitting it again can help. */
export interface JobFailure {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * Worker error codes (the first word of worker-mochi's error message) that a new attempt cannot
 * fix: the worker refused the input, or the provider's content moderation refused the prompt or
 * image (`content_rejected`, which hosted providers such as fal.ai and Runway report). Everything
 * else is retried while retries remain —
 * out_of_memory (a fresh worker, or another GPU of the endpoint's list, often has the memory;
 * worker-mochi's `contract/error-codes.json` flags it retryable too, and a test compares the flags),
 * model_error (CUDA faults), upload_failed, timeouts and errors without a code.
 */
const permanentCodes = new Set(["invalid_input", "content_rejected"]);

function errorText(error: unknown): string {
  if (typeof error === "string") return error;
  if (error && typeof error === "object") {
    const { message, error: inner } = error as { message?: unknown; error?: unknown };
    if (typeof message === "string") return message;
    if (typeof inner === "string") return inner;
  }
  if (error === undefined || error === null) return "";
  try {
    return JSON.stringify(error).slice(0, 2000);
  } catch {
    // Nested past what JSON.stringify can walk (or otherwise unprintable): keep its kind.
    return `an unreadable ${Array.isArray(error) ? "array" : typeof error}`;
  }
}

/** Reads `code: message` (worker-mochi's format) from a provider error. */
export function classifyFailure(job: RunPodJob): JobFailure {
  if (job.status === "TIMED_OUT") {
    return { code: "timed_out", message: "The provider stopped the job at its execution timeout.", retryable: true };
  }
  if (job.status === "CANCELLED") {
    return { code: "cancelled", message: "The job was cancelled at the provider.", retryable: false };
  }
  const text = errorText(job.error).trim();
  const match = /^([a-z][a-z0-9_]*)[:\s]\s*(.*)$/s.exec(text);
  const code = match?.[1] ?? "provider_error";
  const message = (match ? match[2] : text) || "The provider reported a failure without a message.";
  return { code, message: message.slice(0, 2000), retryable: !permanentCodes.has(code) };
}

/**
 * The output of a COMPLETED job, or the failure it really is: a completion without a playable URL,
 * or carrying an error, is not a video.
 */
export function readCompletion(job: RunPodJob): { output: WorkerOutput } | { failure: JobFailure } {
  const carriedError = job.error ?? (job.output as { error?: unknown } | undefined)?.error;
  if (carriedError) return { failure: classifyFailure({ ...job, status: "FAILED", error: carriedError }) };
  const parsed = WorkerOutputSchema.safeParse(job.output);
  if (parsed.success) return { output: parsed.data };
  return {
    failure: {
      code: "invalid_output",
      message: `The provider reported completion without a valid output (${parsed.error.issues
        .map(
          (issue: { path: PropertyKey[]; message: string }) => `${issue.path.join(".") || "output"}: ${issue.message}`,
        )
        .join("; ")}).`,
      retryable: true,
    },
  };
}

/**
 * The longest progress text read. Workers send short strings ("12/48", "25%"); anything longer is
 * not progress, and is not searched at all (a provider field must never cost more than linear time).
 */
const maxProgressText = 200;
// Bounded quantifiers: each start position costs O(1), so a scan is linear in the text's length.
const ratioPattern = /(\d{1,12}(?:\.\d{1,12})?) {0,4}\/ {0,4}(\d{1,12}(?:\.\d{1,12})?)/;
const percentPattern = /(\d{1,12}(?:\.\d{1,12})?) {0,4}%/;

/** Progress 0..1 from whatever an IN_PROGRESS job carries, or null. */
export function readProgress(output: unknown): number | null {
  const parsed = WorkerProgressSchema.safeParse(output);
  if (!parsed.success) return null;
  const value = parsed.data;
  let fraction: number | null = null;
  if (typeof value === "number") fraction = value > 1 ? value / 100 : value;
  else if (typeof value === "string") {
    if (value.length > maxProgressText) return null;
    const ratio = ratioPattern.exec(value);
    const percent = percentPattern.exec(value);
    if (ratio?.[1] && ratio[2] && Number(ratio[2]) > 0) fraction = Number(ratio[1]) / Number(ratio[2]);
    else if (percent?.[1]) fraction = Number(percent[1]) / 100;
  } else if (typeof value.progress === "number") fraction = value.progress;
  else if (typeof value.step === "number" && typeof value.steps === "number" && value.steps > 0) {
    fraction = value.step / value.steps;
  }
  if (fraction === null || !Number.isFinite(fraction)) return null;
  // Four decimals: enough for any progress bar, and no 0.24000000000000005 on the wire.
  return Math.round(Math.min(1, Math.max(0, fraction)) * 10_000) / 10_000;
}
