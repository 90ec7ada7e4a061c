import { openApiDocument } from "@openv/protocol";
import { validate } from "@readme/openapi-parser";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { UserEventVerifier } from "../src/core/ports.js";
import { type OpenVPluginOptions, openv } from "../src/fastify/plugin.js";

/** Enough of a Clerk webhook verifier for the route to exist; these tests never call it. */
const userEvents: UserEventVerifier = {
  name: "test verifier",
  verify: async () => {
    throw new Error("not called");
  },
};

interface Mounted {
  app: FastifyInstance;
  /** Every route the plugin serves, as "METHOD /path/{param}". */
  routes: Set<string>;
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function mount(options: OpenVPluginOptions): Promise<Mounted> {
  const app = Fastify({ logger: false, pluginTimeout: 120_000, forceCloseConnections: true });
  apps.push(app);
  await app.register(openv, { dataDir: null, reconciler: false, generateRateLimit: false, ...options });
  await app.ready();
  // `:id` in OpenAPI's template syntax.
  const served = app.openv.service.routes().map(({ method, path }) => `${method} ${path.replace(/:(\w+)/g, "{$1}")}`);
  // Each one is really routed: a request to it never gets the router's "No route" answer (the event
  // stream is left out: it never ends by itself).
  for (const route of served.filter((route) => !route.endsWith("/events"))) {
    const [method, url] = route.split(" ") as [string, string];
    const response = await app.inject({ method: method as "GET", url: url.replace(/\{\w+\}/g, "x") });
    expect(response.body, route).not.toContain("No route");
  }
  return { app, routes: new Set(served) };
}

/** The operations of a document as "METHOD /prefix/path" (the prefix is its server URL). */
function documented(document: { servers: { url: string }[]; paths: Record<string, Record<string, unknown>> }) {
  const base = (document.servers[0]?.url ?? "").replace(/\/$/, "");
  return new Set(
    Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${base}${path}`),
    ),
  );
}

describe("the OpenAPI document", () => {
  it("describes exactly the routes the plugin registers, and is valid OpenAPI 3.1", async () => {
    const { app, routes } = await mount({ userEvents });
    const response = await app.inject({ method: "GET", url: "/api/openapi.json" });
    expect(response.statusCode).toBe(200);
    const document = response.json();

    // Both directions: no route without its operation, no operation without its route.
    expect([...routes].sort()).toEqual([...documented(document)].sort());
    expect(routes).toContain("POST /api/webhooks/clerk");
    expect(routes).toContain("GET /api/files/{key}");

    // The document is served as the generator writes it.
    expect(document).toEqual(openApiDocument({ prefix: "/api" }));
    // `validate` dereferences in place: give it a copy.
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result).toEqual({ valid: true, warnings: [], specification: "OpenAPI" });
  });

  it("documents the worker upload route when RunPod delivers through upload URLs", async () => {
    const runpod = { apiKey: "k", endpointId: "e", baseUrl: "http://127.0.0.1:9/v2" };
    const { app, routes } = await mount({ runpod });
    const document = (await app.inject({ method: "GET", url: "/api/openapi.json" })).json();
    expect(routes).toContain("PUT /api/worker-uploads/{video}/{attempt}");
    expect([...routes].sort()).toEqual([...documented(document)].sort());
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it("follows the prefix and leaves out the routes a server does not have", async () => {
    const storage = { name: "test storage", putFile: async () => ({ key: "", url: "" }), deleteFiles: async () => {} };
    const { app, routes } = await mount({
      prefix: "/video-api",
      storage: storage as unknown as NonNullable<OpenVPluginOptions["storage"]>,
    });
    const document = (await app.inject({ method: "GET", url: "/video-api/openapi.json" })).json();
    expect(document.servers).toEqual([expect.objectContaining({ url: "/video-api" })]);
    expect([...routes].sort()).toEqual([...documented(document)].sort());
    expect(routes).not.toContain("POST /video-api/webhooks/clerk");
    expect(routes).not.toContain("GET /video-api/files/{key}");
  });

  it("names every route of the contract with its statuses and error codes", () => {
    const document = openApiDocument();
    const generate = document.paths["/videos"]?.post as { responses: Record<string, unknown> };
    expect(Object.keys(generate.responses).sort()).toEqual(
      ["202", "400", "401", "402", "403", "404", "409", "413", "422", "429", "500", "502", "503"].sort(),
    );
    const forbidden = JSON.stringify(generate.responses["403"]);
    expect(forbidden).toContain("terms_required");
    expect(forbidden).toContain("quota_exceeded");
    expect(JSON.stringify(generate.responses["402"])).toContain("insufficient_credits");
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        "/admin/credits",
        "/credits",
        "/files/{key}",
        "/health",
        "/models",
        "/openapi.json",
        "/runpod",
        "/runpod/webhook",
        "/terms/accept",
        "/terms/check",
        "/uploads",
        "/usage",
        "/videos",
        "/videos/events",
        "/videos/{id}",
        "/webhooks/clerk",
      ].sort(),
    );
    // Public routes opt out of the default security; the rest inherit it.
    expect(document.paths["/runpod/webhook"]?.post).toMatchObject({ security: [] });
    expect(document.paths["/usage"]?.get).not.toHaveProperty("security");
  });

  it("is not served with `openapi: false`", async () => {
    const { app, routes } = await mount({ openapi: false });
    expect([...routes]).not.toContain("GET /api/openapi.json");
    const response = await app.inject({ method: "GET", url: "/api/openapi.json" });
    expect(response.statusCode).toBe(404);
  });
});
