// Every binding says, once, at start, which adapters it runs on: an operator reading the logs of a
// host app (Fastify plugin, fetch handler) learns as much as one reading the reference server's.
import Fastify from "fastify";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openv } from "../src/fastify/plugin.js";
import { createOpenVHandler } from "../src/fetch.js";

const quiet = { dataDir: null, reconciler: false, outbox: false } as const;

/** A pino logger that keeps every line it writes, parsed. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, adapterLines: () => lines.filter((line) => line.msg === "OpenV adapters") };
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe("the adapters line", () => {
  it("is logged once by the Fastify plugin, naming store, auth, storage and provider", async () => {
    const { logger, adapterLines } = capturingLogger();
    const app = Fastify({ loggerInstance: logger, pluginTimeout: 120_000 });
    closers.push(() => app.close());
    await app.register(openv, { ...quiet, publicUrl: "http://127.0.0.1:1" });
    await app.ready();
    expect(adapterLines()).toHaveLength(1);
    expect(adapterLines()[0]).toMatchObject({
      store: expect.any(String),
      auth: expect.stringMatching(/dev/i),
      storage: expect.any(String),
      provider: expect.any(String),
      outboundWebhooks: expect.stringContaining("outboundWebhooks"),
    });
  });

  it("is logged once by the fetch handler", async () => {
    const { logger, adapterLines } = capturingLogger();
    const handler = createOpenVHandler({ ...quiet, publicUrl: "http://127.0.0.1:1", logger });
    closers.push(() => handler.close());
    await handler.ready();
    expect(adapterLines()).toHaveLength(1);
    expect(adapterLines()[0]).toMatchObject({ store: expect.any(String), provider: expect.any(String) });
  });
});
