import { describe, expect, it } from "vitest";
import { openvOptionsFromSettings, settingsFromEnv } from "../src/config-env.js";

describe("reference server settings from the environment", () => {
  it("no variables: every service on its embedded default", () => {
    const settings = settingsFromEnv({});
    expect(settings.services).toEqual({});
    expect(settings).toMatchObject({ port: 3000, host: "127.0.0.1", dataDir: "./.openv" });
  });

  it("OPENV_MAX_EVENT_STREAMS_PER_USER raises the per-user stream cap (default 10) and refuses 0", () => {
    expect(openvOptionsFromSettings(settingsFromEnv({})).maxEventStreamsPerUser).toBe(10);
    const raised = settingsFromEnv({ OPENV_MAX_EVENT_STREAMS_PER_USER: "10000" });
    expect(openvOptionsFromSettings(raised).maxEventStreamsPerUser).toBe(10_000);
    expect(() => settingsFromEnv({ OPENV_MAX_EVENT_STREAMS_PER_USER: "0" })).toThrow(/at least 1/);
  });

  // Invite-only access (access21)
  it("OPENV_ACCESS: open by default, invite on request, anything else refused; admins from OPENV_ADMIN_USER_IDS", () => {
    expect(openvOptionsFromSettings(settingsFromEnv({})).config?.access).toBe("open");
    const invite = settingsFromEnv({ OPENV_ACCESS: "invite", OPENV_ADMIN_USER_IDS: "user_a, user_b" });
    expect(openvOptionsFromSettings(invite).config).toMatchObject({
      access: "invite",
      adminUserIds: ["user_a", "user_b"],
    });
    expect(() => settingsFromEnv({ OPENV_ACCESS: "closed" })).toThrow(/OPENV_ACCESS must be "open" or "invite"/);
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

  it("reads S3: bucket, region, endpoint, path style, prefix, signed URL lifetime and the access key", () => {
    const { services } = settingsFromEnv({
      S3_BUCKET: "videos",
      S3_REGION: "auto",
      S3_ENDPOINT: "https://account.r2.cloudflarestorage.com",
      S3_FORCE_PATH_STYLE: "true",
      S3_PREFIX: "openv/",
      S3_SIGNED_URL_TTL_SECONDS: "600",
      AWS_ACCESS_KEY_ID: "AKIA",
      AWS_SECRET_ACCESS_KEY: "secret",
    });
    expect(services.s3).toEqual({
      bucket: "videos",
      region: "auto",
      endpoint: "https://account.r2.cloudflarestorage.com",
      forcePathStyle: true,
      prefix: "openv/",
      signedUrlTtlSeconds: 600,
      credentials: { accessKeyId: "AKIA", secretAccessKey: "secret", sessionToken: undefined },
    });
    // Only the bucket: region, credentials and the rest come from the AWS SDK's own chain.
    const minimal = settingsFromEnv({ S3_BUCKET: "videos", S3_FORCE_PATH_STYLE: "0" }).services.s3;
    expect(minimal).toMatchObject({ bucket: "videos", forcePathStyle: false });
    expect(minimal?.credentials).toBeUndefined();
    // AWS keys alone (used by other tools too) do not turn S3 on.
    expect(settingsFromEnv({ AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "secret" }).services).toEqual({});
  });

  it("half-configured or invalid S3 settings are refused with what to set", () => {
    expect(() => settingsFromEnv({ S3_REGION: "eu-west-1", S3_ENDPOINT: "https://s3.example" })).toThrow(
      /S3 is partly configured \(S3_REGION, S3_ENDPOINT\): set S3_BUCKET too/,
    );
    expect(() => settingsFromEnv({ S3_BUCKET: "videos", AWS_ACCESS_KEY_ID: "AKIA" })).toThrow(
      /set AWS_SECRET_ACCESS_KEY too, or unset both/,
    );
    expect(() => settingsFromEnv({ S3_BUCKET: "videos", S3_ENDPOINT: "minio:9000" })).toThrow(
      /S3_ENDPOINT must be an http\(s\) URL/,
    );
    expect(() => settingsFromEnv({ S3_BUCKET: "videos", S3_FORCE_PATH_STYLE: "yes" })).toThrow(
      /S3_FORCE_PATH_STYLE must be true or false/,
    );
    expect(() => settingsFromEnv({ S3_BUCKET: "videos", S3_SIGNED_URL_TTL_SECONDS: "0" })).toThrow(
      /S3_SIGNED_URL_TTL_SECONDS must be at least 1/,
    );
    expect(() => settingsFromEnv({ S3_BUCKET: "videos", S3_SIGNED_URL_TTL_SECONDS: "604801" })).toThrow(
      /at most 604800 \(7 days/,
    );
  });

  it("a half-configured service is refused with what to set", () => {
    expect(() => settingsFromEnv({ RUNPOD_API_KEY: "rp" })).toThrow(/set RUNPOD_ENDPOINT_ID too/);
    expect(() => settingsFromEnv({ RUNPOD_BASE_URL: "http://127.0.0.1:9/v2" })).toThrow(/RUNPOD_API_KEY/);
    expect(() => settingsFromEnv({ CLERK_PUBLISHABLE_KEY: "pk_test_x" })).toThrow(/CLERK_SECRET_KEY/);
    expect(() => settingsFromEnv({ RUNPOD_API_KEY: "rp", RUNPOD_ENDPOINT_ID: "ep", RUNPOD_TTL_MS: "5" })).toThrow(
      /RUNPOD_TTL_MS/,
    );
  });

  it("reads outbound webhooks from OPENV_WEBHOOK_URL and OPENV_WEBHOOK_SIGNING_SECRET, refusing half or a bad secret", () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    const { services } = settingsFromEnv({
      OPENV_WEBHOOK_URL: "https://app.example/hooks",
      OPENV_WEBHOOK_SIGNING_SECRET: secret,
      // The provider-URL token secret is a different setting and turns nothing on here.
      OPENV_WEBHOOK_SECRET: "0123456789abcdef-token",
    });
    expect(services.outboundWebhooks).toEqual({ url: "https://app.example/hooks", secret });
    expect(settingsFromEnv({ OPENV_WEBHOOK_SECRET: "0123456789abcdef-token" }).services).toEqual({});
    expect(() => settingsFromEnv({ OPENV_WEBHOOK_URL: "https://app.example/hooks" })).toThrow(
      /set OPENV_WEBHOOK_SIGNING_SECRET too/,
    );
    expect(() => settingsFromEnv({ OPENV_WEBHOOK_SIGNING_SECRET: secret })).toThrow(/set OPENV_WEBHOOK_URL too/);
    expect(() =>
      settingsFromEnv({ OPENV_WEBHOOK_URL: "https://app.example/hooks", OPENV_WEBHOOK_SIGNING_SECRET: "hunter2" }),
    ).toThrow(/OPENV_WEBHOOK_SIGNING_SECRET is not a Standard Webhooks secret.*whsec_/);
    expect(() => settingsFromEnv({ OPENV_WEBHOOK_URL: "not a url", OPENV_WEBHOOK_SIGNING_SECRET: secret })).toThrow(
      /OPENV_WEBHOOK_URL must be a URL/,
    );
  });

  it("OPENV_OUTPUT_ALLOWED_HOSTS: host[:port] entries reach outputAllowedHosts; a bad entry stops the start", () => {
    expect(settingsFromEnv({}).outputAllowedHosts).toEqual([]);
    expect(openvOptionsFromSettings(settingsFromEnv({})).outputAllowedHosts).toBeUndefined();
    const settings = settingsFromEnv({ OPENV_OUTPUT_ALLOWED_HOSTS: " gpu-box.lan:8000, 10.0.0.5 ,[fd00::5]:9000" });
    expect(settings.outputAllowedHosts).toEqual(["gpu-box.lan:8000", "10.0.0.5", "[fd00::5]:9000"]);
    expect(openvOptionsFromSettings(settings).outputAllowedHosts).toEqual(settings.outputAllowedHosts);
    expect(() => settingsFromEnv({ OPENV_OUTPUT_ALLOWED_HOSTS: "http://gpu-box.lan:8000/" })).toThrow(
      /"http:\/\/gpu-box\.lan:8000\/" in outputAllowedHosts \(OPENV_OUTPUT_ALLOWED_HOSTS\) is not host\[:port\]/,
    );
  });

  it("an empty variable counts as unset", () => {
    expect(
      settingsFromEnv({ RUNPOD_API_KEY: "", UPLOADTHING_TOKEN: " ", S3_BUCKET: "", S3_ENDPOINT: "" }).services,
    ).toEqual({});
  });

  it("TRUST_PROXY: a hop count or a list of proxies; unset trusts none", () => {
    expect(settingsFromEnv({}).trustProxy).toBeUndefined();
    expect(settingsFromEnv({ TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(settingsFromEnv({ TRUST_PROXY: "10.0.0.0/8, loopback" }).trustProxy).toEqual(["10.0.0.0/8", "loopback"]);
  });

  it("request timeout and generate rate limits: defaults, overrides, 0 turns a limit off", () => {
    expect(settingsFromEnv({})).toMatchObject({
      requestTimeoutMs: 30_000,
      generateRateLimit: {
        perUser: { max: 60, timeWindowMs: 60_000 },
        perIp: { max: 300, timeWindowMs: 60_000 },
      },
    });
    const tuned = settingsFromEnv({
      OPENV_REQUEST_TIMEOUT_MS: "5000",
      OPENV_RATE_LIMIT_USER_PER_MINUTE: "10",
      OPENV_RATE_LIMIT_IP_PER_MINUTE: "0",
    });
    expect(tuned.requestTimeoutMs).toBe(5000);
    expect(tuned.generateRateLimit).toEqual({ perUser: { max: 10, timeWindowMs: 60_000 }, perIp: false });
    expect(settingsFromEnv({ OPENV_RATE_LIMIT_USER_PER_MINUTE: "0" }).generateRateLimit).toEqual({
      perUser: false,
      perIp: { max: 300, timeWindowMs: 60_000 },
    });
    // An empty variable is unset, not 0: it must not turn a limit off.
    const empty = settingsFromEnv({
      OPENV_REQUEST_TIMEOUT_MS: "",
      OPENV_RATE_LIMIT_USER_PER_MINUTE: "",
      OPENV_RATE_LIMIT_IP_PER_MINUTE: " ",
    });
    expect(empty.requestTimeoutMs).toBe(30_000);
    expect(empty.generateRateLimit).toEqual({
      perUser: { max: 60, timeWindowMs: 60_000 },
      perIp: { max: 300, timeWindowMs: 60_000 },
    });
  });

  it.each([
    ["OPENV_REQUEST_TIMEOUT_MS", "999", /OPENV_REQUEST_TIMEOUT_MS must be at least 1000/],
    ["OPENV_REQUEST_TIMEOUT_MS", "0", /OPENV_REQUEST_TIMEOUT_MS must be at least 1000/],
    ["OPENV_REQUEST_TIMEOUT_MS", "30s", /OPENV_REQUEST_TIMEOUT_MS must be a number/],
    ["OPENV_REQUEST_TIMEOUT_MS", "1500.5", /OPENV_REQUEST_TIMEOUT_MS must be a whole number/],
    ["OPENV_RATE_LIMIT_USER_PER_MINUTE", "-1", /OPENV_RATE_LIMIT_USER_PER_MINUTE must be ≥ 0/],
    ["OPENV_RATE_LIMIT_USER_PER_MINUTE", "lots", /OPENV_RATE_LIMIT_USER_PER_MINUTE must be a number/],
    ["OPENV_RATE_LIMIT_IP_PER_MINUTE", "2.5", /OPENV_RATE_LIMIT_IP_PER_MINUTE must be a whole number/],
  ])("%s=%s is refused, naming the variable", (name, value, message) => {
    expect(() => settingsFromEnv({ [name]: value })).toThrow(message);
  });
});
