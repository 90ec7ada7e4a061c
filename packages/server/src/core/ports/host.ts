import type { OutboxRecord } from "./records.js";

// What the host process provides: its logger and the sender of outbound webhooks.

/** Sends one outbound webhook message to the host app (signed); throws when it was not accepted. */
export interface WebhookSender {
  /** A human-readable name for logs (the endpoint, without secrets). */
  readonly name: string;
  /** Delivers the message; resolves on a 2xx answer, throws with the reason otherwise. */
  send(message: OutboxRecord): Promise<void>;
}

/** What the core logs: a pino logger fits. */
export interface Logger {
  /** Logs at info level. */
  info(object: object, message?: string): void;
  /** Logs at warn level. */
  warn(object: object, message?: string): void;
  /** Logs at error level. */
  error(object: object, message?: string): void;
}
