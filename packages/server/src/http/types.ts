import type { Logger } from "../core/ports.js";

/** A request as every binding hands it to the service: framework-free, body already read. */
export interface ApiRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The path below the prefix, starting with "/" (`/videos/abc`), not decoded. */
  path: string;
  /** The query string's parameters. */
  query: URLSearchParams;
  /** Request headers, names lower-case, repeated ones joined with ", ". */
  headers: Record<string, string | undefined>;
  /** The raw body bytes, or null when there is none (bindings enforce the body limit). */
  body: Uint8Array | null;
  /** The client's IP address when the binding knows it (per-IP rate limits). */
  ip: string | undefined;
  /** The request's id, sent back as X-Request-Id. */
  requestId: string;
  /** A logger bound to this request, when the binding has one. */
  log?: Logger;
  /** Aborts when the client goes away before the answer (`Prefer: wait` stops waiting), when the binding can tell. */
  signal?: AbortSignal;
}

/** Where a server-sent event stream writes; a binding makes one over its response. */
export interface EventSink {
  /**
   * Sends text or UTF-8 bytes on the stream. A change's frame arrives as bytes encoded once and
   * shared by every stream it fans out to: write them as they are, never modify them.
   */
  write(chunk: string | Uint8Array): void;
  /** Ends the stream (server side). */
  end(): void;
}

/** A server-sent event stream: the binding opens it on its response and closes it when the client leaves. */
export interface EventStreamSource {
  /** Starts writing to `sink`. */
  open(sink: EventSink): void;
  /** Stops: the client went away or the server is closing. Safe to call twice. */
  close(): void;
}

/** An answer, for a binding to write: JSON, a file's bytes, an event stream, or no body. */
export interface ApiResponse {
  /** HTTP status. */
  status: number;
  /** Response headers, names lower-case. */
  headers?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A file's bytes `start`..`end` (inclusive) as the body. */
  file?: {
    /** The file on disk. */
    path: string;
    /** The first byte sent. */
    start: number;
    /** The last byte sent (inclusive). */
    end: number;
  };
  /** An event stream as the body. */
  events?: EventStreamSource;
  /** Share links (issue 21): bytes in memory as the body (an HTML page, a proxied file's range). */
  bytes?: Uint8Array;
}
