import { afterEach, describe, expect, it, vi } from "vitest";
import { createDevHeaderAuth } from "../src/adapters/auth/dev-header.js";
import { bindings, startTestServer } from "./helpers.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("development header auth never runs in production", () => {
  it.each(bindings)("the %s binding refuses to start under NODE_ENV=production without Clerk", async (binding) => {
    vi.stubEnv("NODE_ENV", "production");
    await expect(startTestServer({ binding })).rejects.toThrow(/refuses to start with development header auth/);
  });

  it("an explicit undefined nodeEnv still reads NODE_ENV", () => {
    vi.stubEnv("NODE_ENV", "production");
    expect(() => createDevHeaderAuth({ nodeEnv: undefined })).toThrow(/NODE_ENV="production"/);
    expect(() => createDevHeaderAuth({ nodeEnv: "development" })).not.toThrow();
  });
});
