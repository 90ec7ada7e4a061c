import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createClerkWebhookVerifier } from "../src/adapters/auth/clerk-webhook.js";
import { isOpenVError, type OpenVError } from "../src/core/errors.js";

// A signing secret in Clerk's format: "whsec_" + base64 of random key bytes.
const secretBytes = randomBytes(24);
const signingSecret = `whsec_${secretBytes.toString("base64")}`;
const verifier = createClerkWebhookVerifier({ signingSecret });

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Svix's scheme computed here, independently of the library under test:
 * base64(HMAC-SHA256(secret bytes, `${id}.${timestamp}.${body}`)), sent as "v1,<signature>".
 */
function svixSignature(id: string, timestamp: number, body: string, key: Buffer = secretBytes) {
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

function signedHeaders(body: string, { id = "msg_2abc", timestamp = nowSeconds(), key = secretBytes } = {}) {
  return {
    "svix-id": id,
    "svix-timestamp": String(timestamp),
    "svix-signature": svixSignature(id, timestamp, body, key),
  };
}

const userData = {
  id: "user_2abc",
  object: "user",
  primary_email_address_id: "idn_primary",
  email_addresses: [
    { id: "idn_other", object: "email_address", email_address: "old@example.com" },
    { id: "idn_primary", object: "email_address", email_address: "ada@example.com" },
  ],
  first_name: "Ada",
};

const event = (type: string, data: unknown) =>
  JSON.stringify({ type, object: "event", data, timestamp: Date.now(), instance_id: "ins_1" });

async function rejection(body: string, headers: Record<string, string | string[] | undefined>) {
  const error = await verifier.verify(body, headers).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(isOpenVError(error), `expected an OpenVError, got ${String(error)}`).toBe(true);
  return error as OpenVError;
}

async function unauthorized(body: string, headers: Record<string, string | string[] | undefined>) {
  const error = await rejection(body, headers);
  expect(error.code).toBe("unauthorized");
  expect(error.status).toBe(401);
  return error;
}

describe("Clerk (Svix) webhook verifier", () => {
  it("maps a signed user.created to user.upserted with the primary email", async () => {
    const body = event("user.created", userData);
    expect(await verifier.verify(body, signedHeaders(body, { id: "msg_created" }))).toEqual({
      type: "user.upserted",
      deliveryId: "msg_created",
      userId: "user_2abc",
      email: "ada@example.com",
      created: true,
    });
  });

  it("maps user.updated, with a null email when there is no primary address", async () => {
    const body = event("user.updated", { ...userData, primary_email_address_id: null, email_addresses: [] });
    expect(await verifier.verify(body, signedHeaders(body, { id: "msg_updated" }))).toEqual({
      type: "user.upserted",
      deliveryId: "msg_updated",
      userId: "user_2abc",
      email: null,
    });
  });

  it("maps user.deleted", async () => {
    const body = event("user.deleted", { id: "user_2abc", object: "user", deleted: true });
    expect(await verifier.verify(body, signedHeaders(body, { id: "msg_deleted" }))).toEqual({
      type: "user.deleted",
      deliveryId: "msg_deleted",
      userId: "user_2abc",
    });
  });

  it("reports other event types as ignored", async () => {
    const body = event("session.created", { id: "sess_1", user_id: "user_2abc" });
    expect(await verifier.verify(body, signedHeaders(body, { id: "msg_session" }))).toEqual({
      type: "ignored",
      deliveryId: "msg_session",
      eventType: "session.created",
    });
  });

  it("reads headers whatever their case, as arrays, and with several signatures of which one is valid", async () => {
    const body = event("user.created", userData);
    const { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": good } = signedHeaders(body);
    const wrong = svixSignature(id, Number(timestamp), body, randomBytes(24));
    const headers = {
      "Svix-Id": [id],
      "SVIX-TIMESTAMP": timestamp,
      "svix-signature": `v1,${"A".repeat(44)} ${wrong} ${good}`,
    };
    expect((await verifier.verify(body, headers)).type).toBe("user.upserted");
    // The same, split across repeated header lines.
    expect((await verifier.verify(body, { ...headers, "svix-signature": [wrong, good] })).type).toBe("user.upserted");
    // Only other versions or only wrong v1 signatures: refused.
    await unauthorized(body, { ...headers, "svix-signature": `v2,${good.slice(3)} ${wrong}` });
  });

  it("refuses a tampered body", async () => {
    const body = event("user.created", userData);
    const headers = signedHeaders(body);
    const tampered = body.replace("ada@example.com", "eve@example.com");
    const error = await unauthorized(tampered, headers);
    expect(error.message).toContain("svix-signature does not match");
    // Re-serialized JSON is a different body too: verification is over the exact raw string.
    await unauthorized(JSON.stringify(JSON.parse(body), null, 2), headers);
  });

  it("refuses a signature made with another secret", async () => {
    const body = event("user.created", userData);
    await unauthorized(body, signedHeaders(body, { key: randomBytes(24) }));
    const other = createClerkWebhookVerifier({ signingSecret: `whsec_${randomBytes(24).toString("base64")}` });
    await expect(other.verify(body, signedHeaders(body))).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("refuses missing headers, naming them", async () => {
    const body = event("user.created", userData);
    const headers = signedHeaders(body);
    expect((await unauthorized(body, {})).message).toContain("svix-id, svix-timestamp, svix-signature");
    for (const name of ["svix-id", "svix-timestamp", "svix-signature"] as const) {
      const error = await unauthorized(body, { ...headers, [name]: undefined });
      expect(error.message).toContain(name);
    }
    await unauthorized(body, { ...headers, "svix-signature": "" });
    await unauthorized(body, { ...headers, "svix-timestamp": "yesterday" });
  });

  it("refuses a timestamp 10 minutes old and one 10 minutes in the future, even correctly signed", async () => {
    const body = event("user.created", userData);
    const old = await unauthorized(body, signedHeaders(body, { timestamp: nowSeconds() - 600 }));
    expect(old.message).toMatch(/old/);
    const future = await unauthorized(body, signedHeaders(body, { timestamp: nowSeconds() + 600 }));
    expect(future.message).toMatch(/future/);
    // Within the default 5 minutes: accepted.
    expect((await verifier.verify(body, signedHeaders(body, { timestamp: nowSeconds() - 240 }))).type).toBe(
      "user.upserted",
    );
  });

  it("honours a narrower toleranceSeconds and refuses a wider one", async () => {
    const strict = createClerkWebhookVerifier({ signingSecret, toleranceSeconds: 60 });
    const body = event("user.created", userData);
    await expect(strict.verify(body, signedHeaders(body, { timestamp: nowSeconds() - 120 }))).rejects.toMatchObject({
      code: "unauthorized",
    });
    expect(() => createClerkWebhookVerifier({ signingSecret, toleranceSeconds: 3600 })).toThrow(/5 minutes/);
  });

  it("reports a correctly signed body that is not JSON as validation_failed", async () => {
    const body = "<html>not json</html>";
    const error = await rejection(body, signedHeaders(body));
    expect(error.code).toBe("validation_failed");
    expect(error.status).toBe(400);
    expect(error.details?.issues).toEqual([expect.objectContaining({ path: [], code: "invalid_json" })]);
    // The same body unsigned is only unauthorized: nothing about an unsigned body is reported.
    await unauthorized(body, signedHeaders(body, { key: randomBytes(24) }));
  });

  it("reports a correctly signed user event without data.id as validation_failed, listing the issue", async () => {
    const body = event("user.created", { ...userData, id: undefined });
    const error = await rejection(body, signedHeaders(body));
    expect(error.code).toBe("validation_failed");
    expect(error.details?.issues).toEqual([expect.objectContaining({ path: ["data", "id"] })]);
    for (const signedBody of ["null", "42", JSON.stringify({ type: "user.deleted" })]) {
      expect((await rejection(signedBody, signedHeaders(signedBody))).code).toBe("validation_failed");
    }
  });

  it("refuses to start with a signing secret that is not whsec_ + base64", () => {
    expect(() => createClerkWebhookVerifier({ signingSecret: "" })).toThrow(/CLERK_WEBHOOK_SIGNING_SECRET/);
    expect(() => createClerkWebhookVerifier({ signingSecret: "whsec_not base64!" })).toThrow(
      /CLERK_WEBHOOK_SIGNING_SECRET/,
    );
    // The prefix is optional, as in Svix's own libraries.
    expect(createClerkWebhookVerifier({ signingSecret: secretBytes.toString("base64") }).name).toContain("Svix");
  });
});
