import { headers as protocolHeaders } from "@openv/protocol";
import { type $Fetch, createFetch, type FetchResponse } from "ofetch";
import { NetworkError, OpenVClientError, ServerError, TimeoutError, UnauthorizedError } from "../errors.js";
import { abortErrorFrom, linkSignals, sleep } from "./abort.js";
import { errorFromResponse } from "./http-error.js";

/** A zod schema, as far as the transport uses one. */
export interface Schema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { message: string } };
}

export interface TransportOptions {
  baseUrl: string;
  getToken: (() => string | null | undefined | Promise<string | null | undefined>) | undefined;
  fetch: typeof globalThis.fetch | undefined;
  headers: Record<string, string>;
  maxRetries: number;
  timeoutMs: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  maxRetryAfterMs: number;
}

export interface Call<T> {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Parses the 2xx body. */
  schema: Schema<T>;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
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

const timeoutReason = Symbol("timeout");

/**
 * Every HTTP exchange of the client: headers and auth on each attempt, one timeout per attempt,
 * typed errors, and retries with backoff, jitter and Retry-After. Built on ofetch, with retries and
 * error throwing turned off there so that this one place decides.
 */
export class Transport {
  readonly options: TransportOptions;
  readonly #fetch: $Fetch;

  constructor(options: TransportOptions) {
    this.options = options;
    // The fetch is looked up on each call, not here: test tools and polyfills replace the global
    // one after the client was created.
    const fetchFn: typeof globalThis.fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init);
    this.#fetch = createFetch({ fetch: fetchFn }).create({
      baseURL: options.baseUrl,
      retry: false,
      ignoreResponseError: true,
    });
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

  async #send(
    call: Pick<Call<unknown>, "method" | "path" | "query" | "body" | "headers">,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<FetchResponse<unknown>> {
    const headers = await this.#headers(call.headers);
    // Without a timeout the caller's signal goes to fetch as it is: a stream's body must stay tied
    // to it after this returns.
    const attempt = timeoutMs > 0 ? linkSignals(signal) : null;
    const timer = attempt ? setTimeout(() => attempt.abort(timeoutReason), timeoutMs) : undefined;
    // Cleared the moment the caller aborts, not when fetch gets round to rejecting.
    attempt?.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
    const query = call.query && Object.fromEntries(Object.entries(call.query).filter(([, v]) => v !== undefined));
    try {
      return await this.#fetch.raw(call.path, {
        method: call.method,
        headers,
        signal: attempt?.signal ?? signal ?? null,
        ...(query && { query }),
        ...(call.body !== undefined && { body: call.body as Record<string, unknown> }),
      });
    } catch (cause) {
      if (signal?.aborted) throw abortErrorFrom(signal);
      if (attempt?.signal.reason === timeoutReason) {
        throw new TimeoutError({
          code: "timeout",
          message: `${call.method} ${call.path} got no answer within ${timeoutMs} ms.`,
          cause,
        });
      }
      throw new NetworkError({
        code: "network_error",
        message: `${call.method} ${call.path} could not reach the server: ${(cause as Error)?.message ?? cause}`,
        cause,
      });
    } finally {
      clearTimeout(timer);
      attempt?.dispose();
    }
  }

  /** Sends `call`, retrying what is safe to retry, and returns the parsed body with the response. */
  async request<T>(call: Call<T>): Promise<{ data: T; response: Response }> {
    const { maxRetries, retryDelayMs, maxRetryDelayMs, maxRetryAfterMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      if (call.signal?.aborted) throw abortErrorFrom(call.signal);
      let error: OpenVClientError;
      try {
        const response = await this.#send(call, call.signal, call.timeoutMs ?? this.options.timeoutMs);
        if (response.ok) return { data: this.#parse(call, response), response };
        error = errorFromResponse(response.status, response.headers, response._data);
      } catch (caught) {
        if (!(caught instanceof NetworkError || caught instanceof TimeoutError)) throw caught;
        error = caught;
      }
      if (attempt >= maxRetries || !isRetryable(error, call)) throw error;
      const retryAfterMs = (error.retryAfterSeconds ?? 0) * 1000;
      if (retryAfterMs > maxRetryAfterMs) throw error;
      await sleep(Math.max(retryAfterMs, backoffDelay(attempt, retryDelayMs, maxRetryDelayMs)), call.signal);
    }
  }

  #parse<T>(call: Call<T>, response: FetchResponse<unknown>): T {
    const parsed = call.schema.safeParse(response._data);
    if (parsed.success) return parsed.data;
    throw new OpenVClientError({
      code: "invalid_response",
      status: response.status,
      requestId: response.headers.get(protocolHeaders.requestId),
      message: `The answer to ${call.method} ${call.path} does not match the OpenV contract: ${parsed.error.message}`,
    });
  }

  /**
   * Opens a Server-Sent Events stream (one attempt; the watcher decides about reconnecting).
   * Resolves with the body once the server has answered 200 with `text/event-stream`.
   */
  async openStream(
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const response = await this.#send(
      { method: "GET", path, headers: { accept: "text/event-stream", ...headers } },
      signal,
      0,
    );
    if (!response.ok) throw errorFromResponse(response.status, response.headers, response._data);
    const type = response.headers.get("content-type") ?? "";
    const body = response._data;
    const isStream = typeof (body as ReadableStream | undefined)?.getReader === "function";
    if (!type.startsWith("text/event-stream") || !isStream) {
      throw new ServerError({
        code: "invalid_response",
        status: response.status,
        requestId: response.headers.get(protocolHeaders.requestId),
        message: `GET ${path} answered ${type || "no content type"}, not an event stream.`,
      });
    }
    return body as ReadableStream<Uint8Array>;
  }
}
