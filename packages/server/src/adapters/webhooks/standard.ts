import { Webhook } from "standardwebhooks";
import type { OutboxRecord, WebhookSender } from "../../core/ports.js";

/** Where and how to send outbound webhooks (Standard Webhooks). */
export interface StandardWebhookSenderOptions {
  /** The host app's endpoint, e.g. `https://app.example.com/api/openv-webhooks` (OPENV_WEBHOOK_URL). */
  url: string;
  /**
   * The signing secret shared with the endpoint, `whsec_` then at least 24 bytes in base64
   * (OPENV_WEBHOOK_SIGNING_SECRET). Make one with
   * `node -e "console.log('whsec_' + require('crypto').randomBytes(32).toString('base64'))"`.
   */
  secret: string;
  /** How long to wait for the endpoint's answer; longer counts as a failed attempt. Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /** The fetch to send with (tests, proxies). Default the global `fetch`. */
  fetch?: typeof fetch | undefined;
}

/** How much of a refusing endpoint's answer goes into the error (and the outbox's `lastError`). */
const snippetBytes = 300;
const minimumSecretBytes = 24;

/**
 * The key bytes of a Standard Webhooks secret (`whsec_<base64>`), or an error that says how to make
 * a good one. The spec asks for 24 to 64 random bytes; fewer would be guessable.
 */
export function readSigningSecret(secret: string, setting = "The outbound webhook signing secret"): Buffer {
  const howTo =
    "Use `whsec_` followed by at least 24 random bytes in base64, e.g. the output of " +
    `node -e "console.log('whsec_' + require('crypto').randomBytes(32).toString('base64'))"`;
  const body = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : null;
  if (body === null || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
    throw new Error(`${setting} is not a Standard Webhooks secret (\`whsec_\` then base64). ${howTo}`);
  }
  const key = Buffer.from(body, "base64");
  if (key.length < minimumSecretBytes) {
    throw new Error(`${setting} is only ${key.length} bytes long; it needs at least ${minimumSecretBytes}. ${howTo}`);
  }
  return key;
}

/** The start of an answer's body, for error messages; the rest is not downloaded. */
async function bodySnippet(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < snippetBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut off half-way still has a status worth reporting.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).toString("utf8", 0, Math.min(size, snippetBytes)).replace(/\s+/g, " ").trim();
  return size > snippetBytes ? `${text}…` : text;
}

/**
 * Sends outbound webhooks per Standard Webhooks: a POST of the message's JSON payload with
 * `webhook-id` (the message id, the same on every attempt), `webhook-timestamp` (this attempt, in
 * Unix seconds) and `webhook-signature` (`v1,` HMAC-SHA256 of `id.timestamp.body`). A 2xx answer
 * is a delivery; any other answer (redirects included), a network error or a timeout throws.
 *
 * @throws when `url` is not an http(s) URL or `secret` is not a `whsec_` secret of at least 24 bytes.
 *
 * @example
 * ```ts
 * const sender = createStandardWebhookSender({
 *   url: "https://app.example.com/api/openv-webhooks",
 *   secret: process.env.OPENV_WEBHOOK_SIGNING_SECRET!,
 * });
 * ```
 */
export function createStandardWebhookSender(options: StandardWebhookSenderOptions): WebhookSender {
  let endpoint: URL;
  try {
    endpoint = new URL(options.url);
  } catch {
    throw new Error(
      `The outbound webhook URL "${options.url}" is not a URL. Give the endpoint's full address, e.g. https://app.example.com/api/openv-webhooks.`,
    );
  }
  if (endpoint.protocol !== "https:" && endpoint.protocol !== "http:") {
    throw new Error(`The outbound webhook URL must be http:// or https://, not ${endpoint.protocol}//.`);
  }
  readSigningSecret(options.secret);
  const signer = new Webhook(options.secret);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const send = options.fetch ?? fetch;
  // The name shows up in logs: no query string, no credentials.
  const name = `Standard Webhooks → ${endpoint.origin}${endpoint.pathname}`;

  return {
    name,
    async send(message: OutboxRecord): Promise<void> {
      const body = JSON.stringify(message.payload);
      const sentAt = new Date();
      let response: Response;
      try {
        response = await send(endpoint, {
          method: "POST",
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            "content-type": "application/json",
            "user-agent": "OpenV-Webhooks/1",
            "webhook-id": message.id,
            "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
            "webhook-signature": signer.sign(message.id, sentAt, body),
          },
          body,
        });
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
        const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : error;
        throw new Error(
          timedOut
            ? `${endpoint.origin}${endpoint.pathname} did not answer within ${timeoutMs} ms; answer sooner (queue the work and reply 2xx at once) or raise timeoutMs`
            : `could not reach ${endpoint.origin}${endpoint.pathname} (${String(cause)}); check the URL and that the endpoint is up`,
          { cause: error },
        );
      }
      if (response.status >= 200 && response.status < 300) {
        await response.body?.cancel().catch(() => {});
        return;
      }
      const snippet = await bodySnippet(response);
      throw new Error(
        `${endpoint.origin}${endpoint.pathname} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${snippet ? `: ${snippet}` : ""}`,
      );
    },
  };
}
