// The SSE floor: the least any server could do to turn a webhook into a frame on every open stream.
// Raw `node:http`, no database, no auth, no JSON parsing of the webhook: `GET /api/videos/events`
// holds a chunked `text/event-stream` response open, and `POST /api/runpod/webhook?video=<id>`
// writes one `event: video` frame naming that video (FRAME_BYTES long, the size of the reference
// server's frames) to every open stream, then answers `{"applied":true}` as the server does. The
// frame goes to each socket as one ready HTTP chunk, made once, as the server's own fan-out writes
// it (packages/server/src/fastify/event-sink.ts). The same watchers process reads both, so what is
// left between the server's figure and this one is the server's own work.
import http from "node:http";
import type { AddressInfo } from "node:net";

const frameBytes = Number(process.env.FRAME_BYTES ?? 1000);
const streams = new Set<http.ServerResponse>();

/** `event: video` with a `data:` line naming `videoId`, padded to `frameBytes`, as one HTTP chunk. */
function chunkFor(videoId: string): Buffer {
  const head = `event: video\ndata: {"id":${JSON.stringify(videoId)},"pad":"`;
  const tail = `"}\n\n`;
  const pad = "x".repeat(Math.max(0, frameBytes - head.length - tail.length));
  const frame = Buffer.from(`${head}${pad}${tail}`);
  return Buffer.concat([Buffer.from(`${frame.length.toString(16)}\r\n`), frame, Buffer.from("\r\n")]);
}

const server = http.createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://floor");
  if (request.method === "GET" && url.pathname === "/api/videos/events") {
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    // The first write sends the head (and makes the response chunked).
    response.write(": open\n\n");
    streams.add(response);
    response.on("close", () => streams.delete(response));
    return;
  }
  if (request.method === "POST" && url.pathname === "/api/runpod/webhook") {
    request.resume();
    request.on("end", () => {
      const chunk = chunkFor(url.searchParams.get("video") ?? "");
      for (const stream of streams) {
        if (stream.socket && !stream.socket.destroyed) stream.socket.write(chunk);
      }
      response.writeHead(200, { "content-type": "application/json" }).end('{"applied":true}');
    });
    return;
  }
  response.writeHead(404).end();
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: "ready", url: `http://127.0.0.1:${port}` });
});
process.once("SIGTERM", () => {
  for (const stream of streams) stream.destroy();
  server.close(() => process.exit(0));
});
