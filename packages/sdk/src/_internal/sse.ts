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
