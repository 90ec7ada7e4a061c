// SSE watchers in their own process, so that reading 1,000 (or 10,000) streams does not slow the
// process that sends the webhooks and measures. Raw `http` streaming: each connection is one socket whose
// frames are split on blank lines; the arrival time of each `event: video` frame is read from the
// system-wide monotonic clock (the same one the parent reads when it sends the webhook) and
// recorded per video id. Driven by the parent over IPC (see scenarios/sse.ts).
import http from "node:http";

export type WatcherCommand =
  | { type: "open"; url: string; userId: string; count: number }
  | { type: "count" }
  | { type: "drain" }
  | { type: "close" };

export type WatcherReply =
  | { type: "ready"; url: string }
  | { type: "opened"; open: number }
  | { type: "count"; deliveries: number }
  | { type: "arrivals"; arrivals: Record<string, number[]>; deliveries: number }
  | { type: "failed"; message: string };

const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;
const streams = new Set<http.ClientRequest>();
/** Video frames as they arrived, parsed only when drained: reading 10,000 sockets stays cheap per frame. */
let frames: { at: number; frame: string }[] = [];
let deliveries = 0;

function reply(message: WatcherReply): void {
  process.send?.(message);
}

function onFrame(frame: string, at: number): void {
  if (!frame.startsWith("event: video")) return;
  frames.push({ at, frame });
  deliveries += 1;
}

/** Arrival times by video id of the frames received so far. */
function arrivalsOf(received: { at: number; frame: string }[]): Record<string, number[]> {
  const arrivals: Record<string, number[]> = {};
  for (const { at, frame } of received) {
    const data = frame.split("\n").find((line) => line.startsWith("data: "));
    if (!data) continue;
    const id = (JSON.parse(data.slice(6)) as { id?: string }).id;
    if (!id) continue;
    const times = arrivals[id] ?? [];
    times.push(at);
    arrivals[id] = times;
  }
  return arrivals;
}

/** Opens one stream and resolves once the server's first bytes (the `retry:` line) arrived. */
function openStream(url: string, userId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${url}/api/videos/events`,
      { agent: false, headers: { accept: "text/event-stream", "x-openv-user": userId } },
      (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`SSE answered ${response.statusCode}`));
          response.resume();
          return;
        }
        response.setEncoding("utf8");
        let buffer = "";
        let first = true;
        response.on("data", (chunk: string) => {
          const at = monotonicMs();
          if (first) {
            first = false;
            resolve();
          }
          buffer += chunk;
          for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
            onFrame(buffer.slice(0, end), at);
            buffer = buffer.slice(end + 2);
          }
        });
      },
    );
    request.on("error", reject);
    streams.add(request);
  });
}

async function open(url: string, userId: string, count: number): Promise<void> {
  const batch = 50;
  for (let opened = 0; opened < count; opened += batch) {
    const size = Math.min(batch, count - opened);
    await Promise.all(Array.from({ length: size }, () => openStream(url, userId)));
  }
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
    case "drain":
      reply({ type: "arrivals", arrivals: arrivalsOf(frames), deliveries });
      frames = [];
      deliveries = 0;
      break;
    case "close":
      for (const stream of streams) stream.destroy();
      streams.clear();
      process.exit(0);
  }
});

reply({ type: "ready", url: "ipc" });
