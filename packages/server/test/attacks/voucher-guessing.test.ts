import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";

/**
 * Invite-only access (access21), the voucher-code row of docs/security.md: a restricted user
 * guessing codes spends their generate budget (429 after it), and no code reaches the log.
 */
describe("attack: guessing voucher codes", () => {
  let server: TestServer;
  const logLines: string[] = [];
  beforeAll(async () => {
    server = await startTestServer({
      access: "invite",
      config: { adminUserIds: ["root"] },
      generateRateLimit: { perUser: { max: 5, timeWindowMs: 60_000 }, perIp: false },
      onLog: (line) => logLines.push(JSON.stringify(line)),
    });
  });
  afterAll(() => server.close());

  it("guesses count against the per-user limit; the real code, once issued, is never logged", async () => {
    const issued = await server.api("/admin/vouchers", { method: "POST", user: "root", json: {} });
    const { code } = (await issued.json()) as { code: string };
    const statuses: number[] = [];
    for (let guess = 0; guess < 6; guess++) {
      const answer = await server.api("/access/redeem", {
        method: "POST",
        user: "guesser",
        json: { code: `GUESS-${String(guess).padStart(4, "0")}` },
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
    // Even the right code waits out the window now.
    const late = await server.api("/access/redeem", { method: "POST", user: "guesser", json: { code } });
    expect(late.status).toBe(429);
    expect(late.headers.get("retry-after")).toMatch(/^\d+$/);

    expect((await server.api("/access/redeem", { method: "POST", user: "friend", json: { code } })).status).toBe(200);
    // A non-admin trying to deactivate a live code puts it in the request line: the log redacts it.
    expect((await server.api(`/admin/vouchers/${code}`, { method: "DELETE", user: "guesser" })).status).toBe(403);
    const log = logLines.join("\n");
    expect(log).toContain("voucher redeemed");
    expect(log).not.toContain(code);
    expect(log).not.toContain(code.replaceAll("-", ""));
  });
});
