import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import fastifyStatic from "@fastify/static";
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
    reconciler: settings.reconciler,
    ...(settings.databaseUrl && { databaseUrl: settings.databaseUrl }),
    ...(settings.publicUrl && { publicUrl: settings.publicUrl }),
    ...(settings.webhookSecret && { webhookSecret: settings.webhookSecret }),
  });
  const webRoot = settings.webRoot && path.resolve(settings.webRoot);
  if (webRoot && existsSync(path.join(webRoot, "index.html"))) {
    // A single-page web app (the react-gallery example's build): its files at /, and its
    // index.html for any other GET outside /api so client-side routes survive a reload.
    await app.register(fastifyStatic, { root: webRoot, prefix: "/", decorateReply: false, index: "index.html" });
    const indexHtml = await readFile(path.join(webRoot, "index.html"), "utf8");
    app.setNotFoundHandler(async (request, reply) => {
      if (
        request.method !== "GET" ||
        request.url.startsWith("/api/") ||
        path.extname(request.url.split("?")[0] ?? "")
      ) {
        return reply
          .status(404)
          .send({ error: { code: "not_found", message: `No route ${request.method} ${request.url}.` } });
      }
      return reply.type("text/html; charset=utf-8").send(indexHtml);
    });
  } else {
    app.get("/", async () => ({
      name: "OpenV reference server",
      api: "/api",
      health: "/api/health",
      docs: "https://github.com/openv/openv#readme",
    }));
  }
  return app;
}
