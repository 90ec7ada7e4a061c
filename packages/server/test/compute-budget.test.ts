import { readFileSync } from "node:fs";
import path from "node:path";
import { mochiComputeBudget, mochiLimits, mochiVisualTokens } from "@openv/protocol";
import { describe, expect, it } from "vitest";
import { ModelCatalog } from "../src/core/catalog.js";
import { OpenVError } from "../src/core/errors.js";

const contractBudget = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, "../../../worker-mochi/contract/compute-budget.json"), "utf8"),
) as { maxVisualTokens: number; maxSteps: number };

// The same table as worker-mochi's tests/test_schema.py: frames × size → inside the budget?
const table: [frames: number, width: number, height: number, inside: boolean][] = [
  [163, 848, 480, true],
  [163, 864, 480, false],
  [31, 1280, 1280, true],
  [37, 1280, 1280, false],
  [163, 1280, 1280, false],
  [85, 1280, 720, false],
  [61, 1280, 720, true],
  [163, 480, 848, true],
  [7, 1280, 1280, true],
];

describe("Mochi's compute budget, from worker-mochi's contract file", () => {
  it("is the contract file's numbers", () => {
    expect(mochiComputeBudget.maxVisualTokens).toBe(contractBudget.maxVisualTokens);
    expect(mochiLimits.steps.max).toBe(contractBudget.maxSteps);
    expect(mochiVisualTokens(163, 848, 480)).toBe(44_520);
  });

  const catalog = new ModelCatalog();
  it.each(table.flatMap((row) => [1, 64, 100].map((steps) => [...row, steps] as const)))(
    "%i frames at %i×%i is inside: %s (%i steps)",
    (frames, width, height, inside, steps) => {
      const resolve = () => catalog.resolve({ prompt: "a fox", frames, width, height, steps });
      if (inside) {
        expect(resolve().settings).toMatchObject({ frames, width, height, steps });
        return;
      }
      let error: unknown;
      try {
        resolve();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(OpenVError);
      const refusal = error as OpenVError;
      expect(refusal.status).toBe(400);
      expect(refusal.code).toBe("validation_failed");
      expect(refusal.message).toContain("compute budget is 44,520 visual tokens");
      expect(refusal.details?.issues).toEqual([expect.objectContaining({ code: "compute_budget", path: ["frames"] })]);
    },
  );

  it("caps steps at the budget's", () => {
    expect(() => catalog.resolve({ prompt: "a fox", steps: contractBudget.maxSteps + 1 })).toThrow(/steps/);
  });
});
