import { describe, expect, it } from "vitest";
import { createSseParser, type SseMessage } from "../src/_internal/sse.js";

function parse(chunks: string[]) {
  const messages: SseMessage[] = [];
  const retries: number[] = [];
  const parser = createSseParser(
    (message) => messages.push(message),
    (ms) => retries.push(ms),
  );
  for (const chunk of chunks) parser.push(chunk);
  return { messages, retries };
}

describe("the event-stream parser", () => {
  it("reads events, ids that persist, multi-line data, comments and retry", () => {
    const { messages, retries } = parse([
      ": connected\n\nretry: 2000\n\n",
      'event: video\nid: 17\ndata: {"a":1}\n\n',
      "event: ping\ndata: {}\n\n",
      "data: line one\ndata:line two\n\n",
      "retry: soon\n\n",
    ]);
    expect(retries).toEqual([2000]);
    expect(messages).toEqual([
      { event: "video", id: "17", data: '{"a":1}' },
      { event: "ping", id: "17", data: "{}" },
      { event: "message", id: "17", data: "line one\nline two" },
    ]);
  });

  it("joins fields split anywhere across chunks, CRLF split included", () => {
    const text = 'event: video\r\nid: 5\r\ndata: {"id":"v1"}\r\n\r\nevent: video\rid: 6\rdata: x\r\r';
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(parse(chunks).messages).toEqual([
        { event: "video", id: "5", data: '{"id":"v1"}' },
        { event: "video", id: "6", data: "x" },
      ]);
    }
  });

  it("dispatches nothing for an unfinished event or one without data", () => {
    expect(parse(["event: video\nid: 9\n\n", "event: video\ndata: half"]).messages).toEqual([]);
  });

  it("ignores an id containing NUL", () => {
    expect(parse(["id: 3\ndata: a\n\nid: 4\0\ndata: b\n\n"]).messages.map((m) => m.id)).toEqual(["3", "3"]);
  });
});
