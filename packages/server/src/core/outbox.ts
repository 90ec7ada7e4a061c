import type { Logger, OutboxRecord, Store, WebhookSender } from "./ports.js";

/** Timing of the outbox dispatcher (outbound webhooks to the host app). */
export interface OutboxDispatcherOptions {
  /**
   * Time between passes when nothing wakes the dispatcher sooner. A message queued on this instance
   * wakes it at once; this is how soon it notices one queued by another instance, or due again
   * after a failed attempt. Default 1 s.
   */
  pollIntervalMs: number;
  /** Messages claimed per pass. Default 20. */
  batchSize: number;
  /** Deliveries in flight at once. Default 4. */
  concurrency: number;
  /**
   * How long a claimed message stays with the instance that claimed it if that instance dies
   * mid-pass; another instance sends it after that. Must be well above the sender's timeout.
   * Default 2 minutes.
   */
  claimMs: number;
  /**
   * The wait after each failed attempt: the first after attempt 1, and so on; the last one repeats.
   * Each wait is spread by `jitter`. Default 5 s, 30 s, 2 min, 10 min, 30 min, then every hour.
   */
  retryDelaysMs: readonly number[];
  /** How far each wait is spread at random, as a fraction (0.2: ±20 %). Default 0.2. */
  jitter: number;
  /** A message is given up after this many failed attempts. Default 30. */
  maxAttempts: number;
  /** A message is given up when its next attempt would come later than this after it was queued. Default 24 h. */
  giveUpAfterMs: number;
}

/** The default timing, as documented on each `OutboxDispatcherOptions` field. */
export const defaultOutboxDispatcherOptions: OutboxDispatcherOptions = {
  pollIntervalMs: 1_000,
  batchSize: 20,
  concurrency: 4,
  claimMs: 120_000,
  retryDelaysMs: [5_000, 30_000, 2 * 60_000, 10 * 60_000, 30 * 60_000, 60 * 60_000],
  jitter: 0.2,
  maxAttempts: 30,
  giveUpAfterMs: 24 * 60 * 60_000,
};

/** What one dispatcher pass did. */
export interface OutboxPassReport {
  /** Messages the pass claimed. */
  claimed: number;
  /** Messages the endpoint accepted (2xx). */
  delivered: number;
  /** Messages that failed and are due again later. */
  retrying: number;
  /** Messages that failed for the last time and were given up. */
  gaveUp: number;
  /**
   * Messages not attempted because the pass ran past half their claim, or the dispatcher was
   * stopping; they are sent by a later pass once their claim expires.
   */
  skipped: number;
}

/**
 * The wait before attempt `attempts + 1` of a message that has failed `attempts` times (≥ 1):
 * `retryDelaysMs[attempts - 1]` (the last entry once past the end), spread by ±`jitter`.
 * `random` returns a number in [0, 1).
 */
export function outboxRetryDelay(
  attempts: number,
  options: Pick<OutboxDispatcherOptions, "retryDelaysMs" | "jitter">,
  random: () => number = Math.random,
): number {
  const { retryDelaysMs, jitter } = options;
  const base = retryDelaysMs[Math.min(Math.max(attempts, 1), retryDelaysMs.length) - 1] ?? 0;
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}

/**
 * Sends the outbox's messages to the host app's webhook endpoint: each pass claims due messages
 * (rows claimed by another instance are skipped, see `Store.claimOutbox`), sends each through the
 * `WebhookSender` and records the outcome: delivered, due again after a backoff with jitter, or
 * given up. Delivery is at least once: a message whose outcome could not be recorded is sent again
 * (with the same `webhook-id`, so receivers can drop the duplicate). `stop()` waits for the pass in flight.
 */
export class OutboxDispatcher {
  /** The timing in use: the defaults overridden by the options given. */
  readonly options: OutboxDispatcherOptions;
  readonly #store: Store;
  readonly #sender: WebhookSender;
  readonly #logger: Logger;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #stopped = true;
  /** `stop()` was called: passes send nothing more (the sends in flight finish). */
  #closing = false;
  /** A nudge arrived during a pass: run another one right after it. */
  #again = false;
  readonly #prepare: ((message: OutboxRecord) => Promise<OutboxRecord>) | undefined;

  constructor(deps: {
    /** Where the outbox is. */
    store: Store;
    /** Sends one message to the host app. */
    sender: WebhookSender;
    /** Where failures are logged. */
    logger: Logger;
    /** Timing overrides. */
    options?: Partial<OutboxDispatcherOptions>;
    /** The jitter's source of randomness, a number in [0, 1). Default `Math.random`. */
    random?: () => number;
    /**
     * Rewrites a message just before each attempt, e.g. to put a freshly signed URL of private
     * storage in it (the stored payload keeps the plain one). Default: sent as stored.
     */
    prepare?: (message: OutboxRecord) => Promise<OutboxRecord>;
  }) {
    this.#store = deps.store;
    this.#sender = deps.sender;
    this.#logger = deps.logger;
    this.#random = deps.random ?? Math.random;
    this.#prepare = deps.prepare;
    this.options = { ...defaultOutboxDispatcherOptions, ...deps.options };
    if (this.options.retryDelaysMs.length === 0) {
      throw new Error("OutboxDispatcher: `retryDelaysMs` needs at least one wait, e.g. [5000, 30000, 120000].");
    }
  }

  /** Starts the loop: the first pass runs at once. Does nothing if already started. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#closing = false;
    this.#schedule(0);
  }

  /**
   * Stops the loop and waits for the sends in flight; the pass sends no more messages, so a
   * shutdown waits at most one send timeout. Messages it had claimed but not sent go to whichever
   * instance claims them once the claim expires (`claimMs`).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#closing = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /**
   * Runs a pass soon: the lifecycle calls it after committing a change that queued a message, so
   * the host app hears of it without waiting for the next poll. Does nothing while stopped.
   */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#again = false;
      let full = false;
      this.#running = this.runOnce()
        .then((report) => {
          full = report.claimed >= this.options.batchSize;
        })
        .catch((error: unknown) =>
          this.#logger.error(
            { err: error },
            "outbox pass failed (is the database reachable?); the messages wait in the outbox and the next pass tries again",
          ),
        )
        .finally(() => {
          this.#running = null;
          // A full batch may have left more due messages behind: drain them without waiting.
          this.#schedule(full || this.#again ? 0 : this.options.pollIntervalMs);
        });
    }, delayMs);
    // A pending pass must not keep a process alive that is otherwise done.
    this.#timer.unref();
  }

  /**
   * One pass: claim due messages, send them, record each outcome. Safe to call concurrently, from
   * any number of instances. After `stop()` it sends nothing until `start()`.
   */
  async runOnce(): Promise<OutboxPassReport> {
    const { claimMs, batchSize, concurrency } = this.options;
    const claimedAt = Date.now();
    const messages = await this.#store.claimOutbox(claimMs, batchSize);
    const report: OutboxPassReport = { claimed: messages.length, delivered: 0, retrying: 0, gaveUp: 0, skipped: 0 };
    const queue = [...messages];
    const worker = async () => {
      for (let message = queue.shift(); message; message = queue.shift()) {
        if (this.#closing) {
          report.skipped++;
          continue;
        }
        // Past half its claim, another instance may claim the message before our attempt ends:
        // leave it (unsettled, so not counted as an attempt) to whoever claims it next.
        if (Date.now() - claimedAt > claimMs / 2) {
          report.skipped++;
          continue;
        }
        report[await this.#deliver(message)]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, messages.length) }, worker));
    if (report.retrying + report.gaveUp + report.skipped > 0) this.#logger.info(report, "outbox pass");
    return report;
  }

  async #deliver(message: OutboxRecord): Promise<"delivered" | "retrying" | "gaveUp"> {
    let outcome: "delivered" | "retrying" | "gaveUp";
    let settle: Parameters<Store["settleOutbox"]>[1];
    const attempt = message.attempts + 1;
    try {
      await this.#sender.send(this.#prepare ? await this.#prepare(message) : message);
      outcome = "delivered";
      settle = { delivered: true };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const { maxAttempts, giveUpAfterMs } = this.options;
      const retryAt = new Date(Date.now() + outboxRetryDelay(attempt, this.options, this.#random));
      const giveUp = attempt >= maxAttempts || retryAt.getTime() - message.createdAt.getTime() > giveUpAfterMs;
      const log = { messageId: message.id, eventType: message.eventType, attempt, endpoint: this.#sender.name };
      if (giveUp) {
        outcome = "gaveUp";
        settle = { delivered: false, error: reason, retryAt: null };
        this.#logger.error(
          { ...log, err: error },
          `outbound webhook ${message.id} given up after ${attempt} attempts (${reason}). Make the endpoint answer 2xx, then send it again: UPDATE "OutboxMessage" SET "failedAt" = NULL, "nextAttemptAt" = now() WHERE "id" = '${message.id}'`,
        );
      } else {
        outcome = "retrying";
        settle = { delivered: false, error: reason, retryAt };
        this.#logger.warn(
          { ...log, retryAt: retryAt.toISOString(), err: error },
          `outbound webhook ${message.id} not delivered (${reason}); trying again at ${retryAt.toISOString()}. Check that the endpoint is up and answers 2xx.`,
        );
      }
    }
    try {
      await this.#store.settleOutbox(message.id, settle);
    } catch (error) {
      // The claim expires and a later pass sends it again: at least once, with the same webhook-id.
      this.#logger.error(
        { messageId: message.id, err: error },
        "could not record an outbound webhook's outcome (is the database reachable?); it is sent again once its claim expires",
      );
    }
    return outcome;
  }
}
