import { sweepOrphanFiles } from "./file-sweep.js";
import type { ReconcileOutcome, VideoLifecycle } from "./lifecycle.js";
import type { Logger, Storage, Store } from "./ports.js";

/**
 * Timing of the reconciler. The defaults keep every check far inside RunPod's windows: webhooks
 * come at most 3 times 10 s apart, `/run` results live 30 minutes after the job ends.
 */
export interface ReconcilerOptions {
  /** Time between passes. Default 5 s. */
  intervalMs: number;
  /**
   * A video whose provider has said nothing for this long is asked about. RunPod sends webhooks only
   * when a job ends, so this is also how often a running job's progress is read. Default 10 s.
   */
  silentMs: number;
  /** Videos looked at per pass. Default 50. */
  batchSize: number;
  /** Status calls in flight at once. Default 4. */
  concurrency: number;
  /**
   * A claim is a lease: it lasts this long, and the instance renews it every third of it while it
   * still works on the video (a slow status call or file copy keeps its claim). An instance that
   * dies mid-pass renews nothing, so its videos are free again within this. Default 15 s.
   */
  claimMs: number;
  /** A video without a job is submitted again only after this long (a submission may be in flight). Default 60 s. */
  joblessGraceMs: number;
  /** A video without a job for this long fails as `provider_unavailable`, refunded. Default 10 minutes. */
  resubmitGiveUpMs: number;
  /** How often expired idempotency records and old webhook deliveries are swept. Default 10 minutes. */
  sweepEveryMs: number;
  /** Webhook delivery ids are kept this long to recognise replays. Default 30 days. */
  deliveryRetentionMs: number;
  /**
   * Stored files no record points at (see core/file-sweep.ts) are deleted by the periodic sweep
   * once they are this old, so a file being written is never taken. Default 1 hour.
   */
  orphanFileAgeMs: number;
  /**
   * posters21: completed videos without a poster and sprite (a failed derivation, or videos older
   * than previews) derived per pass, one after another. 0 turns the backfill off. Default 4.
   */
  previewBatchSize: number;
}

/** The default timing, as documented on each `ReconcilerOptions` field. */
export const defaultReconcilerOptions: ReconcilerOptions = {
  intervalMs: 5_000,
  silentMs: 10_000,
  batchSize: 50,
  concurrency: 4,
  claimMs: 15_000,
  joblessGraceMs: 60_000,
  resubmitGiveUpMs: 10 * 60_000,
  sweepEveryMs: 10 * 60_000,
  deliveryRetentionMs: 30 * 24 * 60 * 60_000,
  orphanFileAgeMs: 60 * 60_000,
  previewBatchSize: 4, // posters21
};

/** What one reconcile pass did. */
export interface ReconcilePassReport {
  /** How many videos the pass claimed. */
  claimed: number;
  /** How many claimed videos ended with each outcome; `error` counts those that threw. */
  outcomes: Partial<Record<ReconcileOutcome | "error", number>>;
}

/**
 * The background loop that loses no video: each pass claims silent unfinished videos (rows claimed
 * by another instance are skipped, see `Store.claimSilentVideos`) and asks the provider about
 * them through `VideoLifecycle.reconcileVideo`. `stop()` waits for the pass in flight.
 */
export class Reconciler {
  /** The timing in use: the defaults overridden by the options given. */
  readonly options: ReconcilerOptions;
  readonly #lifecycle: VideoLifecycle;
  readonly #store: Store;
  readonly #storage: Storage | null;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #stopped = true;
  #lastSweep = 0;

  constructor(deps: {
    lifecycle: VideoLifecycle;
    store: Store;
    /** Where files are stored, for the orphan-file sweep (skipped without it). */
    storage?: Storage;
    logger: Logger;
    options?: Partial<ReconcilerOptions>;
  }) {
    this.#lifecycle = deps.lifecycle;
    this.#store = deps.store;
    this.#storage = deps.storage ?? null;
    this.#logger = deps.logger;
    this.options = { ...defaultReconcilerOptions, ...deps.options };
  }

  /** Starts the loop: the first pass runs after `intervalMs`. Does nothing if already started. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(this.options.intervalMs);
  }

  /** Stops the loop and waits for the pass in flight, if any. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.runOnce()
        .catch((error: unknown) => this.#logger.error({ err: error }, "reconcile pass failed; retrying next pass"))
        .finally(() => {
          this.#running = null;
          this.#schedule(this.options.intervalMs);
        });
    }, delayMs);
    // A pending pass must not keep a process alive that is otherwise done.
    this.#timer.unref();
  }

  /** One pass: claim, reconcile, release. Safe to call concurrently, from any number of instances. */
  async runOnce(): Promise<ReconcilePassReport> {
    const { silentMs, claimMs, batchSize, concurrency } = this.options;
    await this.#sweep();
    await this.#backfillPreviews(); // posters21
    const videos = await this.#store.claimSilentVideos(silentMs, claimMs, batchSize);
    const report: ReconcilePassReport = { claimed: videos.length, outcomes: {} };
    if (videos.length === 0) return report;
    const queue = [...videos];
    // The claims this pass still works on, renewed until each video is done (see `claimMs`).
    const held = new Set(videos.map((video) => video.id));
    const renewal = setInterval(() => {
      this.#store.renewClaims([...held], claimMs).catch((error: unknown) => {
        this.#logger.warn({ err: error }, "could not renew the reconciler's claims; another instance may take them");
      });
    }, claimMs / 3);
    renewal.unref();
    const worker = async () => {
      for (let video = queue.shift(); video; video = queue.shift()) {
        let outcome: ReconcileOutcome | "error";
        try {
          outcome = await this.#lifecycle.reconcileVideo(video, this.options);
        } catch (error) {
          outcome = "error";
          this.#logger.warn({ videoId: video.id, jobId: video.jobId, err: error }, "could not reconcile a video");
        }
        held.delete(video.id);
        report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, videos.length) }, worker));
    } finally {
      clearInterval(renewal);
      await this.#store.releaseClaims(videos.map((video) => video.id));
    }
    const changed = (report.outcomes.updated ?? 0) + (report.outcomes.failed ?? 0) + (report.outcomes.submitted ?? 0);
    if (changed > 0 || report.outcomes.error) this.#logger.info(report, "reconcile pass");
    return report;
  }

  /** posters21: derives a bounded batch of missing previews; a failure waits for the next pass. */
  async #backfillPreviews(): Promise<void> {
    if (this.options.previewBatchSize <= 0) return;
    await this.#lifecycle.backfillPreviews(this.options.previewBatchSize).catch((error: unknown) => {
      this.#logger.warn({ err: error }, "could not backfill video previews; the next pass tries again");
    });
  }

  async #sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastSweep < this.options.sweepEveryMs) return;
    this.#lastSweep = now;
    const idempotency = await this.#store.deleteExpiredIdempotency(new Date(now));
    const deliveries = await this.#store.deleteWebhookDeliveriesBefore(
      new Date(now - this.options.deliveryRetentionMs),
    );
    if (idempotency + deliveries > 0) {
      this.#logger.info({ idempotency, deliveries }, "swept expired idempotency records and webhook deliveries");
    }
    await this.sweepFiles(new Date(now - this.options.orphanFileAgeMs));
  }

  /**
   * Deletes stored files last written before `olderThan` that no record points at (a deleted or
   * unknown video's, a superseded attempt's, an upload whose record is gone). Runs with the periodic
   * sweep; returns the keys deleted.
   */
  async sweepFiles(olderThan: Date): Promise<string[]> {
    if (!this.#storage) return [];
    return sweepOrphanFiles({ storage: this.#storage, store: this.#store, logger: this.#logger, olderThan }).catch(
      (error: unknown) => {
        this.#logger.warn({ err: error }, "could not sweep orphaned files; the next sweep tries again");
        return [];
      },
    );
  }
}
