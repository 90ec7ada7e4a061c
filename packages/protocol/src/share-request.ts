import { z } from "zod";

// Share links (issue 21): the request side, in full zod like the other request schemas (kept apart
// from shares.ts, whose zod/mini answers are all a browser bundle of the SDK takes).

/** Share links last 7 days unless the request says otherwise. */
export const defaultShareExpiresInSeconds = 7 * 24 * 60 * 60;
/** The shortest share link: one minute. */
export const minShareExpiresInSeconds = 60;
/** The longest share link: 90 days. */
export const maxShareExpiresInSeconds = 90 * 24 * 60 * 60;

/** Body of `POST /api/videos/:id/shares` (an empty body or `{}` takes the default lifetime). */
export const CreateShareRequestSchema = z.strictObject({
  /** How long the link works, in seconds: 60 to 7 776 000 (90 days). Default 604 800 (7 days). */
  expiresInSeconds: z.number().int().min(minShareExpiresInSeconds).max(maxShareExpiresInSeconds).optional(),
});
/** Body of `POST /api/videos/:id/shares` (see {@link CreateShareRequestSchema}). */
export type CreateShareRequest = z.infer<typeof CreateShareRequestSchema>;
