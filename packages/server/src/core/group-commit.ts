// Group commit (issue 17, item 3): operations that arrive while others are running are gathered
// and run as one batch, one round trip and one transaction for many callers, as graphile-worker
// batches `complete_jobs`. Each caller still gets its own answer.

/** What a batch says about one of its items. */
export type BatchOutcome<O> =
  /** Done: the item's result. */
  | { ok: O }
  /** Not done by the batch (its part was undone alone): it is run again on its own. */
  | { retryAlone: true };

export interface GroupCommitOptions<I, O> {
  /** Runs one item on its own (a lone item, or one its batch could not do). */
  runOne(item: I): Promise<O>;
  /**
   * Runs several items in one go, answering one outcome per item in their order. A throw (or a
   * wrong number of outcomes) runs every item of the batch again on its own. A throw may come after
   * the batch committed (the connection dropped before the answer): `runOne` must then change
   * nothing twice (job updates carry the change number they expect, so a second run is refused).
   */
  runBatch(items: I[]): Promise<BatchOutcome<O>[]>;
  /** The most items in one batch. Default 64. */
  maxBatch?: number;
  /** Batches (or lone items) running at once; items arriving while all run wait and go together. Default 4. */
  maxInFlight?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Gathers concurrent items into batches. An item submitted while fewer than `maxInFlight` batches
 * run goes at the next turn of the event loop with whatever else was submitted in that turn; while
 * all run, items queue and go together when one finishes (so batches grow with the load and a
 * quiet server answers each item alone, without waiting). No timer: nothing keeps a process alive.
 */
export class GroupCommit<I, O> {
  readonly #runOne: (item: I) => Promise<O>;
  readonly #runBatch: (items: I[]) => Promise<BatchOutcome<O>[]>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #queue: Waiting<I, O>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(options: GroupCommitOptions<I, O>) {
    this.#runOne = options.runOne;
    this.#runBatch = options.runBatch;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 64);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  }

  /** Runs `item` in the next batch; resolves with its own result, rejects with its own error. */
  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight += 1;
      void this.#settle(batch).finally(() => {
        this.#inFlight -= 1;
        // What queued meanwhile goes now, together.
        this.#drain();
      });
    }
  }

  async #settle(batch: Waiting<I, O>[]): Promise<void> {
    const [only] = batch;
    if (batch.length === 1 && only) {
      await this.#alone(only);
      return;
    }
    let outcomes: BatchOutcome<O>[] | null = null;
    try {
      outcomes = await this.#runBatch(batch.map((waiting) => waiting.item));
      if (outcomes.length !== batch.length) outcomes = null;
    } catch {
      outcomes = null;
    }
    await Promise.all(
      batch.map((waiting, index) => {
        const outcome = outcomes?.[index];
        if (outcome && "ok" in outcome) {
          waiting.resolve(outcome.ok);
          return undefined;
        }
        // The batch failed as a whole, or undid this item alone: on its own, with its own error.
        return this.#alone(waiting);
      }),
    );
  }

  async #alone(waiting: Waiting<I, O>): Promise<void> {
    try {
      waiting.resolve(await this.#runOne(waiting.item));
    } catch (error) {
      waiting.reject(error);
    }
  }
}
