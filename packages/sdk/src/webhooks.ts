import { type OutboundWebhookEvent, OutboundWebhookEventSchema } from "@openv/protocol";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { OpenVWebhookError } from "./errors.js";

/**
 * An event `@openv/server` sent to your webhook endpoint: `video.completed` and `video.failed`
 * carry the `Video` (`data.url` plays a completed one, `data.error` says why one failed),
 * `video.deleted` carries `{id, userId, deletedAt}`. `timestamp` is when the change happened.
 */
export type OpenVWebhookEvent = OutboundWebhookEvent;

/** Request headers as Node (`req.headers`), Express, or the Fetch API (`request.headers`) hands them over. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** Standard Webhooks' freshness window, the `standardwebhooks` library's own: 5 minutes either way. */
const toleranceSeconds = 5 * 60;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() !== name) continue;
    // Several signature headers mean several signatures (key rotation): the spec's space-separated list.
    return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

/**
 * Verifies a webhook request from `@openv/server` (signed per Standard Webhooks) and returns its
 * event. Checks the `webhook-signature` over the exact raw body with your `whsec_…` secret (the
 * server's `OPENV_WEBHOOK_SIGNING_SECRET`), that `webhook-timestamp` is within 5 minutes of now,
 * and that the body is an event of the OpenV contract.
 *
 * Pass the body exactly as received (a string or the raw bytes): parsed and re-serialised JSON no
 * longer matches its signature. Delivery is at least once: a message can arrive more than once,
 * always with the same `webhook-id` header, so skip ids you have already handled. Answer 2xx
 * quickly (the server waits 10 s); anything else is retried with backoff for about a day.
 *
 * @param payload The raw request body.
 * @param headers The request headers: a plain object (Node, Express) or a `Headers` instance (fetch).
 * @param secret The signing secret, `whsec_…`.
 * @returns The verified event, typed by its `type`.
 * @throws `OpenVWebhookError` when the request is not a genuine, fresh OpenV event (`reason`:
 * `missing_headers`, `bad_signature`, `stale_timestamp` or `invalid_payload`); answer it with a 4xx.
 * @throws `TypeError` when `secret` is not a Standard Webhooks secret (a configuration mistake).
 *
 * @example An Express receiver
 * ```ts
 * import express from "express";
 * import { OpenVWebhookError, verifyWebhook } from "@openv/sdk";
 *
 * const app = express();
 * // The raw body: verifyWebhook checks the signature over the exact bytes sent.
 * app.post("/api/openv-webhooks", express.raw({ type: "application/json" }), async (req, res) => {
 *   let event;
 *   try {
 *     event = verifyWebhook(req.body, req.headers, process.env.OPENV_WEBHOOK_SIGNING_SECRET!);
 *   } catch (error) {
 *     if (error instanceof OpenVWebhookError) return res.status(400).send(error.message);
 *     throw error;
 *   }
 *   const messageId = String(req.headers["webhook-id"]);
 *   if (await alreadyHandled(messageId)) return res.sendStatus(204);
 *   switch (event.type) {
 *     case "video.completed":
 *       await notifyUser(event.data.userId, `Your video is ready: ${event.data.url}`);
 *       break;
 *     case "video.failed":
 *       await notifyUser(event.data.userId, `Your video failed: ${event.data.error?.message}`);
 *       break;
 *     case "video.deleted":
 *       await forgetVideo(event.data.id);
 *       break;
 *   }
 *   await markHandled(messageId);
 *   res.sendStatus(204);
 * });
 * ```
 *
 * @example A fetch-style route handler (Next.js, Hono, Workers)
 * ```ts
 * export async function POST(request: Request) {
 *   const event = verifyWebhook(await request.text(), request.headers, process.env.OPENV_WEBHOOK_SIGNING_SECRET!);
 *   // …
 *   return new Response(null, { status: 204 });
 * }
 * ```
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
): OpenVWebhookEvent {
  let verifier: Webhook;
  try {
    verifier = new Webhook(secret);
  } catch (error) {
    throw new TypeError(
      "The webhook signing secret is not a Standard Webhooks secret: use the server's OPENV_WEBHOOK_SIGNING_SECRET exactly, `whsec_` followed by base64.",
      { cause: error },
    );
  }
  const body = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signature = header(headers, "webhook-signature");
  if (!id || !timestamp || !signature) {
    const missing = [!id && "webhook-id", !timestamp && "webhook-timestamp", !signature && "webhook-signature"];
    throw new OpenVWebhookError(
      "missing_headers",
      `This is not a signed OpenV webhook: it lacks ${missing.filter(Boolean).join(", ")}. Pass the request's own headers; a proxy in between must keep them.`,
    );
  }
  const sentAt = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(sentAt)) {
    throw new OpenVWebhookError(
      "missing_headers",
      `webhook-timestamp "${timestamp.slice(0, 40)}" is not a Unix time in seconds; this request was not sent by an OpenV server.`,
    );
  }
  const skewSeconds = Math.floor(Date.now() / 1000) - sentAt;
  if (Math.abs(skewSeconds) > toleranceSeconds) {
    throw new OpenVWebhookError(
      "stale_timestamp",
      `webhook-timestamp is ${Math.abs(skewSeconds)} s in the ${skewSeconds > 0 ? "past" : "future"}, outside the ${toleranceSeconds} s window: a replayed request, or a clock that is off (sync this machine's clock with NTP). A genuine message is sent again with a fresh timestamp.`,
    );
  }
  try {
    verifier.verify(
      body,
      { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature },
      {
        jsonParse: false,
      },
    );
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    throw new OpenVWebhookError(
      "bad_signature",
      "The webhook signature does not match: the body was altered (verify the raw body, before any JSON parsing), or the secret is not the server's OPENV_WEBHOOK_SIGNING_SECRET.",
      error,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new OpenVWebhookError(
      "invalid_payload",
      "The webhook is signed but its body is not JSON. Update @openv/sdk to the server's version.",
      error,
    );
  }
  const parsed = OutboundWebhookEventSchema.safeParse(json);
  if (!parsed.success) {
    const type = typeof (json as { type?: unknown } | null)?.type === "string" ? (json as { type: string }).type : "?";
    throw new OpenVWebhookError(
      "invalid_payload",
      `The webhook is signed but is not an OpenV event this SDK knows (type "${type}": ${parsed.error.issues[0]?.message ?? "bad shape"}). Update @openv/sdk to the server's version.`,
      parsed.error,
    );
  }
  return parsed.data;
}
