import { deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClerkAuth } from "../../src/adapters/auth/clerk.js";
import { accepted, bindings, startTestServer, type TestServer } from "../helpers.js";
import { ClerkTestKit } from "../support/clerk.js";
import { capturedLogger, makePng } from "./support.js";

/**
 * Row 11: image bombs were accepted (a 69-byte PNG declaring 8192×8192; a 65 kB PNG inflating to
 * 64 Mpx); one user opened 2,000 event streams; Clerk accepted any `azp` when
 * CLERK_AUTHORIZED_PARTIES was unset, silently, in production.
 */
describe.each(bindings)("attack: resource exhaustion through uploads and streams (%s binding)", (binding) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ binding });
    await accepted(server);
  });
  afterAll(() => server.close());

  const upload = (bytes: Uint8Array<ArrayBuffer>) =>
    server.api("/uploads", { method: "POST", headers: { "content-type": "image/png" }, body: bytes });

  it("refuses a tiny PNG declaring 8192×8192, and one whose data inflates to 64 Mpx, storing nothing", async () => {
    const before = await server.tableCounts();
    const declared = makePng(8192, 8192, deflateSync(Buffer.alloc(8)));
    expect(declared.byteLength).toBeLessThan(100);
    const inflating = makePng(8000, 8000);
    expect(inflating.byteLength).toBeLessThan(100_000);
    for (const bomb of [declared, inflating]) {
      const answer = await upload(bomb);
      expect([400, 413, 415]).toContain(answer.status);
      const body = (await answer.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/pixels|too large|size/i);
    }
    expect(await server.tableCounts()).toEqual(before);
    // An honest image still goes through.
    expect((await upload(makePng(640, 480))).status).toBe(201);
  });

  it("caps concurrent event streams per user (10) with the contract's 429, and frees a slot on close", async () => {
    const controllers: AbortController[] = [];
    const open = async (user = "alice") => {
      const controller = new AbortController();
      const answer = await server.api("/videos/events?since=0", { user, signal: controller.signal });
      controllers.push(controller);
      return answer;
    };
    try {
      for (let index = 0; index < 10; index++) expect((await open()).status).toBe(200);
      const refused = await open();
      expect(refused.status).toBe(429);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("rate_limited");
      expect(body.error.message).toMatch(/stream/);
      expect((await open("bob")).status, "another user is not affected").toBe(200);
      controllers[0]?.abort();
      let reopened = 0;
      for (let attempt = 0; attempt < 50 && reopened !== 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const answer = await open();
        reopened = answer.status;
        if (reopened !== 200) await answer.body?.cancel();
      }
      expect(reopened).toBe(200);
    } finally {
      for (const controller of controllers) controller.abort();
    }
  });
});

describe("attack: Clerk tokens from any app in production", () => {
  it("warns, naming the option, when authorized parties are unset under production", async () => {
    const clerk = await ClerkTestKit.create();
    const { logger, lines } = capturedLogger("info");
    createClerkAuth({ jwtKey: clerk.jwtKey, nodeEnv: "production", logger });
    const warning = lines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .find((line) => line.level === 40);
    expect(warning?.msg).toMatch(/authorizedParties|CLERK_AUTHORIZED_PARTIES/);
  });
});
