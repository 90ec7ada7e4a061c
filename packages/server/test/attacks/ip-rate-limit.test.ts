import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenVHandler } from "../../src/fetch.js";
import { accepted, bindings, generateBody, startTestServer, type TestServer } from "../helpers.js";
import { capturedLogger } from "./support.js";

/**
 * Row 6: the per-IP generate limit was spent before authentication, so six unauthenticated POSTs
 * from one IP locked out a valid user on the same IP (everyone behind one load balancer shares it);
 * the fetch handler's `trustProxy` took the first, client-written X-Forwarded-For entry.
 */
describe.each(bindings)("attack: strangers spend a user's per-IP generate budget (%s binding)", (binding) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      binding,
      generateRateLimit: { perIp: { max: 10, timeWindowMs: 60_000 }, perUser: { max: 5, timeWindowMs: 60_000 } },
      config: { maxActiveJobs: 50 },
    });
    await accepted(server, "alice");
  });
  afterAll(() => server.close());

  it("unauthenticated requests from the user's IP do not lock the user out", async () => {
    for (let index = 0; index < 12; index++) {
      const stranger = await server.api("/videos", { method: "POST", user: "bad user id!", json: generateBody });
      expect([401, 429]).toContain(stranger.status);
    }
    const alice = await server.api("/videos", { method: "POST", user: "alice", json: generateBody });
    expect(alice.status).toBe(202);
  });

  it("the per-user limit is keyed by the authenticated id", async () => {
    await accepted(server, "bob");
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      statuses.push((await server.api("/videos", { method: "POST", user: "bob", json: generateBody })).status);
    }
    expect(statuses.slice(0, 5).every((status) => status === 202)).toBe(true);
    const limited = await server.api("/videos", { method: "POST", user: "bob", json: generateBody });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { details: { scope: string } } }).error.details.scope).toBe("user");
  });
});

describe("attack: rotating the first X-Forwarded-For entry to dodge the per-IP limit (fetch handler)", () => {
  it("behind one trusted proxy hop, the client is the rightmost untrusted entry", async () => {
    const handler = createOpenVHandler({
      dataDir: null,
      publicUrl: "http://127.0.0.1:9",
      logger: capturedLogger("silent").logger,
      reconciler: false,
      trustProxy: 1,
      generateRateLimit: { perIp: { max: 3, timeWindowMs: 60_000 }, perUser: false },
    });
    try {
      const statuses: number[] = [];
      for (let index = 0; index < 6; index++) {
        const answer = await handler(
          new Request("http://127.0.0.1:9/api/videos", {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-openv-user": `user-${index}`,
              // The client writes the first entry; the load balancer appends the address it saw.
              "x-forwarded-for": `203.0.113.${index}, 198.51.100.7`,
            },
            body: JSON.stringify(generateBody),
          }),
          { clientAddress: "10.0.0.2" },
        );
        statuses.push(answer.status);
      }
      expect(statuses.filter((status) => status === 429)).toHaveLength(3);
      // Another client behind the same balancer has a budget of its own.
      const other = await handler(
        new Request("http://127.0.0.1:9/api/videos", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-openv-user": "someone-else",
            "x-forwarded-for": "198.51.100.8",
          },
          body: JSON.stringify(generateBody),
        }),
        { clientAddress: "10.0.0.2" },
      );
      expect(other.status).not.toBe(429);
    } finally {
      await handler.close();
    }
  });
});
