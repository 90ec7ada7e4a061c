import type { LookupAddress } from "node:dns";
import { lookup as systemLookup } from "node:dns/promises";
import { Agent } from "undici";
import type { Logger, OutboundFetch, OutboundRequestInit } from "../../core/ports.js";
import {
  type AllowedHost,
  addressInHostname,
  isAllowedHost,
  parseAllowedHosts,
  refusedAddressClass,
} from "./address-policy.js";

// The one way the server fetches a URL it did not write itself: a provider's output, an image, a
// workflow's status endpoint. Every hop's every resolved address is checked before connecting, the
// connection goes to the address that was checked (the check runs inside the connection's own DNS
// lookup, so a second answer cannot slip in between), redirects are followed here and checked
// again, and the body is counted. Whatever goes wrong before an answer arrives reads the same to
// the caller; only the log says why.

/** One address a host name resolves to. */
export interface ResolvedAddress {
  /** The IP address, e.g. "203.0.113.7" or "2001:db8::1". */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
}

/** Resolves a host name to every address it has (default: the system resolver, `dns.lookup` with `all`). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The limits a guarded fetch applies when the caller names none. */
export const guardedFetchDefaults = {
  /** Redirects followed (each re-checked) before giving up. */
  maxRedirects: 5,
  /** Largest body read, in bytes; a larger one is cut off (and refused up front when `content-length` says so). */
  maxBytes: 64 * 1024 * 1024,
  /** Time to open the connection (TCP and TLS), in ms. */
  connectTimeoutMs: 10_000,
  /** Time from sending the request to the answer's headers, and the longest pause between body chunks, in ms. */
  headersTimeoutMs: 30_000,
  /** Time for the whole exchange, redirects and body included, in ms. */
  timeoutMs: 5 * 60_000,
} as const;

/** Settings of `createGuardedFetch`. */
export interface GuardedFetchOptions {
  /**
   * Hosts admitted although they are loopback, private or otherwise refused: `host[:port]` entries,
   * comma-separated or a list (OPENV_OUTPUT_ALLOWED_HOSTS). Matched against the URL's host as
   * written (a name is not matched by the addresses it resolves to); no port means any port.
   */
  allowedHosts?: string | readonly string[] | readonly AllowedHost[] | undefined;
  /** How host names are resolved. Default: the system resolver. */
  resolve?: Resolver | undefined;
  /** @default 5 */
  maxRedirects?: number | undefined;
  /** @default 64 MiB */
  maxBytes?: number | undefined;
  /** @default 10 000 ms */
  connectTimeoutMs?: number | undefined;
  /** @default 30 000 ms */
  headersTimeoutMs?: number | undefined;
  /** @default 300 000 ms (5 minutes) */
  timeoutMs?: number | undefined;
  /** Where the reason of a refused or failed fetch is logged (without the URL's query or credentials). */
  logger?: Pick<Logger, "warn"> | undefined;
}

/**
 * Thrown by a guarded fetch. `kind: "unavailable"` covers everything that happens before an answer
 * (a refused address, a closed port, a timeout, a bad redirect) with one message, so error text
 * cannot tell an attacker what answered inside; `kind: "too_large"` is a body past the size limit.
 */
export class OutboundFetchError extends Error {
  /** `unavailable` (refused, unreachable, timed out: one message for all) or `too_large`. */
  readonly kind: "unavailable" | "too_large";
  /** For `too_large` refused up front: the length the answer declared. */
  readonly declaredBytes: number | undefined;

  constructor(kind: "unavailable" | "too_large", message: string, declaredBytes?: number) {
    super(message);
    this.name = "OutboundFetchError";
    this.kind = kind;
    this.declaredBytes = declaredBytes;
  }
}

/** The message of every `unavailable` refusal. */
export const unavailableMessage =
  "the URL could not be fetched: its host is not reachable from this server, did not answer in time, or is not allowed (the server log says which)";

/** Why a connection was not opened; kept for the log, never shown to the caller. */
class AddressRefusedError extends Error {
  override name = "AddressRefusedError";
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const nullBodyStatuses = new Set([101, 204, 205, 304]);
/** Request headers kept when a redirect leads to another origin; the rest may carry credentials. */
const crossOriginSafeHeaders = new Set(["accept", "accept-language", "content-type", "user-agent"]);

const systemResolver: Resolver = async (hostname) => {
  const answers = await systemLookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
};

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/** A `net.connect` lookup that resolves with `resolve`, refusing a name any of whose addresses is refused (unless `check` is off). */
function lookupWith(resolve: Resolver, check: boolean) {
  return (hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback) => {
    resolve(hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw new AddressRefusedError(`${hostname} resolves to no address`);
        if (check) {
          for (const { address } of addresses) {
            const refused = refusedAddressClass(address);
            if (refused) throw new AddressRefusedError(`${hostname} resolves to ${address} (${refused})`);
          }
        }
        const family = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 ? 6 : 0;
        const usable = family === 0 ? addresses : addresses.filter((entry) => entry.family === family);
        const first = usable[0];
        if (!first) throw new AddressRefusedError(`${hostname} has no IPv${family} address`);
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      })
      .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), []));
  };
}

/** The URL as it may be logged: origin and path, no credentials, no query (a signed link's query is a credential). */
export function loggableUrl(url: URL | string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

/** What went wrong, from an error and its causes, for the log. */
function reasonOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === "string" ? `${current.message} (${code})` : current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(": ") : String(error);
}

/**
 * A fetch for URLs the server did not write itself (see the file comment). Plain `fetch` semantics
 * otherwise: any HTTP status is answered; `init.maxBytes` and `init.timeoutMs` override the
 * defaults per call. Calls `globalThis.fetch` at call time with its own undici dispatcher.
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): OutboundFetch {
  const allowed: AllowedHost[] =
    typeof options.allowedHosts === "string" || isStringList(options.allowedHosts)
      ? parseAllowedHosts(options.allowedHosts)
      : [...(options.allowedHosts ?? [])];
  const resolve = options.resolve ?? systemResolver;
  const maxRedirects = options.maxRedirects ?? guardedFetchDefaults.maxRedirects;
  const defaultMaxBytes = options.maxBytes ?? guardedFetchDefaults.maxBytes;
  const defaultTimeoutMs = options.timeoutMs ?? guardedFetchDefaults.timeoutMs;
  const headersTimeout = options.headersTimeoutMs ?? guardedFetchDefaults.headersTimeoutMs;
  const agentOptions = (check: boolean): Agent.Options => ({
    // Passed on to net.connect / tls.connect (undici's types ask for a port the connector fills in).
    connect: {
      timeout: options.connectTimeoutMs ?? guardedFetchDefaults.connectTimeoutMs,
      lookup: lookupWith(resolve, check),
    } as unknown as NonNullable<Agent.Options["connect"]>,
    headersTimeout,
    bodyTimeout: headersTimeout,
  });
  const checked = new Agent(agentOptions(true));
  const admitted = new Agent(agentOptions(false));

  const refuse = (url: URL | string, reason: string): OutboundFetchError => {
    options.logger?.warn({ url: loggableUrl(url), reason }, "a server-side fetch was refused or failed");
    return new OutboundFetchError("unavailable", unavailableMessage);
  };

  /** The dispatcher for `url`, or a refusal of what can be judged before connecting. */
  const dispatcherFor = (url: URL): Agent => {
    if (url.protocol !== "http:" && url.protocol !== "https:") throw refuse(url, `${url.protocol} is not http(s)`);
    if (url.username !== "" || url.password !== "") throw refuse(url, "the URL carries credentials");
    if (isAllowedHost(allowed, url)) return admitted;
    // A literal address is never looked up, so the connection's lookup cannot check it: do it here.
    const literal = addressInHostname(url.hostname);
    const refused = literal === null ? null : refusedAddressClass(literal);
    if (refused) throw refuse(url, `${literal} is ${refused}`);
    return checked;
  };

  return async function guardedFetch(input: string | URL, init: OutboundRequestInit = {}): Promise<Response> {
    const { maxBytes = defaultMaxBytes, timeoutMs = defaultTimeoutMs, signal: callerSignal, ...request } = init;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw refuse(String(input), "not a URL");
    }
    let method = (request.method ?? "GET").toUpperCase();
    let body = request.body;
    const headers = headersOf(request.headers);
    for (let hop = 0; ; hop++) {
      const dispatcher = dispatcherFor(url);
      let response: Response;
      try {
        response = await globalThis.fetch(url, {
          ...request,
          method,
          headers,
          body: body ?? null,
          redirect: "manual",
          signal,
          dispatcher,
        } as RequestInit);
      } catch (error) {
        throw refuse(url, signal.aborted && deadline.aborted ? `no answer within ${timeoutMs} ms` : reasonOf(error));
      }
      const location = response.headers.get("location");
      if (!redirectStatuses.has(response.status) || location === null) return limitBody(response, maxBytes);
      discard(response);
      if (hop >= maxRedirects) throw refuse(url, `more than ${maxRedirects} redirects`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw refuse(url, "a redirect to something that is not a URL");
      }
      // As fetch does: 303 (and 301/302 after a POST) continue as a GET without the body.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
        if (method !== "HEAD") method = "GET";
        body = null;
        headers.delete("content-type");
        headers.delete("content-length");
      } else if (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) {
        throw refuse(url, "a redirect that would resend a streamed body");
      }
      if (next.origin !== url.origin) {
        for (const name of [...headers.keys()]) if (!crossOriginSafeHeaders.has(name)) headers.delete(name);
      }
      url = next;
    }
  };
}

/**
 * A copy of `init`'s headers. A Headers object from another implementation (ofetch on Node hands
 * over its own) is copied entry by entry: the constructor would not see its entries.
 */
function headersOf(init: HeadersInit | undefined | null): Headers {
  if (init && !Array.isArray(init) && typeof (init as Headers).forEach === "function") {
    const headers = new Headers();
    (init as Headers).forEach((value, name) => {
      headers.append(name, value);
    });
    return headers;
  }
  return new Headers(init ?? undefined);
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "string");
}

/** Lets go of a body we will not read (not awaited: a teed stream's cancel settles late). */
function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}

function tooLarge(maxBytes: number, declared?: number): OutboundFetchError {
  const what = declared === undefined ? "longer" : `${declared} bytes, more`;
  return new OutboundFetchError("too_large", `the answer is ${what} than the limit of ${maxBytes} bytes`, declared);
}

/** The answer with its body counted: refused up front when it declares more than `maxBytes`, cut off past it. */
function limitBody(response: Response, maxBytes: number): Response {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(response);
    throw tooLarge(maxBytes, declared);
  }
  if (response.body === null || nullBodyStatuses.has(response.status)) return response;
  let seen = 0;
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        // Erroring the stream cancels the network body, so no more than this is ever read.
        if (seen > maxBytes) controller.error(tooLarge(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
}
