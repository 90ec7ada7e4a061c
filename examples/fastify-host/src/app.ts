import { openv } from "@openv/server";
import Fastify, { type FastifyInstance } from "fastify";

/**
 * A host app that already has its own routes, and mounts the whole OpenV backend under
 * `/video-api`. OpenV's error format, rate limits and body limits stay inside its prefix.
 */
export async function buildApp(options: { dataDir?: string | null; logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? true, pluginTimeout: 60_000 });

  // The host's own routes.
  app.get("/", async () => ({ app: "my-shop", videos: "/video-api" }));
  app.get("/products/:id", async (request) => ({ id: (request.params as { id: string }).id, name: "Kite" }));

  // OpenV: every route of its HTTP contract under /video-api, on the embedded defaults (or the
  // CLERK_* / RUNPOD_* / UPLOADTHING_TOKEN services passed as options: see the package README).
  await app.register(openv, {
    prefix: "/video-api",
    dataDir: options.dataDir === undefined ? "./.openv-host" : options.dataDir,
  });

  return app;
}
