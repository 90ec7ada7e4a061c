import * as z from "zod/mini";
import { integer, timestamp } from "./formats.js";
import { VideoOrTombstoneSchema, VideoSchema } from "./video.js";

/** Answer of `GET /api/videos`. Tombstones appear only with `updatedSince`. */
export const ListVideosResponseSchema = z.object({
  /** The page: videos, and with `updatedSince` also tombstones. */
  videos: z.array(VideoOrTombstoneSchema),
  /** The server's clock (Unix ms): pass it back as `updatedSince` to miss no change. */
  serverTime: integer(),
  /** The cursor of the next page, or null on the last one. */
  nextCursor: z.nullable(z.string()),
});
/** Answer of `GET /api/videos` (see {@link ListVideosResponseSchema}). */
export type ListVideosResponse = z.infer<typeof ListVideosResponseSchema>;

/** A page of `GET /videos` without `updatedSince`: live videos only, never a tombstone. */
export const ListLiveVideosResponseSchema = z.object({
  ...ListVideosResponseSchema.shape,
  /** The page's videos, newest first. */
  videos: z.array(VideoSchema),
});
/** A page of `GET /videos` without `updatedSince` (see {@link ListLiveVideosResponseSchema}). */
export type ListLiveVideosResponse = z.infer<typeof ListLiveVideosResponseSchema>;

/** Answer of `GET /api/videos/:id`. */
export const VideoResponseSchema = z.object({
  /** The video. */
  video: VideoSchema,
});
/** Answer of `GET /api/videos/:id`. */
export type VideoResponse = z.infer<typeof VideoResponseSchema>;

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
  limitSeconds: z.nullable(z.number()),
  /** Seconds left in the period; null under the credits policy. */
  remainingSeconds: z.nullable(z.number()),
  /** The credit balance under the credits policy; null under the monthly-seconds policy. */
  credits: z.nullable(
    z.object({
      /** Credits left. */
      balance: integer(),
    }),
  ),
  /** Start of the period (ISO-8601). */
  periodStart: timestamp(),
  /** End of the period, exclusive (ISO-8601). */
  periodEnd: timestamp(),
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
  acceptedAt: z.nullable(timestamp()),
});
/** Answer of `GET /api/terms/check`. */
export type TermsStatus = z.infer<typeof TermsStatusSchema>;

/** Answer of `POST /api/terms/accept`. */
export const AcceptTermsResponseSchema = z.object({
  /** Always true. */
  accepted: z.literal(true),
  /** The version accepted. */
  version: z.string(),
  /** When it was first accepted (ISO-8601). */
  acceptedAt: timestamp(),
});
/** Answer of `POST /api/terms/accept`. */
export type AcceptTermsResponse = z.infer<typeof AcceptTermsResponseSchema>;

/** The `data` of an `event: video` message: the changed video or its tombstone. */
export const VideoEventDataSchema = VideoOrTombstoneSchema;

/** One line of a user's credits ledger. */
export const CreditEntrySchema = z.object({
  /** Opaque id. */
  id: z.string(),
  /** The change: negative for a charge, positive for a refund or a grant. */
  delta: integer(),
  /** The balance right after it. */
  balanceAfter: integer(),
  /** Why: `generation`, `refund`, `grant`, or the reason an admin gave. */
  reason: z.string(),
  /** The video that caused it, if any. */
  videoId: z.nullable(z.string()),
  /** When (ISO-8601). */
  createdAt: timestamp(),
});
/** One line of a user's credits ledger (see {@link CreditEntrySchema}). */
export type CreditEntry = z.infer<typeof CreditEntrySchema>;

/** Answer of `GET /api/credits`: the balance and the newest ledger entries. */
export const CreditsResponseSchema = z.object({
  /** Credits left. */
  balance: integer(),
  /** The newest entries first (up to `limit`, default 50). */
  entries: z.array(CreditEntrySchema),
});
/** Answer of `GET /api/credits` (see {@link CreditsResponseSchema}). */
export type CreditsResponse = z.infer<typeof CreditsResponseSchema>;

/** Answer of `POST /api/admin/credits`. */
export const GrantCreditsResponseSchema = z.object({
  /** The user's balance afterwards. */
  balance: integer(),
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
  bytes: integer(),
  /** Width in pixels. */
  width: integer(),
  /** Height in pixels. */
  height: integer(),
  /** When it was uploaded (ISO-8601). */
  createdAt: timestamp(),
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
