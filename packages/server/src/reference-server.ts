import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import type { ReferenceServerSettings } from "./config-env.js";
import { openv } from "./fastify/plugin.js";

/** Builds the reference server: Fastify with pino logging and the OpenV plugin under /api. */
export async function createReferenceServer(settings: ReferenceServerSettings): Promise<FastifyInstance> {
  // The first start creates the embedded database, which can take several seconds.
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? "info" }, pluginTimeout: 120_000 });
  await app.register(openv, {
    prefix: "/api",
    dataDir: path.resolve(settings.dataDir),
    config: settings.config,
    previewStepDelayMs: settings.previewStepDelayMs,
    ...settings.services,
    ...(settings.databaseUrl && { databaseUrl: settings.databaseUrl }),
    ...(settings.publicUrl && { publicUrl: settings.publicUrl }),
    ...(settings.webhookSecret && { webhookSecret: settings.webhookSecret }),
  });
  app.get("/", async () => ({
    name: "OpenV reference server",
    api: "/api",
    health: "/api/health",
    docs: "https://github.com/openv/openv#readme",
  }));
  return app;
}
