import { sseEvents } from "@openv/protocol";
import type { VideoLifecycle } from "../core/lifecycle.js";
import type { Logger, VideoChangeEvent } from "../core/ports.js";
import type { EventStreams, OpenEventStream } from "./event-streams.js";
import type { ApiResponse, EventSink, EventStreamSource } from "./types.js";

/**
 * Frames already made, by change: a live change fans out to every open stream of its user as one
 * buffer, serialized and UTF-8 encoded once, which every stream's socket writes as it is (no
 * per-stream JSON or encoding); a stream that holds the change back during its replay finds the
 * same frame here. A change reaches this file already presented (the change feed signs private
 * storage URLs as it delivers or reads it), and a new object each time, so a frame is reused only
 * within one fan-out and never serves a signed URL from an earlier delivery.
 */
const frames = new WeakMap<VideoChangeEvent, Uint8Array>();

/** The SSE frame of `event`, shared by every stream it is written to (never modify it). */
export function videoFrame(event: VideoChangeEvent): Uint8Array {
  let bytes = frames.get(event);
  if (bytes === undefined) {
    bytes = Buffer.from(`event: ${sseEvents.video}\nid: ${event.seq}\ndata: ${JSON.stringify(event.change)}\n\n`);
    frames.set(event, bytes);
  }
  return bytes;
}

/** The keep-alive frame, one buffer for every stream. */
const pingFrame = Buffer.from(`event: ${sseEvents.ping}\ndata: {}\n\n`);

/** How long a client waits before reconnecting, first and after a stream the server ended on purpose. */
const retryMs = 2000;
const resumeRetryMs = { min: 250, spread: 1500 };

export interface VideoEventStreamOptions {
  lifecycle: VideoLifecycle;
  userId: string;
  /**
   * Replay the changes after this event id first (`Last-Event-ID` / `?since=`); undefined: live
   * changes only. A value above the user's latest id cannot be one of theirs: it is read as a time
   * in Unix ms (a list's `serverTime`, or an id given out before ids became a sequence).
   */
  since: number | undefined;
  pingMs: number;
  /**
   * Open streams: they feed the stream its user's live changes (one subscription per user), end
   * it when the server closes, and cap streams per user.
   */
  streams: EventStreams;
  log: Logger;
}

/**
 * A user's video changes as server-sent events, each with its change's number in the user's change
 * sequence as `id` (strictly increasing, one per change). On open it first replays from the
 * database every change after the resume point (each video once, in its current state); changes
 * published meanwhile are held back and sent after the replay.
 *
 * Live changes of a user arrive numbered without gaps, but not always in order (two instances
 * publish after their own commits) and not always at all (a publish that failed). A change that
 * skips a number makes the stream replay from the database after the last id it sent — every
 * lower number has committed by then — and a change it already sent is dropped, so the ids a
 * client sees only go up and `Last-Event-ID` resumes exactly. When the events adapter may have
 * missed changes (its LISTEN connection came back), the stream ends with a short `retry:` hint:
 * the client reconnects with `Last-Event-ID` and the replay brings what it missed.
 */
export function videoEventStream(options: VideoEventStreamOptions): ApiResponse {
  const { lifecycle, userId, since, streams, log } = options;
  let sink: EventSink | null = null;
  let closed = false;
  let ping: ReturnType<typeof setInterval> | undefined;
  /** The id of the last change sent (or known to the client); every change up to it is covered. */
  let position = 0;
  /** The last id the client holds, to tell it the position when no change carried it. */
  let clientId = since;
  /** Live changes that arrived while a replay runs, or null when none runs. */
  let held: VideoChangeEvent[] | null = [];

  const write = (event: VideoChangeEvent, frame = videoFrame(event)) => {
    sink?.write(frame);
    position = event.seq;
    clientId = event.seq;
  };
  const accept = (event: VideoChangeEvent, frame?: Uint8Array) => {
    if (event.seq <= position) return;
    if (event.seq === position + 1) {
      write(event, frame);
      return;
    }
    // A number was skipped: that change is late or was lost. Catch up from the database.
    held = [event];
    void catchUp(false);
  };
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    streams.delete(userId, stream);
    sink?.end();
  };
  const resumeLater = () => {
    if (closed) return;
    sink?.write(`retry: ${resumeRetryMs.min + Math.floor(Math.random() * resumeRetryMs.spread)}\n\n`);
    close();
  };
  const stream: OpenEventStream = {
    deliver(event, frame) {
      if (closed) return;
      if (held) held.push(event);
      else accept(event, frame);
    },
    missed: resumeLater,
    close,
  };

  /** Replays after `position`; `opening`: first works out the position from the resume point. */
  const catchUp = async (opening: boolean) => {
    // Received before this replay starts, so committed before it reads: covered by it or gone.
    const received = opening ? [] : (held ?? []).splice(0);
    held ??= [];
    try {
      let updatedAfter: number | undefined;
      let latest = 0;
      if (opening) {
        latest = await lifecycle.lastChangeSeq(userId);
        if (since === undefined) position = latest;
        else if (since <= latest) position = since;
        else updatedAfter = since;
      }
      if (!opening || since !== undefined) {
        for await (const event of lifecycle.changesAfter(userId, position, updatedAfter)) {
          if (closed) return;
          if (event.seq > position) write(event);
        }
      }
      position = Math.max(position, latest);
    } catch (error) {
      log.error({ err: error }, "could not replay video changes");
      close();
      return;
    }
    if (closed) return;
    for (const event of received.sort((x, y) => x.seq - y.seq)) if (event.seq > position) write(event);
    if (clientId !== position) {
      // An id without data: the client's Last-Event-ID from here on, though no change carried it.
      sink?.write(`id: ${position}\n\n`);
      clientId = position;
    }
    const pending = (held ?? []).sort((x, y) => x.seq - y.seq);
    held = null;
    for (const [index, event] of pending.entries()) {
      if (held) {
        (held as VideoChangeEvent[]).push(...pending.slice(index));
        break;
      }
      accept(event);
    }
  };

  const source: EventStreamSource = {
    open(target) {
      sink = target;
      target.write(`retry: ${retryMs}\n\n`);
      streams.add(userId, stream);
      ping = setInterval(() => target.write(pingFrame), options.pingMs);
      void catchUp(true);
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
