import * as z from "zod/mini";
import { VideoSchema } from "./video.js";

/**
 * The events `@openv/server` sends to the host app's webhook endpoint (Standard Webhooks): a video
 * became `completed`, became `failed`, or was deleted.
 */
export const outboundWebhookEventTypes = ["video.completed", "video.failed", "video.deleted"] as const;
/** One of {@link outboundWebhookEventTypes}. */
export type OutboundWebhookEventType = (typeof outboundWebhookEventTypes)[number];

/** The `data` of a `video.deleted` event: which video, whose, and when it was deleted. */
export const DeletedVideoDataSchema = z.object({
  /** The deleted video's id. */
  id: z.string(),
  /** Its owner. */
  userId: z.string(),
  /** When it was deleted (ISO-8601). */
  deletedAt: z.iso.datetime(),
});
/** The `data` of a `video.deleted` event (see {@link DeletedVideoDataSchema}). */
export type DeletedVideoData = z.infer<typeof DeletedVideoDataSchema>;

/**
 * The JSON body of an outbound webhook, per Standard Webhooks: `{type, timestamp, data}`, where
 * `timestamp` is when the change happened (ISO-8601) and `data` is the `Video` for
 * `video.completed` / `video.failed`, or {@link DeletedVideoData} for `video.deleted`.
 */
export const OutboundWebhookEventSchema = z.discriminatedUnion("type", [
  z.object({
    /** The video finished; `data.url` plays it. */
    type: z.literal("video.completed"),
    /** When it completed (ISO-8601). */
    timestamp: z.iso.datetime(),
    /** The video as it was when it completed. */
    data: VideoSchema,
  }),
  z.object({
    /** The video failed for good (retries exhausted); `data.error` says why. Its seconds were refunded. */
    type: z.literal("video.failed"),
    /** When it failed (ISO-8601). */
    timestamp: z.iso.datetime(),
    /** The video as it was when it failed. */
    data: VideoSchema,
  }),
  z.object({
    /** The user (or the identity provider's user deletion) deleted the video. */
    type: z.literal("video.deleted"),
    /** When it was deleted (ISO-8601). */
    timestamp: z.iso.datetime(),
    /** Which video was deleted. */
    data: DeletedVideoDataSchema,
  }),
]);
/** The body of an outbound webhook (see {@link OutboundWebhookEventSchema}). */
export type OutboundWebhookEvent = z.infer<typeof OutboundWebhookEventSchema>;
