import { describe, expect, it } from "vitest";
import { acceptsUpdate, failureTransition } from "../src/core/job-rules.js";
import type { VideoRecord } from "../src/core/ports.js";

const video = (over: Partial<VideoRecord>): VideoRecord =>
  ({ id: "vid_1", jobId: "job-1", status: "processing", retryCount: 0, ...over }) as VideoRecord;
const job = { id: "job-1", status: "IN_PROGRESS" as const };
const retryable = { code: "worker_crashed", message: "the worker died", retryable: true };

describe("job rules: which update may change a video", () => {
  it("accepts its current attempt's job, or any job while none is recorded", () => {
    expect(acceptsUpdate(video({}), 0, job)).toBe(true);
    expect(acceptsUpdate(video({ jobId: null }), 0, job)).toBe(true);
  });
  it("refuses an earlier attempt, another job, and anything after a terminal status", () => {
    expect(acceptsUpdate(video({ retryCount: 1 }), 0, job)).toBe(false);
    expect(acceptsUpdate(video({ jobId: "job-2" }), 0, job)).toBe(false);
    expect(acceptsUpdate(video({ status: "completed" }), 0, job)).toBe(false);
    expect(acceptsUpdate(video({ status: "failed" }), 0, job)).toBe(false);
  });
});

describe("job rules: the retry policy", () => {
  it("a retryable failure with retries left starts the next attempt, without a job and without a refund", () => {
    const next = failureTransition(video({ retryCount: 1 }), retryable, 2);
    expect(next.patch).toMatchObject({ status: "processing", jobId: null, retryCount: 2, errorCode: null });
    expect(next.refund).toBeUndefined();
  });
  it("fails with a refund once the retries are spent, or when the failure is not retryable", () => {
    expect(failureTransition(video({ retryCount: 2 }), retryable, 2)).toMatchObject({
      patch: { status: "failed", errorCode: "worker_crashed" },
      refund: true,
    });
    expect(failureTransition(video({}), { ...retryable, retryable: false }, 2)).toMatchObject({
      patch: { status: "failed" },
      refund: true,
    });
  });
});
