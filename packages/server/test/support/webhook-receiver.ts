import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One request the receiver got, and what the official Standard Webhooks library made of it. */
export interface ReceivedWebhook {
  /** The `webhook-id` header. */
  id: string;
  /** The `webhook-timestamp` header, Unix seconds. */
  timestamp: number;
  /** The raw body. */
  body: string;
  /** The request headers. */
  headers: IncomingHttpHeaders;
  /** The payload as `Webhook#verify` returned it, or null when verification threw. */
  verified: unknown;
  /** Why verification threw, or null. */
  verifyError: string | null;
  /** The status the receiver answered with. */
  answeredWith: number;
}

/**
 * The host app's webhook endpoint, for real: node:http on 127.0.0.1 that verifies every request
 * with the `standardwebhooks` package's `Webhook#verify`, as a host app would. `answer` picks the
 * status of each request (default 204); `delayMs` holds each answer back; `stop()` and `start()`
 * take it down and bring it back on the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** The status to answer request number `index` (0-based) with. */
  answer: (index: number, request: { id: string }) => number = () => 204;
  /** How long to hold each answer. */
  delayMs = 0;
  /** The most requests with one webhook-id that were in flight at the same time. */
  maxInFlightPerId = 0;
  readonly #inFlight = new Map<string, number>();
  readonly #verifier: Webhook;
  #server: Server | null = null;
  #port = 0;

  constructor(readonly secret: string) {
    this.#verifier = new Webhook(secret);
  }

  /** Forgets what it received and answers 204 at once again. */
  reset(): void {
    this.received.length = 0;
    this.answer = () => 204;
    this.delayMs = 0;
    this.maxInFlightPerId = 0;
    this.#inFlight.clear();
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hooks/openv`;
  }

  /** The verified deliveries (answered 2xx) in order. */
  get delivered(): ReceivedWebhook[] {
    return this.received.filter((request) => request.verified !== null && request.answeredWith < 300);
  }

  /** Listens (again, on the same port after `stop()`); does nothing while listening. */
  async start(): Promise<this> {
    if (this.#server) return this;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const id = String(request.headers["webhook-id"] ?? "");
        const inFlight = (this.#inFlight.get(id) ?? 0) + 1;
        this.#inFlight.set(id, inFlight);
        this.maxInFlightPerId = Math.max(this.maxInFlightPerId, inFlight);
        let verified: unknown = null;
        let verifyError: string | null = null;
        try {
          verified = this.#verifier.verify(body, request.headers as Record<string, string>);
        } catch (error) {
          verifyError = (error as Error).message;
        }
        const status = verifyError ? 401 : this.answer(this.received.length, { id });
        this.received.push({
          id,
          timestamp: Number(request.headers["webhook-timestamp"]),
          body,
          headers: request.headers,
          verified,
          verifyError,
          answeredWith: status,
        });
        if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        this.#inFlight.set(id, (this.#inFlight.get(id) ?? 1) - 1);
        response.writeHead(status, { "content-type": "text/plain" });
        response.end(status >= 300 ? `receiver says no (${status}): database is locked` : "ok");
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stops listening (connections refused) until `start()`, which reuses the port. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
