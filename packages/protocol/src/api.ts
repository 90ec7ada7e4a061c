import { z } from "zod";
import { type VideoOrTombstone, VideoOrTombstoneSchema, VideoSchema } from "./video.js";

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

/** Answer of `GET /api/videos`. Tombstones appear only with `updatedSince`. */
export const ListVideosResponseSchema = z.object({
  /** The page: videos, and with `updatedSince` also tombstones. */
  videos: z.array(VideoOrTombstoneSchema),
  /** The server's clock (Unix ms): pass it back as `updatedSince` to miss no change. */
  serverTime: z.number().int(),
  /** The cursor of the next page, or null on the last one. */
  nextCursor: z.string().nullable(),
});
/** Answer of `GET /api/videos` (see {@link ListVideosResponseSchema}). */
export type ListVideosResponse = z.infer<typeof ListVideosResponseSchema>;

/** Answer of `GET /api/videos/:id`. */
export const VideoResponseSchema = z.object({
  /** The video. */
  video: VideoSchema,
});
/** Answer of `GET /api/videos/:id`. */
export type VideoResponse = z.infer<typeof VideoResponseSchema>;

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

/** Answer of `DELETE /api/videos`. */
export const DeleteVideosResponseSchema = z.object({
  /** The ids of the videos deleted; ids the user does not own are left out. */
  deleted: z.array(z.string()),
});
/** Answer of `DELETE /api/videos`. */
export type DeleteVideosResponse = z.infer<typeof DeleteVideosResponseSchema>;

/**
 * Answer of `GET /api/usage`: the current period's seconds and, under the credits policy, the
 * credit balance.
 */
export const UsageSchema = z.object({
  /** Seconds charged in the period (refunds deducted). */
  usedSeconds: z.number(),
  /** Seconds allowed in the period; null under the credits policy (credits limit instead). */
  limitSeconds: z.number().nullable(),
  /** Seconds left in the period; null under the credits policy. */
  remainingSeconds: z.number().nullable(),
  /** The credit balance under the credits policy; null under the monthly-seconds policy. */
  credits: z
    .object({
      /** Credits left. */
      balance: z.number().int(),
    })
    .nullable(),
  /** Start of the period (ISO-8601). */
  periodStart: z.iso.datetime(),
  /** End of the period, exclusive (ISO-8601). */
  periodEnd: z.iso.datetime(),
});
/** Answer of `GET /api/usage` (see {@link UsageSchema}). */
export type Usage = z.infer<typeof UsageSchema>;

/** Answer of `POST /api/videos` (202). */
export const GenerateResponseSchema = z.object({
  /** The new video, `queued` (or the first request's video, on a replay). */
  video: VideoSchema,
  /** The user's usage after the charge. */
  usage: UsageSchema,
});
/** Answer of `POST /api/videos` (see {@link GenerateResponseSchema}). */
export type GenerateResponse = z.infer<typeof GenerateResponseSchema>;

/** Answer of `GET /api/terms/check`. */
export const TermsStatusSchema = z.object({
  /** Whether the user accepted the current version. */
  accepted: z.boolean(),
  /** The current terms version. */
  version: z.string(),
  /** When the user accepted it (ISO-8601), or null. */
  acceptedAt: z.iso.datetime().nullable(),
});
/** Answer of `GET /api/terms/check`. */
export type TermsStatus = z.infer<typeof TermsStatusSchema>;

/** Body of `POST /api/terms/accept`. */
export const AcceptTermsRequestSchema = z.strictObject({
  /** The version accepted; it must be the current one. */
  version: z.string().min(1).max(100),
});
/** Body of `POST /api/terms/accept`. */
export type AcceptTermsRequest = z.infer<typeof AcceptTermsRequestSchema>;

/** Answer of `POST /api/terms/accept`. */
export const AcceptTermsResponseSchema = z.object({
  /** Always true. */
  accepted: z.literal(true),
  /** The version accepted. */
  version: z.string(),
  /** When it was first accepted (ISO-8601). */
  acceptedAt: z.iso.datetime(),
});
/** Answer of `POST /api/terms/accept`. */
export type AcceptTermsResponse = z.infer<typeof AcceptTermsResponseSchema>;

/** Answer of `GET /api/health`. */
export const HealthResponseSchema = z.object({
  /** Always `"ok"`. */
  status: z.literal("ok"),
});

/** Query of `GET /api/videos/events`: `since` replays changes after it, like `Last-Event-ID`. */
export const EventsQuerySchema = z.strictObject({
  /** Unix ms: send every change after it first. */
  since: MillisQuerySchema.optional(),
});

/** Server-Sent Event names on `GET /api/videos/events`. */
export const sseEvents = {
  /** A video changed or was deleted; `data` is a {@link VideoOrTombstone}, `id` its `updatedAt` in ms. */
  video: "video",
  /** Keeps the connection open; sent at least every 20 s. */
  ping: "ping",
} as const;

/** The `data` of an `event: video` message: the changed video or its tombstone. */
export const VideoEventDataSchema = VideoOrTombstoneSchema;

/** Header names of the contract. */
export const headers = {
  /** Request: makes a generate request safe to retry. */
  idempotencyKey: "idempotency-key",
  /** Answer: `true` when a generate answer replays an earlier request with the same key. */
  idempotentReplayed: "idempotent-replayed",
  /** Request, development servers only: the user id. */
  devUser: "x-openv-user",
  /** Request: the last SSE event id received, to resume the stream. */
  lastEventId: "last-event-id",
  /** Answer: seconds to wait before trying again (429, 503). */
  retryAfter: "retry-after",
  /** Answer: the request's id in the server's logs. */
  requestId: "x-request-id",
} as const;

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

/** Answer of the webhook routes: `applied` is false for a duplicate or stale delivery. */
export const WebhookReceivedSchema = z.object({
  /** Always true. */
  received: z.literal(true),
  /** Whether the delivery changed anything (false for a duplicate or a stale update). */
  applied: z.boolean(),
});
/** Answer of the webhook routes. */
export type WebhookReceived = z.infer<typeof WebhookReceivedSchema>;

/** One line of a user's credits ledger. */
export const CreditEntrySchema = z.object({
  /** Opaque id. */
  id: z.string(),
  /** The change: negative for a charge, positive for a refund or a grant. */
  delta: z.number().int(),
  /** The balance right after it. */
  balanceAfter: z.number().int(),
  /** Why: `generation`, `refund`, `grant`, or the reason an admin gave. */
  reason: z.string(),
  /** The video that caused it, if any. */
  videoId: z.string().nullable(),
  /** When (ISO-8601). */
  createdAt: z.iso.datetime(),
});
/** One line of a user's credits ledger (see {@link CreditEntrySchema}). */
export type CreditEntry = z.infer<typeof CreditEntrySchema>;

/** Answer of `GET /api/credits`: the balance and the newest ledger entries. */
export const CreditsResponseSchema = z.object({
  /** Credits left. */
  balance: z.number().int(),
  /** The newest entries first (up to `limit`, default 50). */
  entries: z.array(CreditEntrySchema),
});
/** Answer of `GET /api/credits` (see {@link CreditsResponseSchema}). */
export type CreditsResponse = z.infer<typeof CreditsResponseSchema>;

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

/** Answer of `POST /api/admin/credits`. */
export const GrantCreditsResponseSchema = z.object({
  /** The user's balance afterwards. */
  balance: z.number().int(),
  /** The ledger entry made. */
  entry: CreditEntrySchema,
});
/** Answer of `POST /api/admin/credits` (see {@link GrantCreditsResponseSchema}). */
export type GrantCreditsResponse = z.infer<typeof GrantCreditsResponseSchema>;

/** An input image a user uploaded with `POST /api/uploads`. */
export const UploadSchema = z.object({
  /** `upl_…`: what a generate request passes as `image`. */
  id: z.string(),
  /** Where this server serves it (a fresh signed URL for private storage). */
  url: z.string(),
  /** `image/png`, `image/jpeg` or `image/webp`, read from the file's content. */
  contentType: z.string(),
  /** Size in bytes. */
  bytes: z.number().int(),
  /** Width in pixels. */
  width: z.number().int(),
  /** Height in pixels. */
  height: z.number().int(),
  /** When it was uploaded (ISO-8601). */
  createdAt: z.iso.datetime(),
});
/** An uploaded input image (see {@link UploadSchema}). */
export type Upload = z.infer<typeof UploadSchema>;

/** Answer of `POST /api/uploads` (201). */
export const UploadResponseSchema = z.object({
  /** The stored image. */
  upload: UploadSchema,
});
/** Answer of `POST /api/uploads` (see {@link UploadResponseSchema}). */
export type UploadResponse = z.infer<typeof UploadResponseSchema>;
