// A provider's output storage, as a RunPod worker's upload target would be: every
// `GET /files/<name>.mp4` answers the same OUTPUT_BYTES bytes of video/mp4 (an ISO BMFF `ftyp` box,
// then filler), so the webhook copy scenario makes the server download a realistic MP4 size through
// its guarded fetcher and store it. Raw `node:http`, in its own process, so its CPU is its own.
import http from "node:http";
import type { AddressInfo } from "node:net";

const size = Number(process.env.OUTPUT_BYTES ?? 3 * 1024 * 1024);
const body = Buffer.alloc(size, 0x2e);
// A real MP4 starts with its `ftyp` box: size, "ftyp", major brand, minor version, compatible brands.
const ftyp = Buffer.from("0000001c6674797069736f6d0000020069736f6d69736f326d703431", "hex");
ftyp.copy(body, 0, 0, Math.min(ftyp.length, size));

const server = http.createServer((request, response) => {
  if (request.method !== "GET" || !request.url?.startsWith("/files/")) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { "content-type": "video/mp4", "content-length": String(body.length) });
  response.end(body);
});
server.keepAliveTimeout = 5_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: "ready", url: `http://127.0.0.1:${port}` });
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
