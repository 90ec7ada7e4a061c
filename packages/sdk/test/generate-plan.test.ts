// The form's rules as one pure function (planGeneration): the frames a length becomes, the limits
// said before they bite, the allowance check, and which refused-request errors went stale.
import { mochiModelLimits } from "@openv/protocol";
import { describe, expect, it } from "vitest";
import { OpenVClientError } from "../src/index.js";
import {
  errorStillApplies,
  type GenerateFields,
  initialFields,
  type PlanContext,
  planGeneration,
} from "../src/store/generate-plan.js";
import { creditBalance, model, secondsLeft } from "./support/fixtures.js";

const context: PlanContext = {
  models: null,
  usage: secondsLeft(599),
  imageBytes: null,
  maxImageBytes: 10 * 1024 * 1024,
};
const fields = (patch: Partial<GenerateFields>): GenerateFields => ({ ...initialFields(1), prompt: "a fox", ...patch });
const reasons = (patch: Partial<GenerateFields>, extra: Partial<typeof context> = {}) =>
  planGeneration(fields(patch), { ...context, ...extra }).blockers.map((blocker) => blocker.reason);

describe("planGeneration", () => {
  it("turns a length into the nearest frames the model takes, and submits with nothing in the way", () => {
    const plan = planGeneration(fields({ seconds: "1" }), context);
    expect(plan.length).toMatchObject({ frames: 31, problem: null, range: { min: 0.2, max: 5.4 } });
    expect(plan.blockers).toEqual([]);
    expect(plan.request).toMatchObject({ prompt: "a fox", frames: 31, width: mochiModelLimits.width.default });
  });

  it("a length the browser refuses is explained, not clamped: 100 s names the longest, 5.4 s", () => {
    const plan = planGeneration(fields({ seconds: "100" }), context);
    expect(plan.length.problem).toBe("The longest video is 5.4 s (163 frames). Enter 5.4 or less.");
    expect(reasons({ seconds: "100" })).toEqual(["length"]);
    // The longest the field allows is one the form takes.
    expect(planGeneration(fields({ seconds: "5.4" }), context).length).toMatchObject({ frames: 163, problem: null });
    expect(planGeneration(fields({ seconds: "0.1" }), context).length.problem).toMatch(/shortest video is 0\.2 s/);
    expect(planGeneration(fields({ seconds: "1.25" }), context).length.problem).toMatch(/one decimal/);
    expect(planGeneration(fields({ seconds: "" }), context).length.problem).toMatch(
      /Enter a length from 0\.2 to 5\.4 s/,
    );
  });

  it("says an empty prompt needs writing and a prompt over the limit by how much, instead of cutting it", () => {
    expect(planGeneration(fields({ prompt: "   " }), context).blockers).toEqual([
      { reason: "prompt-empty", message: "Write a prompt to generate a video." },
    ]);
    const long = planGeneration(fields({ prompt: "x".repeat(2001) }), context);
    expect(long.prompt).toEqual({
      length: 2001,
      max: 2000,
      counter: "2,001 / 2,000 characters: 1 too many",
      state: "over",
    });
    expect(planGeneration(fields({ prompt: "x".repeat(1800) }), context).prompt.state).toBe("near");
    expect(long.blockers[0]?.message).toBe(
      "The prompt is 1 character over the 2,000-character limit. Shorten it to generate.",
    );
    expect(reasons({ prompt: "x".repeat(2000) })).toEqual([]);
  });

  it("says what is left: seconds this period, or the price and balance", () => {
    expect(planGeneration(fields({}), context).allowance).toBe("9 min 59 s of 10 min left this period");
    expect(planGeneration(fields({}), { ...context, usage: null }).allowance).toBe(
      "Checking your remaining video time…",
    );
    expect(
      planGeneration(fields({}), { ...context, models: [model("mochi-1")], usage: creditBalance(7) }).allowance,
    ).toBe("This video costs 5 credits; you have 7.");
  });

  it("blocks what the allowance cannot pay, with the numbers", () => {
    expect(reasons({ seconds: "2" }, { usage: secondsLeft(1) })).toEqual(["over-quota"]);
    const priced = [model("mochi-1"), model("cheap")].map((m, i) => ({ ...m, cost: { credits: i === 0 ? 5 : 1 } }));
    const plan = planGeneration(fields({}), { ...context, models: priced, usage: creditBalance(2) });
    expect(plan.blockers[0]).toEqual({
      reason: "credits",
      message: "Not enough credits: this video costs 5 credits and you have 2. Add credits or choose a cheaper model.",
    });
    expect(
      planGeneration(fields({ modelId: "cheap" }), { ...context, models: priced, usage: creditBalance(2) }).blockers,
    ).toEqual([]);
  });

  it("asks for an image a model requires and refuses one over the limit", () => {
    const animator = { ...model("animator"), image: "required" as const };
    expect(reasons({}, { models: [animator] })).toEqual(["image-needed"]);
    expect(reasons({}, { models: [animator], imageBytes: 11 * 1024 * 1024 })).toEqual(["image-too-large"]);
    expect(reasons({}, { models: [animator], imageBytes: 1024 })).toEqual([]);
  });
});

describe("errorStillApplies", () => {
  const error = (code: string) => new OpenVClientError({ code, message: code });
  const causes = { activeVideos: 3, usage: secondsLeft(1), reconnects: 0 };

  it('"3 videos queued" clears once one of them finishes', () => {
    expect(errorStillApplies(error("too_many_active_jobs"), causes, causes)).toBe(true);
    expect(errorStillApplies(error("too_many_active_jobs"), causes, { ...causes, activeVideos: 2 })).toBe(false);
  });

  it("quota and credits errors clear when the allowance grows; network errors once the connection is back", () => {
    expect(errorStillApplies(error("quota_exceeded"), causes, { ...causes, usage: secondsLeft(30) })).toBe(false);
    expect(errorStillApplies(error("quota_exceeded"), causes, causes)).toBe(true);
    expect(
      errorStillApplies(
        error("insufficient_credits"),
        { ...causes, usage: creditBalance(1) },
        { ...causes, usage: creditBalance(9) },
      ),
    ).toBe(false);
    expect(errorStillApplies(error("network_error"), causes, causes)).toBe(true);
    expect(errorStillApplies(error("network_error"), causes, { ...causes, reconnects: 1 })).toBe(false);
    expect(errorStillApplies(error("validation_failed"), causes, { ...causes, activeVideos: 0, reconnects: 4 })).toBe(
      true,
    );
  });
});
