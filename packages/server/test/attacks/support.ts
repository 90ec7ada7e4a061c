import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { deflateSync } from "node:zlib";
import { pino } from "pino";

/**
 * A listener on loopback that must never be called: it records every request that reaches it, so
 * an attack test can assert that nothing the server sends goes there.
 */
export class Trap {
  readonly hits: { method: string; url: string; headers: IncomingMessage["headers"] }[] = [];
  #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer((request, response) => {
      this.hits.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
      request.resume();
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/** A pino logger at `level` whose every line is kept: what an operator's log file would hold. */
export function capturedLogger(level = "trace") {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      callback();
    },
  });
  return { logger: pino({ level }, stream), lines, text: () => lines.join("\n") };
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/**
 * A PNG declaring `width`×`height` grey pixels. `idat` replaces the image data (a lie about its
 * size); by default the real rows, deflated (a run of identical bytes deflates ~1000:1).
 */
export function makePng(width: number, height: number, idat?: Buffer): Uint8Array<ArrayBuffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, no interlace
  const rows = idat ?? deflateSync(Buffer.alloc((width + 1) * height, 0), { level: 9 });
  return Uint8Array.from(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk("IHDR", header),
      pngChunk("IDAT", rows),
      pngChunk("IEND", Buffer.alloc(0)),
    ]),
  );
}

/**
 * One HTTP request over node:http, headers exactly as given (fetch() will not send a forged Host).
 * Resolves with the status, headers and body text.
 */
export function rawRequest(
  origin: string,
  pathname: string,
  init: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {},
): Promise<{ status: number; headers: IncomingMessage["headers"]; text: string }> {
  const url = new URL(pathname, origin);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: init.method ?? "GET",
        headers: init.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(init.body);
  });
}
