import {
  CreditsQuerySchema,
  DeleteVideosRequestSchema,
  GrantCreditsRequestSchema,
  ListVideosQuerySchema,
  openApiDocument,
  RunPodWebhookQuerySchema,
} from "@openv/protocol";
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
      ["201", "202", "400", "401", "402", "403", "404", "409", "413", "422", "429", "500", "502", "503"].sort(),
    );
    const forbidden = JSON.stringify(generate.responses["403"]);
    expect(forbidden).toContain("terms_required");
    expect(forbidden).toContain("quota_exceeded");
    expect(forbidden).toContain("access_restricted"); // access21
    expect(JSON.stringify(generate.responses["402"])).toContain("insufficient_credits");
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        // Invite-only access (access21):
        "/access",
        "/access/redeem",
        "/admin/vouchers",
        "/admin/vouchers/{code}",
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
        // Remix and share links (issue 21)
        "/videos/{id}/remix",
        "/videos/{id}/shares",
        "/videos/{id}/shares/{shareId}",
        "/share/{token}",
        "/share/{token}/video.mp4",
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

  it("declares every status the server sends, with the headers that come with them", () => {
    const document = openApiDocument();
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        responses: operation.responses as Record<string, { headers?: Record<string, unknown> }>,
      })),
    );
    for (const { name, responses } of operations) {
      // Every route caps its body and can fail unexpectedly; every answer carries its request id.
      expect(Object.keys(responses), name).toEqual(expect.arrayContaining(["413", "500"]));
      for (const [status, response] of Object.entries(responses)) {
        expect(response.headers, `${name} ${status}`).toHaveProperty("X-Request-Id");
        if (status === "429" || status === "503")
          expect(response.headers, `${name} ${status}`).toHaveProperty("Retry-After");
      }
    }
    const statuses = (path: string, method: string) =>
      Object.keys((document.paths[path]?.[method] as { responses?: object } | undefined)?.responses ?? {});
    expect(statuses("/uploads", "post")).toEqual(expect.arrayContaining(["201", "413", "415", "429"]));
    expect(statuses("/files/{key}", "get")).toEqual(expect.arrayContaining(["200", "206", "304", "404", "416"]));
    const file = document.paths["/files/{key}"]?.get as { responses: Record<string, { headers: object }> };
    expect(file.responses["416"]?.headers).toHaveProperty("Content-Range");
    expect(file.responses["304"]?.headers).toHaveProperty("ETag");
    // What other methods and paths get: 405 with Allow, 404.
    expect(document.components.responses.MethodNotAllowed).toMatchObject({
      headers: { Allow: { $ref: "#/components/headers/Allow" } },
    });
    expect(JSON.stringify(document.components.responses.MethodNotAllowed)).toContain("method_not_allowed");
    expect(Object.keys(document.components.headers)).toEqual(
      expect.arrayContaining(["X-Request-Id", "Retry-After", "Allow", "X-RateLimit-Limit", "Content-Range"]),
    );
    const generate = document.paths["/videos"]?.post as { parameters: { name: string; schema: object }[] };
    expect(generate.parameters).toContainEqual(
      expect.objectContaining({ name: "Idempotency-Key", schema: { type: "string", minLength: 1, maxLength: 255 } }),
    );
  });

  it("declares the bounds the server enforces, taken from the same schemas the server parses with", () => {
    const document = openApiDocument();
    const parameter = (path: string, method: string, name: string) =>
      (
        document.paths[path]?.[method] as
          | { parameters?: { name: string; schema: Record<string, unknown> }[] }
          | undefined
      )?.parameters?.find((item) => item.name === name)?.schema;
    // Each declared bound is exactly where the server's parsing starts refusing.
    const bounds = [
      [parameter("/videos", "get", "limit"), ListVideosQuerySchema, "limit", 1, 200],
      [parameter("/credits", "get", "limit"), CreditsQuerySchema, "limit", 0, 200],
      [parameter("/videos", "get", "updatedSince"), ListVideosQuerySchema, "updatedSince", 0, 8_640_000_000_000_000],
    ] as const;
    for (const [schema, zod, name, min, max] of bounds) {
      expect(schema, name).toMatchObject({ type: "integer", minimum: min, maximum: max });
      expect(zod.safeParse({ [name]: String(min) }).success, `${name}=${min}`).toBe(true);
      expect(zod.safeParse({ [name]: String(max) }).success, `${name}=${max}`).toBe(true);
      expect(zod.safeParse({ [name]: String(max + 1) }).success, `${name}=${max + 1}`).toBe(false);
      if (min > 0) expect(zod.safeParse({ [name]: String(min - 1) }).success, `${name}=${min - 1}`).toBe(false);
    }
    expect(parameter("/runpod/webhook", "post", "attempt")).toMatchObject({
      type: "integer",
      minimum: 0,
      maximum: 1000,
    });
    expect(RunPodWebhookQuerySchema.safeParse({ video: "v", attempt: "1001", token: "t" }).success).toBe(false);

    const schemas = document.components.schemas;
    // DELETE /videos: 1–100 ids in all; each list capped at 100, and at least one id somewhere.
    expect(schemas.DeleteVideosRequest).toMatchObject({
      properties: { ids: { maxItems: 100 }, jobIds: { maxItems: 100 } },
      anyOf: [{ required: ["ids"] }, { required: ["jobIds"] }],
    });
    expect(DeleteVideosRequestSchema.safeParse({}).success).toBe(false);
    expect(DeleteVideosRequestSchema.safeParse({ ids: [] }).success).toBe(false);
    expect(DeleteVideosRequestSchema.safeParse({ ids: Array(101).fill("v") }).success).toBe(false);
    // POST /admin/credits: any whole number but 0.
    expect(schemas.GrantCreditsRequest).toMatchObject({ properties: { credits: { not: { const: 0 } } } });
    expect(GrantCreditsRequestSchema.safeParse({ userId: "u", credits: 0 }).success).toBe(false);
    // Frame counts of the seed app's body: the ones Mochi takes, listed.
    const runpod = schemas.RunPodGenerateRequest as { properties: { frames: { enum: number[] } } };
    expect(runpod.properties.frames.enum).toEqual([...Array(27).keys()].map((index) => 7 + 6 * index));
  });
});
