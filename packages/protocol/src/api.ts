import { z } from "zod";
import { VideoOrTombstoneSchema, VideoSchema } from "./video.js";

/** Unix milliseconds, as query strings carry them. */
const MillisQuerySchema = z.coerce.number().int().min(0);

/** Query of `GET /api/videos`. */
export const ListVideosQuerySchema = z.strictObject({
  updatedSince: MillisQuerySchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(500).optional(),
});
export type ListVideosQuery = z.input<typeof ListVideosQuerySchema>;

/** Answer of `GET /api/videos`. Tombstones appear only with `updatedSince`. */
export const ListVideosResponseSchema = z.object({
  videos: z.array(VideoOrTombstoneSchema),
  serverTime: z.number().int(),
  nextCursor: z.string().nullable(),
});
export type ListVideosResponse = z.infer<typeof ListVideosResponseSchema>;

export const VideoResponseSchema = z.object({ video: VideoSchema });
export type VideoResponse = z.infer<typeof VideoResponseSchema>;

/** Body of `DELETE /api/videos`: 1–100 ids and job ids in all. */
export const DeleteVideosRequestSchema = z
  .strictObject({
    ids: z.array(z.string().min(1).max(200)).optional(),
    jobIds: z.array(z.string().min(1).max(200)).optional(),
  })
  .refine((body) => {
    const count = (body.ids?.length ?? 0) + (body.jobIds?.length ?? 0);
    return count >= 1 && count <= 100;
  }, "give 1 to 100 ids and jobIds in all");
export type DeleteVideosRequest = z.infer<typeof DeleteVideosRequestSchema>;

export const DeleteVideosResponseSchema = z.object({ deleted: z.array(z.string()) });
export type DeleteVideosResponse = z.infer<typeof DeleteVideosResponseSchema>;

/** Answer of `GET /api/usage`: the current period's seconds. */
export const UsageSchema = z.object({
  usedSeconds: z.number(),
  limitSeconds: z.number(),
  remainingSeconds: z.number(),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
});
export type Usage = z.infer<typeof UsageSchema>;

/** Answer of `POST /api/videos` (202). */
export const GenerateResponseSchema = z.object({ video: VideoSchema, usage: UsageSchema });
export type GenerateResponse = z.infer<typeof GenerateResponseSchema>;

export const TermsStatusSchema = z.object({
  accepted: z.boolean(),
  version: z.string(),
  acceptedAt: z.iso.datetime().nullable(),
});
export type TermsStatus = z.infer<typeof TermsStatusSchema>;

export const AcceptTermsRequestSchema = z.strictObject({ version: z.string().min(1).max(100) });
export type AcceptTermsRequest = z.infer<typeof AcceptTermsRequestSchema>;

export const AcceptTermsResponseSchema = z.object({
  accepted: z.literal(true),
  version: z.string(),
  acceptedAt: z.iso.datetime(),
});
export type AcceptTermsResponse = z.infer<typeof AcceptTermsResponseSchema>;

export const HealthResponseSchema = z.object({ status: z.literal("ok") });

/** Query of `GET /api/videos/events`: `since` replays changes after it, like `Last-Event-ID`. */
export const EventsQuerySchema = z.strictObject({ since: MillisQuerySchema.optional() });

/** Server-Sent Event names on `GET /api/videos/events`. */
export const sseEvents = { video: "video", ping: "ping" } as const;

/** The `data` of an `event: video` message: the changed video or its tombstone. */
export const VideoEventDataSchema = VideoOrTombstoneSchema;

/** Header names of the contract. */
export const headers = {
  idempotencyKey: "idempotency-key",
  idempotentReplayed: "idempotent-replayed",
  devUser: "x-openv-user",
  lastEventId: "last-event-id",
  retryAfter: "retry-after",
  requestId: "x-request-id",
} as const;

export const IdempotencyKeySchema = z.string().min(1).max(255);
