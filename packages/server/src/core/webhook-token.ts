import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The unguessable token in the webhook URL given to the provider for one submission of one video.
 * It binds the video id and the attempt (retry count), so a late update from an earlier attempt
 * cannot be mistaken for the current one.
 */
export function webhookToken(secret: string, videoId: string, attempt: number): string {
  return createHmac("sha256", secret).update(`${videoId}:${attempt}`).digest("base64url");
}

/** Checks a token in constant time. */
export function verifyWebhookToken(secret: string, videoId: string, attempt: number, token: string): boolean {
  const expected = Buffer.from(webhookToken(secret, videoId, attempt));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
