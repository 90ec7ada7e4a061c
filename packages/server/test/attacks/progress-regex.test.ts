import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readProgress } from "../../src/core/failure.js";
import { accepted, bindings, generateBody, ScriptedProvider, startTestServer, type TestServer } from "../helpers.js";

/** Inputs that made the old progress patterns backtrack quadratically (60,000 characters each). */
const pathological = [
  "1".repeat(60_000),
  `${"1".repeat(59_999)}/`,
  `1.${"1".repeat(59_998)}`,
  " ".repeat(60_000),
  `${"9 ".repeat(30_000)}%`,
];

describe("provider progress is parsed in linear time", () => {
  it("reads the forms workers send", () => {
    expect(readProgress("12/48")).toBe(0.25);
    expect(readProgress("step 3 / 4")).toBe(0.75);
    expect(readProgress("42.5 %")).toBe(0.425);
    expect(readProgress(0.5)).toBe(0.5);
    expect(readProgress({ step: 1, steps: 4 })).toBe(0.25);
  });

  it("answers null for each pathological string instead of searching it", () => {
    for (const text of pathological) expect(readProgress(text)).toBeNull();
  });
});

/**
 * Row 5: an IN_PROGRESS with 60,000 characters of output held the event loop 6.9 s (every other
 * request waited). The server runs in this process, so a stall shows as event-loop delay here.
 */
describe.each(bindings)("attack: a progress string that stalls the server (%s binding)", (binding) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({ binding, provider });
    await accepted(server);
  });
  afterAll(() => server.close());

  it("60,000 characters of progress text do not hold the event loop (the old code held it ~7 s)", async () => {
    const { video } = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    for (const output of pathological) {
      expect((await provider.send({ status: "IN_PROGRESS", output })).status).toBe(200);
    }
    delay.disable();
    // A bound ~1000× what linear parsing needs, so a busy machine cannot make it flake.
    expect(delay.max / 1e6).toBeLessThan(1500);
    const read = (await (await server.api(`/videos/${video.id}`)).json()) as { video: Video };
    expect(read.video.status).toBe("processing");
  });
});
