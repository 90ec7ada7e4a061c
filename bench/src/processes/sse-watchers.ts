// SSE watchers in their own process, so that reading 1,000 (or 10,000) streams does not slow the
// process that sends the webhooks and measures. Raw TCP sockets with minimal parsing, so that
// 10,000 streams stay cheap to read: each connection sends its GET by hand, checks the status line,
// and then only looks for `event: video` frames in the bytes (the HTTP chunk framing around them is
// skipped, not decoded: the server writes each frame as one chunk). The arrival time of each frame is
// read from the system-wide monotonic clock (the same one the parent reads when it sends the
// webhook); frames are parsed (video id) only when drained. Driven by the parent over IPC (see
// scenarios/sse.ts).
import net from "node:net";

export type WatcherCommand =
  | { type: "open"; url: string; userId: string; count: number }
  | { type: "count" }
  | { type: "drain" }
  /** Closes every stream and stays up (to open streams to another server). */
  | { type: "reset" }
  | { type: "close" };

export type WatcherReply =
  | { type: "ready"; url: string }
  | { type: "opened"; open: number }
  | { type: "count"; deliveries: number }
  | {
      type: "arrivals";
      arrivals: Record<string, number[]>;
      deliveries: number;
      /** The mean length of the video frames received, in bytes (0 when none). */
      frameBytes: number;
    }
  | { type: "failed"; message: string };

const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;
const streams = new Set<net.Socket>();
/** Video frames as they arrived (latin1 text: one character per byte), parsed only when drained. */
let frames: { at: number; frame: string }[] = [];
let deliveries = 0;

function reply(message: WatcherReply): void {
  process.send?.(message);
}

const videoFrameStart = "event: video\n";

/** Arrival times by video id of the frames received so far. */
function arrivalsOf(received: { at: number; frame: string }[]): Record<string, number[]> {
  const arrivals: Record<string, number[]> = {};
  for (const { at, frame } of received) {
    const data = Buffer.from(frame, "latin1")
      .toString("utf8")
      .split("\n")
      .find((line) => line.startsWith("data: "));
    if (!data) continue;
    const id = (JSON.parse(data.slice(6)) as { id?: string }).id;
    if (!id) continue;
    const times = arrivals[id] ?? [];
    times.push(at);
    arrivals[id] = times;
  }
  return arrivals;
}

/** Opens one stream and resolves once the server answered 200 with its head. */
function openStream(url: string, userId: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.setNoDelay(true);
    socket.setEncoding("latin1");
    streams.add(socket);
    let head = true;
    let buffer = "";
    socket.on("connect", () =>
      socket.write(
        `GET /api/videos/events HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\nX-OpenV-User: ${userId}\r\n\r\n`,
      ),
    );
    socket.on("data", (chunk: string) => {
      const at = monotonicMs();
      buffer += chunk;
      if (head) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end === -1) return;
        const status = buffer.slice(0, buffer.indexOf("\r\n"));
        if (!/^HTTP\/1\.1 200 /.test(status)) {
          reject(new Error(`SSE answered ${status}`));
          socket.destroy();
          return;
        }
        head = false;
        buffer = buffer.slice(end + 4);
        resolve();
      }
      for (;;) {
        const start = buffer.indexOf(videoFrameStart);
        if (start === -1) {
          // Keep a tail that may hold the start of a frame's first line.
          buffer = buffer.slice(-videoFrameStart.length);
          return;
        }
        const end = buffer.indexOf("\n\n", start);
        if (end === -1) {
          buffer = buffer.slice(start);
          return;
        }
        frames.push({ at, frame: buffer.slice(start, end) });
        deliveries += 1;
        buffer = buffer.slice(end + 2);
      }
    });
    socket.on("error", reject);
  });
}

async function open(url: string, userId: string, count: number): Promise<void> {
  const batch = 50;
  for (let opened = 0; opened < count; opened += batch) {
    const size = Math.min(batch, count - opened);
    await Promise.all(Array.from({ length: size }, () => openStream(url, userId)));
  }
}

function closeStreams(): void {
  for (const stream of streams) stream.destroy();
  streams.clear();
}

process.on("message", (command: WatcherCommand) => {
  switch (command.type) {
    case "open":
      open(command.url, command.userId, command.count).then(
        () => reply({ type: "opened", open: streams.size }),
        (error: unknown) => reply({ type: "failed", message: String(error) }),
      );
      break;
    case "count":
      reply({ type: "count", deliveries });
      break;
    case "drain": {
      // Latin1 text: one character per byte; the frame's closing blank line is not in `frame`.
      const bytes = frames.reduce((sum, { frame }) => sum + frame.length + 2, 0);
      reply({
        type: "arrivals",
        arrivals: arrivalsOf(frames),
        deliveries,
        frameBytes: frames.length === 0 ? 0 : Math.round(bytes / frames.length),
      });
      frames = [];
      deliveries = 0;
      break;
    }
    case "reset":
      closeStreams();
      reply({ type: "opened", open: 0 });
      break;
    case "close":
      closeStreams();
      process.exit(0);
  }
});

reply({ type: "ready", url: "ipc" });
