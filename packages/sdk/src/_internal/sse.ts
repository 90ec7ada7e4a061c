import { sseEvents, VideoEventDataSchema, type VideoOrTombstone } from "@openv/protocol";

/** One dispatched Server-Sent Event. */
export interface SseMessage {
  event: string;
  data: string;
  /** The last event id in force when it was dispatched (ids persist across events, as in EventSource). */
  id: string;
}

export interface SseParser {
  /** Feeds decoded text; calls back for each complete event. */
  push(text: string): void;
}

/**
 * The event-stream format of the HTML standard ("Server-sent events", interpreting an event
 * stream): lines end in CRLF, LF or CR; `data` lines join with LF; `retry` takes digits only; an
 * `id` containing NUL is ignored; a comment line starts with a colon.
 */
export function createSseParser(onMessage: (message: SseMessage) => void, onRetry: (ms: number) => void): SseParser {
  let buffer = "";
  let event = "";
  let data = "";
  let hasData = false;
  let lastId = "";

  const processLine = (line: string) => {
    if (line === "") {
      if (hasData) onMessage({ event: event || "message", data, id: lastId });
      event = "";
      data = "";
      hasData = false;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        event = value;
        break;
      case "data":
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) onRetry(Number(value));
        break;
    }
  };

  // A chunk that ends in CR: the LF that may start the next chunk belongs to the same line end.
  let skipLineFeed = false;
  return {
    push(text) {
      buffer += text;
      let start = 0;
      if (skipLineFeed && buffer.startsWith("\n")) start = 1;
      skipLineFeed = false;
      for (let index = start; index < buffer.length; index++) {
        const char = buffer[index];
        if (char !== "\n" && char !== "\r") continue;
        processLine(buffer.slice(start, index));
        if (char === "\r") {
          if (index === buffer.length - 1) skipLineFeed = true;
          else if (buffer[index + 1] === "\n") index++;
        }
        start = index + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}

/**
 * Reads an event stream until it ends, calling `onChunk` for each chunk and `onMessage` for each
 * event (an error thrown there ends the read). Cancels the read itself when `signal` aborts: not
 * every fetch ties a body to its signal (polyfills, mocks).
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  onMessage: (message: SseMessage) => void,
  onRetry: (ms: number) => void = () => {},
  onChunk: () => void = () => {},
): Promise<void> {
  const reader = body.getReader();
  signal.addEventListener("abort", () => void reader.cancel().catch(() => {}), { once: true });
  const decoder = new TextDecoder();
  const parser = createSseParser(onMessage, onRetry);
  for (;;) {
    const { done, value } = await reader.read();
    if (signal.aborted) throw signal.reason;
    if (done) return;
    onChunk();
    parser.push(decoder.decode(value, { stream: true }));
  }
}

/** The video or tombstone a `video` event carries; undefined for another event, null when malformed. */
export function videoEventData(message: SseMessage): VideoOrTombstone | null | undefined {
  if (message.event !== sseEvents.video) return undefined;
  try {
    const parsed = VideoEventDataSchema.safeParse(JSON.parse(message.data));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
