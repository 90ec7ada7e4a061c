import type { z } from "zod";
import { GenerateRequestSchema } from "./generate.js";

// Remix (issue 21): a new video from one of the caller's completed videos, with some settings changed.

/**
 * Body of `POST /api/videos/:id/remix`: the settings to change. Every field left out is carried over
 * from the source video (prompt, negative prompt, frames, size, seed, steps, cfg, model and its
 * input image); `{}` renders the same settings again. An empty `negativePrompt` clears it.
 */
export const RemixRequestSchema = GenerateRequestSchema.omit({ image: true, enhancePrompt: true }).partial();
/** Body of `POST /api/videos/:id/remix` (see {@link RemixRequestSchema}). */
export type RemixRequest = z.infer<typeof RemixRequestSchema>;
