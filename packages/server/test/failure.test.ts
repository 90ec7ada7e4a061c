import { readFileSync } from "node:fs";
import path from "node:path";
import { type RunPodJob, RunPodJobSchema } from "@openv/protocol/worker";
import { describe, expect, it } from "vitest";
import { classifyFailure, readCompletion, readProgress } from "../src/core/failure.js";

const contract = path.resolve(import.meta.dirname, "../../../worker-mochi/contract");
const workerErrors = (JSON.parse(readFileSync(path.join(contract, "worker-errors.json"), "utf8")) as unknown[]).map(
  (job) => RunPodJobSchema.parse(job),
);

describe("progress", () => {
  it("reads worker-mochi's progress payload as a fraction with at most four decimals", () => {
    expect(readProgress({ stage: "denoising", progress: 0.24000000000000005, step: 3, steps: 10 })).toBe(0.24);
    expect(readProgress({ step: 1, steps: 3 })).toBe(0.3333);
    expect(readProgress("12/64")).toBe(0.1875);
    expect(readProgress(140)).toBe(1);
    expect(readProgress({ stage: "encoding" })).toBeNull();
  });
});

describe("which failures are retried", () => {
  it("reads worker-mochi's error codes; only a refused input is permanent", () => {
    const decisions = Object.fromEntries(
      workerErrors.map((job) => {
        const failure = classifyFailure(job);
        return [failure.code, failure.retryable];
      }),
    );
    expect(decisions).toEqual({ invalid_input: false, out_of_memory: true, upload_failed: true, model_error: true });
  });

  it("RunPod's own endings: TIMED_OUT is retried, CANCELLED is not, a bare FAILED is", () => {
    const job = (update: Omit<RunPodJob, "id">) => classifyFailure({ id: "j", ...update });
    expect(job({ status: "TIMED_OUT" })).toMatchObject({ code: "timed_out", retryable: true });
    expect(job({ status: "CANCELLED" })).toMatchObject({ code: "cancelled", retryable: false });
    expect(job({ status: "FAILED", error: "Worker exited unexpectedly" })).toMatchObject({
      code: "provider_error",
      message: "Worker exited unexpectedly",
      retryable: true,
    });
    expect(job({ status: "FAILED", error: { error_message: "x" } })).toMatchObject({ retryable: true });
  });

  it("a COMPLETED job without a url, or carrying an error, is a failure", () => {
    expect(readCompletion({ id: "j", status: "COMPLETED", output: { key: "k" } })).toMatchObject({
      failure: { code: "invalid_output", retryable: true },
    });
    expect(
      readCompletion({ id: "j", status: "COMPLETED", output: { error: "invalid_input: width: bad" } }),
    ).toMatchObject({ failure: { code: "invalid_input", retryable: false } });
  });
});
