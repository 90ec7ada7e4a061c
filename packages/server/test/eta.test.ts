import { describe, expect, it } from "vitest";
import {
  type EtaSubject,
  estimateEtaSeconds,
  expectedRenderSeconds,
  median,
  type RenderSample,
  visualTokens,
} from "../src/core/eta.js";
import { preferredWait } from "../src/http/prefer.js";

const mochi = { temporalCompression: 6, patchPixels: 16 };
const small = visualTokens({ frames: 31, width: 848, height: 480 }, mochi);
const large = visualTokens({ frames: 163, width: 848, height: 480 }, mochi);

const sample = (renderSeconds: number, tokens = small, queueSeconds: number | null = null): RenderSample => ({
  model: "mochi-1",
  tokens,
  renderSeconds,
  queueSeconds,
});
const subject = (over: Partial<EtaSubject> = {}): EtaSubject => ({
  model: "mochi-1",
  tokens: small,
  status: "processing",
  progress: null,
  renderingFor: null,
  waitingFor: 0,
  ...over,
});

describe("visual tokens", () => {
  it("counts latent frames × patches as the compute budget does", () => {
    expect(small).toBe(6 * 53 * 30);
    expect(large).toBe(28 * 53 * 30);
    expect(visualTokens({ frames: 7, width: 256, height: 256 }, undefined)).toBe(7 * 16 * 16);
  });
});

describe("the render time a model's history predicts", () => {
  it("is the median of renders with the same budget", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const history = [sample(40), sample(50), sample(400), sample(200, large)];
    expect(expectedRenderSeconds(history, "mochi-1", small)).toBe(50);
  });

  it("scales the model's median seconds per token to a budget it has not rendered", () => {
    const history = [sample(30), sample(60)];
    // 45 s for `small` tokens on the median → a render 28/6 times as large takes 28/6 × 45 s.
    expect(expectedRenderSeconds(history, "mochi-1", large)).toBeCloseTo((45 * large) / small);
  });

  it("has no basis for a model without finished renders", () => {
    expect(expectedRenderSeconds([sample(30)], "mochi-1-hd", small)).toBeNull();
    expect(expectedRenderSeconds([], "mochi-1", small)).toBeNull();
  });
});

describe("estimateEtaSeconds", () => {
  const history = [sample(40, small, 4), sample(60, small, 6), sample(50, small, 8)];

  it("gives a queued video the median wait, less what it waited, plus the render", () => {
    expect(estimateEtaSeconds(subject({ status: "queued" }), history)).toBe(6 + 50);
    expect(estimateEtaSeconds(subject({ status: "queued", waitingFor: 4 }), history)).toBe(2 + 50);
    expect(estimateEtaSeconds(subject({ status: "queued", waitingFor: 60 }), history)).toBe(50);
  });

  it("takes what is done off a rendering video's expected time", () => {
    expect(estimateEtaSeconds(subject({ renderingFor: 20 }), history)).toBe(30);
    expect(estimateEtaSeconds(subject({ progress: 0.05, renderingFor: 1 }), history)).toBe(48);
  });

  it("follows the video's own pace once the worker reports real progress", () => {
    // 30 s for the first quarter: 90 s to go, whatever the history says.
    expect(estimateEtaSeconds(subject({ progress: 0.25, renderingFor: 30 }), history)).toBe(90);
    expect(estimateEtaSeconds(subject({ progress: 0.5, renderingFor: 10 }), [])).toBe(10);
  });

  it("rounds up to whole seconds, never below 1", () => {
    expect(estimateEtaSeconds(subject({ progress: 0.99, renderingFor: 10 }), history)).toBe(1);
  });

  it("is null when there is no basis", () => {
    // Finished videos.
    expect(estimateEtaSeconds(subject({ status: "completed" }), history)).toBeNull();
    expect(estimateEtaSeconds(subject({ status: "failed" }), history)).toBeNull();
    // No history and no progress yet.
    expect(estimateEtaSeconds(subject({ status: "queued" }), [])).toBeNull();
    expect(estimateEtaSeconds(subject({ renderingFor: 5 }), [])).toBeNull();
    // Rendering longer than the history's time, with no progress to go by.
    expect(estimateEtaSeconds(subject({ renderingFor: 500 }), history)).toBeNull();
    // Another model's history says nothing about this one.
    expect(estimateEtaSeconds(subject({ model: "other", status: "queued" }), history)).toBeNull();
  });
});

describe("Prefer: wait (RFC 7240)", () => {
  it("reads the first wait, clamped to 60 s", () => {
    expect(preferredWait("wait=5")).toBe(5);
    expect(preferredWait("respond-async, WAIT = 10")).toBe(10);
    expect(preferredWait('wait="7"; foo=bar')).toBe(7);
    expect(preferredWait("wait=3, wait=9")).toBe(3);
    expect(preferredWait("wait=600")).toBe(60);
  });

  it("ignores what it cannot read", () => {
    for (const header of [
      undefined,
      "",
      "wait",
      "wait=",
      "wait=abc",
      "wait=1.5",
      "wait=-1",
      "wait=0",
      "respond-async",
    ]) {
      expect(preferredWait(header)).toBeNull();
    }
  });
});
