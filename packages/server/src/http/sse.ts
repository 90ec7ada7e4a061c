import { sseEvents, type VideoOrTombstone } from "@openv/protocol";
import type { VideoLifecycle } from "../core/lifecycle.js";
import type { Logger } from "../core/ports.js";
import type { ApiResponse, EventSink, EventStreamSource } from "./types.js";

/**
 * Frames already written, by change: a change fans out to every open stream of its user as one
 * string. A change reaches this file already presented (`lifecycle.subscribe` and `changesSince`
 * sign private storage URLs as they deliver or read it), and a new object each time, so a frame is
 * reused only within one fan-out and never serves a signed URL from an earlier delivery.
 */
const frames = new WeakMap<VideoOrTombstone, string>();

function frame(change: VideoOrTombstone): string {
  let text = frames.get(change);
  if (text === undefined) {
    text = `event: ${sseEvents.video}\nid: ${Date.parse(change.updatedAt)}\ndata: ${JSON.stringify(change)}\n\n`;
    frames.set(change, text);
  }
  return text;
}

export interface VideoEventStreamOptions {
  lifecycle: VideoLifecycle;
  userId: string;
  /** Replay changes after this time (ms) first; undefined: live changes only. */
  since: number | undefined;
  pingMs: number;
  /** Open streams, so the server can end them when it closes. */
  streams: Set<() => void>;
  log: Logger;
}

/**
 * A user's video changes as server-sent events. On open with a resume point it first replays every
 * change after it from the database; changes published meanwhile are held back and sent after the
 * replay, so nothing is missed (a change may arrive twice, which clients tolerate).
 */
export function videoEventStream(options: VideoEventStreamOptions): ApiResponse {
  const { lifecycle, userId, since, streams, log } = options;
  let sink: EventSink | null = null;
  let held: VideoOrTombstone[] | null = [];
  let closed = false;
  let unsubscribe = () => {};
  let ping: ReturnType<typeof setInterval> | undefined;

  const send = (change: VideoOrTombstone) => {
    if (held) held.push(change);
    else if (!closed) sink?.write(frame(change));
  };
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    unsubscribe();
    streams.delete(close);
    sink?.end();
  };

  const replay = async () => {
    try {
      if (since !== undefined) {
        for await (const change of lifecycle.changesSince(userId, since)) {
          if (closed) return;
          sink?.write(frame(change));
        }
      }
    } catch (error) {
      log.error({ err: error }, "could not replay video changes");
      close();
      return;
    }
    const pending = held ?? [];
    held = null;
    for (const change of pending) send(change);
  };

  const source: EventStreamSource = {
    open(target) {
      sink = target;
      target.write("retry: 2000\n\n");
      unsubscribe = lifecycle.subscribe(userId, send);
      ping = setInterval(() => target.write(`event: ${sseEvents.ping}\ndata: {}\n\n`), options.pingMs);
      streams.add(close);
      void replay();
    },
    close,
  };
  return {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
    events: source,
  };
}
