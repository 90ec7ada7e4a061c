import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  framesForSeconds,
  GenerateRequestSchema,
  mochiModelLimits,
  RunPodGenerateRequestSchema,
} from "../src/index.js";
import { RunPodJobSchema, WorkerOutputSchema, WorkerProgressSchema, workerErrorCodes } from "../src/worker.js";

// worker-mochi writes these fixtures from its own output and error objects (worker-mochi/contract).
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../worker-mochi/contract/${name}`, import.meta.url), "utf8"));

describe("the contract shared with worker-mochi", () => {
  it("accepts the worker's output object", () => {
    const output = WorkerOutputSchema.parse(fixture("worker-output.json"));
    expect(output.seconds).toBeCloseTo(output.frames / output.fps);
  });

  it("accepts the worker's progress and FAILED job objects, each error starting with a known code", () => {
    expect(WorkerProgressSchema.safeParse(RunPodJobSchema.parse(fixture("worker-progress.json")).output).success).toBe(
      true,
    );
    const failures = fixture("worker-errors.json") as unknown[];
    expect(failures.length).toBeGreaterThanOrEqual(workerErrorCodes.length);
    for (const failure of failures) {
      const job = RunPodJobSchema.parse(failure);
      expect(job.status).toBe("FAILED");
      const code = String(job.error).split(":")[0];
      expect(workerErrorCodes).toContain(code);
    }
    const codes = (fixture("error-codes.json") as { code: string }[]).map((entry) => entry.code);
    expect([...codes].sort()).toEqual([...workerErrorCodes].sort());
  });
});

describe("request schemas", () => {
  it("Mochi's own limits, as the default catalog model states them", () => {
    expect(mochiModelLimits.frames).toEqual({ min: 7, max: 163, step: 6, default: 31 });
    expect(mochiModelLimits.width).toEqual({ min: 256, max: 1280, multipleOf: 16, default: 848 });
    expect(mochiModelLimits.fps).toBe(30);
  });

  it("holds every model's outer bounds; each model's own limits are the server's (GET /models)", () => {
    expect(GenerateRequestSchema.safeParse({ prompt: "x", frames: 31 }).success).toBe(true);
    // 30 frames is not a Mochi count, but another model may take it: the server checks per model.
    expect(GenerateRequestSchema.safeParse({ prompt: "x", frames: 30 }).success).toBe(true);
    expect(GenerateRequestSchema.safeParse({ prompt: "x", frames: 0 }).success).toBe(false);
    expect(GenerateRequestSchema.safeParse({ prompt: "x", frames: 1001 }).success).toBe(false);
    expect(GenerateRequestSchema.safeParse({ prompt: "x", width: 848, height: 480 }).success).toBe(true);
    expect(GenerateRequestSchema.safeParse({ prompt: "x", width: 850 }).success).toBe(false);
    expect(GenerateRequestSchema.safeParse({ prompt: "x", model: "fal-ai/ltx-video", image: "upl_1" }).success).toBe(
      true,
    );
    expect(GenerateRequestSchema.safeParse({ prompt: "x", model: "a model" }).success).toBe(false);
    expect(GenerateRequestSchema.safeParse({ prompt: "x", price: 0 }).success).toBe(false);
    expect(GenerateRequestSchema.safeParse({ prompt: "   " }).success).toBe(false);
    expect(GenerateRequestSchema.safeParse({ prompt: "x", extra: 1 }).success).toBe(false);
  });

  it("requires the seed body's frames to match input.num_frames", () => {
    const body = { prompt: "x", frames: 31, input: { positive_prompt: "x", num_frames: 31 } };
    expect(RunPodGenerateRequestSchema.safeParse(body).success).toBe(true);
    expect(RunPodGenerateRequestSchema.safeParse({ ...body, frames: 37 }).success).toBe(false);
  });

  it("maps seconds to valid frame counts", () => {
    expect(framesForSeconds(1)).toBe(31);
    expect(framesForSeconds(0)).toBe(7);
    expect(framesForSeconds(60)).toBe(163);
    for (let s = 0; s < 6; s += 0.25) expect((framesForSeconds(s) - 1) % 6).toBe(0);
  });
});
