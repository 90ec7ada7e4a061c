import { headers as protocolHeaders } from "@openv/protocol";
import {
  NetworkError,
  OpenVClientError,
  ServerError,
  TermsRequiredError,
  TimeoutError,
  UnauthorizedError,
} from "../errors.js";
import type { ClientOptions } from "../options.js";
import { abortErrorFrom, linkSignals, sleep } from "./abort.js";
import { errorFromResponse, termsRequiredWithPath } from "./http-error.js";
import { sendWithProgress, type UploadProgress } from "./upload-progress.js";

/** A zod schema, as far as the transport uses one. */
export interface Schema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { message: string } };
}

/** The transport a client's options describe, defaults filled in (shared by `createClient` and `createAdminClient`). */
export function transportOptions(options: ClientOptions): TransportOptions {
  return {
    baseUrl: options.baseUrl,
    getToken: options.getToken,
    fetch: options.fetch,
    headers: options.headers ?? {},
    maxRetries: options.maxRetries ?? 3,
    attemptTimeoutMs: options.attemptTimeoutMs ?? options.timeoutMs ?? 30_000,
    retryDelayMs: options.retryDelayMs ?? 500,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 8000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
  };
}

export interface TransportOptions {
  baseUrl: string;
  getToken: (() => string | null | undefined | Promise<string | null | undefined>) | undefined;
  fetch: typeof globalThis.fetch | undefined;
  headers: Record<string, string>;
  maxRetries: number;
  attemptTimeoutMs: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  maxRetryAfterMs: number;
}

/** What a caller may set on one call (the public `RequestOptions`, read by the transport). */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  headers?: Record<string, string> | undefined;
}

export interface Call<T> {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined> | undefined;
  /** JSON, or raw bytes (sent as they are). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Parses the 2xx body. */
  schema: Schema<T>;
  options?: CallOptions | undefined;
  /**
   * Also retry 409 `idempotency_in_progress`: with an Idempotency-Key, that conflict is with this
   * call's own earlier attempt, still running on the server after its answer was lost.
   */
  retryInProgress?: boolean;
  /**
   * The call changes state and carries no Idempotency-Key (an upload, a credit grant): once the
   * body may have reached the server, sending it again could do it twice. Only an answer that says
   * nothing was done (429 `rate_limited`) is retried; a network error, a timeout or a 5xx is not.
   */
  notIdempotent?: boolean;
  /** Upload progress of the body (bytes). */
  onUploadProgress?: ((progress: UploadProgress) => void) | undefined;
  /** Ms the server may hold the answer on purpose (`Prefer: wait`): added to the attempt timeout. */
  holdMs?: number | undefined;
}

/** Random in [half, full] of an exponentially growing delay: spreads out clients that failed together. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const full = Math.min(maxMs, initialMs * 2 ** attempt);
  return full / 2 + Math.random() * (full / 2);
}

function isRetryable(error: OpenVClientError, call: Pick<Call<unknown>, "retryInProgress" | "notIdempotent">): boolean {
  // A 429 is a refusal before any work; anything else may have happened after the body arrived.
  if (call.notIdempotent) return error.status === 429;
  if (error instanceof NetworkError || error instanceof TimeoutError) return true;
  const { status } = error;
  if (status === null) return false;
  if (status === 408 || status === 429 || status >= 500) return true;
  return (call.retryInProgress ?? false) && error.code === "idempotency_in_progress";
}

const attemptTimedOut = Symbol("attempt timeout");
const callTimedOut = Symbol("call timeout");

const isBytes = (body: unknown): body is BodyInit =>
  body instanceof Uint8Array || body instanceof ArrayBuffer || (typeof Blob === "function" && body instanceof Blob);

/** The body as text, JSON when it reads as JSON; undefined when there is none. */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Every HTTP exchange of the client, on the platform's `fetch`: headers and auth on each attempt,
 * a time limit per attempt and per call, typed errors, and retries with backoff, jitter and
 * Retry-After.
 */
export class Transport {
  readonly options: TransportOptions;

  constructor(options: TransportOptions) {
    this.options = options;
  }

  async #headers(extra: Record<string, string> | undefined): Promise<Record<string, string>> {
    let token: string | null | undefined;
    if (this.options.getToken) {
      try {
        token = await this.options.getToken();
      } catch (cause) {
        throw new UnauthorizedError({ code: "unauthorized", message: "getToken() failed.", cause });
      }
    }
    return {
      accept: "application/json",
      ...this.options.headers,
      ...extra,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
  }

  #url(path: string, query: Call<unknown>["query"]): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(name, String(value));
    const search = params.toString();
    return `${this.options.baseUrl.replace(/\/+$/, "")}${path}${search ? `?${search}` : ""}`;
  }

  /** One attempt. `signal` aborts it (the caller's, or the call's deadline); a 0 timeout is none. */
  async #send(
    call: Omit<Call<unknown>, "schema">,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<Response> {
    const headers = await this.#headers({ ...call.headers, ...call.options?.headers });
    let body: BodyInit | undefined;
    if (isBytes(call.body)) body = call.body;
    else if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers["content-type"] ??= "application/json";
    }
    // Without a timeout the caller's signal goes to fetch as it is: a stream's body must stay tied
    // to it after this returns.
    const attempt = timeoutMs > 0 ? linkSignals(signal) : null;
    const timer = attempt ? setTimeout(() => attempt.abort(attemptTimedOut), timeoutMs) : undefined;
    // Cleared the moment the caller aborts, not when fetch gets round to rejecting.
    attempt?.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
    const init: RequestInit = { method: call.method, headers, signal: attempt?.signal ?? signal ?? null };
    if (body !== undefined) init.body = body;
    try {
      const url = this.#url(call.path, call.query);
      if (call.onUploadProgress) return await sendWithProgress(url, init, call.onUploadProgress, this.options.fetch);
      // Looked up on each call, not once: test tools and polyfills replace the global fetch later.
      return await (this.options.fetch ?? globalThis.fetch)(url, init);
    } catch (cause) {
      // The caller's abort or the call's deadline: `request` says which.
      if (signal?.aborted) throw cause;
      if (attempt?.signal.reason === attemptTimedOut) {
        throw new TimeoutError({
          code: "timeout",
          message: `${call.method} ${call.path} got no answer in time.`,
          cause,
        });
      }
      throw new NetworkError({
        code: "network_error",
        message:
          `${call.method} ${this.#url(call.path, undefined)} got no answer (${(cause as Error)?.message ?? cause}). ` +
          "Check that the server is running and reachable; in a browser, a server on another origin must list " +
          "this page's origin in its allowedOrigins option.",
        url: this.#url(call.path, undefined),
        cause,
      });
    } finally {
      clearTimeout(timer);
      attempt?.dispose();
    }
  }

  /** Sends `call`, retrying what is safe to retry, and returns the parsed body with the response. */
  async request<T>(call: Call<T>): Promise<{ data: T; response: Response }> {
    const { retryDelayMs, maxRetryDelayMs, maxRetryAfterMs } = this.options;
    const options = call.options ?? {};
    const maxRetries = options.maxRetries ?? this.options.maxRetries;
    // The call's own deadline (`timeoutMs`: every attempt and wait together) aborts a linked signal.
    const deadline = options.timeoutMs === undefined ? null : linkSignals(options.signal);
    const deadlineTimer = deadline && setTimeout(() => deadline.abort(callTimedOut), options.timeoutMs);
    const signal = deadline?.signal ?? options.signal;
    try {
      for (let attempt = 0; ; attempt++) {
        if (signal?.aborted) throw this.#stopped(signal, call);
        let error: OpenVClientError;
        try {
          const { attemptTimeoutMs } = this.options;
          const response = await this.#send(call, signal, attemptTimeoutMs && attemptTimeoutMs + (call.holdMs ?? 0));
          const body = await readBody(response);
          if (response.ok) return { data: this.#parse(call, response, body), response };
          error = errorFromResponse(response.status, response.headers, body);
          if (error instanceof TermsRequiredError)
            error = termsRequiredWithPath(error, this.#url("/terms/accept", undefined));
        } catch (caught) {
          if (signal?.aborted) throw this.#stopped(signal, call);
          if (!(caught instanceof NetworkError || caught instanceof TimeoutError)) throw caught;
          error = caught;
        }
        if (attempt >= maxRetries || !isRetryable(error, call)) throw error;
        const retryAfterMs = (error.retryAfterSeconds ?? 0) * 1000;
        if (retryAfterMs > maxRetryAfterMs) throw error;
        try {
          await sleep(Math.max(retryAfterMs, backoffDelay(attempt, retryDelayMs, maxRetryDelayMs)), signal);
        } catch {
          throw this.#stopped(signal as AbortSignal, call);
        }
      }
    } finally {
      clearTimeout(deadlineTimer ?? undefined);
      deadline?.dispose();
    }
  }

  /** The error of a call its signal stopped: TimeoutError at its deadline, else AbortError. */
  #stopped(signal: AbortSignal, call: Call<unknown>): OpenVClientError {
    if (signal.reason !== callTimedOut) return abortErrorFrom(signal);
    return new TimeoutError({
      code: "timeout",
      message: `${call.method} ${call.path} did not finish within ${call.options?.timeoutMs} ms.`,
    });
  }

  #parse<T>(call: Call<T>, response: Response, body: unknown): T {
    const parsed = call.schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new OpenVClientError({
      code: "invalid_response",
      status: response.status,
      requestId: response.headers.get(protocolHeaders.requestId),
      message: `The answer to ${call.method} ${call.path} does not match the OpenV contract: ${parsed.error.message}`,
    });
  }

  /**
   * Opens a Server-Sent Events stream (one attempt; the caller decides about reconnecting).
   * Resolves with the body once the server has answered 200 with `text/event-stream`.
   */
  async openStream(
    path: string,
    query: Call<unknown>["query"],
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const response = await this.#send(
      { method: "GET", path, query, headers: { accept: "text/event-stream", ...headers } },
      signal,
      0,
    );
    if (!response.ok) throw errorFromResponse(response.status, response.headers, await readBody(response));
    const type = response.headers.get("content-type") ?? "";
    if (!type.startsWith("text/event-stream") || !response.body) {
      void response.body?.cancel().catch(() => {});
      throw new ServerError({
        code: "invalid_response",
        status: response.status,
        requestId: response.headers.get(protocolHeaders.requestId),
        message: `GET ${path} answered ${type || "no content type"}, not an event stream.`,
      });
    }
    return response.body;
  }
}
