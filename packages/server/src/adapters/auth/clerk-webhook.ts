import { verifyWebhook } from "@clerk/backend/webhooks";
import { z } from "zod";
import { OpenVError } from "../../core/errors.js";
import type { UserEvent, UserEventVerifier } from "../../core/ports.js";

/** Settings of `createClerkWebhookVerifier`. */
export interface ClerkWebhookVerifierOptions {
  /** `CLERK_WEBHOOK_SIGNING_SECRET`: the endpoint's signing secret from Clerk Dashboard → Webhooks (`whsec_…`). */
  signingSecret: string;
  /**
   * How old (or how far in the future) `svix-timestamp` may be, in seconds. Default 300, which is
   * also the most: the signature library enforces a fixed 5-minute window, so this can only narrow it.
   */
  toleranceSeconds?: number | undefined;
}

/** The window `standardwebhooks` (inside Clerk's `verifyWebhook`) enforces; it cannot be widened. */
const libraryToleranceSeconds = 5 * 60;

const EmailAddressSchema = z.object({ id: z.string(), email_address: z.string() });
const EventSchema = z.object({ type: z.string().min(1), data: z.record(z.string(), z.unknown()) });
const UserSchema = z.object({
  id: z.string().min(1),
  email_addresses: z.array(EmailAddressSchema).optional(),
  primary_email_address_id: z.string().nullish(),
});
const DeletedUserSchema = z.object({ id: z.string().min(1) });

/**
 * Verifies Clerk's Svix-signed user webhooks (`svix-id`, `svix-timestamp`, `svix-signature`) over the
 * exact raw body, then maps `user.created`/`user.updated`/`user.deleted`; other events are `ignored`.
 * Replays are not handled here: the caller records `deliveryId` (the `svix-id`).
 */
export function createClerkWebhookVerifier(options: ClerkWebhookVerifierOptions): UserEventVerifier {
  const signingSecret = options.signingSecret?.trim() ?? "";
  const encodedKey = signingSecret.startsWith("whsec_") ? signingSecret.slice("whsec_".length) : signingSecret;
  if (!encodedKey || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encodedKey)) {
    throw new Error(
      "CLERK_WEBHOOK_SIGNING_SECRET must be the endpoint's signing secret from Clerk Dashboard → Webhooks (whsec_ followed by base64).",
    );
  }
  const toleranceSeconds = options.toleranceSeconds ?? libraryToleranceSeconds;
  if (!(Number.isFinite(toleranceSeconds) && toleranceSeconds > 0 && toleranceSeconds <= libraryToleranceSeconds)) {
    throw new Error(
      `toleranceSeconds must be between 1 and ${libraryToleranceSeconds} (got ${toleranceSeconds}): Clerk's webhook verification never accepts timestamps more than 5 minutes off.`,
    );
  }

  return {
    name: `Clerk webhooks (Svix signature, ${toleranceSeconds} s tolerance)`,
    async verify(rawBody, headers) {
      const id = header(headers, "svix-id")[0]?.trim();
      const timestamp = header(headers, "svix-timestamp")[0]?.trim();
      const signature = header(headers, "svix-signature").join(" ").trim();
      const missing = [!id && "svix-id", !timestamp && "svix-timestamp", !signature && "svix-signature"].filter(
        Boolean,
      );
      if (!id || !timestamp || !signature) {
        throw unauthorized(
          `Missing ${missing.join(", ")}: Clerk webhooks are Svix-signed; pass the request's headers through unchanged.`,
        );
      }
      if (id.length > 255) throw unauthorized("svix-id is longer than 255 characters; this is not a Svix delivery.");
      checkTimestamp(timestamp, toleranceSeconds);

      let event: unknown;
      try {
        const request = new Request("https://openv.invalid/api/webhooks/clerk", {
          method: "POST",
          headers: { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature },
          body: rawBody,
        });
        event = await verifyWebhook(request, { signingSecret });
      } catch (error) {
        throw classifyFailure(error, rawBody);
      }
      return toUserEvent(event, id);
    },
  };
}

function unauthorized(message: string, cause?: unknown) {
  return new OpenVError({ code: "unauthorized", message, ...(cause === undefined ? {} : { cause }) });
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string[] {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return Array.isArray(value) ? value : [value];
  }
  return [];
}

/** Our own freshness check: the library's window is fixed at 5 minutes and its message is terse. */
function checkTimestamp(timestamp: string, toleranceSeconds: number) {
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw unauthorized("svix-timestamp must be Unix time in seconds; this is not a Svix delivery.");
  }
  const skew = Math.floor(Date.now() / 1000) - Number(timestamp);
  if (skew > toleranceSeconds) {
    throw unauthorized(
      `The webhook timestamp is ${skew} s old (tolerance ${toleranceSeconds} s): a delayed or replayed delivery was refused. If this repeats, check this server's clock.`,
    );
  }
  if (-skew > toleranceSeconds) {
    throw unauthorized(
      `The webhook timestamp is ${-skew} s in the future (tolerance ${toleranceSeconds} s); check this server's clock.`,
    );
  }
}

/**
 * `verifyWebhook` reports every failure as a plain Error whose message ends with the inner error's.
 * Only a body that passed the signature check reaches `JSON.parse` (or, for `null`/empty bodies, the
 * property read after it), so we call it a bad body only when the message is exactly that failure;
 * anything else, including messages this code does not know, stays `unauthorized`.
 */
function classifyFailure(error: unknown, rawBody: string): OpenVError {
  const message = error instanceof Error ? error.message : String(error);
  const jsonProblem = jsonParseError(rawBody);
  const signedButNotJson = jsonProblem !== undefined && message.endsWith(`: ${jsonProblem}`);
  const signedButNull =
    (rawBody === "" || rawBody.trim() === "null") && /: Cannot read properties of (null|undefined)/.test(message);
  if (signedButNotJson || signedButNull) {
    return invalidBody([{ path: [], message: jsonProblem ?? "Expected a JSON object", code: "invalid_json" }], error);
  }
  if (message.includes("No matching signature found")) {
    return unauthorized(
      "The svix-signature does not match this body: check that CLERK_WEBHOOK_SIGNING_SECRET is this endpoint's signing secret and that the raw body reaches the verifier unmodified (not re-serialized JSON).",
      error,
    );
  }
  if (message.includes("timestamp too")) {
    return unauthorized("The webhook timestamp is more than 5 minutes off; check this server's clock.", error);
  }
  return unauthorized("The Clerk webhook could not be verified (Svix headers or signature invalid).", error);
}

function jsonParseError(rawBody: string): string | undefined {
  try {
    JSON.parse(rawBody);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

interface Issue {
  path: (string | number)[];
  message: string;
  code: string;
}

function invalidBody(issues: Issue[], cause?: unknown): OpenVError {
  const first = issues[0];
  const summary = first ? `${first.path.join(".") || "body"}: ${first.message}` : "invalid";
  return new OpenVError({
    code: "validation_failed",
    message: `The Clerk webhook is correctly signed but its body is not a Clerk event (${summary}${issues.length > 1 ? `, and ${issues.length - 1} more` : ""}). See details.issues.`,
    details: { issues },
    ...(cause === undefined ? {} : { cause }),
  });
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix: (string | number)[]): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidBody(
    result.error.issues.map((issue) => ({
      path: [...prefix, ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))],
      message: issue.message,
      code: issue.code,
    })),
  );
}

function toUserEvent(value: unknown, deliveryId: string): UserEvent {
  const event = parseWith(EventSchema, value, []);
  switch (event.type) {
    case "user.created":
    case "user.updated": {
      const user = parseWith(UserSchema, event.data, ["data"]);
      const primary = user.email_addresses?.find((address) => address.id === user.primary_email_address_id);
      return {
        type: "user.upserted",
        deliveryId,
        userId: user.id,
        email: primary?.email_address ?? null,
        ...(event.type === "user.created" && { created: true }),
      };
    }
    case "user.deleted":
      return { type: "user.deleted", deliveryId, userId: parseWith(DeletedUserSchema, event.data, ["data"]).id };
    default:
      return { type: "ignored", deliveryId, eventType: event.type };
  }
}
