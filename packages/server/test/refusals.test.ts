// A host mounting the plugin or the fetch handler sets options, not the reference server's
// environment variables: a refusal names the option first (and the variable for the reference server).
import { describe, expect, it } from "vitest";
import { createClerkAuth } from "../src/adapters/auth/clerk.js";
import { createRunPodProvider } from "../src/adapters/provider/runpod.js";

describe("configuration refusals name the option the host sets", () => {
  it("Clerk without a key names clerk.jwtKey and clerk.secretKey", () => {
    expect(() => createClerkAuth({})).toThrow(/`clerk\.jwtKey`.*`clerk\.secretKey`/);
  });

  it("a malformed Clerk secret key names clerk.secretKey", () => {
    expect(() => createClerkAuth({ secretKey: "not-a-key" })).toThrow(/`clerk\.secretKey`.*sk_test_/);
  });

  it("a malformed publishable key names clerk.publishableKey", () => {
    expect(() => createClerkAuth({ secretKey: "sk_test_abc", publishableKey: "nope" })).toThrow(
      /`clerk\.publishableKey`/,
    );
  });

  it("RunPod without an API key names runpod.apiKey (and RUNPOD_API_KEY)", () => {
    expect(() => createRunPodProvider({ apiKey: "", endpointId: "ep" })).toThrow(/`runpod\.apiKey`.*RUNPOD_API_KEY/);
  });
});
