import { describe, expect, it } from "vitest";
import { createDevHeaderAuth } from "../../src/adapters/auth/dev-header.js";
import { bindings, startTestServer } from "../helpers.js";

/**
 * Row 8: header auth ran under `NODE_ENV=Production`, `prod`, ` production` (only the exact string
 * was refused), and the embedded plugin and the fetch handler printed no warning at all.
 */
describe("attack: anyone acts as anyone under a production NODE_ENV spelled differently", () => {
  it.each(["production", "Production", " production", "PRODUCTION\n", "prod", "staging"])(
    "refuses dev-header auth under NODE_ENV=%j",
    (nodeEnv) => {
      expect(() => createDevHeaderAuth({ nodeEnv })).toThrow(/devAuth|development/);
    },
  );

  it.each([undefined, "", "development", "Development ", "test", "TEST"])("allows it under NODE_ENV=%j", (nodeEnv) => {
    expect(() => createDevHeaderAuth({ nodeEnv })).not.toThrow();
  });

  it("allows it anywhere when the host says devAuth: true", () => {
    expect(() => createDevHeaderAuth({ nodeEnv: "production", devAuth: true })).not.toThrow();
  });

  it.each(bindings)("the %s binding logs one loud warning line while dev auth runs", async (binding) => {
    const lines: { level: number; msg: string }[] = [];
    const server = await startTestServer({ binding, onLog: (line) => lines.push(line) });
    await server.close();
    const warnings = lines.filter((line) => line.level === 40 && /development auth|X-OpenV-User/i.test(line.msg));
    expect(warnings).toHaveLength(1);
  });
});
