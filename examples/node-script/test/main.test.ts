import { openv } from "@openv/server";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";

/** Collects what the script writes. */
const capture = () => {
  let text = "";
  return { write: (chunk: string) => (text += chunk), text: () => text };
};

describe("examples/node-script against the real server (local preview provider)", () => {
  let app: FastifyInstance;
  let baseUrl: string;
  beforeAll(async () => {
    app = Fastify({ logger: false, pluginTimeout: 120_000, forceCloseConnections: true });
    // A small quota so the second test can run into it; a step delay so progress is reported.
    await app.register(openv, { dataDir: null, previewStepDelayMs: 40, config: { monthlyLimitSeconds: 2 } });
    await app.listen({ port: 0, host: "127.0.0.1" });
    baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api`;
  });
  afterAll(() => app.close());

  it("generates a video, redraws one progress line and prints the final URL", async () => {
    const stdout = capture();
    const stderr = capture();
    const code = await main({
      env: { OPENV_URL: baseUrl, OPENV_USER: "script-user" },
      args: ["a", "kite", "over", "the", "sea"],
      stdout,
      stderr,
    });
    expect(stderr.text()).toBe("");
    expect(code).toBe(0);
    const output = stdout.text();
    expect(output).toContain("Accepting the terms of use (version 1.0.0)");
    expect(output).toContain('Generating "a kite over the sea"');
    // Progress redraws the same line with \r, through processing to 100 %.
    const frames = output.split("\r").slice(1);
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.some((frame) => frame.startsWith("processing"))).toBe(true);
    expect(output).toMatch(/completed\s+\[#{24}\] 100%/);
    const url = /Done: (\S+)\n$/.exec(output)?.[1];
    expect(url?.startsWith(`${baseUrl}/files/`)).toBe(true);
    const file = await fetch(url as string);
    expect(file.headers.get("content-type")).toBe("video/mp4");
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it("exits 1 with the server's message when the request is refused", async () => {
    const stdout = capture();
    const stderr = capture();
    // The first test used 31/30 s of this user's 2 s; another 31 frames do not fit.
    const code = await main({ env: { OPENV_URL: baseUrl, OPENV_USER: "script-user" }, stdout, stderr });
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(/^Failed \(quota_exceeded\): .+\n$/);
  });
});
