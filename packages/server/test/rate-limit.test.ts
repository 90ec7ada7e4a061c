import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindings, generateBody, startTestServer, type TestServer } from "./helpers.js";

describe.each(bindings)("generate rate limits per client IP (%s binding)", (binding) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      binding,
      config: { maxActiveJobs: 50 },
      generateRateLimit: { perUser: false, perIp: { max: 3, timeWindowMs: 60_000 } },
    });
  });
  afterAll(() => server.close());

  it("refuses the 4th generate from one address across users with 429 and Retry-After, and stores nothing for it", async () => {
    const users = ["ip-a", "ip-b", "ip-c", "ip-d"];
    for (const user of users) {
      expect((await server.api("/terms/accept", { method: "POST", user, json: { version: "1.0.0" } })).status).toBe(
        200,
      );
    }
    const answers = [];
    for (const user of users) answers.push(await server.api("/videos", { method: "POST", user, json: generateBody }));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 429]);
    const refused = answers[3] as Response;
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited", details: { limit: 3, scope: "ip" } } });
    expect((await server.tableCounts()).Video).toBe(3);
    // Other routes are not limited.
    expect((await server.api("/usage", { user: "ip-d" })).status).toBe(200);
  });
});
