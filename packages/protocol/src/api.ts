import { z } from "zod";

/**
 * A whole number as a query string carries it: decimal digits only (not "", "0x10" or "1e1"),
 * between `min` and `max`. Numbers pass too, for clients that build queries from objects.
 */
const queryInteger = (min: number, max: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .regex(/^\d{1,16}$/, "Expected a whole number in decimal digits")
        .transform(Number),
    ])
    .pipe(z.number().int().min(min).max(max));

/** The latest time a JavaScript Date can hold, in Unix ms. */
const lastDateMs = 8_640_000_000_000_000;

/** Unix milliseconds, as query strings carry them. */
const MillisQuerySchema = queryInteger(0, lastDateMs);

/** Query of `GET /api/videos`. */
export const ListVideosQuerySchema = z.strictObject({
  /** Unix ms: list every change after it, oldest first, tombstones included. */
  updatedSince: MillisQuerySchema.optional(),
  /** Page size, 1–200. Default 50. */
  limit: queryInteger(1, 200).default(50),
  /** Where to continue: the previous page's `nextCursor`. */
  cursor: z.string().min(1).max(500).optional(),
});
/** Query of `GET /api/videos` (see {@link ListVideosQuerySchema}). */
export type ListVideosQuery = z.input<typeof ListVideosQuerySchema>;

/** Body of `DELETE /api/videos`: 1–100 ids and job ids in all. */
export const DeleteVideosRequestSchema = z
  .strictObject({
    /** Video ids. */
    ids: z.array(z.string().min(1).max(200)).max(100).optional(),
    /** Provider job ids. */
    jobIds: z.array(z.string().min(1).max(200)).max(100).optional(),
  })
  .refine((body) => {
    const count = (body.ids?.length ?? 0) + (body.jobIds?.length ?? 0);
    return count >= 1 && count <= 100;
  }, "give 1 to 100 ids and jobIds in all")
  // What JSON Schema can say of the rule above: at least one id in either list (the sum's upper
  // bound has no JSON Schema keyword; each list alone is capped at 100).
  .meta({
    anyOf: [
      { required: ["ids"], properties: { ids: { minItems: 1 } } },
      { required: ["jobIds"], properties: { jobIds: { minItems: 1 } } },
    ],
  });
/** Body of `DELETE /api/videos` (see {@link DeleteVideosRequestSchema}). */
export type DeleteVideosRequest = z.infer<typeof DeleteVideosRequestSchema>;

/** Body of `POST /api/terms/accept`. */
export const AcceptTermsRequestSchema = z.strictObject({
  /** The version accepted; it must be the current one. */
  version: z.string().min(1).max(100),
});
/** Body of `POST /api/terms/accept`. */
export type AcceptTermsRequest = z.infer<typeof AcceptTermsRequestSchema>;

/** Query of `GET /api/videos/events`: `since` replays changes after it, like `Last-Event-ID`. */
export const EventsQuerySchema = z.strictObject({
  /** An event id: send every change after it first (a value above the user's latest id is read as Unix ms). */
  since: MillisQuerySchema.optional(),
});

/** The `Idempotency-Key` header: 1–255 characters. */
export const IdempotencyKeySchema = z.string().min(1).max(255);

/** The query string of the webhook URL the server gives the provider: which video and attempt, and its token. */
export const RunPodWebhookQuerySchema = z.object({
  /** The video the job renders. */
  video: z.string().min(1).max(200),
  /** The submission attempt: the video's retry count when it was submitted. */
  attempt: queryInteger(0, 1000),
  /** HMAC-SHA256 of `<video>:<attempt>` with the server's webhook secret, base64url. */
  token: z.string().min(1).max(200),
});
/** The query string of a webhook URL (see {@link RunPodWebhookQuerySchema}). */
export type RunPodWebhookQuery = z.infer<typeof RunPodWebhookQuerySchema>;

/** Query of `GET /api/credits`. */
export const CreditsQuerySchema = z.strictObject({
  /** Ledger entries to return, 0–200. Default 50. */
  limit: queryInteger(0, 200).default(50),
});

/** Body of `POST /api/admin/credits` (admins only): add (or, negative, remove) credits. */
export const GrantCreditsRequestSchema = z.strictObject({
  /** The user whose balance changes. */
  userId: z.string().min(1).max(200),
  /** Credits to add; negative to remove (the balance never goes below zero). Not zero. */
  credits: z
    .number()
    .int()
    .min(-1_000_000_000)
    .max(1_000_000_000)
    .refine((credits) => credits !== 0, "credits must not be 0")
    .meta({ not: { const: 0 } }),
  /** Why, kept in the ledger (e.g. "purchase #1234"). Default "grant". */
  reason: z.string().trim().min(1).max(200).optional(),
});
/** Body of `POST /api/admin/credits` (see {@link GrantCreditsRequestSchema}). */
export type GrantCreditsRequest = z.infer<typeof GrantCreditsRequestSchema>;

/** Answer of `GET /api/health`. */
export const HealthResponseSchema = z.object({
  /** Always `"ok"`. */
  status: z.literal("ok"),
});

/** Answer of the webhook routes: `applied` is false for a duplicate or stale delivery. */
export const WebhookReceivedSchema = z.object({
  /** Always true. */
  received: z.literal(true),
  /** Whether the delivery changed anything (false for a duplicate or a stale update). */
  applied: z.boolean(),
});
/** Answer of the webhook routes. */
export type WebhookReceived = z.infer<typeof WebhookReceivedSchema>;
