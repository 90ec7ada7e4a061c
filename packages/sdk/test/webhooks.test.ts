import { randomBytes } from "node:crypto";
import type { Video } from "@openv/protocol";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { isOpenVError, OpenVWebhookError, verifyWebhook } from "../src/index.js";

const secret = `whsec_${randomBytes(32).toString("base64")}`;

const video: Video = {
  id: "vid_1",
  jobId: "job-1",
  userId: "alice",
  prompt: "a red fox running through snow",
  negativePrompt: null,
  model: "mochi-1",
  status: "completed",
  progress: 1,
  url: "https://files.example/vid_1.mp4",
  frames: 31,
  fps: 30,
  durationSeconds: 31 / 30,
  width: 848,
  height: 480,
  seed: null,
  steps: 64,
  cfg: 4.5,
  error: null,
  retryCount: 0,
  enhancedPrompt: null,
  imageId: null,
  creditCost: null,
  posterUrl: null, // posters21
  sprite: null, // posters21
  remixOf: null,
  createdAt: "2026-11-22T10:00:00.000Z",
  updatedAt: "2026-11-22T10:01:00.000Z",
};

/** What the server sends: the body and headers signed with the official library. */
function signed(payload: unknown, options: { key?: string; id?: string; at?: Date } = {}) {
  const body = JSON.stringify(payload);
  const id = options.id ?? "msg_abc";
  const at = options.at ?? new Date();
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(options.key ?? secret).sign(id, at, body),
    } as Record<string, string>,
  };
}

const completed = { type: "video.completed", timestamp: video.updatedAt, data: video };

function refusal(run: () => unknown): OpenVWebhookError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OpenVWebhookError);
    expect(isOpenVError(error)).toBe(true);
    return error as OpenVWebhookError;
  }
  throw new Error("verifyWebhook accepted a request it should have refused");
}

describe("verifyWebhook", () => {
  it("returns the typed event of a genuine request: completed, failed and deleted", () => {
    const { body, headers } = signed(completed);
    const event = verifyWebhook(body, headers, secret);
    expect(event).toEqual(completed);
    if (event.type === "video.completed") expect(event.data.url).toBe(video.url);

    const failedVideo = { ...video, status: "failed", url: null, error: { code: "model_error", message: "CUDA" } };
    const failed = signed({ type: "video.failed", timestamp: video.updatedAt, data: failedVideo });
    expect(verifyWebhook(failed.body, failed.headers, secret)).toMatchObject({
      type: "video.failed",
      data: { error: { code: "model_error" } },
    });

    const deletion = { id: "vid_1", userId: "alice", deletedAt: "2026-11-22T11:00:00.000Z" };
    const deleted = signed({ type: "video.deleted", timestamp: deletion.deletedAt, data: deletion });
    expect(verifyWebhook(Buffer.from(deleted.body), deleted.headers, secret)).toEqual({
      type: "video.deleted",
      timestamp: deletion.deletedAt,
      data: deletion,
    });
  });

  it("reads headers from a Headers instance (fetch) and from a Node object with other casing", () => {
    const { body, headers } = signed(completed);
    expect(verifyWebhook(body, new Headers(headers), secret).type).toBe("video.completed");
    const shouted = Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toUpperCase(), value]));
    expect(verifyWebhook(body, shouted, secret).type).toBe("video.completed");
    // Key rotation: the signature header lists the new and the old signature.
    const rotated = { ...headers, "webhook-signature": [`v1,${"A".repeat(44)}`, headers["webhook-signature"] ?? ""] };
    expect(verifyWebhook(body, rotated, secret).type).toBe("video.completed");
  });

  it("refuses a tampered body as bad_signature", () => {
    const { body, headers } = signed(completed);
    const tampered = body.replace("vid_1.mp4", "evil.mp4");
    expect(tampered).not.toBe(body);
    const error = refusal(() => verifyWebhook(tampered, headers, secret));
    expect(error.reason).toBe("bad_signature");
    expect(error.code).toBe("invalid_webhook");
    expect(error.message).toMatch(/raw body/);
    // Re-serialised JSON (spaces) is a different body too.
    expect(refusal(() => verifyWebhook(JSON.stringify(completed, null, 2), headers, secret)).reason).toBe(
      "bad_signature",
    );
  });

  it("refuses a request signed with another secret, and one whose id was swapped", () => {
    const other = signed(completed, { key: `whsec_${randomBytes(32).toString("base64")}` });
    expect(refusal(() => verifyWebhook(other.body, other.headers, secret)).reason).toBe("bad_signature");
    const { body, headers } = signed(completed);
    expect(refusal(() => verifyWebhook(body, { ...headers, "webhook-id": "msg_other" }, secret)).reason).toBe(
      "bad_signature",
    );
  });

  it("refuses a stale timestamp, even correctly signed (a replay), and one from the future", () => {
    const old = signed(completed, { at: new Date(Date.now() - 10 * 60_000) });
    const error = refusal(() => verifyWebhook(old.body, old.headers, secret));
    expect(error.reason).toBe("stale_timestamp");
    expect(error.message).toMatch(/in the past.*clock/);
    const future = signed(completed, { at: new Date(Date.now() + 10 * 60_000) });
    expect(refusal(() => verifyWebhook(future.body, future.headers, secret)).reason).toBe("stale_timestamp");
    // Inside the window it is fine.
    const recent = signed(completed, { at: new Date(Date.now() - 2 * 60_000) });
    expect(verifyWebhook(recent.body, recent.headers, secret).type).toBe("video.completed");
  });

  it("refuses missing headers, and a signed body that is not an OpenV event", () => {
    const { body, headers } = signed(completed);
    const { "webhook-signature": _signature, ...unsigned } = headers;
    const missing = refusal(() => verifyWebhook(body, unsigned, secret));
    expect(missing.reason).toBe("missing_headers");
    expect(missing.message).toMatch(/lacks webhook-signature/);

    const unknown = signed({ type: "video.exploded", timestamp: video.updatedAt, data: video });
    const shape = refusal(() => verifyWebhook(unknown.body, unknown.headers, secret));
    expect(shape.reason).toBe("invalid_payload");
    expect(shape.message).toMatch(/video\.exploded.*Update @openv\/sdk/);
    const broken = signed({ ...completed, data: { ...video, status: "exploded" } });
    expect(refusal(() => verifyWebhook(broken.body, broken.headers, secret)).reason).toBe("invalid_payload");
  });

  it("throws a TypeError for a secret that is not a Standard Webhooks secret", () => {
    const { body, headers } = signed(completed);
    expect(() => verifyWebhook(body, headers, "whsec_not base64!")).toThrow(TypeError);
    expect(() => verifyWebhook(body, headers, "whsec_not base64!")).toThrow(/OPENV_WEBHOOK_SIGNING_SECRET/);
  });
});
