import { openvHandler } from "../../../lib/openv";

// Every route of the OpenV contract under /api: videos, events (SSE), usage, terms, webhooks, files.
// The handler needs Node (embedded PostgreSQL, ffmpeg, the file system) and streams its answers.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  const handler = await openvHandler();
  return handler(request);
}

// PUT and PATCH too, so that every method under /api gets OpenV's JSON error format rather than
// Next's empty 405.
export {
  handle as DELETE,
  handle as GET,
  handle as HEAD,
  handle as OPTIONS,
  handle as PATCH,
  handle as POST,
  handle as PUT,
};
