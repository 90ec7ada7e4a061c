import { describe, expect, it } from "vitest";
import { settingsFromEnv } from "../src/config-env.js";

describe("reference server settings from the environment", () => {
  it("no variables: every service on its embedded default", () => {
    const settings = settingsFromEnv({});
    expect(settings.services).toEqual({});
    expect(settings).toMatchObject({ port: 3000, host: "127.0.0.1", dataDir: "./.openv" });
  });

  it("reads Clerk, RunPod and UploadThing", () => {
    const { services } = settingsFromEnv({
      CLERK_JWT_KEY: "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----",
      CLERK_AUTHORIZED_PARTIES: "https://a.example, https://b.example",
      CLERK_WEBHOOK_SIGNING_SECRET: "whsec_abc",
      RUNPOD_API_KEY: "rp",
      RUNPOD_ENDPOINT_ID: "ep",
      RUNPOD_TTL_MS: "60000",
      UPLOADTHING_TOKEN: "token",
    });
    expect(services.clerk).toMatchObject({
      jwtKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
      authorizedParties: ["https://a.example", "https://b.example"],
      webhookSigningSecret: "whsec_abc",
    });
    expect(services.runpod).toMatchObject({ apiKey: "rp", endpointId: "ep", ttlMs: 60_000 });
    expect(services.uploadthing).toEqual({ token: "token" });
  });

  it("a half-configured service is refused with what to set", () => {
    expect(() => settingsFromEnv({ RUNPOD_API_KEY: "rp" })).toThrow(/set RUNPOD_ENDPOINT_ID too/);
    expect(() => settingsFromEnv({ RUNPOD_BASE_URL: "http://127.0.0.1:9/v2" })).toThrow(/RUNPOD_API_KEY/);
    expect(() => settingsFromEnv({ CLERK_PUBLISHABLE_KEY: "pk_test_x" })).toThrow(/CLERK_SECRET_KEY/);
    expect(() => settingsFromEnv({ RUNPOD_API_KEY: "rp", RUNPOD_ENDPOINT_ID: "ep", RUNPOD_TTL_MS: "5" })).toThrow(
      /RUNPOD_TTL_MS/,
    );
  });

  it("an empty variable counts as unset", () => {
    expect(settingsFromEnv({ RUNPOD_API_KEY: "", UPLOADTHING_TOKEN: " " }).services).toEqual({});
  });
});
