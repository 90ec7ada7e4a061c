import { randomBytes } from "node:crypto";
import { VideoOrTombstoneSchema } from "@openv/protocol";
import pg from "pg";
import type { Events, Logger, VideoChangeEvent } from "../../core/ports.js";
import { OrderedDelivery, parseEnvelope, rowFormatPrefix } from "./row-notifications.js";

/** Settings of `createPostgresEvents`. */
export interface PostgresEventsOptions {
  /** The PostgreSQL server every instance shares (`DATABASE_URL`). */
  connectionString: string;
  /**
   * The NOTIFY channel: an unquoted SQL identifier (letters, digits, `_`; at most 63 characters).
   * Instances that should see each other's changes use the same one. Default `"openv_video_changes"`.
   * @example "openv_video_changes_staging"
   */
  channel?: string;
  /** Where connection losses, reconnects and dropped messages are reported. Default: silent. */
  logger?: Logger;
}

const defaultChannel = "openv_video_changes";
const channelPattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; a chunk's body stays far below that,
// leaving room for the header.
const maxChunkBytes = 6000;
// Bounds what a listener accepts, so a bogus header cannot make it allocate much.
const maxChunks = 256;
// The chunks of one message come from one transaction and so arrive together; a message still
// incomplete after this is never completed (e.g. its first chunks came before a reconnect).
const incompleteMessageTimeoutMs = 10_000;
const maxIncompleteMessages = 100;

const reconnectDelayMs = { initial: 100, max: 5_000 };
const connectTimeoutMs = 5_000;

const noop = () => {};
const silentLogger: Logger = { info: noop, warn: noop, error: noop };

/**
 * Live changes across server instances through PostgreSQL `LISTEN/NOTIFY`.
 *
 * Each instance keeps one connection listening on the channel and delivers to its own subscribers
 * only what arrives there (its own publishes included), so a change has one path and arrives once.
 * Resolves once that connection is listening, so no change published afterwards is missed. When
 * the connection drops it reconnects with capped exponential backoff; meanwhile this instance's
 * own published changes go straight to its subscribers, other instances' changes are not delivered.
 * Once it listens again, every subscriber's `onMissed` is called so it catches up from the store
 * (the SSE route ends its streams with a `retry:` hint; clients resume with `Last-Event-ID`).
 */
export async function createPostgresEvents(options: PostgresEventsOptions): Promise<Events> {
  const channel = options.channel ?? defaultChannel;
  if (!channelPattern.test(channel)) {
    throw new Error(
      `Invalid events channel ${JSON.stringify(channel)}: use letters, digits and "_" (not first), at most 63 characters.`,
    );
  }
  const logger = options.logger ?? silentLogger;
  const name = `PostgreSQL LISTEN/NOTIFY (channel ${channel})`;
  const listenStatement = `LISTEN ${pg.escapeIdentifier(channel)}`;

  const subscribers = new Map<string, Set<Subscription>>();
  const assembler = new NotificationAssembler({
    timeoutMs: incompleteMessageTimeoutMs,
    maxIncomplete: maxIncompleteMessages,
    onDiscard: (reason, details) => logger.warn({ channel, ...details }, `dropped a video change: ${reason}`),
  });

  function deliver(body: string): void {
    const message = parseEnvelope(body, isEnvelope, { channel, logger, fields: "user, sequence number and change" });
    if (message === undefined || !subscribers.has(message.u)) return;
    const parsed = VideoOrTombstoneSchema.safeParse(message.c);
    if (!parsed.success) {
      logger.warn({ channel, err: parsed.error }, "dropped a video change: it is not a video or tombstone");
      return;
    }
    deliverLocally(message.u, { seq: message.s, change: parsed.data });
  }

  function deliverLocally(userId: string, event: VideoChangeEvent): void {
    const listeners = subscribers.get(userId);
    if (!listeners) return;
    // A copy, so a listener that unsubscribes (or subscribes) while we deliver changes nothing here.
    for (const subscription of [...listeners]) {
      try {
        subscription.listener(event);
      } catch (error) {
        logger.error({ channel, err: error }, "a video change listener threw");
      }
    }
  }

  /** After an outage of the LISTEN connection: other instances' changes meanwhile were not heard. */
  function tellEverySubscriberTheyMissedChanges(): void {
    const all = [...subscribers.values()].flatMap((listeners) => [...listeners]);
    for (const subscription of all) {
      try {
        subscription.onMissed?.();
      } catch (error) {
        logger.error({ channel, err: error }, "a video change subscriber's onMissed threw");
      }
    }
    if (all.length > 0) logger.info({ channel, subscriptions: all.length }, "told open subscriptions to catch up");
  }

  // Issue 17: changes notified by the statement that made them (format 2, row-notifications.ts);
  // every delivery keeps the order notifications arrived in.
  const ordered = new OrderedDelivery({
    channel,
    logger,
    wants: (userId) => subscribers.has(userId),
    deliver: deliverLocally,
    readRow: async (videoId) =>
      (await pool.query<Record<string, unknown>>(`SELECT * FROM "Video" WHERE "id" = $1`, [videoId])).rows[0] ?? null,
  });

  function onNotification(notification: pg.Notification): void {
    if (notification.channel !== channel || notification.payload === undefined) return;
    if (notification.payload.startsWith(rowFormatPrefix)) {
      ordered.acceptRow(notification.payload.slice(rowFormatPrefix.length));
      return;
    }
    const body = assembler.accept(notification.payload);
    if (body !== undefined) ordered.inOrder(() => deliver(body));
  }

  // ── The LISTEN connection ────────────────────────────────────────────────────────────────────

  let closed = false;
  let closing: Promise<void> | undefined;
  let listener: pg.Client | undefined;
  let connecting: pg.Client | undefined;
  let reconnectAttempt: Promise<void> | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let failedAttempts = 0;

  async function listen(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: options.connectionString,
      application_name: "openv-events-listener",
      connectionTimeoutMillis: connectTimeoutMs,
      // Notices a half-open connection (a server that vanished without closing it).
      keepAlive: true,
    });
    // Attached before connecting: an 'error' event without a handler would crash the process.
    client.on("error", (error) => onListenerLost(client, error));
    client.on("end", () => onListenerLost(client, undefined));
    client.on("notification", onNotification);
    connecting = client;
    try {
      await client.connect();
      await client.query(listenStatement);
      return client;
    } catch (error) {
      void client.end().catch(noop);
      throw error;
    } finally {
      if (connecting === client) connecting = undefined;
    }
  }

  function onListenerLost(client: pg.Client, error: unknown): void {
    if (closed || client !== listener) return;
    listener = undefined;
    client.removeListener("notification", onNotification);
    void client.end().catch(noop);
    logger.warn(
      { channel, err: error },
      "lost the PostgreSQL LISTEN connection; reconnecting (meanwhile only this instance's own changes are delivered)",
    );
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer !== undefined) return;
    const ceiling = Math.min(reconnectDelayMs.max, reconnectDelayMs.initial * 2 ** failedAttempts);
    // Jitter, so instances that lost the same server do not all come back at the same instant.
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      reconnectAttempt = reconnect().finally(() => {
        reconnectAttempt = undefined;
      });
    }, delay);
  }

  async function reconnect(): Promise<void> {
    try {
      const client = await listen();
      if (closed) {
        await client.end().catch(noop);
        return;
      }
      listener = client;
      logger.info({ channel, failedAttempts }, "reconnected the PostgreSQL LISTEN connection");
      failedAttempts = 0;
      // Listening again: whatever other instances published from the loss until now is not coming.
      tellEverySubscriberTheyMissedChanges();
    } catch (error) {
      if (closed) return;
      failedAttempts += 1;
      logger.warn({ channel, err: error, failedAttempts }, "could not reconnect the PostgreSQL LISTEN connection");
      scheduleReconnect();
    }
  }

  // ── Publishing ───────────────────────────────────────────────────────────────────────────────

  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: 2,
    application_name: "openv-events-publisher",
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // An idle pooled connection that dies emits 'error' on the pool; unhandled, it would crash.
  pool.on("error", (error) => logger.warn({ channel, err: error }, "an idle PostgreSQL publish connection failed"));

  try {
    listener = await listen();
  } catch (error) {
    closed = true;
    await pool.end().catch(noop);
    throw error;
  }
  logger.info({ channel }, "listening for video changes");

  async function publish(userId: string, event: VideoChangeEvent): Promise<void> {
    if (closed) throw new Error(`${name} is closed: cannot publish a video change.`);
    // Read before notifying: a LISTEN connection in place now hears the notification.
    const listening = listener !== undefined;
    await notify(encodeNotifications(userId, event));
    // Not listening (the connection dropped and is not back yet): this instance would not hear its
    // own change, so its subscribers get it directly. (A reconnect that hears it too makes a
    // duplicate, with the same id, which the SSE route drops.)
    if (!listening) deliverLocally(userId, event);
  }

  async function notify(payloads: string[]): Promise<void> {
    const [only] = payloads;
    if (payloads.length === 1 && only !== undefined) {
      await pool.query("SELECT pg_notify($1, $2)", [channel, only]);
      return;
    }
    // Several chunks: one transaction, so listeners get all of them or none, together.
    const client = await pool.connect();
    let failed = false;
    try {
      await client.query("BEGIN");
      for (const payload of payloads) await client.query("SELECT pg_notify($1, $2)", [channel, payload]);
      await client.query("COMMIT");
    } catch (error) {
      failed = true;
      await client.query("ROLLBACK").catch(noop);
      throw error;
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused.
      client.release(failed);
    }
  }

  return {
    name,
    publish,
    notifyChannel: channel,
    notified(userId: string, event: () => VideoChangeEvent): void {
      // Not listening: this instance does not hear the statement's NOTIFY; its subscribers get the
      // change directly (as with `publish`; a reconnect's onMissed covers the rest).
      if (!closed && listener === undefined) deliverLocally(userId, event());
    },
    subscribe(userId: string, listener: (event: VideoChangeEvent) => void, onMissed?: () => void): () => void {
      // An object per subscription: the same function subscribed twice is delivered to twice and
      // unsubscribed one subscription at a time, as with the in-process emitter.
      const subscription: Subscription = { listener, onMissed };
      let listeners = subscribers.get(userId);
      if (!listeners) {
        listeners = new Set();
        subscribers.set(userId, listeners);
      }
      listeners.add(subscription);
      return () => {
        const current = subscribers.get(userId);
        if (!current) return;
        current.delete(subscription);
        if (current.size === 0) subscribers.delete(userId);
      };
    },
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        clearTimeout(reconnectTimer);
        reconnectTimer = undefined;
        assembler.clear();
        subscribers.clear();
        const clients = [listener, connecting].filter((client) => client !== undefined);
        listener = undefined;
        await Promise.allSettled([...clients.map((client) => client.end()), reconnectAttempt, pool.end()]);
      })();
      return closing;
    },
  };
}

interface Subscription {
  listener: (event: VideoChangeEvent) => void;
  onMissed: (() => void) | undefined;
}

interface Envelope {
  /** The user. */
  u: string;
  /** The change's number in the user's change sequence. */
  s: number;
  /** The video or tombstone. */
  c: unknown;
}

function isEnvelope(value: unknown): value is Envelope {
  return (
    typeof value === "object" &&
    value !== null &&
    "u" in value &&
    typeof value.u === "string" &&
    "s" in value &&
    Number.isSafeInteger(value.s) &&
    (value.s as number) >= 0 &&
    "c" in value &&
    typeof value.c === "object" &&
    value.c !== null
  );
}

// ── Wire format ────────────────────────────────────────────────────────────────────────────────
//
// A change travels as the JSON text {"u": userId, "s": seq, "c": change}, cut into chunks of at most
// `maxChunkBytes` UTF-8 bytes (always between characters), each sent as one notification:
//
//   1:<message id>:<index>:<count>:<chunk>
//
// `1` is the format's version, the message id is random base64url, index counts from 0. JSON
// text has no raw NUL (which NOTIFY refuses) and, being well-formed, no lone surrogates.

const headerPattern = /^1:([A-Za-z0-9_-]{1,64}):(\d{1,6}):(\d{1,6}):/;

/**
 * The NOTIFY payloads that carry `change` for `userId`, in order.
 * @internal exported for tests only; not part of the package's API.
 */
export function encodeNotifications(userId: string, event: VideoChangeEvent, chunkBytes = maxChunkBytes): string[] {
  const body = Buffer.from(JSON.stringify({ u: userId, s: event.seq, c: event.change } satisfies Envelope), "utf8");
  const chunks: string[] = [];
  for (let start = 0; start < body.length; ) {
    let end = Math.min(start + chunkBytes, body.length);
    // Cut between characters, never inside one (a 4-byte one is a surrogate pair in JavaScript):
    // back up off UTF-8 continuation bytes (10xxxxxx).
    while (end > start && isContinuationByte(body, end)) end -= 1;
    // Only for a chunk size smaller than one character: take that whole character.
    if (end === start) for (end = start + 1; isContinuationByte(body, end); ) end += 1;
    chunks.push(body.toString("utf8", start, end));
    start = end;
  }
  if (chunks.length > maxChunks) {
    throw new Error(`A video change of ${body.length} bytes is too large to publish (at most ${maxChunks} chunks).`);
  }
  const id = randomBytes(9).toString("base64url");
  return chunks.map((chunk, index) => `1:${id}:${index}:${chunks.length}:${chunk}`);
}

function isContinuationByte(bytes: Buffer, at: number): boolean {
  return at < bytes.length && ((bytes[at] ?? 0) & 0xc0) === 0x80;
}

interface IncompleteMessage {
  parts: (string | undefined)[];
  received: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Puts chunked notifications back together. Incomplete messages are dropped after `timeoutMs`,
 * and at most `maxIncomplete` are kept (the oldest goes first), so memory stays bounded.
 * @internal exported for tests only; not part of the package's API.
 */
export class NotificationAssembler {
  readonly #incomplete = new Map<string, IncompleteMessage>();
  readonly #timeoutMs: number;
  readonly #maxIncomplete: number;
  readonly #onDiscard: (reason: string, details: Record<string, unknown>) => void;

  constructor(options: {
    timeoutMs: number;
    maxIncomplete: number;
    onDiscard: (reason: string, details: Record<string, unknown>) => void;
  }) {
    this.#timeoutMs = options.timeoutMs;
    this.#maxIncomplete = options.maxIncomplete;
    this.#onDiscard = options.onDiscard;
  }

  /** Messages still waiting for chunks. */
  get incompleteCount(): number {
    return this.#incomplete.size;
  }

  /** The whole message body once `payload` completes one, else undefined. */
  accept(payload: string): string | undefined {
    const header = headerPattern.exec(payload);
    const [prefix, id, indexText, countText] = header ?? [];
    if (prefix === undefined || id === undefined || indexText === undefined || countText === undefined) {
      this.#onDiscard("unknown payload format", { payloadStart: payload.slice(0, 40) });
      return undefined;
    }
    const index = Number(indexText);
    const count = Number(countText);
    if (count < 1 || count > maxChunks || index >= count) {
      this.#onDiscard("chunk index or count out of range", { messageId: id, index, count });
      return undefined;
    }
    const chunk = payload.slice(prefix.length);
    if (count === 1) return chunk;

    let message = this.#incomplete.get(id);
    if (!message) {
      this.#evictOldestIfFull();
      const timer = setTimeout(() => {
        if (this.#incomplete.delete(id)) this.#onDiscard("incomplete after the timeout", { messageId: id, count });
      }, this.#timeoutMs);
      timer.unref?.();
      message = { parts: new Array<string | undefined>(count).fill(undefined), received: 0, timer };
      this.#incomplete.set(id, message);
    }
    if (message.parts.length !== count || message.parts[index] !== undefined) {
      this.#onDiscard("inconsistent or repeated chunk", { messageId: id, index, count });
      return undefined;
    }
    message.parts[index] = chunk;
    message.received += 1;
    if (message.received < count) return undefined;
    clearTimeout(message.timer);
    this.#incomplete.delete(id);
    return message.parts.join("");
  }

  /** Forgets every incomplete message. */
  clear(): void {
    for (const message of this.#incomplete.values()) clearTimeout(message.timer);
    this.#incomplete.clear();
  }

  #evictOldestIfFull(): void {
    if (this.#incomplete.size < this.#maxIncomplete) return;
    const oldest = this.#incomplete.entries().next().value;
    if (!oldest) return;
    const [id, message] = oldest;
    clearTimeout(message.timer);
    this.#incomplete.delete(id);
    this.#onDiscard("too many incomplete messages", { messageId: id, count: message.parts.length });
  }
}
