import type { VideoStatus } from "@openv/protocol";
import { describe, expect, it } from "vitest";
import { newestFirst, supersedes } from "../src/_internal/order.js";
import { video } from "./support/fixtures.js";

describe("which state of a video wins", () => {
  const cases: [VideoStatus, number, VideoStatus, number, boolean][] = [
    ["queued", 1000, "processing", 900, true], // a higher status wins even with an older stamp
    ["processing", 1000, "queued", 2000, false], // never back
    ["processing", 1000, "processing", 1100, true], // progress
    ["processing", 1100, "processing", 1000, false], // stale progress
    ["processing", 1000, "processing", 1000, false], // the same change twice
    ["completed", 1000, "failed", 2000, false], // terminal is final
    ["failed", 1000, "completed", 2000, false],
    ["completed", 1000, "completed", 2000, true], // e.g. the url moved to storage
    ["completed", 1000, "processing", 2000, false],
  ];
  for (const [from, fromAt, to, toAt, expected] of cases) {
    it(`${from}@${fromAt} → ${to}@${toAt}: ${expected ? "taken" : "ignored"}`, () => {
      expect(supersedes(video("v", from, fromAt), video("v", to, toAt))).toBe(expected);
    });
  }

  it("lists newest first, then by id", () => {
    const created = (ms: number) => new Date(ms).toISOString();
    const videos = [
      video("a", "queued", 1, { createdAt: created(1000) }),
      video("b", "queued", 1, { createdAt: created(3000) }),
      video("c", "queued", 1, { createdAt: created(1000) }),
    ];
    expect(videos.sort(newestFirst).map((v) => v.id)).toEqual(["b", "c", "a"]);
  });
});
