import type { ServerResponse } from "node:http";
import type { EventSink } from "../http/types.js";

const crlf = "\r\n";

/**
 * Shared frames as HTTP/1.1 chunks (`<hex length>\r\n<frame>\r\n`), made once per frame: the
 * frame is one buffer for every stream of a change (see http/sse.ts), and so is its chunk.
 */
const chunks = new WeakMap<Uint8Array, Buffer>();

function chunkOf(frame: Uint8Array): Buffer {
  let chunk = chunks.get(frame);
  if (chunk === undefined) {
    chunk = Buffer.concat([Buffer.from(`${frame.byteLength.toString(16)}${crlf}`), frame, Buffer.from(crlf)]);
    chunks.set(frame, chunk);
  }
  return chunk;
}

/**
 * An event stream's sink on a Node response whose head was written (`writeHead`). Text goes
 * through `response.write`. A shared frame (bytes) on a chunked response goes to the socket as
 * one ready chunk: `response.write` would frame it again for every stream and write four buffers
 * with a cork and a `writev` each time, the fan-out's largest cost per stream. Both reach the
 * socket's write queue in call order. Before the head went out, until the response has its
 * socket, or when it is not chunked (an HTTP/1.0 client), bytes take the ordinary path too.
 */
export function responseEventSink(response: ServerResponse): EventSink {
  /** Whether `response.write` ran once: the head goes out with the first write, before any chunk. */
  let headWritten = false;
  return {
    write(chunk) {
      if (response.writableEnded) return;
      const { socket } = response;
      if (typeof chunk === "string" || !headWritten || socket === null || !response.chunkedEncoding) {
        headWritten = true;
        response.write(chunk);
        return;
      }
      if (!socket.destroyed) socket.write(chunkOf(chunk));
    },
    end: () => response.end(),
  };
}
