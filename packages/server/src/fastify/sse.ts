import { headers, sseEvents, type VideoOrTombstone } from "@openv/protocol";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { VideoLifecycle } from "../core/lifecycle.js";

export interface SseOptions {
  pingMs: number;
  /** Open streams, so the server can end them when it closes. */
  streams: Set<() => void>;
}

function frame(change: VideoOrTombstone): string {
  return `event: ${sseEvents.video}\nid: ${Date.parse(change.updatedAt)}\ndata: ${JSON.stringify(change)}\n\n`;
}

/**
 * Streams a user's video changes. On connect with a resume point it first replays every change
 * after it from the database; changes published meanwhile are held back and sent after the replay,
 * so nothing is missed (a change may arrive twice, which clients tolerate).
 */
export async function streamVideoEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  lifecycle: VideoLifecycle,
  userId: string,
  since: number | undefined,
  options: SseOptions,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    [headers.requestId]: request.id,
  });
  raw.write("retry: 2000\n\n");

  let held: VideoOrTombstone[] | null = [];
  let closed = false;
  const send = (change: VideoOrTombstone) => {
    if (held) held.push(change);
    else if (!closed) raw.write(frame(change));
  };
  const unsubscribe = lifecycle.subscribe(userId, send);
  const ping = setInterval(() => raw.write(`event: ${sseEvents.ping}\ndata: {}\n\n`), options.pingMs);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    unsubscribe();
    options.streams.delete(close);
    raw.end();
  };
  options.streams.add(close);
  request.raw.on("close", close);

  try {
    if (since !== undefined) {
      for await (const change of lifecycle.changesSince(userId, since)) {
        if (closed) return;
        raw.write(frame(change));
      }
    }
  } catch (error) {
    request.log.error({ err: error }, "could not replay video changes");
    close();
    return;
  }
  const pending = held;
  held = null;
  for (const change of pending) send(change);
}
